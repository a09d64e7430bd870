"""Checks at the library's boundary, each raising an error that names the argument and value.

The inner loops trust their inputs; public entry points call these once.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np


def check_positive(name: str, value: Any, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a float, or raise ``ValueError`` if it is not (strictly) positive."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"Invalid {name}: {value!r} (expected a finite number)")
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"Invalid {name}: {value!r} (must be {bound})")
    return float(value)


def check_fraction(name: str, value: Any, *, low_open: bool = False, high_open: bool = True) -> float:
    """Return ``value`` as a float in [0, 1] (ends open as asked), or raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"Invalid {name}: {value!r} (expected a number in [0, 1])")
    too_low = value <= 0 if low_open else value < 0
    too_high = value >= 1 if high_open else value > 1
    if too_low or too_high:
        interval = ("(" if low_open else "[") + "0, 1" + (")" if high_open else "]")
        raise ValueError(f"Invalid {name}: {value!r} (must be in {interval})")
    return float(value)


def check_positive_int(name: str, value: Any) -> int:
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


def check_batch(name: str, x: Any, n_features: int | None = None, *, dtype: Any = None) -> np.ndarray:
    """Return ``x`` as a finite 2-D float array ``(n_samples, n_features)``.

    Raises ``ValueError`` naming ``name`` for a wrong number of dimensions, a
    wrong feature count, an empty batch, a non-numeric dtype or non-finite values.
    """
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold numbers, got dtype {x.dtype}")
    if x.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {x.shape}")
    if x.shape[0] == 0:
        raise ValueError(f"{name} is empty: shape {x.shape}")
    if n_features is not None and x.shape[1] != n_features:
        raise ValueError(f"{name} has {x.shape[1]} features per sample, expected {n_features} (shape {x.shape})")
    if dtype is not None and x.dtype != dtype:
        x = x.astype(dtype)
    elif x.dtype.kind != "f":
        x = x.astype(np.float64)
    check_finite(name, x)
    return x


def as_integer_labels(name: str, y: np.ndarray) -> np.ndarray:
    """Return ``y`` with an integer dtype (whole-valued floats are converted), or raise ``ValueError``."""
    if y.dtype.kind in "iu":
        return y
    if y.dtype.kind == "f" and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
        return y.astype(np.int64)
    raise ValueError(f"{name} must hold integer class labels, got dtype {y.dtype}")


def check_labels(name: str, y: Any, n_samples: int, n_classes: int) -> np.ndarray:
    """Return integer class labels ``(n_samples,)`` in ``[0, n_classes)``, or raise ``ValueError``."""
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != n_samples:
        raise ValueError(f"{name} must have shape ({n_samples},) to match the predictions, got {y.shape}")
    y = as_integer_labels(name, y)
    low, high = int(y.min()), int(y.max())
    if low < 0 or high >= n_classes:
        bad = low if low < 0 else high
        raise ValueError(f"{name} has label {bad} outside the valid range [0, {n_classes - 1}]")
    return y


def check_same_shape(name: str, target: Any, pred: np.ndarray) -> np.ndarray:
    """Return ``target`` as a finite float array shaped like ``pred``, or raise ``ValueError``."""
    target = np.asarray(target)
    if target.shape != pred.shape:
        if target.size == pred.size and target.ndim == 1 and pred.ndim == 2 and pred.shape[1] == 1:
            target = target.reshape(pred.shape)
        else:
            raise ValueError(f"{name} has shape {target.shape}, expected the prediction's shape {pred.shape}")
    if target.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold numbers, got dtype {target.dtype}")
    target = target.astype(pred.dtype, copy=False)
    check_finite(name, target)
    return target
