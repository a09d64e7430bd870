"""Splitting each batch between threads: how many, the threads themselves, and BLAS meanwhile.

One thread leaves the other cores idle: OpenBLAS's own threads help only with large products,
and the rest of a step (gathering the batch, the activations, the loss, the optimizer's update
over every weight) runs on one core anyway. The compiled loop instead gives each of ``n``
threads its own share of every step: its rows of the batch for the passes, and its span of the
packed parameters (whole weight rows) for their gradient and update, with BLAS on one thread
each (see :func:`mlplab.training.fast.loop._train_batches`). A thread's rows of the first
weights, their gradient and their optimizer state stay in its own cache from step to step.

The number of parts is the number of threads BLAS was allowed (``threadpoolctl``,
``OMP_NUM_THREADS`` and the like set it; ``mlplab bench --threads`` too), at most the cores this
process may run on and the rows of a batch. The result depends on the number of parts in the
last bits (the first product is summed in parts when a batch has fewer rows than inputs),
never on timing: the same parts give the same numbers every run.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
from threadpoolctl import ThreadpoolController

MIN_ROWS_PER_PART = 1
"""Fewest rows of a batch per thread. Measured on two cores: batches of 2 to 128 trained 1.2 to 2.2x
faster in two parts than in one (784-100-10 and 784-256-10); batch 1 as fast either way."""

_lock = threading.Lock()
_controller: ThreadpoolController | None = None
_helpers: concurrent.futures.ThreadPoolExecutor | None = None
_users = 0  # epochs running in parts now, in every thread
_saved_threads: dict[str, int] = {}  # each BLAS library's threads before the first of them


def _forget_threads() -> None:
    """In a child process made by ``fork``: no helper threads (they were not copied), no epoch running."""
    global _lock, _helpers, _users
    _lock, _helpers, _users = threading.Lock(), None, 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_threads)


def _blas_libraries() -> list[Any]:
    """threadpoolctl's handles on the BLAS libraries loaded (SciPy's, which the compiled loop calls, included)."""
    global _controller
    if _controller is None:
        import scipy.linalg.cython_blas  # noqa: F401  (loaded by the compiled loop anyway; listed from now on)

        _controller = ThreadpoolController()
    return [library for library in _controller.lib_controllers if library.user_api == "blas"]


def _cores() -> int:
    """The processors this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@contextlib.contextmanager
def blas_for_parts(batch_size: int) -> Iterator[int]:
    """The number of parts to split batches of ``batch_size`` rows into; BLAS on one thread meanwhile.

    Every BLAS library runs on one thread until the last compiled epoch of the process (of any
    of its threads) ends, then gets its threads back: the parts are the loop's threads, and its
    products are small, where OpenBLAS's own threads cost more than they bring (at batch 16 one
    part ran 784-100-10 twice as fast with one BLAS thread as with two).
    """
    global _users
    with _lock:
        libraries = _blas_libraries()
        if not _users:
            _saved_threads.clear()
            _saved_threads.update({library.filepath: library.num_threads for library in libraries})
            for library in libraries:
                library.set_num_threads(1)
        _users += 1
        threads = min(_saved_threads.values(), default=1)
    try:
        yield max(1, min(threads, _cores(), batch_size // MIN_ROWS_PER_PART))
    finally:
        with _lock:
            _users -= 1
            if not _users:
                for library in libraries:
                    library.set_num_threads(_saved_threads.get(library.filepath, library.num_threads))


def run_in_parts(function: Any, args: tuple[Any, ...], parts: int, sync: np.ndarray) -> list[Any]:
    """``function(*args, part)`` for every part at once, part 0 on this thread; their results in order.

    Waits for every part before returning or raising, Ctrl-C included (taken once all are done):
    a part still running would go on changing the weights. A part that raises tells the others
    through ``sync`` (:func:`.sync.abort`), so that none waits for it forever; the first error
    is raised once all have stopped.
    """
    from .sync import abort

    global _helpers
    with _lock:
        if _helpers is None:
            _helpers = concurrent.futures.ThreadPoolExecutor(thread_name_prefix="mlplab-part")
        helpers = _helpers

    def guarded(part: int) -> Any:
        try:
            return function(*args, part)
        except BaseException:
            abort(sync)
            raise

    futures = [helpers.submit(guarded, part) for part in range(1, parts)]
    interrupted: BaseException | None = None
    try:
        first = guarded(0)
    finally:
        for future in futures:
            while True:
                try:
                    future.exception()
                    break
                except KeyboardInterrupt as error:
                    interrupted = error
    if interrupted is not None:
        raise interrupted
    return [first] + [future.result() for future in futures]
