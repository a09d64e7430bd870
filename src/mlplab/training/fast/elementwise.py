"""The element-wise pieces of a compiled training step: activations, dropout, the losses, counting hits.

Each repeats, in the model's dtype, what its NumPy layer or loss class computes (the constants
arrive in ``consts``, an array of that dtype). Used by :mod:`mlplab.training.fast.loop`.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

_jit = numba.njit(cache=True, nogil=True, error_model="numpy")

# activations (column ACT of the loop's ``layers``)
IDENTITY, RELU, LEAKY_RELU, SIGMOID, TANH, STEP = range(6)
# losses
SOFTMAX_CE, MSE, HALF_MSE, QUADRATIC, BCE_LOGITS, BCE_PROBS = range(6)
# the reduction of the loss: a sum, a mean over rows, a mean over elements
SUM, PER_ROW, PER_ELEMENT = range(3)
# ``consts``: constants in the model's dtype
ONE, ZERO, HALF, LOG_FLOOR, TINY = range(5)


@_jit
def _activate(y: Any, act: int, slope: Any, consts: Any) -> None:  # pragma: no cover
    """Apply the activation in place on pre-activations ``y`` (as the activation layers compute it)."""
    one, zero = consts[ONE], consts[ZERO]
    m, n = y.shape
    for r in range(m):
        for j in range(n):
            v = y[r, j]
            if act == RELU:
                y[r, j] = v * (one if v > 0 else zero)
            elif act == LEAKY_RELU:
                y[r, j] = v * (one if v > 0 else slope)
            elif act == SIGMOID:
                e = np.exp(-np.abs(v))
                s = one / (one + e)
                y[r, j] = s if v >= 0 else e * s
            elif act == TANH:
                y[r, j] = np.tanh(v)
            elif act == STEP:
                y[r, j] = one if v >= 0 else zero


@_jit
def _activation_grad(g: Any, y: Any, act: int, slope: Any, consts: Any) -> None:  # pragma: no cover
    """Multiply ``g`` in place by the activation's derivative, read from its outputs ``y``."""
    one, zero = consts[ONE], consts[ZERO]
    m, n = g.shape
    for r in range(m):
        for j in range(n):
            v = y[r, j]
            if act == RELU:
                g[r, j] = g[r, j] * (one if v > 0 else zero)
            elif act == LEAKY_RELU:
                g[r, j] = g[r, j] * (one if v > 0 else slope)
            elif act == SIGMOID:
                g[r, j] = (one - v) * v * g[r, j]
            elif act == TANH:
                g[r, j] = (one - v * v) * g[r, j]
            elif act == STEP:
                g[r, j] = zero


@_jit
def _dropout(out: Any, y: Any, draws: Any, threshold: np.uint32, scale: Any, zero: Any) -> None:  # pragma: no cover
    """``out = y * mask`` with ``mask = scale`` where the draw is at least ``threshold``, else 0."""
    m, n = y.shape
    keep = draws.reshape((m, n))  # two indices from ranges: a computed flat index would not vectorize
    for r in range(m):
        for j in range(n):
            out[r, j] = y[r, j] * (scale if keep[r, j] >= threshold else zero)


@_jit
def _dropout_grad(g: Any, draws: Any, threshold: np.uint32, scale: Any, zero: Any) -> None:  # pragma: no cover
    """``g = g * mask``, the mask of :func:`_dropout` from the same draws."""
    m, n = g.shape
    keep = draws.reshape((m, n))
    for r in range(m):
        for j in range(n):
            g[r, j] = g[r, j] * (scale if keep[r, j] >= threshold else zero)


@_jit
def _loss(
    z: Any, g: Any, loss: int, targets: Any, rows: Any, scale: Any, two_scale: Any, consts: Any
) -> float:  # pragma: no cover
    """A regression or binary loss of the batch (its reduction applied), with ``dL/dz`` written to ``g``,
    as the loss classes compute it. (Softmax cross-entropy runs the kernel of :mod:`mlplab.kernels`.)"""
    one, zero, half = consts[ONE], consts[ZERO], consts[HALF]
    floor, tiny = consts[LOG_FLOOR], consts[TINY]
    m, k = z.shape
    total = 0.0
    for r in range(m):
        row = rows[r]
        for j in range(k):
            v, t = z[r, j], targets[row, j]
            if loss == MSE or loss == HALF_MSE or loss == QUADRATIC:
                d = v - t
                total += np.float64(d) * np.float64(d)
                if loss == QUADRATIC:
                    g[r, j] = d * scale
                else:
                    g[r, j] = d * two_scale
                    if loss == HALF_MSE:
                        g[r, j] *= half
            elif loss == BCE_LOGITS:
                e = np.exp(-np.abs(v))
                total += np.float64(max(v, zero) - v * t + np.log1p(e))
                s = one / (one + e)
                g[r, j] = ((s if v >= 0 else e * s) - t) * scale
            else:  # BCE_PROBS
                log_a = max(np.log(v), floor) if v > 0 else floor
                log_1ma = max(np.log1p(-v), floor) if v < 1 else floor
                total += -np.float64(t * log_a + (one - t) * log_1ma)
                g[r, j] = (v - t) / max(v * (one - v), tiny) * scale
    value: float = (0.5 * total if loss == QUADRATIC or loss == HALF_MSE else total) * scale
    return value


@_jit
def _count_correct(
    z: Any, labels: Any, targets: Any, rows: Any, by_label: bool, threshold: float
) -> int:  # pragma: no cover
    """How many rows predict their target, as :func:`mlplab.training.evaluation.count_correct` counts.

    ``labels`` are the batch's own (row ``r``); ``targets`` are the whole set's, row ``rows[r]``.
    """
    m, k = z.shape
    correct = 0
    for r in range(m):
        row = rows[r]
        if k == 1:
            truth = (labels[r] > 0) if by_label else (targets[row, 0] > 0)
            if (z[r, 0] > threshold) == truth:
                correct += 1
            continue
        best = 0
        for j in range(1, k):
            if z[r, j] > z[r, best]:
                best = j
        want = labels[r] if by_label else 0
        if not by_label:
            for j in range(1, k):
                if targets[row, j] > targets[row, want]:
                    want = j
        if best == want:
            correct += 1
    return correct
