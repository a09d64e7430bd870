"""``MLPRegressor``: scikit-learn's multi-layer perceptron regressor on the mlplab engine."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.model_selection import train_test_split

from ._base import BaseMLP


class MLPRegressor(RegressorMixin, BaseMLP):
    """Multi-layer perceptron regressor with scikit-learn's interface, trained by mlplab.

    Identity outputs with scikit-learn's squared error :math:`\\frac{1}{2N}\\sum (a - y)^2`; ``score``
    is :math:`R^2`. Parameters and attributes are those of :class:`MLPClassifier` (without
    ``classes_``); ``loss`` takes any mlplab regression loss name (``mse``, ``mae``, ``huber`` ...).
    """

    _OUT_ACTIVATION = "identity"

    def _default_loss(self) -> str:
        return "half_squared_error"

    def _targets(self, y: np.ndarray, *, first_call: bool, classes: Any = None) -> np.ndarray:
        y = np.asarray(y, dtype=np.float64)
        y = y.reshape(len(y), -1)
        if first_call:
            self._y_1d = y.shape[1] == 1  # one output: predictions are 1-D, as scikit-learn's
        return y

    def _n_outputs(self, targets: np.ndarray) -> int:
        return targets.shape[1]

    def _decode(self, targets: np.ndarray) -> np.ndarray:
        return targets[:, 0] if self._y_1d else targets

    def _split(self, x: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, ...]:
        x_fit, x_val, y_fit, y_val = train_test_split(x, y, test_size=self.validation_fraction, random_state=seed)
        return x_fit, y_fit, x_val, y_val

    def fit(self, X: Any, y: Any) -> MLPRegressor:
        """Train on ``X`` ``(n_samples, n_features)`` and targets ``y`` (1-D, or 2-D for several outputs)."""
        return self._fit(X, y, incremental=False)

    def partial_fit(self, X: Any, y: Any) -> MLPRegressor:
        """One epoch over ``X``, ``y``."""
        return self._fit(X, y, incremental=True)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def predict(self, X: Any) -> np.ndarray:
        """Predicted targets: ``(n_samples,)`` when fitted on 1-D ``y``, else ``(n_samples, n_outputs)``."""
        out = self._outputs(X).astype(np.float64)
        return out[:, 0] if self._y_1d else out
