"""Tests for mlplab.losses: hand-computed values, gradients against central
differences, numerical stability, input validation and the loss registry."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import mlplab
from mlplab import (
    MAE,
    MSE,
    BinaryCrossEntropy,
    HalfSquaredError,
    Hinge,
    Huber,
    NLLLoss,
    PerceptronCriterion,
    QuadraticCost,
    SoftmaxCrossEntropy,
)
from mlplab import functional as F

ALL_LOSS_CLASSES = [
    MSE,
    HalfSquaredError,
    QuadraticCost,
    MAE,
    Huber,
    BinaryCrossEntropy,
    SoftmaxCrossEntropy,
    NLLLoss,
    Hinge,
    PerceptronCriterion,
]


# ---------------------------------------------------------------- helpers


def numerical_grad(loss, pred, target, eps=1e-6):
    """Central-difference gradient of ``loss.forward(., target)`` at ``pred`` (float64)."""
    x = np.array(pred, dtype=np.float64, copy=True)
    grad = np.zeros_like(x)
    flat, flat_grad = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        saved = flat[i]
        flat[i] = saved + eps
        plus = loss.forward(x, target)
        flat[i] = saved - eps
        minus = loss.forward(x, target)
        flat[i] = saved
        flat_grad[i] = (plus - minus) / (2 * eps)
    return grad


def relative_error(analytic, numeric):
    scale = max(np.abs(analytic).max(), np.abs(numeric).max())
    assert scale > 0, "degenerate check: both gradients are zero"
    return float(np.abs(analytic - numeric).max() / scale)


def stable_softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def one_hot(labels, k):
    out = np.zeros((labels.size, k))
    out[np.arange(labels.size), labels] = 1.0
    return out


# Each case: (loss factory, pred, target), chosen away from the kinks of the loss.
def _gradient_cases():
    rng = np.random.default_rng(1234)
    cases = {}

    target = rng.normal(size=(4, 3))
    cases["mse"] = (MSE, rng.normal(size=(4, 3)), target)
    cases["quadratic"] = (QuadraticCost, rng.normal(size=(4, 3)), target)
    cases["half_squared_error"] = (HalfSquaredError, rng.normal(size=(4, 3)), target)

    # |pred - target| >= 0.1 everywhere: away from MAE's kink at 0.
    offsets = rng.choice([-1.0, 1.0], size=(4, 3)) * rng.uniform(0.1, 1.0, size=(4, 3))
    cases["mae"] = (MAE, target + offsets, target)

    # |d| in [0.1, 0.8] or [1.2, 3]: away from Huber's switch at |d| = delta = 1.
    mags = np.where(rng.random((4, 3)) < 0.5, rng.uniform(0.1, 0.8, (4, 3)), rng.uniform(1.2, 3.0, (4, 3)))
    d = rng.choice([-1.0, 1.0], size=(4, 3)) * mags
    cases["huber"] = (Huber, target + d, target)
    cases["huber_delta2"] = (lambda reduction: Huber(delta=2.0, reduction=reduction), target + 2 * d, target)

    probs = rng.uniform(0.1, 0.9, size=(4, 3))
    cases["bce_probs_soft"] = (BinaryCrossEntropy, probs, rng.uniform(0, 1, size=(4, 3)))
    cases["bce_probs_binary"] = (BinaryCrossEntropy, probs, rng.integers(0, 2, size=(4, 3)).astype(float))
    cases["bce_logits"] = (
        lambda reduction: BinaryCrossEntropy(from_logits=True, reduction=reduction),
        rng.normal(scale=3.0, size=(4, 3)),
        rng.uniform(0, 1, size=(4, 3)),
    )

    logits = rng.normal(size=(5, 4))
    labels = rng.integers(0, 4, size=5)
    cases["softmax_ce_labels"] = (SoftmaxCrossEntropy, logits, labels)
    cases["softmax_ce_rows"] = (SoftmaxCrossEntropy, logits, stable_softmax(rng.normal(size=(5, 4))))
    cases["nll"] = (NLLLoss, F.log_softmax(rng.normal(size=(5, 4))), labels)

    # Hinge: margins 1 - z_y + z_j all at least 0.05 away from 0 (checked below).
    cases["hinge"] = (Hinge, rng.normal(size=(5, 4)), labels)

    scores = rng.choice([-1.0, 1.0], size=(6, 1)) * rng.uniform(0.1, 2.0, size=(6, 1))
    cases["perceptron"] = (PerceptronCriterion, scores, rng.choice([-1.0, 1.0], size=6))
    return cases


GRADIENT_CASES = _gradient_cases()


# ---------------------------------------------------------------- forward values


@pytest.mark.parametrize("reduction, expected", [("mean", (1 + 0 + 0 + 4) / 4), ("sum", 1 + 0 + 0 + 4)])
def test_mse_value(reduction, expected):
    pred = np.array([[1.0, 2.0], [3.0, 4.0]])
    target = np.array([[0.0, 2.0], [3.0, 6.0]])
    assert MSE(reduction=reduction).forward(pred, target) == pytest.approx(expected)


@pytest.mark.parametrize(
    "reduction, expected",
    # squared norms per sample: (1 + 0 + 4) and (1 + 1 + 1); n = 2 samples
    [("mean", ((1 + 0 + 4) + (1 + 1 + 1)) / (2 * 2)), ("sum", ((1 + 0 + 4) + (1 + 1 + 1)) / 2)],
)
def test_quadratic_cost_value(reduction, expected):
    pred = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    target = np.array([[0.0, 2.0, 5.0], [1.0, 1.0, 1.0]])
    assert QuadraticCost(reduction=reduction).forward(pred, target) == pytest.approx(expected)
    # differs from MSE (which divides by all 6 elements)
    assert MSE().forward(pred, target) == pytest.approx(8 / 6)


def test_half_squared_error_is_half_mse_as_in_scikit_learn():
    pred = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    target = np.array([[0.0, 2.0, 5.0], [1.0, 1.0, 1.0]])
    loss = HalfSquaredError()
    assert loss.forward(pred, target) == pytest.approx(8 / 12)  # ((y - p)**2).mean() / 2
    np.testing.assert_allclose(loss.backward(), (pred - target) / 6)


def test_mae_value():
    pred = np.array([[1.0, -2.0], [0.5, 3.0]])
    target = np.array([[0.0, 1.0], [0.5, 1.0]])
    assert MAE().forward(pred, target) == pytest.approx((1 + 3 + 0 + 2) / 4)
    assert MAE(reduction="sum").forward(pred, target) == pytest.approx(1 + 3 + 0 + 2)


def test_huber_value():
    d = np.array([[0.5, -2.0], [3.0, -0.2]])
    pred, target = d + 1.0, np.ones((2, 2))
    # 0.5 d^2 for |d| < 1, else 1 * (|d| - 0.5)
    expected = (0.5 * 0.5**2 + (2.0 - 0.5) + (3.0 - 0.5) + 0.5 * 0.2**2) / 4
    assert Huber().forward(pred, target) == pytest.approx(expected)


def test_huber_delta_value():
    pred, target = np.array([[0.5, -3.0, 1.5]]), np.zeros((1, 3))
    # delta = 2: 0.5 * 0.25, 2 * (3 - 1), 0.5 * 2.25 (|1.5| < 2 is quadratic)
    expected = (0.5 * 0.25 + 2.0 * (3.0 - 0.5 * 2.0) + 0.5 * 1.5**2) / 3
    assert Huber(delta=2.0).forward(pred, target) == pytest.approx(expected)


def test_bce_probabilities_value():
    a, y = np.array([[0.8, 0.3]]), np.array([[1.0, 0.0]])
    expected = -(np.log(0.8) + np.log(1 - 0.3)) / 2
    assert BinaryCrossEntropy().forward(a, y) == pytest.approx(expected, rel=1e-12)


def test_bce_soft_target_value():
    a, y = np.array([[0.6]]), np.array([[0.25]])
    expected = -(0.25 * np.log(0.6) + 0.75 * np.log(0.4))
    assert BinaryCrossEntropy().forward(a, y) == pytest.approx(expected, rel=1e-12)


def test_bce_logits_value():
    z, y = np.array([[2.0, -1.0, 0.0]]), np.array([[1.0, 1.0, 0.0]])
    # -log sigmoid(2) = log(1 + e^-2); -log sigmoid(-1) = log(1 + e^1); -log(1 - sigmoid(0)) = log 2
    expected = (np.log(1 + np.exp(-2.0)) + np.log(1 + np.exp(1.0)) + np.log(2.0)) / 3
    assert BinaryCrossEntropy(from_logits=True).forward(z, y) == pytest.approx(expected, rel=1e-12)


def test_softmax_cross_entropy_value():
    z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    labels = np.array([2, 1])
    e = np.e
    expected = ((np.log(e + e**2 + e**3) - 3.0) + np.log(3.0)) / 2
    assert SoftmaxCrossEntropy().forward(z, labels) == pytest.approx(expected, rel=1e-12)
    assert SoftmaxCrossEntropy(reduction="sum").forward(z, labels) == pytest.approx(2 * expected, rel=1e-12)


def test_softmax_cross_entropy_soft_rows_value():
    z = np.array([[1.0, 2.0, 3.0]])
    y = np.array([[0.2, 0.3, 0.5]])
    log_p = z - np.log(np.exp(z).sum())
    expected = -(0.2 * log_p[0, 0] + 0.3 * log_p[0, 1] + 0.5 * log_p[0, 2])
    assert SoftmaxCrossEntropy().forward(z, y) == pytest.approx(expected, rel=1e-12)


def test_nll_value():
    log_p = np.array([[-0.5, -1.0, -2.0], [-0.1, -3.0, -4.0]])
    assert NLLLoss().forward(log_p, np.array([0, 2])) == pytest.approx((0.5 + 4.0) / 2)
    assert NLLLoss(reduction="sum").forward(log_p, np.array([0, 2])) == pytest.approx(0.5 + 4.0)


def test_hinge_value():
    z = np.array([[1.0, 2.0, 0.5], [3.0, 0.0, 2.5]])
    labels = np.array([0, 0])
    # sample 0: max(0, 1-1+2) + max(0, 1-1+0.5) = 2.5; sample 1: max(0, 1-3+0) + max(0, 1-3+2.5) = 0.5
    k = 3
    expected = (2.5 / k + 0.5 / k) / 2
    assert Hinge().forward(z, labels) == pytest.approx(expected)
    assert Hinge(reduction="sum").forward(z, labels) == pytest.approx(2.5 / k + 0.5 / k)


def test_hinge_margin_value():
    z = np.array([[1.0, 0.0]])
    # margin 2: max(0, 2 - 1 + 0) / 2 classes
    assert Hinge(margin=2.0).forward(z, np.array([0])) == pytest.approx(1.0 / 2)
    assert Hinge().forward(z, np.array([0])) == 0.0


def test_perceptron_value():
    s = np.array([2.0, -1.0, 0.5, -3.0])
    y = np.array([1.0, 1.0, -1.0, -1.0])
    # y*s = [2, -1, -0.5, 3] -> max(0, -y*s) = [0, 1, 0.5, 0]
    assert PerceptronCriterion().forward(s, y) == pytest.approx((0 + 1 + 0.5 + 0) / 4)
    assert PerceptronCriterion(reduction="sum").forward(s, y) == pytest.approx(1.5)


def test_perceptron_column_scores_with_flat_labels():
    s = np.array([[2.0], [-1.0]])
    y = np.array([1.0, 1.0])
    loss = PerceptronCriterion()
    assert loss.forward(s, y) == pytest.approx(0.5)
    grad = loss.backward()
    assert grad.shape == (2, 1)
    assert_array_equal(grad, [[0.0], [-0.5]])


def test_loss_value_is_python_float():
    assert type(MSE().forward(np.ones((2, 2)), np.zeros((2, 2)))) is float
    assert type(SoftmaxCrossEntropy()(np.zeros((2, 3)), np.array([0, 1]))) is float


# ---------------------------------------------------------------- gradients


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("case", sorted(GRADIENT_CASES))
def test_backward_matches_central_difference(case, reduction):
    factory, pred, target = GRADIENT_CASES[case]
    if case == "hinge":
        z, y = pred, target
        margins = 1 - z[np.arange(len(y)), y][:, None] + z
        margins[np.arange(len(y)), y] = 1.0
        assert np.abs(margins).min() > 0.05, "test input sits too close to a hinge kink"
    loss = factory(reduction=reduction)
    loss.forward(pred, target)
    analytic = np.array(loss.backward(), copy=True)
    assert analytic.shape == np.shape(pred)
    assert analytic.dtype == np.float64
    numeric = numerical_grad(loss, pred, target)
    assert relative_error(analytic, numeric) < 1e-6


@pytest.mark.parametrize("case", ["mse", "softmax_ce_labels", "bce_logits", "hinge"])
def test_library_gradcheck_agrees(case):
    factory, pred, target = GRADIENT_CASES[case]
    report = mlplab.gradcheck(mlplab.Identity(), factory(reduction="mean"), pred, target, check_input=True)
    assert report["input"] < 1e-6


@pytest.mark.parametrize("case", sorted(GRADIENT_CASES))
def test_sum_gradient_is_mean_gradient_times_count(case):
    factory, pred, target = GRADIENT_CASES[case]
    mean_loss, sum_loss = factory(reduction="mean"), factory(reduction="sum")
    mean_value, sum_value = mean_loss.forward(pred, target), sum_loss.forward(pred, target)
    assert sum_value != 0 or mean_value == 0
    count = sum_value / mean_value if mean_value else 1.0
    per_element = {
        "mse",
        "half_squared_error",
        "mae",
        "huber",
        "huber_delta2",
        "bce_probs_soft",
        "bce_probs_binary",
        "bce_logits",
    }
    expected_count = np.size(pred) if case in per_element else np.shape(pred)[0]
    assert count == pytest.approx(expected_count)
    assert_allclose(sum_loss.backward(), mean_loss.backward() * expected_count, rtol=1e-12)


def test_mse_gradient_formula():
    pred = np.array([[1.0, 2.0], [3.0, 4.0]])
    target = np.array([[0.0, 2.0], [3.0, 6.0]])
    loss = MSE()
    loss.forward(pred, target)
    assert_allclose(loss.backward(), 2 / 4 * (pred - target))


def test_quadratic_cost_gradient_formula():
    pred = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    target = np.array([[0.0, 2.0, 5.0], [1.0, 1.0, 1.0]])
    loss = QuadraticCost()
    loss.forward(pred, target)
    assert_allclose(loss.backward(), (pred - target) / 2)


def test_mae_gradient_is_zero_where_equal():
    loss = MAE()
    loss.forward(np.array([[1.0, 0.0, -1.0]]), np.array([[0.0, 0.0, 0.0]]))
    assert_array_equal(loss.backward(), [[1 / 3, 0.0, -1 / 3]])


def test_huber_gradient_is_clipped_difference():
    d = np.array([[0.5, -2.0, 3.0, -0.2]])
    loss = Huber()
    loss.forward(d, np.zeros_like(d))
    assert_allclose(loss.backward(), np.clip(d, -1, 1) / 4)


@pytest.mark.parametrize("reduction, scale", [("mean", 1 / 5), ("sum", 1.0)])
def test_softmax_cross_entropy_gradient_is_p_minus_y(reduction, scale):
    rng = np.random.default_rng(7)
    z = rng.normal(scale=2.0, size=(5, 4))
    labels = rng.integers(0, 4, size=5)
    loss = SoftmaxCrossEntropy(reduction=reduction)
    loss.forward(z, labels)
    expected = (stable_softmax(z) - one_hot(labels, 4)) * scale
    assert_allclose(loss.backward(), expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_softmax_cross_entropy_labels_and_one_hot_agree(reduction):
    rng = np.random.default_rng(8)
    z = rng.normal(size=(6, 3))
    labels = rng.integers(0, 3, size=6)
    by_label, by_row = SoftmaxCrossEntropy(reduction=reduction), SoftmaxCrossEntropy(reduction=reduction)
    value_label = by_label.forward(z, labels)
    value_row = by_row.forward(z, one_hot(labels, 3))
    assert value_label == pytest.approx(value_row, rel=1e-12)
    assert_allclose(by_label.backward(), by_row.backward(), rtol=1e-12, atol=1e-15)


def test_softmax_cross_entropy_probability_rows_gradient_is_p_minus_y():
    rng = np.random.default_rng(9)
    z = rng.normal(size=(4, 3))
    y = stable_softmax(rng.normal(size=(4, 3)))
    loss = SoftmaxCrossEntropy()
    loss.forward(z, y)
    assert_allclose(loss.backward(), (stable_softmax(z) - y) / 4, rtol=1e-12, atol=1e-15)


def test_softmax_cross_entropy_unnormalised_rows_are_rejected_or_differentiated_correctly():
    """Rows that do not sum to 1 (accepted by torch) must not give a gradient inconsistent with the loss."""
    z = np.array([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]])
    y = np.array([[0.5, 0.2, 0.1], [0.0, 2.0, 0.0]])
    loss = SoftmaxCrossEntropy()
    try:
        loss.forward(z, y)
    except ValueError as err:
        assert "target" in str(err)
        return
    analytic = np.array(loss.backward(), copy=True)
    assert relative_error(analytic, numerical_grad(loss, z, y)) < 1e-6


def test_integral_float_labels_equal_int_labels():
    z = np.array([[1.0, 2.0, 3.0], [0.0, 0.5, -1.0]])
    loss = SoftmaxCrossEntropy()
    assert loss.forward(z, np.array([2.0, 0.0])) == loss.forward(z, np.array([2, 0]))


def test_nll_gradient_is_minus_one_over_m_at_labels():
    log_p = F.log_softmax(np.array([[1.0, 2.0, 3.0], [0.0, 1.0, 0.0]]))
    loss = NLLLoss()
    loss.forward(log_p, np.array([1, 0]))
    assert_array_equal(loss.backward(), [[0.0, -0.5, 0.0], [-0.5, 0.0, 0.0]])


def test_nll_on_log_softmax_equals_softmax_cross_entropy():
    rng = np.random.default_rng(10)
    z = rng.normal(size=(5, 4))
    labels = rng.integers(0, 4, size=5)
    assert NLLLoss().forward(F.log_softmax(z), labels) == pytest.approx(
        SoftmaxCrossEntropy().forward(z, labels), rel=1e-12
    )


def test_nll_one_hot_rows_equal_labels():
    log_p = F.log_softmax(np.array([[1.0, 2.0, 3.0], [0.0, 1.0, 0.0]]))
    labels = np.array([2, 1])
    a, b = NLLLoss(), NLLLoss()
    assert a.forward(log_p, labels) == b.forward(log_p, one_hot(labels, 3))
    assert_array_equal(a.backward(), b.backward())


def test_hinge_gradient_formula():
    z = np.array([[1.0, 2.0, 0.5], [3.0, 0.0, 2.5]])
    loss = Hinge()
    loss.forward(z, np.array([0, 0]))
    # active margins: sample 0 -> j = 1, 2; sample 1 -> j = 2; each worth 1 / (k m) = 1/6
    expected = np.array([[-2.0, 1.0, 1.0], [-1.0, 0.0, 1.0]]) / 6
    assert_allclose(loss.backward(), expected)


def test_perceptron_gradient_formula():
    s = np.array([2.0, -1.0, 0.5, -3.0])
    y = np.array([1.0, 1.0, -1.0, -1.0])
    loss = PerceptronCriterion()
    loss.forward(s, y)
    # -y_i / n on the misclassified samples (1 and 2), 0 elsewhere
    assert_array_equal(loss.backward(), [0.0, -0.25, 0.25, 0.0])


# ---------------------------------------------------------------- stability


@pytest.mark.parametrize("label, expected", [(0, 0.0), (1, 2000.0)])
def test_softmax_cross_entropy_extreme_logits(label, expected):
    z = np.array([[1000.0, -1000.0]])
    loss = SoftmaxCrossEntropy()
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value = loss.forward(z, np.array([label]))
    assert value == pytest.approx(expected)
    grad = loss.backward()
    assert np.all(np.isfinite(grad))
    assert_allclose(grad, stable_softmax(z) - one_hot(np.array([label]), 2), atol=1e-12)


def test_softmax_cross_entropy_extreme_logits_rows():
    z = np.array([[1000.0, -1000.0], [-1000.0, 1000.0]])
    loss = SoftmaxCrossEntropy(reduction="sum")
    value = loss.forward(z, np.array([[0.0, 1.0], [0.0, 1.0]]))
    assert value == pytest.approx(2000.0)
    assert_allclose(loss.backward(), [[1.0, -1.0], [0.0, 0.0]], atol=1e-12)


@pytest.mark.parametrize("label, expected", [(0, 0.0), (1, 2000.0)])
def test_nll_on_log_softmax_extreme_logits(label, expected):
    log_p = F.log_softmax(np.array([[1000.0, -1000.0]]))
    assert np.all(np.isfinite(log_p))
    loss = NLLLoss()
    assert loss.forward(log_p, np.array([label])) == pytest.approx(expected)
    assert np.all(np.isfinite(loss.backward()))


@pytest.mark.parametrize("target, expected", [([[1.0, 0.0]], 0.0), ([[0.0, 1.0]], (1000.0 + 1000.0) / 2)])
def test_bce_from_logits_extreme_logits(target, expected):
    z = np.array([[1000.0, -1000.0]])
    loss = BinaryCrossEntropy(from_logits=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value = loss.forward(z, np.array(target))
    assert value == pytest.approx(expected)
    grad = loss.backward()
    # sigmoid(z) - y, halved by the mean over 2 elements
    assert_allclose(grad, (np.array([[1.0, 0.0]]) - np.array(target)) / 2, atol=1e-12)


def test_bce_on_saturated_probabilities_is_clamped():
    a = np.array([[0.0, 1.0]])
    loss = BinaryCrossEntropy()
    # wrong with certainty: each log is clamped at -100
    assert loss.forward(a, np.array([[1.0, 0.0]])) == pytest.approx((100.0 + 100.0) / 2)
    assert np.all(np.isfinite(loss.backward()))
    # right with certainty: zero loss, zero gradient
    assert loss.forward(a, np.array([[0.0, 1.0]])) == 0.0
    assert_array_equal(loss.backward(), [[0.0, 0.0]])


def test_bce_clamp_applies_per_element():
    a = np.array([[0.0, 0.5]])
    value = BinaryCrossEntropy(reduction="sum").forward(a, np.array([[1.0, 1.0]]))
    assert value == pytest.approx(100.0 - np.log(0.5))


# ---------------------------------------------------------------- BCE logits vs probabilities


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_bce_from_logits_matches_bce_on_sigmoid(reduction):
    rng = np.random.default_rng(11)
    z = rng.uniform(-4, 4, size=(5, 3))
    y = rng.uniform(0, 1, size=(5, 3))
    a = F.sigmoid(z)
    on_logits = BinaryCrossEntropy(from_logits=True, reduction=reduction)
    on_probs = BinaryCrossEntropy(reduction=reduction)
    assert on_logits.forward(z, y) == pytest.approx(on_probs.forward(a, y), rel=1e-10)
    # chain rule: dL/dz = dL/da * sigma'(z) = dL/da * a (1 - a)
    assert_allclose(on_logits.backward(), on_probs.backward() * a * (1 - a), rtol=1e-9, atol=1e-15)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "loss",
    [MSE(), QuadraticCost(), MAE(), Huber(), BinaryCrossEntropy(), BinaryCrossEntropy(from_logits=True)],
    ids=repr,
)
def test_shape_mismatch_raises(loss):
    with pytest.raises(ValueError, match=r"target has shape \(2, 3\), expected the prediction's shape \(2, 2\)"):
        loss.forward(np.full((2, 2), 0.5), np.full((2, 3), 0.5))


def test_perceptron_shape_mismatch_raises():
    with pytest.raises(ValueError, match=r"target has shape \(3,\)"):
        PerceptronCriterion().forward(np.ones(2), np.ones(3))


@pytest.mark.parametrize("loss", [SoftmaxCrossEntropy(), NLLLoss(), Hinge()], ids=repr)
def test_classification_shape_mismatch_raises(loss):
    with pytest.raises(ValueError, match=r"target has shape \(2, 4\)"):
        loss.forward(np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"target must have shape \(2,\).*got \(3,\)"):
        loss.forward(np.zeros((2, 3)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"pred must be 2-D"):
        loss.forward(np.zeros(3), np.array([0, 1, 2]))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize(
    "loss", [MSE(), QuadraticCost(), MAE(), Huber(), BinaryCrossEntropy(from_logits=True)], ids=repr
)
def test_non_finite_target_raises(loss, bad):
    target = np.array([[0.0, bad], [0.5, 0.5]])
    with pytest.raises(ValueError, match=r"target contains 1 NaN or infinite value\(s\); first at index \(0, 1\)"):
        loss.forward(np.full((2, 2), 0.5), target)


def test_nan_target_rows_raise_for_softmax_cross_entropy():
    with pytest.raises(ValueError, match=r"target contains 1 NaN or infinite"):
        SoftmaxCrossEntropy().forward(np.zeros((2, 2)), np.array([[1.0, 0.0], [np.nan, 1.0]]))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("loss", [SoftmaxCrossEntropy(), NLLLoss(), Hinge()], ids=repr)
def test_non_finite_labels_raise(loss, bad):
    with pytest.raises(ValueError, match=r"target must hold integer class labels"):
        loss.forward(np.zeros((2, 3)), np.array([0.0, bad]))


@pytest.mark.parametrize("labels, bad", [([0, 3], 3), ([-1, 0], -1), ([5, 0], 5)])
@pytest.mark.parametrize("loss", [SoftmaxCrossEntropy(), NLLLoss(), Hinge()], ids=repr)
def test_labels_out_of_range_raise(loss, labels, bad):
    with pytest.raises(ValueError, match=rf"target has label {bad} outside the valid range \[0, 2\]"):
        loss.forward(np.zeros((2, 3)), np.array(labels))


@pytest.mark.parametrize("loss", [SoftmaxCrossEntropy(), NLLLoss(), Hinge()], ids=repr)
def test_non_integer_float_labels_raise(loss):
    with pytest.raises(ValueError, match=r"target must hold integer class labels, got dtype float64"):
        loss.forward(np.zeros((2, 3)), np.array([0.5, 1.0]))


def test_negative_target_rows_raise():
    with pytest.raises(ValueError, match=r"target rows must be probabilities"):
        SoftmaxCrossEntropy().forward(np.zeros((1, 2)), np.array([[1.5, -0.5]]))


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("bad", [1.5, -0.5])
def test_bce_target_outside_unit_interval_raises(from_logits, bad):
    with pytest.raises(ValueError, match=rf"target of binary cross-entropy must lie in \[0, 1\].*{bad}"):
        BinaryCrossEntropy(from_logits=from_logits).forward(np.array([[0.5, 0.5]]), np.array([[bad, 0.0]]))


@pytest.mark.parametrize("bad", [1.2, -0.1])
def test_bce_probabilities_outside_unit_interval_raise(bad):
    pred = np.array([[bad, 0.5]])
    with pytest.raises(ValueError, match=rf"pred of binary cross-entropy must be probabilities.*{bad}.*from_logits"):
        BinaryCrossEntropy().forward(pred, np.array([[1.0, 0.0]]))
    # the same numbers are fine as logits
    assert np.isfinite(BinaryCrossEntropy(from_logits=True).forward(pred, np.array([[1.0, 0.0]])))


@pytest.mark.parametrize("labels", [[0.0, 1.0], [1.0, 2.0], [1.0, -0.5]])
def test_perceptron_labels_must_be_plus_minus_one(labels):
    with pytest.raises(ValueError, match=r"target of the perceptron criterion must hold labels -1 and \+1"):
        PerceptronCriterion().forward(np.array([0.5, -0.5]), np.array(labels))


def test_perceptron_rejects_multi_column_scores():
    with pytest.raises(ValueError, match=r"one score per sample, got shape \(2, 2\)"):
        PerceptronCriterion().forward(np.zeros((2, 2)), np.ones((2, 2)))


@pytest.mark.parametrize("cls", ALL_LOSS_CLASSES)
def test_unknown_reduction_raises(cls):
    with pytest.raises(ValueError, match=r"Invalid reduction: 'avg' \(valid: mean, sum\)"):
        cls(reduction="avg")


@pytest.mark.parametrize("cls, arg", [(Huber, "delta"), (Hinge, "margin")])
@pytest.mark.parametrize("value", [0.0, -1.0, float("nan")])
def test_non_positive_parameters_raise(cls, arg, value):
    with pytest.raises(ValueError, match=rf"Invalid {arg}"):
        cls(**{arg: value})


def test_empty_prediction_raises():
    with pytest.raises(ValueError, match=r"pred must be a non-empty array"):
        MSE().forward(np.zeros((0, 2)), np.zeros((0, 2)))


# ---------------------------------------------------------------- non-finite predictions


def _valid_pair(loss_cls):
    """A prediction and a target the loss accepts, 3 samples: scores, labels or values by the loss's kind."""
    if loss_cls is PerceptronCriterion:
        return np.array([[0.5], [-0.25], [2.0]]), np.array([1.0, -1.0, -1.0])
    if loss_cls in (SoftmaxCrossEntropy, NLLLoss, Hinge):
        return np.array([[0.5, -1.0, 0.25], [2.0, 0.0, -0.5], [-0.3, 0.7, 0.1]]), np.array([0, 2, 1])
    if loss_cls is BinaryCrossEntropy:
        return np.array([[0.2, 0.9], [0.6, 0.4], [0.5, 0.1]]), np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return np.array([[0.5, -1.0], [2.0, 0.0], [-0.3, 0.7]]), np.array([[0.0, 1.0], [1.0, 1.0], [0.0, 0.0]])


