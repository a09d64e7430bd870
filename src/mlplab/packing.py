"""Packing a model's parameters into one flat array, so that an optimizer updates them as one vector.

:func:`pack` moves the values and gradients of a list of parameters into one
contiguous value array and one gradient array, each ``p.value`` and
``p.grad`` becoming a view into them; :func:`contiguous_span` recognizes a
set of parameters laid out that way and wraps their span as one
:class:`~mlplab.parameter.Parameter`. Every optimizer update is element-wise,
so updating the span is updating each parameter (see
:mod:`mlplab.optimizers.base`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from .parameter import Parameter, is_weight


def pack(named: Iterable[tuple[str, Parameter]]) -> np.ndarray | None:
    """Move the parameters' values and gradients into one contiguous array each, weights first.

    Each ``p.value`` and ``p.grad`` becomes a view into the packed arrays (the
    values and gradients are kept). An optimizer over these parameters then
    updates the weights, and the other parameters, as one flat vector each
    instead of one array at a time. Nothing is packed for fewer than two
    parameters, mixed dtypes or a parameter listed twice.

    Parameters
    ----------
    named : iterable of (str, Parameter)
        The parameters with their names (``"0.W"``, ``"0.b"``, ...); those
        :func:`~mlplab.parameter.is_weight` names a weight come first, each
        group in the given order.

    Returns
    -------
    numpy.ndarray or None
        The packed value array, 1-D, of the parameters' common dtype and total
        size, or ``None`` when nothing was packed.
    """
    named = list(named)
    params = [p for _, p in named]
    if len(params) < 2 or len({p.dtype for p in params}) != 1 or len({id(p) for p in params}) != len(params):
        return None
    ordered = [p for name, p in named if is_weight(name)] + [p for name, p in named if not is_weight(name)]
    total = sum(p.size for p in ordered)
    values = np.empty(total, dtype=params[0].dtype)
    grads = np.empty(total, dtype=params[0].dtype)
    offset = 0
    for p in ordered:
        end = offset + p.size
        values[offset:end] = p.value.reshape(-1)
        grads[offset:end] = p.grad.reshape(-1)
        p.value = values[offset:end].reshape(p.shape)
        p.grad = grads[offset:end].reshape(p.shape)
        offset = end
    return values


def contiguous_span(params: Sequence[Parameter]) -> tuple[Parameter, list[int]] | None:
    """One parameter over the flat span the ``params`` fill together, if they fill one exactly.

    They do when every value is a view into one packed array (see
    :func:`pack`), every gradient a view at the same offset into one packed
    gradient array, and together they cover a contiguous range with no gaps
    or overlaps, in any order. An element-wise update of the span is then the
    update of each parameter.

    Parameters
    ----------
    params : sequence of Parameter
        The parameters, at least two.

    Returns
    -------
    (Parameter, list of int) or None
        The span, wrapped without a copy (:meth:`~mlplab.parameter.Parameter.wrap`),
        and each parameter's offset in it, in the order of ``params``; ``None``
        if they do not fill one span.
    """
    if len(params) < 2:
        return None
    base, grad_base = params[0].value.base, params[0].grad.base
    if base is None or grad_base is None or base.ndim != 1 or grad_base.shape != base.shape:
        return None
    itemsize = base.itemsize
    start, grad_start = _address(base), _address(grad_base)
    ranges = []
    for p in params:
        if p.value.base is not base or p.grad.base is not grad_base or not p.value.flags.c_contiguous:
            return None
        offset, remainder = divmod(_address(p.value) - start, itemsize)
        if remainder or offset != (_address(p.grad) - grad_start) // itemsize or not p.grad.flags.c_contiguous:
            return None
        ranges.append((offset, offset + p.size))
    ranges.sort()
    if any(prev_end != next_start for (_, prev_end), (next_start, _) in zip(ranges, ranges[1:])):
        return None
    lo, hi = ranges[0][0], ranges[-1][1]
    offsets = [(_address(p.value) - start) // itemsize - lo for p in params]
    return Parameter.wrap(base[lo:hi], grad_base[lo:hi], name="flat"), offsets


def _address(a: np.ndarray) -> int:
    """Memory address of the first element of ``a``."""
    return int(a.__array_interface__["data"][0])
