"""A fixed input standardization, so a saved model takes raw inputs."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import check_positive_int
from .base import Layer


class Standardize(Layer):
    r"""Fixed per-feature standardization :math:`y = (x - \mu) / \sigma`; :math:`\partial L/\partial x = g / \sigma`.

    :math:`\mu` and :math:`\sigma` are buffers (saved with the model, not
    trained). Features with :math:`\sigma = 0` (constant pixels) are divided by 1.

    Parameters
    ----------
    features : int
    mean, std : array_like, optional
        Per-feature statistics; default 0 and 1 (the identity). See :meth:`fit`.
    dtype : numpy dtype, default float32
    """

    def __init__(self, features: int, mean: Any = None, std: Any = None, dtype: Any = np.float32) -> None:
        self.features = check_positive_int("features", features)
        self.mean: np.ndarray = np.zeros(features, dtype=dtype)
        self.std: np.ndarray = np.ones(features, dtype=dtype)
        if mean is not None or std is not None:
            self.set_statistics(0.0 if mean is None else mean, 1.0 if std is None else std)

    @property
    def in_features(self) -> int:
        """``features``: the input width."""
        return self.features

    @property
    def dtype(self) -> np.dtype:
        """Dtype of :math:`\\mu` and :math:`\\sigma`."""
        return self.mean.dtype

    def set_statistics(self, mean: Any, std: Any) -> None:
        """Set :math:`\\mu` and :math:`\\sigma` in place (a zero :math:`\\sigma` becomes 1)."""
        std = np.array(std, dtype=np.float64)
        self.mean[...] = mean
        self.std[...] = np.where(std > 0, std, 1.0)

    def fit(self, x: np.ndarray) -> Standardize:
        """Take :math:`\\mu` and :math:`\\sigma` from the columns of ``x`` (shape ``(n, features)``)."""
        self.set_statistics(np.mean(x, axis=0, dtype=np.float64), np.std(x, axis=0, dtype=np.float64))
        return self

    def buffers(self) -> dict[str, np.ndarray]:
        return {"mean": self.mean, "std": self.std}

    def get_config(self) -> dict[str, Any]:
        return {"features": self.features, "dtype": self.dtype.name}

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        if x.ndim != 2 or x.shape[1] != self.features:
            raise ValueError(f"Standardize expects input of shape (n, {self.features}), got {x.shape}")
        out = self._out("out", x, training)
        np.subtract(x, self.mean, out=out)
        out /= self.std
        return out

    def backward(self, grad_out: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        if not input_grad:
            return None
        dx = self._buffer("dx", grad_out.shape, grad_out.dtype)
        np.divide(grad_out, self.std, out=dx)
        return dx

    def __repr__(self) -> str:
        return f"Standardize({self.features})"