def test_every_registered_loss_is_covered_by_the_non_finite_tests():
    assert {type(mlplab.LOSSES.create(name)) for name in mlplab.LOSSES} <= set(ALL_LOSS_CLASSES)


@pytest.mark.parametrize("cls", ALL_LOSS_CLASSES)
@pytest.mark.parametrize("where", [(0, 0), (1, -1), (2, 0)])  # each sample, its label's score and another's
def test_a_nan_prediction_gives_a_nan_loss(cls, where):
    pred, target = _valid_pair(cls)
    assert np.isfinite(cls().forward(pred, target))
    pred[where] = np.nan
    with np.errstate(invalid="ignore"):
        assert np.isnan(cls().forward(pred, target))
        assert np.isnan(cls(reduction="sum").forward(pred, target))


@pytest.mark.parametrize("cls", [c for c in ALL_LOSS_CLASSES if c is not BinaryCrossEntropy])  # takes probabilities
@pytest.mark.parametrize("bad", [np.inf, -np.inf])
@pytest.mark.parametrize("where", [(0, 0), (1, -1), (2, 0)])
def test_an_infinite_prediction_never_gives_a_finite_loss(cls, bad, where):
    pred, target = _valid_pair(cls)
    pred[where] = bad
    if cls is SoftmaxCrossEntropy and bad < 0 and where[1] % pred.shape[1] != target[where[0]]:
        pytest.skip("a logit of -inf off the label is a probability of 0: the loss is finite, and exact")
    with np.errstate(invalid="ignore", over="ignore"):
        assert not np.isfinite(cls().forward(pred, target))


