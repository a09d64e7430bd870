r"""Classification metrics on integer class labels.

Labels are integers in :math:`[0, k)`, one per sample: ``y_true`` has shape
``(n_samples,)``. Predictions are either labels of the same shape or a score
matrix ``(n_samples, k)`` (logits or probabilities), whose row-wise argmax is the
predicted label. With the confusion matrix :math:`C` (rows true, columns predicted):

.. math::

    \text{accuracy} = \frac{\operatorname{tr} C}{n}, \quad
    \text{precision}_j = \frac{C_{jj}}{\sum_i C_{ij}}, \quad
    \text{recall}_j = \frac{C_{jj}}{\sum_i C_{ji}}, \quad
    F_{1,j} = \frac{2\, \text{precision}_j\, \text{recall}_j}{\text{precision}_j + \text{recall}_j} .

A ratio whose denominator is zero (a class never predicted, or never present) is
reported as 0, as scikit-learn does with ``zero_division=0``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validation import check_finite, check_fraction, check_positive_int

_ROW_SUM_TOL = 1e-3


def accuracy(y_true: Any, y_pred: Any) -> float:
    r"""Fraction of samples whose predicted label equals the true one, :math:`\frac1n \sum_i [\hat y_i = y_i]`.

    Parameters
    ----------
    y_true : array_like of int, shape (n_samples,)
    y_pred : array_like, shape (n_samples,) of int, or (n_samples, k) of scores
        Labels, or a score matrix whose row-wise argmax is taken.

    Returns
    -------
    float in [0, 1]
    """
    true, pred, _ = _labels_pair(y_true, y_pred, None)
    return float(np.mean(true == pred))


def confusion_matrix(y_true: Any, y_pred: Any, n_classes: int | None = None) -> np.ndarray:
    r"""Counts :math:`C_{ij}` of samples with true label :math:`i` predicted as :math:`j`.

    Parameters
    ----------
    y_true : array_like of int, shape (n_samples,)
    y_pred : array_like, shape (n_samples,) of int, or (n_samples, k) of scores
    n_classes : int, optional
        :math:`k`; by default the score matrix's width, or the largest label seen plus one.

    Returns
    -------
    numpy.ndarray of int64, shape (k, k)
        Rows are true classes, columns predicted classes; it sums to ``n_samples``.
    """
    true, pred, k = _labels_pair(y_true, y_pred, n_classes)
    return np.bincount(true * k + pred, minlength=k * k).reshape(k, k).astype(np.int64)


def precision_recall(y_true: Any, y_pred: Any, n_classes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    r"""Per-class precision :math:`C_{jj} / \sum_i C_{ij}` and recall :math:`C_{jj} / \sum_i C_{ji}`.

    Precision of a class never predicted, and recall of a class never present,
    are 0 (the ratio is undefined).

    Parameters
    ----------
    y_true, y_pred, n_classes
        As in :func:`confusion_matrix`.

    Returns
    -------
    precision, recall : numpy.ndarray of float64, shape (k,)
    """
    matrix = confusion_matrix(y_true, y_pred, n_classes)
    hits = np.diag(matrix).astype(np.float64)
    return _ratio(hits, matrix.sum(axis=0)), _ratio(hits, matrix.sum(axis=1))


def f1(y_true: Any, y_pred: Any, n_classes: int | None = None) -> np.ndarray:
    r"""Per-class :math:`F_1 = 2PR / (P + R)`, the harmonic mean of precision and recall; 0 where :math:`P + R = 0`.

    The macro-averaged F1 is ``f1(...).mean()``.

    Parameters
    ----------
    y_true, y_pred, n_classes
        As in :func:`confusion_matrix`.

    Returns
    -------
    numpy.ndarray of float64, shape (k,)
    """
    precision, recall = precision_recall(y_true, y_pred, n_classes)
    return _ratio(2 * precision * recall, precision + recall)


def log_loss(y_true: Any, probabilities: Any, eps: float = 1e-12) -> float:
    r"""Mean negative log-probability of the true class (cross-entropy of labels against probabilities).

    .. math::

        L = -\frac1n \sum_i \log \operatorname{clip}(p_{i, y_i}, \epsilon, 1)

    Parameters
    ----------
    y_true : array_like of int, shape (n_samples,)
    probabilities : array_like, shape (n_samples, k), or (n_samples,) / (n_samples, 1)
        Class probabilities, each row summing to 1 (within 1e-3). A single
        column is :math:`P(y = 1)` of a binary problem, read as ``[1 - p, p]``.
        Logits are refused (values outside [0, 1] or rows not summing to 1):
        apply softmax or sigmoid first.
    eps : float in (0, 1), default 1e-12
        Probabilities are clipped to :math:`[\epsilon, 1]` so a confident
        mistake costs :math:`-\log \epsilon` instead of infinity.

    Returns
    -------
    float
    """
    eps = check_fraction("eps", eps, low_open=True)
    probs = np.asarray(probabilities)
    if probs.dtype.kind not in "biuf":
        raise ValueError(f"probabilities must hold numbers, got dtype {probs.dtype}")
    binary = probs.ndim == 1 or (probs.ndim == 2 and probs.shape[1] == 1)
    if not binary and probs.ndim != 2:
        raise ValueError(f"probabilities must have shape (n_samples, k) or (n_samples,), got {probs.shape}")
    probs = probs.astype(np.float64).reshape(probs.shape[0], -1)
    check_finite("probabilities", probs)
    if probs.size and (probs.min() < 0 or probs.max() > 1):
        raise ValueError(
            f"probabilities must lie in [0, 1], got values in [{probs.min():.6g}, {probs.max():.6g}]; "
            "for logits apply softmax (or sigmoid) first"
        )
    if binary:
        probs = np.concatenate([1 - probs, probs], axis=1)
    else:
        sums = probs.sum(axis=1)
        bad = np.flatnonzero(np.abs(sums - 1) > _ROW_SUM_TOL)
        if bad.size:
            raise ValueError(f"probabilities row {bad[0]} sums to {sums[bad[0]]:.6g}, not 1 ({bad.size} such row(s))")
    true = _labels("y_true", y_true)
    _check_lengths(true, probs.shape[0], "probabilities")
    _check_range("y_true", true, probs.shape[1])
    picked = probs[np.arange(true.shape[0]), true]
    return float(-np.mean(np.log(np.clip(picked, eps, 1.0))))


# ---------------------------------------------------------------- validation


def _labels(name: str, y: Any) -> np.ndarray:
    """``y`` as a non-empty 1-D array of non-negative integer labels, or ``ValueError`` naming ``name``."""
    y = np.asarray(y)
    if y.ndim != 1:
        hint = "; for one-hot rows pass y.argmax(axis=1)" if y.ndim == 2 else ""
        raise ValueError(f"{name} must be 1-D class labels (n_samples,), got shape {y.shape}{hint}")
    if y.size == 0:
        raise ValueError(f"{name} is empty")
    if y.dtype.kind == "f":
        if not (np.all(np.isfinite(y)) and np.all(y == np.round(y))):
            raise ValueError(f"{name} must hold integer class labels, got non-integer values (dtype {y.dtype})")
    elif y.dtype.kind not in "biu":
        raise ValueError(f"{name} must hold integer class labels, got dtype {y.dtype}")
    y = y.astype(np.intp, copy=False)
    if y.min() < 0:
        raise ValueError(f"{name} has label {int(y.min())}; labels must be >= 0")
    return y


def _predicted(y_pred: Any) -> tuple[np.ndarray, int | None]:
    """Predicted labels and, for a score matrix, its number of columns."""
    y_pred = np.asarray(y_pred)
    if y_pred.ndim != 2:
        return _labels("y_pred", y_pred), None
    if y_pred.dtype.kind not in "biuf":
        raise ValueError(f"y_pred scores must hold numbers, got dtype {y_pred.dtype}")
    if y_pred.shape[0] == 0:
        raise ValueError("y_pred is empty")
    if y_pred.shape[1] < 2:
        raise ValueError(
            f"y_pred has shape {y_pred.shape}: the argmax of a single score column is always 0; "
            "threshold binary scores into labels first, e.g. (p > 0.5).astype(int).ravel()"
        )
    check_finite("y_pred", y_pred)
    return y_pred.argmax(axis=1), y_pred.shape[1]


def _labels_pair(y_true: Any, y_pred: Any, n_classes: int | None) -> tuple[np.ndarray, np.ndarray, int]:
    """Validated ``(true, predicted, k)``, every label in ``[0, k)``."""
    true = _labels("y_true", y_true)
    pred, width = _predicted(y_pred)
    _check_lengths(true, pred.shape[0], "y_pred")
    if n_classes is not None:
        k = check_positive_int("n_classes", n_classes)
        if width is not None and width != k:
            raise ValueError(f"y_pred has {width} score columns but n_classes is {k}")
    elif width is not None:
        k = width
    else:
        k = int(max(true.max(), pred.max())) + 1
    _check_range("y_true", true, k)
    _check_range("y_pred", pred, k)
    return true, pred, k


def _check_lengths(true: np.ndarray, n_pred: int, pred_name: str) -> None:
    if true.shape[0] != n_pred:
        raise ValueError(f"y_true has {true.shape[0]} samples but {pred_name} has {n_pred}")


def _check_range(name: str, labels: np.ndarray, k: int) -> None:
    high = int(labels.max())
    if high >= k:
        raise ValueError(f"{name} has label {high} outside the valid range [0, {k - 1}]")


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator`` as float64, 0 where the denominator is 0."""
    out = np.zeros(np.shape(numerator), dtype=np.float64)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out
