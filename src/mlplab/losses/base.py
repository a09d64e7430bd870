"""The loss contract, the registry of losses by name, reductions and the checks every loss shares.

A loss is ``forward(pred, target) -> float``, which stores what ``backward() -> dL/dpred``
returns. ``reduction="mean"`` (default) or ``"sum"`` says how the per-element or per-sample
terms combine; :meth:`Loss._scale` is the factor each loss applies. Conventions (which
elements a mean runs over, NaN and infinities in) are stated once, in :mod:`mlplab.losses`.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from ..registry import Registry

LOSSES: Registry[type[Loss]] = Registry("loss")
_REDUCTIONS = ("mean", "sum")


class Loss:
    """Base class: ``forward`` stores what ``backward`` needs; ``backward`` returns dL/dpred.

    Parameters
    ----------
    reduction : {"mean", "sum"}

    Attributes
    ----------
    classifies : bool
        Whether the loss trains a classifier, so that accuracy is a meaningful
        metric: false here and on the regression losses, true on
        :class:`~mlplab.losses.SoftmaxCrossEntropy`, :class:`~mlplab.losses.NLLLoss`,
        :class:`~mlplab.losses.Hinge`, :class:`~mlplab.losses.BinaryCrossEntropy` and
        :class:`~mlplab.losses.PerceptronCriterion`.
    from_logits : bool
        Whether ``pred`` holds unbounded scores (logits, margins) rather than
        probabilities in [0, 1]. A single output then predicts the positive
        class above 0 rather than above 0.5, and its probability is its
        sigmoid rather than itself. True except for
        ``BinaryCrossEntropy(from_logits=False)``.
    """

    classifies: ClassVar[bool] = False
    from_logits: bool = True

    def __init__(self, reduction: str = "mean") -> None:
        if reduction not in _REDUCTIONS:
            raise ValueError(f"Invalid reduction: {reduction!r} (valid: {', '.join(_REDUCTIONS)})")
        self.reduction = reduction
        self._grad: np.ndarray | None = None

    def __call__(self, pred: np.ndarray, target: np.ndarray) -> float:
        return self.forward(pred, target)

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        raise NotImplementedError

    def backward(self) -> np.ndarray:
        """dL/dpred for the last ``forward`` call, shaped like ``pred``."""
        if self._grad is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        return self._grad

    def _scale(self, count: int) -> float:
        return 1.0 / count if self.reduction == "mean" else 1.0

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reduction={self.reduction!r})"


def _as_predictions(pred: np.ndarray) -> np.ndarray:
    pred = np.asarray(pred)
    if pred.dtype.kind not in "biuf":
        raise ValueError(f"pred must hold real numbers, got dtype {pred.dtype}")
    if pred.dtype.kind != "f":
        pred = pred.astype(np.float64)
    if pred.ndim == 0 or pred.size == 0:
        raise ValueError(f"pred must be a non-empty array, got shape {pred.shape}")
    return pred


def _unless_not_finite(value: float, pred: np.ndarray) -> float:
    """``value``, or NaN if ``pred`` holds NaN or an infinity that the loss did not carry into ``value``
    (a margin loss ignores a NaN score, a log-likelihood the scores off the label)."""
    if math.isfinite(value) and not np.isfinite(pred).all():
        return math.nan
    return value


def get_loss(spec: str | Loss, **kwargs: object) -> Loss:
    """Build a loss from a registered name (with keyword arguments) or return a :class:`Loss` unchanged."""
    return LOSSES.create(spec, **kwargs)