@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_an_infinite_logit_never_gives_a_finite_binary_cross_entropy(bad):
    pred, target = _valid_pair(BinaryCrossEntropy)
    pred[1, 0] = bad
    with np.errstate(invalid="ignore", over="ignore"):
        assert not np.isfinite(BinaryCrossEntropy(from_logits=True).forward(pred, target))
    with pytest.raises(ValueError, match="pred of binary cross-entropy must be probabilities"):
        BinaryCrossEntropy().forward(pred, target)


def test_softmax_cross_entropy_rows_of_overflowing_logits_are_not_nan():
    z = np.array([[1e308, -1e308]])  # shifted, the second logit overflows to -inf, where the row holds 0
    with np.errstate(over="ignore"):
        assert SoftmaxCrossEntropy().forward(z, np.array([[1.0, 0.0]])) == 0.0
        assert SoftmaxCrossEntropy().forward(z, np.array([[0.0, 1.0]])) == np.inf
        assert SoftmaxCrossEntropy().forward(np.array([[0.0, -np.inf]]), np.array([[0.5, 0.5]])) == np.inf


@pytest.mark.parametrize("dtype", [np.complex128, object, "U3"])
def test_predictions_of_a_non_real_dtype_raise(dtype):
    with pytest.raises(ValueError, match=r"pred must hold real numbers, got dtype"):
        MSE().forward(np.ones((2, 2)).astype(dtype), np.ones((2, 2)))


