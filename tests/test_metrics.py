"""Tests of classification metrics: small cases by hand, random cases against scikit-learn, input checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from mlplab.functional import softmax
from mlplab.metrics import accuracy, confusion_matrix, f1, log_loss, precision_recall

sklearn_metrics = pytest.importorskip("sklearn.metrics")

# Four classes; class 3 is present once but never predicted; nothing is predicted as a class not present.
Y_TRUE = [0, 0, 1, 1, 1, 2, 3, 2]
Y_PRED = [0, 1, 1, 1, 0, 2, 2, 2]


# ---------------------------------------------------------------- by hand


def test_accuracy_by_hand():
    assert accuracy(Y_TRUE, Y_PRED) == 5 / 8
    assert accuracy([2, 1], [2, 1]) == 1.0
    assert accuracy([0], [1]) == 0.0


def test_accuracy_takes_the_argmax_of_a_score_matrix():
    scores = np.array([[2.0, 1.0, 0.0], [0.1, 0.3, 0.2], [-1.0, -3.0, -0.5], [0.0, 5.0, 1.0]])
    # argmax per row: 0, 1, 2, 1
    assert accuracy([0, 1, 2, 2], scores) == 0.75


def test_confusion_matrix_by_hand():
    expected = [
        [1, 1, 0, 0],  # true 0: once right, once predicted 1
        [1, 2, 0, 0],  # true 1
        [0, 0, 2, 0],  # true 2
        [0, 0, 1, 0],  # true 3: predicted 2
    ]
    matrix = confusion_matrix(Y_TRUE, Y_PRED)
    assert matrix.dtype == np.int64 and matrix.shape == (4, 4)
    assert_array_equal(matrix, expected)
    assert matrix.sum() == len(Y_TRUE)


def test_confusion_matrix_is_not_symmetric_rows_are_true():
    assert_array_equal(confusion_matrix([0, 0, 0], [1, 1, 0]), [[1, 2], [0, 0]])


def test_confusion_matrix_with_more_classes_than_seen():
    matrix = confusion_matrix([0, 1], [1, 1], n_classes=4)
    assert_array_equal(matrix, [[0, 1, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]])


def test_confusion_matrix_from_scores_uses_their_width():
    scores = np.array([[0.9, 0.05, 0.05], [0.2, 0.7, 0.1]])
    assert_array_equal(confusion_matrix([0, 0], scores), [[1, 1, 0], [0, 0, 0], [0, 0, 0]])


def test_precision_recall_by_hand_with_a_class_never_predicted():
    precision, recall = precision_recall(Y_TRUE, Y_PRED)
    # columns of the confusion matrix: predicted 0 -> 1 of 2 right, 1 -> 2 of 3, 2 -> 2 of 3, 3 -> never predicted
    assert_allclose(precision, [1 / 2, 2 / 3, 2 / 3, 0.0])
    # rows: true 0 -> 1 of 2, 1 -> 2 of 3, 2 -> 2 of 2, 3 -> 0 of 1
    assert_allclose(recall, [1 / 2, 2 / 3, 1.0, 0.0])
    assert precision.dtype == recall.dtype == np.float64


def test_precision_recall_of_a_class_never_present_is_zero():
    precision, recall = precision_recall([0, 0, 1], [0, 2, 1], n_classes=3)
    assert_allclose(precision, [1.0, 1.0, 0.0])  # class 2 predicted once, wrongly
    assert_allclose(recall, [0.5, 1.0, 0.0])  # class 2 never present: undefined, reported as 0


def test_f1_by_hand():
    assert_allclose(f1(Y_TRUE, Y_PRED), [0.5, 2 / 3, 0.8, 0.0])


def test_log_loss_by_hand():
    probabilities = [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.25, 0.25, 0.5]]
    expected = -(math.log(0.7) + math.log(0.8) + math.log(0.25)) / 3
    assert log_loss([0, 1, 0], probabilities) == pytest.approx(expected, rel=1e-12)


def test_log_loss_clips_a_confident_mistake():
    assert log_loss([0, 1], [[1.0, 0.0], [1.0, 0.0]]) == pytest.approx(-math.log(1e-12) / 2)
    assert log_loss([1], [[1.0, 0.0]], eps=1e-3) == pytest.approx(-math.log(1e-3))
    assert log_loss([0], [[1.0, 0.0]]) == 0.0


def test_log_loss_of_binary_probabilities_as_one_column():
    p = np.array([0.9, 0.2, 0.6])
    y = [1, 0, 0]
    expected = -(math.log(0.9) + math.log(0.8) + math.log(0.4)) / 3
    assert log_loss(y, p) == pytest.approx(expected)
    assert log_loss(y, p[:, None]) == pytest.approx(expected)
    assert log_loss(y, np.stack([1 - p, p], axis=1)) == pytest.approx(expected)


# ---------------------------------------------------------------- against scikit-learn


@pytest.mark.parametrize("seed", range(5))
def test_label_metrics_match_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 7))
    y_true = rng.integers(0, k, size=200)
    y_pred = np.where(rng.random(200) < 0.6, y_true, rng.integers(0, k, size=200))
    y_pred[y_pred == k - 1] = 0  # class k-1 is never predicted: precision undefined
    labels = list(range(k))

    assert accuracy(y_true, y_pred) == pytest.approx(sklearn_metrics.accuracy_score(y_true, y_pred))
    assert_array_equal(
        confusion_matrix(y_true, y_pred, n_classes=k), sklearn_metrics.confusion_matrix(y_true, y_pred, labels=labels)
    )
    p_ref, r_ref, f_ref, _ = sklearn_metrics.precision_recall_fscore_support(
        y_true, y_pred, labels=labels, average=None, zero_division=0
    )
    precision, recall = precision_recall(y_true, y_pred, n_classes=k)
    assert precision[k - 1] == 0.0
    assert_allclose(precision, p_ref, rtol=1e-12)
    assert_allclose(recall, r_ref, rtol=1e-12)
    assert_allclose(f1(y_true, y_pred, n_classes=k), f_ref, rtol=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_log_loss_and_score_accuracy_match_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 7))
    probabilities = softmax(rng.normal(scale=2.0, size=(100, k)), axis=1)
    y_true = rng.integers(0, k, size=100)
    assert log_loss(y_true, probabilities) == pytest.approx(
        sklearn_metrics.log_loss(y_true, probabilities, labels=list(range(k))), rel=1e-10
    )
    assert accuracy(y_true, probabilities) == pytest.approx(
        sklearn_metrics.accuracy_score(y_true, probabilities.argmax(axis=1))
    )


def test_binary_log_loss_matches_scikit_learn():
    rng = np.random.default_rng(0)
    p = rng.uniform(0.01, 0.99, size=50)
    y = rng.integers(0, 2, size=50)
    assert log_loss(y, p) == pytest.approx(sklearn_metrics.log_loss(y, p), rel=1e-10)


# ---------------------------------------------------------------- input checks


@pytest.mark.parametrize(
    ("y_true", "y_pred", "n_classes", "message"),
    [
        ([0, 1, 2], [0, 1], None, "y_true has 3 samples but y_pred has 2"),
        ([0, 1, 3], [0, 1, 2], 3, r"y_true has label 3 outside the valid range \[0, 2\]"),
        ([0, 1, 2], [0, 5, 2], 3, r"y_pred has label 5 outside the valid range \[0, 2\]"),
        ([0, -1, 2], [0, 1, 2], None, "y_true has label -1"),
        ([0, 1.5, 2], [0, 1, 2], None, "y_true must hold integer class labels, got non-integer"),
        ([0, np.nan], [0, 1], None, "y_true must hold integer class labels"),
        (["a", "b"], [0, 1], None, "y_true must hold integer class labels, got dtype <U1"),
        ([[1, 0], [0, 1]], [0, 1], None, r"y_true must be 1-D.*argmax"),
        ([], [], None, "y_true is empty"),
        ([0, 1], np.ones((2, 1)), None, "single score column"),
        ([0, 1], np.ones((2, 3)), 4, "y_pred has 3 score columns but n_classes is 4"),
        ([0, 3], np.ones((2, 3)), None, r"y_true has label 3 outside the valid range \[0, 2\]"),
        ([0, 1], [[0.5, np.inf], [1.0, 0.0]], None, "y_pred contains 1 NaN or infinite"),
        ([0, 1], [0, 1], 0, "Invalid n_classes: 0"),
    ],
)
def test_label_metrics_refuse_bad_input(y_true, y_pred, n_classes, message):
    with pytest.raises(ValueError, match=message):
        confusion_matrix(y_true, y_pred, n_classes=n_classes)


def test_accuracy_refuses_mismatched_lengths():
    with pytest.raises(ValueError, match="y_true has 2 samples but y_pred has 3"):
        accuracy([0, 1], [0, 1, 1])


@pytest.mark.parametrize(
    ("y_true", "probabilities", "kwargs", "message"),
    [
        ([0, 1], [[2.0, -1.0], [0.5, 0.5]], {}, r"must lie in \[0, 1\].*softmax"),
        ([0, 1], [[0.5, 0.2], [0.5, 0.5]], {}, "row 0 sums to 0.7"),
        ([0, 2], [[0.5, 0.5], [0.5, 0.5]], {}, r"y_true has label 2 outside the valid range \[0, 1\]"),
        ([0], [[0.5, 0.5], [0.5, 0.5]], {}, "y_true has 1 samples but probabilities has 2"),
        ([0, 1], [[np.nan, 0.5], [0.5, 0.5]], {}, "NaN"),
        ([0, 1], np.full((2, 2, 1), 0.5), {}, "shape"),
        ([0, 1], [[0.5, 0.5], [0.5, 0.5]], {"eps": 0.0}, "Invalid eps"),
        ([0, 1], [1.2, 0.5], {}, r"must lie in \[0, 1\]"),
    ],
)
def test_log_loss_refuses_bad_input(y_true, probabilities, kwargs, message):
    with pytest.raises(ValueError, match=message):
        log_loss(y_true, probabilities, **kwargs)
