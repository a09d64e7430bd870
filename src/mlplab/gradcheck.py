"""Numerical gradient check: S0's "proof is required", made executable."""

from __future__ import annotations

import numpy as np

from .layers.base import Layer
from .losses import Loss
from .rng import generators_in


def gradcheck(
    model: Layer,
    loss: Loss,
    x: np.ndarray,
    y: np.ndarray,
    *,
    eps: float = 1e-6,
    training: bool = False,
    check_input: bool = False,
) -> dict[str, float]:
    r"""Compare back-propagated gradients with central differences.

    For every parameter element :math:`w`,

    .. math::

        \frac{\partial L}{\partial w} \approx \frac{L(w + \epsilon) - L(w - \epsilon)}{2\epsilon},

    and the result for each parameter is its worst error relative to its own
    scale, :math:`\max|a - n| / \max(s_p, s/100)` with :math:`s_p = \max(\max|a|, \max|n|)`
    over its elements (:math:`a` analytic, :math:`n` numerical) and :math:`s` the largest
    :math:`s_p` of all. The floor :math:`s/100` keeps a gradient that is truly zero
    (a bias before batch norm) from dividing rounding noise by itself. Use a
    float64 model: in float32 the differences are only accurate to about 1e-3.

    Random layers (dropout) replay the same masks for every evaluation, so
    ``training=True`` checks the training-mode gradients too; running
    statistics touched by the extra forward passes are restored afterwards.

    Parameters
    ----------
    model : Layer
        Any layer or network (``Sequential``, ``MLP``, a single layer).
    loss : Loss
    x, y : ndarray
        A small batch of inputs and targets.
    eps : float
        Finite-difference step.
    training : bool
        Forward mode used for both computations.
    check_input : bool
        Also check :math:`\partial L/\partial x` (reported as ``"input"``).

    Returns
    -------
    dict
        ``{parameter name: worst relative error}`` (plus ``"input"`` if asked).
    """
    x = np.array(x, copy=True)
    rng_states = [(rng, rng.bit_generator.state) for rng in generators_in(model)]
    saved_buffers = {k: v.copy() for k, v in model.buffers().items()}

    def evaluate() -> float:
        for rng, state in rng_states:
            rng.bit_generator.state = state
        return loss.forward(model.forward(x, training=training), y)

    named = list(model.named_parameters())
    model.zero_grad()
    evaluate()
    input_grad = model.backward(loss.backward())
    analytic = {name: p.grad.copy() for name, p in named}
    if check_input:
        analytic["input"] = np.array(input_grad, copy=True)

    targets = [(name, p.value) for name, p in named]
    if check_input:
        targets.append(("input", x))
    numerics = {}
    for name, array in targets:
        numeric = np.zeros_like(array, dtype=np.float64)
        flat, flat_num = array.reshape(-1), numeric.reshape(-1)
        for i in range(flat.size):
            saved = flat[i]
            flat[i] = saved + eps
            plus = evaluate()
            flat[i] = saved - eps
            minus = evaluate()
            flat[i] = saved
            flat_num[i] = (plus - minus) / (2 * eps)
        numerics[name] = numeric
    for key, value in model.buffers().items():  # undo running-statistics updates
        value[...] = saved_buffers[key]
    return _relative_errors(analytic, numerics)


def _relative_errors(analytic: dict[str, np.ndarray], numeric: dict[str, np.ndarray]) -> dict[str, float]:
    scales = {
        name: max(float(np.abs(analytic[name]).max(initial=0)), float(np.abs(numeric[name]).max(initial=0)))
        for name in numeric
    }
    floor = max(scales.values(), default=0.0) / 100
    report = {}
    for name, scale in scales.items():
        denominator = max(scale, floor)
        error = float(np.abs(analytic[name] - numeric[name]).max(initial=0))
        report[name] = error / denominator if denominator > 0 else 0.0
    return report
