"""Products on a span of a weight matrix's rows, through SciPy's BLAS called directly.

NumPy's ``dot`` in numba takes whole contiguous matrices only. When each batch is split between
threads, each thread computes the rows of every weight gradient that fall in its share of the
parameters: rows ``i0 .. i1 - 1`` of :math:`A^\\top G`, which is :math:`A_{:, i_0:i_1}^\\top G`, a
product with a matrix of strided columns. ``?gemm`` takes it as it is, given its leading
dimension. The routine is SciPy's (``scipy.linalg.cython_blas``, the one numba's ``dot`` calls
too), made known to the compiler under a name of its own, so compiled code that calls it can be
cached on disk like the rest of the loop.
"""

from __future__ import annotations

from typing import Any

import llvmlite.binding as llvm
import numba
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import get_cython_function_address, intrinsic

_SYMBOLS = {types.float32: "mlplab_sgemm", types.float64: "mlplab_dgemm"}
for _dtype, _symbol in _SYMBOLS.items():
    llvm.add_symbol(_symbol, get_cython_function_address("scipy.linalg.cython_blas", _symbol.split("_")[1]))


def _gemm(transpose_b: str) -> Any:
    r"""The intrinsic for Fortran ``?gemm('N', transpose_b)``: :math:`C = A\,\mathrm{op}(B)`, ``m`` x ``n``.

    Its arguments: ``m, n, k, a, a_start, lda, b, b_start, ldb, c, c_start``; ``a``, ``b`` and
    ``c`` are one-dimensional arrays of one float dtype and each matrix starts at its ``*_start``
    element; :math:`A` is ``m`` x ``k``, :math:`\mathrm{op}(B)` ``k`` x ``n``, and :math:`C` has
    leading dimension ``m``.
    """

    def typer(
        typingctx: Any,
        m: Any,
        n: Any,
        k: Any,
        a: Any,
        a_start: Any,
        lda: Any,
        b: Any,
        b_start: Any,
        ldb: Any,
        c: Any,
        c_start: Any,
    ) -> Any:  # pragma: no cover
        signature = types.void(m, n, k, a, a_start, lda, b, b_start, ldb, c, c_start)
        symbol = _SYMBOLS[a.dtype]

        def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
            m, n, k, a, a_start, lda, b, b_start, ldb, c, c_start = args
            char, int32 = ir.IntType(8), ir.IntType(32)
            real = context.get_value_type(sig.args[3].dtype)

            def pointer_to(kind: Any, value: Any) -> Any:
                slot = cgutils.alloca_once(builder, kind)  # type: ignore[no-untyped-call]
                builder.store(value, slot)
                return slot

            def integer(value: Any) -> Any:
                return pointer_to(int32, builder.trunc(value, int32))

            def element(array_type: Any, array: Any, start: Any) -> Any:
                return builder.gep(context.make_array(array_type)(context, builder, array).data, [start])

            arguments = [
                pointer_to(char, ir.Constant(char, ord("N"))),
                pointer_to(char, ir.Constant(char, ord(transpose_b))),
                integer(m),
                integer(n),
                integer(k),
                pointer_to(real, ir.Constant(real, 1.0)),
                element(sig.args[3], a, a_start),
                integer(lda),
                element(sig.args[6], b, b_start),
                integer(ldb),
                pointer_to(real, ir.Constant(real, 0.0)),
                element(sig.args[9], c, c_start),
                integer(m),
            ]
            function_type = ir.FunctionType(ir.VoidType(), [argument.type for argument in arguments])
            gemm = cgutils.get_or_insert_function(builder.module, function_type, symbol)  # type: ignore[no-untyped-call]
            builder.call(gemm, arguments)
            return context.get_dummy_value()

        return signature, codegen

    typer.__name__ = f"_gemm_n{transpose_b.lower()}"
    return intrinsic(typer)


_gemm_nn = _gemm("N")
_gemm_nt = _gemm("T")


@numba.njit(cache=True, nogil=True)
def weight_gradient_rows(a: Any, g: Any, out: Any, first: int, end: int) -> None:  # pragma: no cover
    """Rows ``first .. end - 1`` of ``out = a.T @ g`` (``a`` is ``m`` x ``n_in``, ``g`` ``m`` x ``n_out``, all C-ordered).

    Row-major ``out[first:end]`` is the column-major ``n_out`` x ``rows`` matrix
    :math:`G^\\top A_{:, first:end}`: ``?gemm('N', 'T')`` of ``g`` (leading dimension ``n_out``)
    and ``a``'s columns from ``first`` (leading dimension ``n_in``). For one sample it is an
    outer product, computed in a loop: twice as fast as BLAS, and the same numbers.
    """
    m, n_in = a.shape
    n_out = g.shape[1]
    if end <= first:
        return
    if m == 1:
        for i in range(first, end):
            row, ai = out[i], a[0, i]  # a row view: a computed flat index would not vectorize
            for j in range(n_out):
                row[j] = ai * g[0, j]
        return
    _gemm_nt(n_out, end - first, m, g.reshape(-1), 0, n_out, a.reshape(-1), first, n_in, out.reshape(-1), first * n_out)


@numba.njit(cache=True, nogil=True)
def product_over_rows(a: Any, w: Any, out: Any, first: int, end: int) -> None:  # pragma: no cover
    """``out = a[:, first:end] @ w[first:end]``: a layer's output summed over its inputs ``first .. end - 1`` only.

    Row-major ``out`` is the column-major ``n_out`` x ``m`` matrix
    :math:`W_{first:end}^\\top A_{:, first:end}^\\top`: ``?gemm('N', 'N')`` of ``w``'s rows from
    ``first`` (leading dimension ``n_out``) and ``a``'s columns from ``first`` (leading dimension
    ``n_in``). With no inputs it is zero.
    """
    m, n_in = a.shape
    n_out = w.shape[1]
    if end <= first:
        out[:] = 0
        return
    _gemm_nn(n_out, m, end - first, w.reshape(-1), first * n_out, n_out, a.reshape(-1), first, n_in, out.reshape(-1), 0)
