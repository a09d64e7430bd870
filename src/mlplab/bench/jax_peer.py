"""The JAX peers: the same network trained by ``jax.jit``-compiled code, in two forms.

``jax-step``
    A jitted training step called once per batch from Python, as the tutorials
    write it: a NumPy permutation per epoch, each batch gathered with NumPy and
    handed to the step.
``jax-scan``
    A whole epoch as one jitted ``jax.lax.scan`` over the full batches: the
    epoch's shuffled indices are drawn outside (NumPy, the same permutation as
    ``jax-step``) and passed in as an ``(n_batches, batch)`` array; the rows
    are gathered inside the computation. A last partial batch (when the batch
    size does not divide the samples) is one more jitted step on the remaining
    indices, so every sample is seen once per epoch, as in the other libraries.

Full batch (``batch_size=None``) is one jitted step on the whole training set
per epoch in both forms, without shuffling. The network, loss and optimizers
are in :mod:`mlplab.bench.jax_model`; dropout and batch norm are not
implemented (the rows say so).

Compilation is not timed: before the timed epochs every jitted function is
called once with the shapes it will see, on the initial state, and the result
is thrown away (one batch of each shape for ``jax-step``, one epoch in the
natural order for ``jax-scan``). The model then trains exactly
``config.epochs`` epochs, like the other libraries, and each epoch's clock
stops only after ``jax.block_until_ready`` on the new state.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..datasets import Dataset
from .configs import INFERENCE_BATCH, BenchConfig
from .result import RunResult, samples_per_second

FORMS = ("jax-step", "jax-scan")
"""The JAX peers' names: a jitted step per batch, or a jitted ``lax.scan`` per epoch."""

NO_DROPOUT_NOTE = "the JAX peers have no dropout or batch norm"

EpochAndWarmUp = tuple[Callable[[Any], Any], Callable[[Any], None]]
"""A training epoch (state in, new state out) and its warm-up (compiles on a state, trains nothing)."""

_threads_set: int | None = None
"""The thread count this module gave XLA when it started JAX's CPU backend (``None``: it did not)."""


def _backend_started() -> bool:
    """Whether JAX has started a backend, after which its thread pools are fixed."""
    if "jax" not in sys.modules:
        return False
    try:
        from jax._src import xla_bridge
    except ImportError:  # pragma: no cover - a JAX without this private module: assume the worst
        return True
    started = getattr(xla_bridge, "backends_are_initialized", None)
    return True if started is None else bool(started())


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the ``with`` block, then restore them (or remove the new ones)."""
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def limit_xla_threads(threads: int) -> bool:
    """Start JAX's CPU backend with ``threads`` threads; ``False`` if it had started already (with others).

    XLA sizes its CPU thread pools once, when the backend starts (the first
    ``jax.devices()`` or computation, not ``import jax``): from the environment
    variable ``NPROC`` where it is set, otherwise from the cores the process may
    run on. XLA also reads ``XLA_FLAGS`` by then. This sets ``NPROC`` (and, with
    one thread, ``--xla_cpu_multi_thread_eigen=false`` in ``XLA_FLAGS``, so
    matrix products run on the calling thread), starts the backend with
    ``jax.devices("cpu")``, and restores both variables. The popular
    ``intra_op_parallelism_threads=N`` is no XLA flag: XLA aborts on it, or
    ignores it where it follows a real flag without dashes. Once the
    backend has started nothing changes its threads: a later call asking for
    another count returns ``False``, and the run gets a note.

    Raises
    ------
    ImportError
        If JAX is not installed.
    """
    global _threads_set
    import jax

    if _backend_started():
        return _threads_set == threads
    values = {"NPROC": str(threads)}
    if threads == 1:
        values["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} --xla_cpu_multi_thread_eigen=false".strip()
    with _environment(values):
        jax.devices("cpu")
    _threads_set = threads
    return True


def _optimizer(config: BenchConfig, jax_model: Any) -> Any:
    """The configuration's optimizer from :mod:`mlplab.bench.jax_model`."""
    if config.optimizer == "sgd":
        return jax_model.sgd(config.lr, config.momentum)
    return jax_model.adam(config.lr)


def _step_form(step: Any, x: np.ndarray, y: np.ndarray, batch: int, rng: np.random.Generator) -> EpochAndWarmUp:
    """``jax-step``'s epoch and warm-up: NumPy gathers each shuffled batch, a jitted step trains on it."""
    import jax

    jit_step = jax.jit(step)
    n = len(x)

    def epoch(state: Any) -> Any:
        order = rng.permutation(n)
        for i in range(0, n, batch):
            idx = order[i : i + batch]
            state, _ = jit_step(state, np.take(x, idx, axis=0), np.take(y, idx, axis=0))
        return state

    def warm_up(state: Any) -> None:
        for size in {batch, n % batch} - {0}:
            jax.block_until_ready(jit_step(state, x[:size], y[:size]))

    return epoch, warm_up


