"""Gradient clipping over a list of parameters (S1's remedy for exploding gradients and cliffs)."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from ._validation import check_positive
from .parameter import Parameter


def clip_grad_value(params: Iterable[Parameter], max_value: float, min_value: float | None = None) -> None:
    r"""Clip every gradient element to :math:`[\beta, \alpha]` in place.

    With ``min_value`` omitted, :math:`\beta = -\alpha` (``torch.nn.utils.clip_grad_value_``).
    Changes the direction of the gradient vector; compare :func:`clip_grad_norm`.
    """
    high = float(max_value)
    low = -check_positive("max_value", max_value) if min_value is None else float(min_value)
    if low > high:
        raise ValueError(f"Invalid clipping range: min_value {low!r} > max_value {high!r}")
    for p in params:
        np.clip(p.grad, low, high, out=p.grad)


def clip_grad_norm(params: Iterable[Parameter], max_norm: float) -> float:
    r"""Rescale all gradients together so their global L2 norm is at most ``max_norm``; the direction is kept.

    .. math::

        \lVert g \rVert = \sqrt{\textstyle\sum_p \lVert g_p \rVert^2}, \qquad
        g \leftarrow g \cdot \min\Big(1, \frac{\text{max\_norm}}{\lVert g \rVert + 10^{-6}}\Big)

    (as ``torch.nn.utils.clip_grad_norm_``). Returns the norm *before* clipping.
    """
    max_norm = check_positive("max_norm", max_norm)
    params = list(params)
    total = math.sqrt(sum(float(np.vdot(p.grad, p.grad)) for p in params))
    coef = max_norm / (total + 1e-6)
    if coef < 1.0:
        for p in params:
            p.grad *= coef
    return total