# ---------------------------------------------------------------- backward before forward


@pytest.mark.parametrize("cls", ALL_LOSS_CLASSES)
def test_backward_before_forward_raises(cls):
    with pytest.raises(RuntimeError, match=rf"{cls.__name__}\.backward called before forward"):
        cls().backward()


# ---------------------------------------------------------------- contract attributes

CLASSIFIES = {
    MSE: False,
    HalfSquaredError: False,
    QuadraticCost: False,
    MAE: False,
    Huber: False,
    BinaryCrossEntropy: True,
    SoftmaxCrossEntropy: True,
    NLLLoss: True,
    Hinge: True,
    PerceptronCriterion: True,
}


@pytest.mark.parametrize("cls", ALL_LOSS_CLASSES)
def test_each_loss_says_whether_it_classifies(cls):
    assert cls.classifies is CLASSIFIES[cls]
    assert cls().classifies is CLASSIFIES[cls]


def test_base_loss_and_a_subclass_that_says_nothing_do_not_classify():
    class Custom(mlplab.Loss):
        pass

    assert mlplab.Loss.classifies is False and Custom().classifies is False


@pytest.mark.parametrize("cls", ALL_LOSS_CLASSES)
def test_from_logits_is_true_except_for_binary_cross_entropy_on_probabilities(cls):
    assert cls().from_logits is (cls is not BinaryCrossEntropy)
    assert mlplab.Loss().from_logits is True


