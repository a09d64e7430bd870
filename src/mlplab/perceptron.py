r"""Rosenblatt's perceptron, trained with the batch algorithm of S3, and one-vs-all multi-class.

The perceptron is the linear classifier :math:`\hat y = H(\mathbf w \cdot \mathbf x + b)` with the
Heaviside step :math:`H`. S3 trains it by minimizing the perceptron criterion

.. math::

    \ell(\mathbf w, b) = -\sum_{i \in \mathcal M} y_i (\mathbf w \cdot \mathbf x_i + b),
    \qquad \mathcal M = \{i : y_i(\mathbf w \cdot \mathbf x_i + b) < 0\},

over *unit* vectors :math:`\mathbf w`, alternating between "given :math:`\mathbf w, b`, find
:math:`\mathcal M`" and one gradient step on :math:`\ell` for that :math:`\mathcal M`
(see :class:`Perceptron`). On linearly separable data it stops after finitely many steps;
on non-separable data it never does, and the weights cycle.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ._validation import check_batch, check_labels, check_positive, check_positive_int
from .rng import as_generator

__all__ = ["ConvergenceWarning", "OneVsAll", "Perceptron"]


class ConvergenceWarning(UserWarning):
    """An iterative learner stopped at its iteration budget without meeting its stopping criterion."""


def _check_binary_labels(name: str, y: Any, n_samples: int) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(y_pm, classes)``: labels recoded to -1/+1 and the coding ``[negative, positive]``.

    Accepts labels in {-1, +1} or in {0, 1} (ints, floats or bools). A set that fits both
    codings (all labels 1) is read as {-1, +1}.
    """
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != n_samples:
        raise ValueError(f"{name} must have shape ({n_samples},) to match X, got {y.shape}")
    if y.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold numeric labels in {{-1, +1}} or {{0, 1}}, got dtype {y.dtype}")
    values = set(np.unique(y).tolist())
    if values <= {-1, 1}:
        classes = np.array([-1, 1])
    elif values <= {0, 1}:
        classes = np.array([0, 1])
    else:
        raise ValueError(f"{name} must hold labels in {{-1, +1}} or {{0, 1}}, got values {sorted(values)}")
    return np.where(y == 1, 1.0, -1.0), classes


