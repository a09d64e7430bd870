"""``MLPClassifier``: scikit-learn's multi-layer perceptron classifier on the mlplab engine."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.model_selection import train_test_split
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import column_or_1d

from ..functional import log_softmax
from ._base import BaseMLP


class MLPClassifier(ClassifierMixin, BaseMLP):
    """Multi-layer perceptron classifier with scikit-learn's interface, trained by mlplab.

    Softmax outputs with cross-entropy :math:`-\\frac1m\\sum_i \\log p_{i,y_i}`, one output per
    class (two for a binary problem, where scikit-learn uses one logistic output: the same model).
    The parameters are scikit-learn's (``solver`` ``"sgd"`` or ``"adam"``, ``"lbfgs"`` is not
    supported) plus:

    Parameters
    ----------
    activation : str or sequence of str
        scikit-learn's names (``identity``, ``logistic``, ``tanh``, ``relu``), any mlplab activation
        name, or one name per hidden layer.
    solver : str
        ``"sgd"``, ``"adam"`` or any mlplab optimizer name (``rmsprop``, ``adagrad``, ``adamw`` ...).
    dropout : float
        Probability of dropping a hidden unit in training (inverted dropout).
    batch_norm : bool
        Batch normalization before each hidden activation.
    loss : str, optional
        Any mlplab classification loss name (default ``softmax_cross_entropy``).
    schedule : str, optional
        An mlplab schedule spanning ``max_iter`` epochs (``exponential``, ``linear``, ``step`` ...);
        replaces ``learning_rate``.
    clip_norm, clip_value : float, optional
        Gradient clipping by global norm, or per element.
    restore_best_weights : bool
        With ``early_stopping``, end with the weights of the best validation score (as scikit-learn).

    Attributes
    ----------
    classes_, coefs_, intercepts_, n_layers_, n_outputs_, loss_, loss_curve_, best_loss_, t_, n_iter_,
    validation_scores_, best_validation_score_, n_features_in_ : as in scikit-learn.
    validation_loss_curve_ : list of float
        With ``early_stopping``, the validation loss after each epoch.
    model_ : mlplab.Sequential
        The trained network (its outputs are logits).
    """

    _OUT_ACTIVATION = "softmax"

    def _default_loss(self) -> str:
        return "softmax_cross_entropy"

    def _targets(self, y: np.ndarray, *, first_call: bool, classes: Any = None) -> np.ndarray:
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if first_call:
            self.classes_ = unique_labels(classes if classes is not None else y)
        elif classes is not None and not np.array_equal(unique_labels(classes), self.classes_):
            raise ValueError(
                f"classes={list(classes)!r} is not the same as on the first call ({list(self.classes_)!r})"
            )
        unknown = np.setdiff1d(y, self.classes_)
        if unknown.size:
            raise ValueError(f"y holds labels not in classes_ {list(self.classes_)!r}: {list(unknown[:5])!r}")
        return np.searchsorted(self.classes_, y).astype(np.int64)

    def _n_outputs(self, targets: np.ndarray) -> int:
        return max(2, len(self.classes_))

    def _decode(self, targets: np.ndarray) -> np.ndarray:
        return self.classes_[targets]

    def _split(self, x: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, ...]:
        stratify = y if np.bincount(y).min() >= 2 else None
        x_fit, x_val, y_fit, y_val = train_test_split(
            x, y, test_size=self.validation_fraction, random_state=seed, stratify=stratify
        )
        return x_fit, y_fit, x_val, y_val

    def fit(self, X: Any, y: Any) -> MLPClassifier:
        """Train on ``X`` ``(n_samples, n_features)`` and labels ``y`` for up to ``max_iter`` epochs."""
        return self._fit(X, y, incremental=False)

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> MLPClassifier:
        """One epoch over ``X``, ``y``; ``classes`` (every label) is required on the first call."""
        if not hasattr(self, "model_") and classes is None:
            raise ValueError("classes must be given on the first call to partial_fit")
        return self._fit(X, y, incremental=True, classes=classes)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each row."""
        outputs = self._outputs(X)
        return self.classes_[outputs.argmax(axis=1)]

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """:math:`\\log p` of each class, ``(n_samples, n_classes)``, computed stably from the logits."""
        logp = log_softmax(self._outputs(X).astype(np.float64), axis=1)  # checks it is fitted first
        return logp[:, : len(self.classes_)] if len(self.classes_) > 1 else logp[:, :1]

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, ``(n_samples, n_classes)``; rows sum to 1."""
        return np.exp(self.predict_log_proba(X))
