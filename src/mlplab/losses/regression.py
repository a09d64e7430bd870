r"""Regression losses: squared errors (three conventions), absolute error and Huber.

:class:`MSE` averages :math:`(a - y)^2` over all elements (torch), :class:`HalfSquaredError` is half
of it (scikit-learn), :class:`QuadraticCost` halves the squared norm and averages over samples
(Nielsen); see :mod:`mlplab.losses`. Targets have the shape of ``pred``.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_positive, check_same_shape
from .base import LOSSES, Loss, _as_predictions


@LOSSES.register("mse", "mean_squared_error")
class MSE(Loss):
    r"""Mean squared error :math:`L = \frac1N \sum (a - y)^2`; :math:`\partial L/\partial a = \frac2N (a - y)`."""

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        pred = _as_predictions(pred)
        diff = pred - check_same_shape("target", target, pred)
        scale = self._scale(diff.size)
        self._grad = diff * (2.0 * scale)
        return float(np.vdot(diff, diff)) * scale


@LOSSES.register("half_squared_error", "half_mse")
class HalfSquaredError(MSE):
    r"""scikit-learn's squared error :math:`L = \frac{1}{2N}\sum (a - y)^2`; :math:`\partial L/\partial a = \frac1N (a - y)`.

    Half of :class:`MSE` (mean over all :math:`N` elements), so that a learning rate means what it means
    in scikit-learn's ``MLPRegressor``.
    """

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        value = super().forward(pred, target)
        grad = self.backward()
        grad *= 0.5
        return 0.5 * value


@LOSSES.register("quadratic", "quadratic_cost")
class QuadraticCost(Loss):
    r"""Nielsen's quadratic cost :math:`C = \frac{1}{2n}\sum_x \lVert a - y\rVert^2`;
    :math:`\partial C/\partial a = \frac1n (a - y)` (mean over the :math:`n` samples, sum over outputs)."""

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        pred = _as_predictions(pred)
        diff = pred - check_same_shape("target", target, pred)
        scale = self._scale(diff.shape[0])
        self._grad = diff * scale
        return 0.5 * float(np.vdot(diff, diff)) * scale


@LOSSES.register("mae", "l1", "mean_absolute_error")
class MAE(Loss):
    r"""Mean absolute error :math:`L = \frac1N \sum |a - y|`; :math:`\partial L/\partial a = \frac1N \operatorname{sign}(a - y)`
    (0 where :math:`a = y`). Constant-size gradient everywhere (S4)."""

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        pred = _as_predictions(pred)
        diff = pred - check_same_shape("target", target, pred)
        scale = self._scale(diff.size)
        self._grad = np.sign(diff) * scale
        return float(np.abs(diff).sum()) * scale


@LOSSES.register("huber", "smooth_l1")
class Huber(Loss):
    r"""Huber loss with threshold :math:`\delta` (S4), as ``torch.nn.HuberLoss``:

    .. math::

        \ell(d) = \begin{cases} \tfrac12 d^2 & |d| < \delta \\ \delta (|d| - \tfrac12\delta) & \text{otherwise}\end{cases},
        \qquad \ell'(d) = \operatorname{clip}(d, -\delta, \delta),

    with :math:`d = a - y`, averaged over all elements.
    """

    def __init__(self, delta: float = 1.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.delta = check_positive("delta", delta)

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        pred = _as_predictions(pred)
        diff = pred - check_same_shape("target", target, pred)
        scale = self._scale(diff.size)
        abs_diff = np.abs(diff)
        quadratic = abs_diff < self.delta
        per_element = np.where(quadratic, 0.5 * diff * diff, self.delta * (abs_diff - 0.5 * self.delta))
        self._grad = np.clip(diff, -self.delta, self.delta) * scale
        return float(per_element.sum()) * scale

    def __repr__(self) -> str:
        return f"Huber(delta={self.delta}, reduction={self.reduction!r})"