@pytest.mark.parametrize("from_logits", [False, True])
def test_binary_cross_entropy_from_logits_is_the_constructor_argument(from_logits):
    loss = BinaryCrossEntropy(from_logits=from_logits)
    assert loss.from_logits is from_logits
    assert loss.classifies is True


# ---------------------------------------------------------------- registry


def test_every_registered_name_resolves_to_a_loss():
    names = mlplab.LOSSES.names()
    assert len(names) >= 9
    for name in names:
        loss = mlplab.get_loss(name)
        assert isinstance(loss, mlplab.Loss), name
    classes = {type(mlplab.get_loss(name)) for name in names}
    assert classes == set(ALL_LOSS_CLASSES)


@pytest.mark.parametrize(
    "name, cls",
    [
        ("cross_entropy", SoftmaxCrossEntropy),
        ("softmax_cross_entropy", SoftmaxCrossEntropy),
        ("mse", MSE),
        ("quadratic", QuadraticCost),
        ("l1", MAE),
        ("huber", Huber),
        ("bce", BinaryCrossEntropy),
        ("nll", NLLLoss),
        ("hinge", Hinge),
        ("perceptron", PerceptronCriterion),
        ("Cross-Entropy", SoftmaxCrossEntropy),
    ],
)
def test_get_loss_by_name(name, cls):
    assert type(mlplab.get_loss(name)) is cls