def _scan_form(step: Any, jax_model: Any, x: Any, y: Any, batch: int, rng: np.random.Generator) -> EpochAndWarmUp:
    """``jax-scan``'s epoch and warm-up: one jitted scan over the full batches, one jitted step for the rest."""
    import jax

    scan_epoch = jax.jit(jax_model.make_scan_epoch(step))
    rest_step = jax.jit(jax_model.make_indexed_step(step))
    n = len(x)
    full = n // batch * batch

    def run(state: Any, order: np.ndarray) -> Any:
        state, _ = scan_epoch(state, x, y, order[:full].reshape(-1, batch))
        if full < n:
            state, _ = rest_step(state, x, y, order[full:])
        return state

    def epoch(state: Any) -> Any:
        return run(state, rng.permutation(n).astype(np.int32))

    def warm_up(state: Any) -> None:
        jax.block_until_ready(run(state, np.arange(n, dtype=np.int32)))

    return epoch, warm_up


def _full_batch_form(step: Any, x: Any, y: Any) -> EpochAndWarmUp:
    """Both forms at full batch: one jitted step on the whole training set per epoch."""
    import jax

    jit_step = jax.jit(step)

    def epoch(state: Any) -> Any:
        return jit_step(state, x, y)[0]

    def warm_up(state: Any) -> None:
        jax.block_until_ready(epoch(state))

    return epoch, warm_up


def run_jax(config: BenchConfig, data: Dataset, threads: int, seed: int = 0, form: str = "jax-scan") -> RunResult:
    """Train ``config`` with JAX in ``form`` (``"jax-step"`` or ``"jax-scan"``), then test and time inference.

    Parameters
    ----------
    config : BenchConfig
        The configuration; its ``n_train`` subset is honoured.
    data : Dataset
        Training and test data, float32 images and integer labels.
    threads : int
        XLA's CPU threads (see :func:`limit_xla_threads`).
    seed : int
        Seeds the initial network (mlplab's, see :func:`jax_model.init_params`) and the NumPy shuffling.
    form : str
        One of :data:`FORMS`.

    Returns
    -------
    RunResult
        Epoch times, test accuracy and test samples per second at batch
        :data:`~mlplab.bench.configs.INFERENCE_BATCH`; only a note when JAX is
        missing or the configuration uses dropout or batch norm.
    """
    if form not in FORMS:
        raise ValueError(f"unknown JAX form {form!r}; choose from {list(FORMS)}")
    if config.dropout > 0 or config.batch_norm:
        return RunResult(form, config.name, note=NO_DROPOUT_NOTE)
    try:
        threads_ok = limit_xla_threads(threads)
        import jax

        from . import jax_model
    except ImportError:
        return RunResult(form, config.name, note="JAX is not installed")
    data = config.training_data(data)
    with jax.default_device(jax.devices("cpu")[0]):
        params, times = _train(config, data, seed, form, jax_model)
        accuracy, speed = _evaluate(params, data, jax_model)
    note = "" if threads_ok else f"XLA's CPU threads were fixed before this run, not set to {threads}"
    return RunResult(form, config.name, len(data.x_train), times, accuracy, speed, note)


def _train(config: BenchConfig, data: Dataset, seed: int, form: str, jax_model: Any) -> tuple[Any, list[float]]:
    """The trained parameters and the seconds of each of ``config.epochs`` timed epochs."""
    import jax
    import jax.numpy as jnp

    x_np, y_np = data.x_train, data.y_train.astype(np.int32)
    n = len(x_np)
    batch = n if config.batch_size is None else min(config.batch_size, n)
    optimizer = _optimizer(config, jax_model)
    step = jax_model.make_step(optimizer)
    x, y = jnp.asarray(x_np), jnp.asarray(y_np)
    rng = np.random.default_rng(seed)
    if batch == n:
        epoch, warm_up = _full_batch_form(step, x, y)
    elif form == "jax-step":
        epoch, warm_up = _step_form(step, x_np, y_np, batch, rng)
    else:
        epoch, warm_up = _scan_form(step, jax_model, x, y, batch, rng)
    params = jax_model.init_params(config.sizes, seed)
    state = (params, optimizer.init(params))
    warm_up(state)
    times = []
    for _ in range(config.epochs):
        start = time.perf_counter()
        state = jax.block_until_ready(epoch(state))
        times.append(time.perf_counter() - start)
    return state[0], times


def _evaluate(params: Any, data: Dataset, jax_model: Any) -> tuple[float, float]:
    """Test accuracy, and test samples per second of a jitted forward pass at the inference batch size."""
    import jax

    forward = jax.jit(jax_model.forward)
    x_test = data.x_test

    def predict() -> np.ndarray:
        chunks = [forward(params, x_test[i : i + INFERENCE_BATCH]) for i in range(0, len(x_test), INFERENCE_BATCH)]
        return np.concatenate([np.asarray(chunk) for chunk in chunks])

    accuracy = float((predict().argmax(axis=1) == data.y_test).mean())
    return accuracy, samples_per_second(predict, len(x_test))