class Perceptron:
    r"""Binary perceptron trained with the batch algorithm of S3.

    Starting from a random unit vector :math:`\mathbf w` and a random bias :math:`b`
    (both standard normal, then :math:`\mathbf w` and :math:`b` divided by
    :math:`\lVert\mathbf w\rVert`), each epoch

    1. determines the misclassified set
       :math:`\mathcal M = \{i : y_i(\mathbf w \cdot \mathbf x_i + b) \le 0\}`
       and stops if it is empty;
    2. takes one gradient step on the perceptron criterion,

       .. math::

           \mathbf w \leftarrow \mathbf w + \rho \sum_{i \in \mathcal M} y_i \mathbf x_i, \qquad
           b \leftarrow b + \rho \sum_{i \in \mathcal M} y_i ;

    3. renormalizes :math:`\mathbf w` to a unit vector and scales :math:`b` by the same factor,
       :math:`b \leftarrow b / \lVert\mathbf w\rVert,\ \mathbf w \leftarrow \mathbf w / \lVert\mathbf w\rVert`
       (skipped in the degenerate case :math:`\mathbf w = \mathbf 0`).

    **Deviation from the lecture, on purpose:** S3 defines :math:`\mathcal M` with a strict
    :math:`< 0`, so a point lying exactly on the hyperplane counts as correct. Here a point
    with :math:`y_i(\mathbf w \cdot \mathbf x_i + b) = 0` is *misclassified* (:math:`\le 0`,
    Rosenblatt's and Novikoff's convention). With the strict rule, :math:`\mathbf w = \mathbf 0,
    b = 0` (or any hyperplane through all the points) has :math:`\mathcal M = \emptyset`,
    so the algorithm would "converge" without ever moving and report zero training error
    for a classifier that separates nothing. With :math:`\le 0`, an empty :math:`\mathcal M`
    means every point lies strictly on its own side: a real separating hyperplane.

    Because :math:`\mathbf w` is renormalized, :math:`\mathbf w \cdot \mathbf x + b` is the
    signed distance of :math:`\mathbf x` to the hyperplane, so scores of different perceptrons
    are comparable (what :class:`OneVsAll` relies on).

    **Choosing** :math:`\rho` **-- where the lecture overstates convergence.** S3 says the
    algorithm converges on linearly separable data. That is Novikoff's theorem for the
    *unnormalized* perceptron, whose :math:`\lVert\mathbf w\rVert` grows so that each update
    matters less and less. With the renormalization, every update has size
    :math:`\rho\,\lVert\sum_{\mathcal M} y_i \mathbf x_i\rVert` against a weight vector of
    length 1, forever; if that is large, :math:`\mathbf w` is all but replaced by the direction
    of the last sum and can jump between two wrong hyperplanes for ever, separable data or not
    (the tests show a 2-cycle on three well-separated blobs with :math:`\rho = 1`). Keep
    :math:`\rho\,|\mathcal M|\max_i\lVert\mathbf x_i\rVert` well below 1 ("update slightly",
    as the lecture puts it): e.g. :math:`\rho = 10^{-2}` for a hundred 2-D points,
    :math:`10^{-4}` for the 1,400 scaled 8x8 digits.

    The algorithm is deterministic given its initial state, so if an exact ``(w, b)`` state
    ever repeats, it will cycle through the same states forever (S3: "cycles develop" on
    non-separable data). Every state is remembered (a dict keyed by its bytes, cheap next to the
    epoch's matrix product); on a repeat, training stops early with ``cycles_detected_ = True``
    and a :class:`ConvergenceWarning`. Cycles whose states differ in the last bit of a float
    are not detected; those run to ``max_epochs``.

    Parameters
    ----------
    lr : float, default 1.0
        Learning rate :math:`\rho > 0`; the default suits a handful of points (see above).
    max_epochs : int, default 1000
        Maximum number of updates. Reaching it with :math:`\mathcal M` non-empty issues a
        :class:`ConvergenceWarning` and sets ``converged_ = False``.
    rng : numpy.random.Generator or int, optional
        Source of the random initial :math:`\mathbf w, b`.

    Attributes
    ----------
    w_ : ndarray of shape (n_features,)
        Weights, a unit vector (unless the degenerate :math:`\mathbf w = \mathbf 0` occurred).
    b_ : float
        Bias.
    classes_ : ndarray of shape (2,)
        The label coding seen by ``fit``, ``[-1, 1]`` or ``[0, 1]``, as ``[negative, positive]``;
        ``predict`` answers in this coding.
    converged_ : bool
        Whether training stopped with :math:`\mathcal M = \emptyset`.
    n_epochs_ : int
        Number of updates made.
    history_ : list of int
        :math:`|\mathcal M|` before each update, then the final :math:`|\mathcal M|`
        (``n_epochs_ + 1`` entries; the last is 0 exactly when ``converged_``).
    cycles_detected_ : bool
        Whether an exact ``(w, b)`` state repeated (training then stops early).
    cycle_length_ : int or None
        Number of updates in the detected cycle.

    Examples
    --------
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    >>> clf = Perceptron(rng=0).fit(X, [0, 0, 0, 1])   # AND is separable
    >>> clf.converged_, clf.predict(X).tolist()
    (True, [0, 0, 0, 1])
    """

    def __init__(self, lr: float = 1.0, max_epochs: int = 1000, rng: np.random.Generator | int | None = None) -> None:
        self.lr = check_positive("lr", lr)
        self.max_epochs = check_positive_int("max_epochs", max_epochs)
        self.rng = as_generator(rng)

    def fit(self, X: Any, y: Any, *, init: tuple[Any, float] | None = None) -> Perceptron:
        r"""Run the S3 algorithm on ``X`` ``(n_samples, n_features)`` and labels ``y`` ``(n_samples,)``.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        y : array_like of shape (n_samples,)
            Labels in {-1, +1} or in {0, 1}.
        init : (w, b), optional
            Initial state instead of the random one: ``w`` of shape ``(n_features,)``, ``b`` a
            number. A non-zero ``w`` is scaled to a unit vector, and ``b`` with it, as after
            every update (this changes no prediction). A zero ``w`` is allowed.

        Returns
        -------
        self
        """
        X = check_batch("X", X, dtype=np.float64)
        y_pm, self.classes_ = _check_binary_labels("y", y, X.shape[0])
        n_features = X.shape[1]
        if init is None:
            w = self.rng.standard_normal(n_features)
            b = float(self.rng.standard_normal())
        else:
            w, b = self._check_init(init, n_features)
        w, b = _normalize(w, b)

        history: list[int] = []
        seen: dict[bytes, int] = {}
        self.cycles_detected_, self.cycle_length_ = False, None
        epoch = 0
        while True:
            wrong = y_pm * (X @ w + b) <= 0
            n_wrong = int(np.count_nonzero(wrong))
            history.append(n_wrong)
            if n_wrong == 0 or epoch == self.max_epochs:
                break
            key = w.tobytes() + np.float64(b).tobytes()
            if key in seen:
                self.cycles_detected_, self.cycle_length_ = True, epoch - seen[key]
                break
            seen[key] = epoch
            y_wrong = y_pm[wrong]
            w = w + self.lr * (y_wrong @ X[wrong])
            b = b + self.lr * float(y_wrong.sum())
            w, b = _normalize(w, b)
            epoch += 1

        self.w_, self.b_ = w, b
        self.n_epochs_ = epoch
        self.history_ = history
        self.converged_ = history[-1] == 0
        if not self.converged_:
            why = (
                f"the (w, b) state repeated after a cycle of {self.cycle_length_} epochs"
                if self.cycles_detected_
                else f"max_epochs={self.max_epochs} reached"
            )
            warnings.warn(
                f"Perceptron did not converge: {why}; {history[-1]} of {X.shape[0]} training points "
                f"still misclassified after {epoch} epochs (classes not linearly separable, or lr too large)",
                ConvergenceWarning,
                stacklevel=2,
            )
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        r"""Scores :math:`\mathbf w \cdot \mathbf x + b`, shape ``(n_samples,)``: the signed distance
        to the hyperplane when :math:`\lVert\mathbf w\rVert = 1`."""
        self._check_fitted()
        X = check_batch("X", X, self.w_.shape[0], dtype=np.float64)
        return X @ self.w_ + self.b_

    def predict(self, X: Any) -> np.ndarray:
        r"""Labels :math:`H(\mathbf w \cdot \mathbf x + b)` in the coding of ``fit`` (``classes_``);
        a score of exactly 0 gives the positive class, as :func:`mlplab.functional.step` (:math:`H(0) = 1`)."""
        return np.where(self.decision_function(X) >= 0, self.classes_[1], self.classes_[0])

    def score(self, X: Any, y: Any) -> float:
        """Accuracy of ``predict(X)`` against ``y`` (labels in the coding of ``fit``)."""
        pred = self.predict(X)
        y = np.asarray(y)
        if y.shape != pred.shape:
            raise ValueError(f"y must have shape {pred.shape} to match X, got {y.shape}")
        return float(np.mean(pred == y))

    def _check_init(self, init: Any, n_features: int) -> tuple[np.ndarray, float]:
        try:
            w, b = init
        except (TypeError, ValueError):
            raise ValueError(f"init must be a pair (w, b), got {init!r}") from None
        w = np.array(w, dtype=np.float64)
        if w.shape != (n_features,) or not np.all(np.isfinite(w)):
            raise ValueError(f"init w must be a finite vector of shape ({n_features},), got {w!r}")
        if isinstance(b, bool) or not isinstance(b, numbers.Real) or not np.isfinite(np.asarray(b)):
            raise ValueError(f"init b must be a finite number, got {b!r}")
        return w, float(b)

    def _check_fitted(self) -> None:
        if not hasattr(self, "w_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted yet: call fit(X, y) first")

    def __repr__(self) -> str:
        return f"Perceptron(lr={self.lr}, max_epochs={self.max_epochs})"


