r"""Classification losses: binary (cross-entropy, the perceptron criterion) and multi-class
(softmax cross-entropy, negative log-likelihood, hinge).

Binary losses take a target shaped like ``pred`` (0/1 or probabilities; -1/+1 for the perceptron).
Multi-class losses take ``pred`` of shape ``(n_samples, n_classes)`` and integer labels ``(n,)``,
or rows ``(n, k)`` (probabilities for :class:`SoftmaxCrossEntropy`, one-hot for the others).
The cross-entropy conventions are stated in :mod:`mlplab.losses`.
"""

from __future__ import annotations

import numpy as np

from .. import functional as F
from .._validation import check_labels, check_positive, check_same_shape
from ..kernels import softmax_cross_entropy
from .base import LOSSES, Loss, _as_predictions, _unless_not_finite

# ---------------------------------------------------------------- binary


@LOSSES.register("binary_cross_entropy", "bce")
class BinaryCrossEntropy(Loss):
    r"""Binary cross-entropy for independent 0/1 (or probability) targets.

    On probabilities :math:`a = \sigma(z)` (``from_logits=False``):

    .. math::

        \ell = -[y \log a + (1 - y)\log(1 - a)], \qquad
        \frac{\partial \ell}{\partial a} = \frac{a - y}{a (1 - a)},

    with each log clamped at -100 (as PyTorch) so that :math:`a \in \{0, 1\}` stays finite.

    On logits :math:`z` (``from_logits=True``), the stable form

    .. math::

        \ell = \max(z, 0) - z y + \log(1 + e^{-|z|}), \qquad
        \frac{\partial \ell}{\partial z} = \sigma(z) - y,

    which never evaluates :math:`\log 0` and is exact for :math:`|z|` in the thousands.
    """

    classifies = True

    def __init__(self, from_logits: bool = False, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.from_logits = bool(from_logits)

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        pred = _as_predictions(pred)
        y = check_same_shape("target", target, pred)
        if y.min() < 0 or y.max() > 1:
            raise ValueError(f"target of binary cross-entropy must lie in [0, 1], got range [{y.min()}, {y.max()}]")
        scale = self._scale(pred.size)
        if self.from_logits:
            z = pred
            per_element = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
            self._grad = (F.sigmoid(z) - y) * scale
        else:
            a = pred
            if a.min() < 0 or a.max() > 1:
                raise ValueError(
                    f"pred of binary cross-entropy must be probabilities in [0, 1], got range [{a.min()}, {a.max()}];"
                    " pass from_logits=True for raw scores"
                )
            with np.errstate(divide="ignore"):
                log_a = np.maximum(np.log(a), -100)
                log_1ma = np.maximum(np.log1p(-a), -100)
            per_element = -(y * log_a + (1 - y) * log_1ma)
            self._grad = (a - y) / np.maximum(a * (1 - a), 1e-12) * scale
        return _unless_not_finite(float(per_element.sum()) * scale, pred)

    def __repr__(self) -> str:
        return f"BinaryCrossEntropy(from_logits={self.from_logits}, reduction={self.reduction!r})"


@LOSSES.register("perceptron", "perceptron_criterion")
class PerceptronCriterion(Loss):
    r"""The perceptron criterion of S3: :math:`\ell = -\sum_{i \in M} y_i s_i` over the misclassified set
    :math:`M = \{i : y_i s_i < 0\}`, i.e. :math:`\sum_i \max(0, -y_i s_i)`, with scores :math:`s_i = w\cdot x_i + b`
    and labels :math:`y_i \in \{-1, +1\}`.

    Gradient: :math:`\partial \ell/\partial s_i = -y_i` for :math:`i \in M`, else 0 (divided by
    :math:`n` for ``reduction="mean"``).
    """

    classifies = True

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        pred = _as_predictions(pred)
        if pred.ndim == 2 and pred.shape[1] != 1:
            raise ValueError(f"pred of the perceptron criterion must be one score per sample, got shape {pred.shape}")
        y = check_same_shape("target", target, pred)
        if not np.all(np.abs(y) == 1):
            raise ValueError("target of the perceptron criterion must hold labels -1 and +1 only")
        margins = y * pred
        misclassified = margins < 0
        scale = self._scale(pred.shape[0])
        self._grad = np.where(misclassified, -y, 0).astype(pred.dtype) * scale
        return _unless_not_finite(float(-margins[misclassified].sum()) * scale, pred)


# ---------------------------------------------------------------- multi-class


def _labels_or_rows(target: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """A classification target as integer labels ``(n,)`` or probability rows ``(n, k)`` (told apart by ``ndim``)."""
    if pred.ndim != 2:
        raise ValueError(f"pred must be 2-D (n_samples, n_classes), got shape {pred.shape}")
    target = np.asarray(target)
    if target.ndim == 2:
        rows = check_same_shape("target", target, pred)
        if rows.min() < 0:
            raise ValueError("target rows must be probabilities (non-negative)")
        return rows
    return check_labels("target", target, pred.shape[0], pred.shape[1])


def _labels(target: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """A classification target as integer labels ``(n,)``: one-hot rows are converted, other rows refused
    (for a loss with no soft-target form)."""
    y = _labels_or_rows(target, pred)
    if y.ndim == 1:
        return y
    if not (np.all((y == 0) | (y == 1)) and np.all(y.sum(axis=1) == 1)):
        raise ValueError("target rows must be one-hot (a single 1 per row) for this loss; pass integer labels")
    labels: np.ndarray = y.argmax(axis=1)
    return labels


@LOSSES.register("softmax_cross_entropy", "cross_entropy", "categorical_cross_entropy")
class SoftmaxCrossEntropy(Loss):
    r"""Softmax fused with cross-entropy, on logits :math:`z` (S0, S2, S3):

    .. math::

        P = \operatorname{softmax}(z), \qquad
        L = -\frac1m \sum_i \sum_k Y_{ik} \log P_{ik}
          = \frac1m \sum_i \Big(\operatorname{logsumexp}(z_i) - \sum_k Y_{ik} z_{ik}\Big), \qquad
        \frac{\partial L}{\partial z} = \frac{P - Y}{m},

    for targets given as integer labels ``(m,)`` or one-hot/probability rows
    ``(m, k)`` (for rows that do not sum to one the gradient is
    :math:`(P \sum_k Y_{ik} - Y)/m`, as in PyTorch). Computed from shifted logits, so it is finite for logits of ±1000.
    """

    classifies = True

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        z = _as_predictions(pred)
        y = _labels_or_rows(target, z)
        by_label = y.ndim == 1
        m, k = z.shape
        scale = self._scale(m)
        fused = softmax_cross_entropy(z, y, scale) if by_label else None
        if fused is not None:
            loss, self._grad = fused
            return loss
        shifted = np.subtract(z, z.max(axis=1, keepdims=True), order="C")  # C order: flat indices below
        if by_label:
            at_label = np.arange(0, m * k, k) + y.astype(np.intp, copy=False)  # flat index of each label
            picked = float(shifted.take(at_label).sum())
        else:
            picked = float(np.vdot(y, np.where(y != 0, shifted, 0)))  # not 0 * -inf (NaN) where a logit overflowed
        p = np.exp(shifted, out=shifted)
        sums = p.sum(axis=1, keepdims=True)
        p /= sums
        log_sums = np.log(sums)
        if by_label:
            loss = float(log_sums.sum()) - picked
            p.reshape(-1)[at_label] -= 1
        else:
            loss = float(np.vdot(y.sum(axis=1, keepdims=True), log_sums)) - picked
            p *= y.sum(axis=1, keepdims=True)  # rows that do not sum to 1 (as torch allows)
            p -= y
        p *= scale
        self._grad = p
        return loss * scale


@LOSSES.register("nll", "negative_log_likelihood")
class NLLLoss(Loss):
    r"""Negative log-likelihood on log-probabilities :math:`\log p` (e.g. from :func:`~mlplab.functional.log_softmax`):
    :math:`L = -\frac1m \sum_i \log p_{i, y_i}`; the gradient is :math:`-1/m` at each sample's label, 0 elsewhere."""

    classifies = True

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        log_p = _as_predictions(pred)
        labels = _labels(target, log_p)
        m = log_p.shape[0]
        scale = self._scale(m)
        grad = np.zeros_like(log_p)
        grad[np.arange(m), labels] = -scale
        self._grad = grad
        return _unless_not_finite(-float(log_p[np.arange(m), labels].sum()) * scale, log_p)


@LOSSES.register("hinge", "multi_margin", "svm")
class Hinge(Loss):
    r"""Multiclass hinge (SVM) loss, as ``torch.nn.MultiMarginLoss`` (margin 1):

    .. math::

        \ell_i = \frac1k \sum_{j \ne y_i} \max(0,\ \Delta - z_{i y_i} + z_{ij}), \qquad \Delta = 1,

    averaged over the :math:`m` samples. Each active margin adds :math:`1/(km)` to
    :math:`\partial L/\partial z_{ij}` and subtracts it from :math:`\partial L/\partial z_{i y_i}`.
    """

    classifies = True

    def __init__(self, margin: float = 1.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.margin = check_positive("margin", margin)

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        z = _as_predictions(pred)
        labels = _labels(target, z)
        m, k = z.shape
        idx = np.arange(m)
        margins = self.margin - z[idx, labels][:, None] + z
        margins[idx, labels] = 0
        active = margins > 0
        scale: float = self._scale(m) / k
        grad = active.astype(z.dtype)
        grad[idx, labels] = -active.sum(axis=1)
        grad *= scale
        self._grad = grad
        return _unless_not_finite(float(margins[active].sum()) * scale, z)

    def __repr__(self) -> str:
        return f"Hinge(margin={self.margin}, reduction={self.reduction!r})"
