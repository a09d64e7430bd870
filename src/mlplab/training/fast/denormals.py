"""Flushing subnormal floats to zero inside the compiled loop (x86-64), as XLA does on CPUs.

SGD with momentum leaves subnormal velocities behind: a velocity that decays by
:math:`\\mu = 0.9` per step from a single gradient passes below ``float32``'s smallest normal
number (about 1.2e-38) and then sticks at the smallest subnormal, since rounding
:math:`0.9 \\cdot 2^{-149}` gives :math:`2^{-149}` back. After one epoch at batch 1 on
Fashion-MNIST a tenth of the velocities are subnormal, and arithmetic on subnormals is many
times slower: the whole step ran eight times slower. The compiled loop therefore sets the
processor's flush-to-zero and denormals-are-zero modes (MXCSR bits 15 and 6) while it runs and
restores them after, on its own thread only; the trainer's general loop runs with them too
(:func:`mlplab.training.fast.subnormals_flushed`), callbacks called from it included. Values below 1.2e-38 become 0, which changes the
weights by less than that: far below float32 rounding of any weight. On other processors the
modes are left alone (the loop is then slower where subnormals occur, never different).
"""

from __future__ import annotations

import platform
from typing import Any

import numba
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

FLUSH_TO_ZERO = 0x8040
"""MXCSR's flush-to-zero (bit 15) and denormals-are-zero (bit 6) modes."""

X86 = platform.machine().lower() in ("x86_64", "amd64")


@intrinsic
def _swap_mxcsr(typingctx: Any, value: Any) -> Any:  # pragma: no cover
    """Set MXCSR to ``value`` (when it is not negative); return the previous MXCSR."""
    signature = types.int64(types.int64)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        i32, i8_pointer = ir.IntType(32), ir.IntType(8).as_pointer()
        slot = cgutils.alloca_once(builder, i32)
        pointer = builder.bitcast(slot, i8_pointer)
        function_type = ir.FunctionType(ir.VoidType(), [i8_pointer])
        builder.call(cgutils.get_or_insert_function(builder.module, function_type, "llvm.x86.sse.stmxcsr"), [pointer])
        previous = builder.load(slot)
        with builder.if_then(builder.icmp_signed(">=", args[0], ir.Constant(ir.IntType(64), 0))):
            builder.store(builder.trunc(args[0], i32), slot)
            builder.call(
                cgutils.get_or_insert_function(builder.module, function_type, "llvm.x86.sse.ldmxcsr"), [pointer]
            )
        return builder.zext(previous, ir.IntType(64))

    return signature, codegen


if X86:

    @numba.njit(cache=True)
    def flush_denormals() -> int:  # pragma: no cover
        """Switch on flush-to-zero; return the mode to give :func:`restore_denormals`."""
        previous: int = _swap_mxcsr(-1)  # type: ignore[call-arg]
        _swap_mxcsr(previous | FLUSH_TO_ZERO)
        return previous

    @numba.njit(cache=True)
    def restore_denormals(previous: int) -> None:  # pragma: no cover
        """Put back the mode :func:`flush_denormals` returned."""
        _swap_mxcsr(previous)  # type: ignore[call-arg]

else:

    @numba.njit(cache=True)
    def flush_denormals() -> int:  # pragma: no cover
        """Nothing to switch on this processor."""
        return -1

    @numba.njit(cache=True)
    def restore_denormals(previous: int) -> None:  # pragma: no cover
        """Nothing to restore on this processor."""
