"""Tests of mlplab.perceptron: the S3 algorithm step by hand, convergence on separable data,
non-convergence and cycles on XOR, label codings, validation, and one-vs-all multi-class."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from mlplab.perceptron import ConvergenceWarning, OneVsAll, Perceptron

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([-1, 1, 1, -1])


def separable_blobs(seed=1, n=50):
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal([2.0, 2.0], 0.7, (n, 2)), rng.normal([-2.0, -1.0], 0.7, (n, 2))])
    y = np.r_[np.ones(n, dtype=int), -np.ones(n, dtype=int)]
    return X, y


def three_blobs(seed=0, n=40):
    rng = np.random.default_rng(seed)
    centers = np.array([[0.0, 5.0], [5.0, -3.0], [-5.0, -3.0]])
    X = np.vstack([rng.normal(c, 0.8, (n, 2)) for c in centers])
    return X, np.repeat(np.arange(3), n)


# ---------------------------------------------------------------- the algorithm by hand

# Three points, start w = (0, -1), b = 0.5, rho = 0.5.
HAND_X = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]])
HAND_Y = np.array([1, 1, -1])
HAND_INIT = (np.array([0.0, -1.0]), 0.5)


def test_one_epoch_by_hand_and_boundary_point_counts_as_misclassified():
    # Scores 0.5, -0.5, 1.5; margins y*s = 0.5, -0.5, -1.5  ->  M = {2, 3}.
    # w <- (0, -1) + 0.5 * [(0, 1) + (1, 1)] = (0.5, 0);  b <- 0.5 + 0.5 * (1 - 1) = 0.5
    # renormalize by |w| = 0.5:  w = (1, 0), b = 1.
    # New scores 2, 1, 0: the third point lies exactly on the hyperplane, margin 0 -> still in M (<= 0 rule).
    clf = Perceptron(lr=0.5, max_epochs=1)
    with pytest.warns(ConvergenceWarning, match=r"max_epochs=1 reached; 1 of 3 training points"):
        clf.fit(HAND_X, HAND_Y, init=HAND_INIT)
    assert_allclose(clf.w_, [1.0, 0.0], atol=1e-15)
    assert clf.b_ == pytest.approx(1.0)
    assert clf.history_ == [2, 1]
    assert clf.n_epochs_ == 1
    assert clf.converged_ is False
    assert_allclose(clf.decision_function(HAND_X), [2.0, 1.0, 0.0], atol=1e-15)


def test_second_epoch_by_hand_converges():
    # From w = (1, 0), b = 1, M = {3}: w <- (1, 0) + 0.5 * (1, 1) = (1.5, 0.5), b <- 1 - 0.5 = 0.5,
    # divided by sqrt(2.5). Scores (2, 1, -1.5) / sqrt(2.5): all on their own side -> M empty.
    clf = Perceptron(lr=0.5, max_epochs=10).fit(HAND_X, HAND_Y, init=HAND_INIT)
    norm = np.sqrt(2.5)
    assert_allclose(clf.w_, np.array([1.5, 0.5]) / norm, rtol=1e-14)
    assert clf.b_ == pytest.approx(0.5 / norm, rel=1e-14)
    assert clf.history_ == [2, 1, 0]
    assert clf.n_epochs_ == 2 and clf.converged_ is True
    assert_allclose(clf.decision_function(HAND_X), np.array([2.0, 1.0, -1.5]) / norm, rtol=1e-14)


def test_init_is_scaled_to_a_unit_vector_with_the_bias():
    # w0 = (3, 4), b0 = 10 separates nothing new: it is the state (0.6, 0.8), 2 after scaling.
    X = np.array([[1.0, 1.0], [-5.0, -5.0]])
    clf = Perceptron().fit(X, [1, -1], init=([3.0, 4.0], 10.0))
    assert clf.n_epochs_ == 0 and clf.history_ == [0]
    assert_allclose(clf.w_, [0.6, 0.8])
    assert clf.b_ == pytest.approx(2.0)


def test_zero_initial_weights_still_learn():
    # With the lecture's strict "< 0", w = 0, b = 0 puts every score at 0, M is empty and nothing moves;
    # with "<= 0" every point is in M and the algorithm proceeds.
    X, y = separable_blobs()
    clf = Perceptron(max_epochs=100).fit(X, y, init=(np.zeros(2), 0.0))
    assert clf.history_[0] == len(y)
    assert clf.converged_ and clf.score(X, y) == 1.0


def test_random_init_is_a_unit_normal_draw_from_rng():
    X, y = separable_blobs()
    draw = np.random.default_rng(7)
    w0 = draw.standard_normal(2)
    b0 = draw.standard_normal()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        from_seed = Perceptron(max_epochs=1, rng=7).fit(X, y)
        from_init = Perceptron(max_epochs=1).fit(X, y, init=(w0, b0))
    assert_array_equal(from_seed.w_, from_init.w_)
    assert from_seed.b_ == from_init.b_
    assert from_seed.history_ == from_init.history_


# ---------------------------------------------------------------- behaviour


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_converges_on_separable_data(seed):
    X, y = separable_blobs()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = Perceptron(rng=seed).fit(X, y)
    assert clf.converged_ is True
    assert clf.history_[-1] == 0 and all(m > 0 for m in clf.history_[:-1])
    assert len(clf.history_) == clf.n_epochs_ + 1
    assert_array_equal(clf.predict(X), y)
    assert np.all(y * clf.decision_function(X) > 0)
    assert np.linalg.norm(clf.w_) == pytest.approx(1.0, abs=1e-12)
    assert clf.score(X, y) == 1.0
    assert clf.cycles_detected_ is False


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_xor_does_not_converge_and_cycles(seed):
    clf = Perceptron(max_epochs=1000, rng=seed)
    with pytest.warns(ConvergenceWarning, match=r"did not converge.*still misclassified after \d+ epochs"):
        clf.fit(XOR_X, XOR_Y)
    assert clf.converged_ is False
    assert min(clf.history_) >= 1  # XOR is not linearly separable: never 0 errors
    assert clf.score(XOR_X, XOR_Y) <= 0.75
    # The update is deterministic, so an exactly repeated (w, b) state means a cycle: stopped early.
    assert clf.cycles_detected_ is True and clf.cycle_length_ >= 1
    assert clf.n_epochs_ < 1000


def test_non_convergence_at_max_epochs_reports_epochs_and_errors():
    X, y = separable_blobs()
    y = y.copy()
    y[:3] *= -1  # three flipped labels: not separable
    clf = Perceptron(lr=1e-3, max_epochs=20, rng=0)
    with pytest.warns(ConvergenceWarning) as record:
        clf.fit(X, y)
    message = str(record[0].message)
    assert "max_epochs=20" in message and f"{clf.history_[-1]} of 100 training points" in message
    assert clf.n_epochs_ == 20 and len(clf.history_) == 21
    assert clf.converged_ is False and clf.history_[-1] > 0
    assert issubclass(ConvergenceWarning, UserWarning)


def test_large_rate_cycles_even_on_separable_data_small_rate_converges():
    # The renormalized algorithm with rho = 1 replaces w by the direction of the last sum over M and
    # jumps between two wrong hyperplanes (the lecture's convergence claim needs small steps).
    X, y = three_blobs()
    target = np.where(y == 1, 1, -1)  # class 1 against the rest: linearly separable
    with pytest.warns(ConvergenceWarning, match="cycle of 2 epochs"):
        big = Perceptron(lr=1.0, max_epochs=200, rng=0).fit(X, target)
    assert big.cycles_detected_ and big.cycle_length_ == 2 and big.history_[-1] == 40
    small = Perceptron(lr=0.01, max_epochs=200, rng=0).fit(X, target)
    assert small.converged_ and small.score(X, target) == 1.0


@pytest.mark.parametrize(
    "coding",
    [np.array([-1, 1]), np.array([0, 1]), np.array([0.0, 1.0]), np.array([False, True])],
    ids=["pm1", "01", "01float", "bool"],
)
def test_label_codings_round_trip(coding):
    X, y_pm = separable_blobs()
    y = coding[(y_pm > 0).astype(int)]
    clf = Perceptron(rng=0).fit(X, y)
    pred = clf.predict(X)
    expected = np.array([-1, 1]) if coding[0] == -1 else np.array([0, 1])
    assert_array_equal(clf.classes_, expected)
    assert set(np.unique(pred).tolist()) == set(expected.tolist())
    assert_array_equal(pred, expected[(y_pm > 0).astype(int)])
    assert clf.score(X, y) == 1.0


def test_codings_give_the_same_hyperplane():
    X, y_pm = separable_blobs()
    a = Perceptron(rng=3).fit(X, y_pm)
    b = Perceptron(rng=3).fit(X, (y_pm + 1) // 2)
    assert_array_equal(a.w_, b.w_)
    assert a.b_ == b.b_


def test_same_seed_same_run():
    X, y = separable_blobs(seed=5)
    a, b = Perceptron(lr=0.1, rng=11).fit(X, y), Perceptron(lr=0.1, rng=11).fit(X, y)
    assert_array_equal(a.w_, b.w_)
    assert a.history_ == b.history_


def test_prediction_at_zero_score_is_positive_class():
    clf = Perceptron().fit(np.array([[1.0], [-1.0]]), [1, 0], init=([1.0], 0.0))
    assert_array_equal(clf.predict(np.array([[0.0]])), [1])


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "kwargs, match", [({"lr": 0}, "Invalid lr: 0"), ({"lr": -1.0}, "-1.0"), ({"max_epochs": 0}, "max_epochs: 0")]
)
def test_bad_hyper_parameters_fail_in_init(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Perceptron(**kwargs)


def test_bad_inputs_name_argument_and_value():
    X = np.zeros((3, 2))
    with pytest.raises(ValueError, match=r"y must hold labels .* got values \[0, 1, 2\]"):
        Perceptron().fit(X, [0, 1, 2])
    with pytest.raises(ValueError, match=r"y must have shape \(3,\)"):
        Perceptron().fit(X, [1, -1])
    with pytest.raises(ValueError, match="X must be 2-D"):
        Perceptron().fit(np.zeros(3), [1, -1, 1])
    with pytest.raises(ValueError, match="init w must be .* shape \\(2,\\)"):
        Perceptron().fit(X, [1, -1, 1], init=([1.0], 0.0))
    with pytest.raises(RuntimeError, match="not fitted"):
        Perceptron().predict(X)
    clf = Perceptron().fit(np.array([[1.0, 0.0], [-1.0, 0.0]]), [1, -1])
    with pytest.raises(ValueError, match="X has 3 features per sample, expected 2"):
        clf.predict(np.zeros((1, 3)))


# ---------------------------------------------------------------- one-vs-all


def test_one_vs_all_on_three_blobs():
    X, y = three_blobs()
    ova = OneVsAll(lambda: Perceptron(lr=0.01, max_epochs=200, rng=0)).fit(X, y)
    assert ova.n_classes_ == 3 and len(ova.estimators_) == 3
    assert all(clf.converged_ for clf in ova.estimators_)
    scores = ova.decision_function(X)
    assert scores.shape == (120, 3)
    assert_array_equal(scores[:, 1], ova.estimators_[1].decision_function(X))
    assert_array_equal(ova.predict(X), np.argmax(scores, axis=1))
    assert ova.score(X, y) == 1.0


def test_one_vs_all_trains_class_k_against_the_rest():
    X, y = three_blobs()
    ova = OneVsAll(lambda: Perceptron(lr=0.01, max_epochs=200, rng=0)).fit(X, y)
    for k, clf in enumerate(ova.estimators_):
        assert_array_equal(clf.classes_, [-1, 1])
        assert_array_equal(clf.predict(X), np.where(y == k, 1, -1))


def test_one_vs_all_accepts_one_hot_targets_and_n_classes():
    X, y = three_blobs()
    one_hot = np.eye(4)[y]  # a fourth, empty class
    ova = OneVsAll(lambda: Perceptron(lr=0.01, max_epochs=200, rng=0), n_classes=4).fit(X, one_hot)
    assert ova.decision_function(X).shape == (120, 4)
    assert ova.score(X, y) == 1.0 and ova.score(X, one_hot) == 1.0


class ProbaOnly:
    """A binary classifier with predict_proba only: nearest class mean, soft."""

    classes_ = np.array([-1, 1])

    def fit(self, X, y):
        self.mu = np.stack([X[y == -1].mean(axis=0), X[y == 1].mean(axis=0)])
        return self

    def predict_proba(self, X):
        d = -((X[:, None, :] - self.mu[None]) ** 2).sum(axis=2)
        e = np.exp(d - d.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)


def test_one_vs_all_with_predict_proba_classifiers():
    X, y = three_blobs()
    ova = OneVsAll(ProbaOnly).fit(X, y)
    assert_allclose(ova.decision_function(X)[:, 2], ova.estimators_[2].predict_proba(X)[:, 1])
    assert ova.score(X, y) == 1.0


def test_one_vs_all_validation():
    with pytest.raises(TypeError, match="make_classifier"):
        OneVsAll(Perceptron(rng=0))
    with pytest.raises(ValueError, match="n_classes"):
        OneVsAll(Perceptron, n_classes=0)
    X, y = three_blobs()
    with pytest.raises(ValueError, match="label 2 outside"):
        OneVsAll(Perceptron, n_classes=2).fit(X, y)


def test_one_vs_all_on_digits():
    datasets = pytest.importorskip("sklearn.datasets")
    digits = datasets.load_digits()
    X, y = digits.data / 16.0, digits.target
    order = np.random.default_rng(0).permutation(len(y))
    n_train = int(0.8 * len(y))
    train, test = order[:n_train], order[n_train:]
    # With w kept at unit length, rho * sum over M of y_i x_i is the step relative to w itself:
    # with ~1400 samples of norm ~5, rho must be small (rho = 1 just oscillates).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a few digits are not separable from the rest
        ova = OneVsAll(lambda: Perceptron(lr=1e-4, max_epochs=1000, rng=0)).fit(X[train], y[train])
    # Measured: 98.6% test (98.1% train) for this split and seed.
    assert ova.score(X[test], y[test]) >= 0.95
    assert ova.score(X[train], y[train]) >= 0.95