def test_unknown_loss_name_lists_valid_names():
    with pytest.raises(ValueError, match=r"unknown loss 'nope'; valid names: .*cross_entropy.*mse") as info:
        mlplab.get_loss("nope")
    assert isinstance(info.value, mlplab.UnknownNameError)
    for name in mlplab.LOSSES.names():
        assert name in str(info.value)


def test_get_loss_passes_kwargs():
    loss = mlplab.get_loss("huber", delta=2.0)
    assert isinstance(loss, Huber)
    assert loss.delta == 2.0
    # |d| = 1.5 < delta = 2 is in the quadratic region: 0.5 * 1.5^2
    assert loss.forward(np.array([[1.5]]), np.array([[0.0]])) == pytest.approx(0.5 * 1.5**2)
    bce = mlplab.get_loss("bce", from_logits=True, reduction="sum")
    assert bce.from_logits is True and bce.reduction == "sum"


def test_get_loss_returns_instance_unchanged():
    loss = Hinge(margin=0.5)
    assert mlplab.get_loss(loss) is loss


# ---------------------------------------------------------------- dtypes


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("case", sorted(GRADIENT_CASES))
def test_float32_predictions_give_float32_gradients(case, reduction):
    factory, pred, target = GRADIENT_CASES[case]
    pred32 = np.asarray(pred, dtype=np.float32)
    loss32, loss64 = factory(reduction=reduction), factory(reduction=reduction)
    value32 = loss32.forward(pred32, target)
    value64 = loss64.forward(pred32.astype(np.float64), target)
    grad = loss32.backward()
    assert grad.dtype == np.float32
    assert grad.shape == pred32.shape
    assert value32 == pytest.approx(value64, rel=1e-5, abs=1e-6)
    assert_allclose(grad, loss64.backward(), rtol=1e-4, atol=1e-6)


def test_integer_predictions_are_promoted_to_float64():
    loss = MSE()
    assert loss.forward(np.array([[1, 2]]), np.array([[0, 0]])) == pytest.approx((1 + 4) / 2)
    assert loss.backward().dtype == np.float64


@pytest.mark.parametrize("loss_cls", [mlplab.NLLLoss, mlplab.Hinge])
def test_soft_rows_are_refused_where_only_one_hot_is_defined(loss_cls):
    pred = np.zeros((2, 3))
    with pytest.raises(ValueError, match="target rows must be one-hot"):
        loss_cls().forward(pred, np.array([[0.5, 0.5, 0.0], [0.0, 1.0, 0.0]]))
