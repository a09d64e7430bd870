"""Splitting each batch between threads: how many, the threads themselves, and BLAS meanwhile.

At batch 128 the matrix products of a 784-256-10 network take most of a step, and OpenBLAS,
given two threads, makes them about 1.6x faster; but the rest of the step (gathering the
batch, the activations, the loss, the optimizer's update over every weight) stays on one core.
The compiled loop can instead give each of ``n`` threads its own rows of every batch (the
forward and backward passes and their products, with BLAS on one thread each) and its own
share of the parameters to sum, clip and update, so that the whole step runs on every core
(see :func:`mlplab.training.fast.loop._train_batches`).

The number of parts is the number of threads BLAS may use (``threadpoolctl``,
``OMP_NUM_THREADS`` and the like set it; ``mlplab bench --threads`` too), at most the cores
this process may run on, and only where each part gets at least :data:`MIN_ROWS_PER_PART`
rows. The result depends on the number of parts in the last bits (the gradient is summed in
parts), never on timing: the same parts give the same numbers every run.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import threading
from collections.abc import Iterator
from typing import Any

from threadpoolctl import ThreadpoolController

MIN_ROWS_PER_PART = 64
"""Fewest rows of a batch worth a thread of their own: below, meeting costs more than it saves."""

_lock = threading.Lock()
_controller: ThreadpoolController | None = None
_helpers: concurrent.futures.ThreadPoolExecutor | None = None
_users = 0  # epochs running in parts now, in every thread
_saved_threads: dict[str, int] = {}  # each BLAS library's threads before the first of them


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

    With one part nothing changes. Otherwise every BLAS library runs on one thread until the
    last epoch in parts (of any thread of the process) ends, then gets its threads back.
    """
    global _users
    with _lock:
        libraries = _blas_libraries()
        if _users:
            threads = min(_saved_threads.values(), default=1)
        else:
            threads = min((library.num_threads for library in libraries), default=1)
        parts = max(1, min(threads, _cores(), batch_size // MIN_ROWS_PER_PART))
        if parts > 1:
            if not _users:
                _saved_threads.clear()
                _saved_threads.update({library.filepath: library.num_threads for library in libraries})
                for library in libraries:
                    library.set_num_threads(1)
            _users += 1
    if parts == 1:
        yield 1
        return
    try:
        yield parts
    finally:
        with _lock:
            _users -= 1
            if not _users:
                for library in libraries:
                    library.set_num_threads(_saved_threads.get(library.filepath, library.num_threads))


def run_in_parts(function: Any, args: tuple[Any, ...], parts: int) -> list[Any]:
    """``function(*args, part)`` for every part at once, part 0 on this thread; their results in order.

    Waits for every part before returning or raising, Ctrl-C included (taken once all are done):
    a part still running would go on changing the weights.
    """
    global _helpers
    with _lock:
        if _helpers is None:
            _helpers = concurrent.futures.ThreadPoolExecutor(thread_name_prefix="mlplab-part")
        helpers = _helpers
    futures = [helpers.submit(function, *(*args, part)) for part in range(1, parts)]
    interrupted: BaseException | None = None
    try:
        first = function(*args, 0)
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