def _normalize(w: np.ndarray, b: float) -> tuple[np.ndarray, float]:
    r""":math:`(\mathbf w / \lVert\mathbf w\rVert,\ b / \lVert\mathbf w\rVert)`;
    ``(w, b)`` unchanged if :math:`\mathbf w = \mathbf 0`."""
    norm = float(np.linalg.norm(w))
    if norm == 0.0:
        return w, b
    return w / norm, b / norm


class OneVsAll:
    r"""Multi-class classification from :math:`N` binary classifiers, one per class (S0, S3, S4).

    With the one-hot target matrix :math:`Y \in \{0, 1\}^{n \times N}`, classifier :math:`k`
    learns "class :math:`k` against the rest" from targets :math:`t^{(k)}_i = 2 Y_{ik} - 1 \in
    \{-1, +1\}`. A sample goes to the class whose classifier is most confident:

    .. math::

        \hat y(\mathbf x) = \arg\max_k s_k(\mathbf x),

    where :math:`s_k` is classifier :math:`k`'s ``decision_function`` (for a :class:`Perceptron`,
    the signed distance to its hyperplane), or, for a classifier without one, its
    ``predict_proba`` for the positive class.

    Parameters
    ----------
    make_classifier : callable
        Zero-argument factory returning a fresh, unfitted binary classifier with ``fit(X, y)``
        (labels in {-1, +1}) and ``decision_function(X)`` or ``predict_proba(X)``, e.g.
        ``lambda: Perceptron(max_epochs=50, rng=0)``.
    n_classes : int, optional
        Number of classes :math:`N`; inferred from ``fit``'s labels (largest label + 1, or the
        width of a one-hot ``y``) if not given.

    Attributes
    ----------
    estimators_ : list
        The :math:`N` fitted binary classifiers; ``estimators_[k]`` separates class :math:`k`.
    n_classes_ : int
    """

    def __init__(self, make_classifier: Callable[[], Any], n_classes: int | None = None) -> None:
        if not callable(make_classifier):
            raise TypeError(f"make_classifier must be a zero-argument callable, got {make_classifier!r}")
        self.make_classifier = make_classifier
        self.n_classes = None if n_classes is None else check_positive_int("n_classes", n_classes)

    def fit(self, X: Any, y: Any) -> OneVsAll:
        """Fit one classifier per class.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        y : array_like of shape (n_samples,) or (n_samples, n_classes)
            Integer class labels in ``[0, n_classes)``, or their one-hot rows.

        Returns
        -------
        self
        """
        X = check_batch("X", X)
        labels = self._labels(y, X.shape[0], self.n_classes)
        self.n_classes_ = self.n_classes if self.n_classes is not None else int(labels.max()) + 1
        self.estimators_ = []
        for k in range(self.n_classes_):
            clf = self.make_classifier()
            clf.fit(X, np.where(labels == k, 1, -1))
            self.estimators_.append(clf)
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """The :math:`N` class scores, shape ``(n_samples, n_classes)``; column :math:`k` from classifier :math:`k`."""
        if not hasattr(self, "estimators_"):
            raise RuntimeError("OneVsAll is not fitted yet: call fit(X, y) first")
        X = check_batch("X", X)
        return np.stack([_positive_score(clf, X) for clf in self.estimators_], axis=1)

    def predict(self, X: Any) -> np.ndarray:
        """Class labels :math:`\\arg\\max_k s_k(x)`, shape ``(n_samples,)``."""
        return np.argmax(self.decision_function(X), axis=1)

    def score(self, X: Any, y: Any) -> float:
        """Accuracy of ``predict(X)`` against integer labels (or one-hot rows) ``y``."""
        pred = self.predict(X)
        labels = self._labels(y, pred.shape[0], self.n_classes_)
        return float(np.mean(pred == labels))

    @staticmethod
    def _labels(y: Any, n_samples: int, n_classes: int | None) -> np.ndarray:
        """Integer labels ``(n_samples,)`` from labels or one-hot rows; ``n_classes=None`` bounds nothing above."""
        y = np.asarray(y)
        if y.ndim == 2:
            width_ok = n_classes is None or y.shape[1] == n_classes
            if y.shape[0] != n_samples or not width_ok or not np.all((y == 0) | (y == 1)) or np.any(y.sum(axis=1) != 1):
                raise ValueError(
                    f"a 2-D y must hold one-hot rows, shape ({n_samples}, {n_classes or 'n_classes'}), got {y.shape}"
                )
            return np.argmax(y, axis=1)
        if n_classes is None:
            n_classes = int(np.max(y)) + 1 if y.size and y.dtype.kind in "iuf" and np.isfinite(y).all() else 1
        return check_labels("y", y, n_samples, max(n_classes, 1))

    def __repr__(self) -> str:
        return f"OneVsAll({self.make_classifier!r}, n_classes={self.n_classes})"


def _positive_score(clf: Any, X: np.ndarray) -> np.ndarray:
    """A binary classifier's score for its positive class (+1), shape ``(n_samples,)``."""
    if hasattr(clf, "decision_function"):
        return np.asarray(clf.decision_function(X), dtype=np.float64).reshape(-1)
    if hasattr(clf, "predict_proba"):
        proba = np.asarray(clf.predict_proba(X), dtype=np.float64)
        classes = list(getattr(clf, "classes_", [-1, 1]))
        column = classes.index(1) if 1 in classes else proba.shape[1] - 1
        return proba[:, column]
    raise TypeError(f"{type(clf).__name__} has neither decision_function nor predict_proba")
