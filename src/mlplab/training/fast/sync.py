"""Meeting points for the threads that share a batch: atomic loads and stores, and a barrier.

The compiled loop can split each batch between threads (:mod:`mlplab.training.fast.parts`);
they meet a few times a step, where one thread's results become another's inputs. A meeting
takes about a microsecond when both are running, far less than a Python lock and a thread
switch, so the threads wait by spinning on a shared counter; a thread that spins long (its
partner was preempted on a busy machine) yields the processor between looks.

``sync`` is an ``int64`` array with a slot per thread, :data:`STRIDE` elements apart so that
no two slots share a cache line; slot ``part`` holds the number of meetings that thread has
reached, and one more slot says whether a thread has failed. Stores release and loads acquire, so whatever a thread wrote before it arrived is
visible to the others once they see it arrive.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

STRIDE = 8
"""Elements between two threads' slots: 64 bytes, a cache line."""

SPINS_BEFORE_YIELD = 1000
"""Looks at a slot before a waiting thread starts yielding the processor between looks."""


@intrinsic
def _load_acquire(typingctx: Any, array: Any, index: Any) -> Any:  # pragma: no cover
    """``array[index]`` (an ``int64``), read atomically with acquire ordering."""
    signature = types.int64(array, index)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        data = context.make_array(sig.args[0])(context, builder, args[0]).data
        return builder.load_atomic(builder.gep(data, [args[1]]), "acquire", 8)

    return signature, codegen


@intrinsic
def _store_release(typingctx: Any, array: Any, index: Any, value: Any) -> Any:  # pragma: no cover
    """``array[index] = value`` (an ``int64``), written atomically with release ordering."""
    signature = types.void(array, index, types.int64)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        data = context.make_array(sig.args[0])(context, builder, args[0]).data
        builder.store_atomic(args[2], builder.gep(data, [args[1]]), "release", 8)
        return context.get_dummy_value()

    return signature, codegen


@intrinsic
def _yield_processor(typingctx: Any) -> Any:  # pragma: no cover
    """Let another thread run on this processor (POSIX ``sched_yield``)."""
    signature = types.int32()

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        function_type = ir.FunctionType(ir.IntType(32), [])
        sched_yield = cgutils.get_or_insert_function(builder.module, function_type, "sched_yield")  # type: ignore[no-untyped-call]
        return builder.call(sched_yield, [])

    return signature, codegen


@numba.njit(cache=True, nogil=True)
def meet(sync: Any, part: int, n_parts: int, meeting: int) -> bool:  # pragma: no cover
    """Arrive at meeting number ``meeting`` (1, 2, ...) and wait until every thread has arrived.

    Returns False, without waiting further, once a thread has failed (slot ``n_parts``, see
    :func:`abort`): the others return then instead of waiting for it forever.
    """
    _store_release(sync, part * STRIDE, meeting)  # type: ignore[call-arg]
    for other in range(n_parts):
        spins = 0
        while _load_acquire(sync, other * STRIDE) < meeting:
            if _load_acquire(sync, n_parts * STRIDE) != 0:
                return False
            spins += 1
            if spins > SPINS_BEFORE_YIELD:
                _yield_processor()
    return True


def slots(n_parts: int) -> np.ndarray:
    """A fresh ``sync`` array for ``n_parts`` threads: a slot each, and the failure slot after them."""
    return np.zeros(STRIDE * (n_parts + 1), dtype=np.int64)


def abort(sync: np.ndarray) -> None:
    """Tell the threads waiting at a meeting that one of them failed: they stop waiting."""
    sync[-STRIDE] = 1
