"""Tests of mlplab.functional: activations, their derivatives and the stable softmax tools."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from mlplab import functional as F

# Over/invalid/divide are real numerical failures; underflow of exp(-1000) to 0 is the
# intended, harmless outcome of the stable formulas and is ignored (NumPy's default).
STRICT = dict(over="raise", divide="raise", invalid="raise", under="ignore")


def central_difference(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


# ---------------------------------------------------------------- softmax family


def test_softmax_of_5_3_2_rounds_to_lecture_values():
    p = F.softmax(np.array([5.0, 3.0, 2.0]))
    assert_array_equal(p.round(2), [0.84, 0.11, 0.04])
    assert_allclose(p.sum(), 1.0, rtol=0, atol=1e-15)


def test_softmax_matches_exp_over_sum_exp():
    x = np.array([[0.5, -1.0, 2.0, 0.0], [3.0, 3.0, -2.0, 1.0]])
    expected = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    assert_allclose(F.softmax(x), expected, rtol=1e-14)


def test_softmax_along_axis_zero_columns_sum_to_one():
    x = np.random.default_rng(0).normal(size=(4, 3))
    p = F.softmax(x, axis=0)
    assert_allclose(p.sum(axis=0), np.ones(3), rtol=1e-14)
    assert_allclose(p, np.exp(x) / np.exp(x).sum(axis=0, keepdims=True), rtol=1e-14)


def test_normalize_divides_by_sum():
    assert_allclose(F.normalize(np.array([5.0, 3.0, 2.0])), [0.5, 0.3, 0.2], rtol=1e-15)
    assert_allclose(F.normalize(np.array([[1.0, 3.0], [2.0, 2.0]])), [[0.25, 0.75], [0.5, 0.5]])


@pytest.mark.parametrize(
    "logits, expected",
    [
        ([1000.0, 0.0], [1.0, 0.0]),
        ([0.0, 1000.0], [0.0, 1.0]),
        ([-1000.0, 0.0], [0.0, 1.0]),
        ([1000.0, 1000.0], [0.5, 0.5]),
        ([-1000.0, -1000.0], [0.5, 0.5]),
    ],
)
def test_softmax_is_finite_and_exact_at_extreme_logits(logits, expected):
    with np.errstate(**STRICT):
        p = F.softmax(np.array(logits))
    assert np.all(np.isfinite(p))
    assert_allclose(p, expected, rtol=0, atol=1e-300)


def test_log_softmax_at_extreme_logits():
    with np.errstate(**STRICT):
        out = F.log_softmax(np.array([[1000.0, 0.0], [1000.0, 1000.0], [-1000.0, -1000.0]]))
    assert np.all(np.isfinite(out))
    assert_allclose(out, [[0.0, -1000.0], [-math.log(2), -math.log(2)], [-math.log(2), -math.log(2)]], rtol=1e-15)


def test_log_softmax_equals_log_of_softmax_in_moderate_range():
    x = np.random.default_rng(1).normal(scale=3.0, size=(5, 4))
    assert_allclose(F.log_softmax(x), np.log(F.softmax(x)), rtol=1e-12, atol=1e-14)
    assert_allclose(np.exp(F.log_softmax(x)).sum(axis=1), np.ones(5), rtol=1e-14)


def test_logsumexp_at_extreme_logits():
    with np.errstate(**STRICT):
        assert_allclose(F.logsumexp(np.array([1000.0, 1000.0])), 1000.0 + math.log(2), rtol=1e-15)
        assert_allclose(F.logsumexp(np.array([-1000.0, -1000.0])), -1000.0 + math.log(2), rtol=1e-15)
        assert_allclose(F.logsumexp(np.array([1000.0, 0.0])), 1000.0, rtol=1e-15)


def test_logsumexp_matches_naive_formula_and_keepdims():
    x = np.random.default_rng(2).normal(size=(3, 5))
    naive = np.log(np.exp(x).sum(axis=1))
    out = F.logsumexp(x, axis=1)
    assert out.shape == (3,)
    assert_allclose(out, naive, rtol=1e-14)
    kept = F.logsumexp(x, axis=1, keepdims=True)
    assert kept.shape == (3, 1)
    assert_allclose(kept[:, 0], naive, rtol=1e-14)
    assert_allclose(F.logsumexp(x, axis=0), np.log(np.exp(x).sum(axis=0)), rtol=1e-14)


# ---------------------------------------------------------------- sigmoid and tanh


def test_sigmoid_is_finite_without_warnings_at_plus_minus_1000():
    x = np.array([-1000.0, -700.0, 0.0, 700.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(**STRICT):
            s = F.sigmoid(x)
    assert np.all(np.isfinite(s))
    assert_allclose(s[[0, 2, 4]], [0.0, 0.5, 1.0], rtol=0, atol=1e-300)
    assert s[1] > 0  # exp(-700) is representable: no premature underflow to 0


def test_sigmoid_equals_logistic_formula_in_moderate_range():
    x = np.linspace(-30.0, 30.0, 601)
    assert_allclose(F.sigmoid(x), 1.0 / (1.0 + np.exp(-x)), rtol=1e-14)


def test_sigmoid_symmetry():
    x = np.linspace(-20.0, 20.0, 81)
    assert_allclose(F.sigmoid(x) + F.sigmoid(-x), np.ones_like(x), rtol=1e-15)


def test_sigmoid_derivative_maximum_is_one_quarter_at_zero():
    assert F.sigmoid_derivative(np.array([0.0]))[0] == 0.25
    x = np.linspace(-10.0, 10.0, 2001)  # contains 0 exactly at index 1000
    d = F.sigmoid_derivative(x)
    assert d.max() == 0.25
    assert int(np.argmax(d)) == 1000
    assert np.all(d > 0)


def test_tanh_range_is_open_interval_minus_one_one():
    x = np.linspace(-9.0, 9.0, 1801)
    t = F.tanh(x)
    assert np.all(t > -1.0) and np.all(t < 1.0)
    assert_allclose(t, np.tanh(x))
    big = F.tanh(np.array([-1000.0, 1000.0]))
    assert_array_equal(big, [-1.0, 1.0])  # saturates, never leaves [-1, 1]


def test_tanh_derivative_maximum_is_one_at_zero():
    assert F.tanh_derivative(np.array([0.0]))[0] == 1.0
    d = F.tanh_derivative(np.linspace(-5.0, 5.0, 101))
    assert d.max() == 1.0 and np.all(d > 0)


# ---------------------------------------------------------------- simple activations


def test_identity_step_relu_leaky_relu_values():
    x = np.array([-2.0, -0.5, 0.0, 0.5, 3.0])
    assert_array_equal(F.identity(x), x)
    assert_array_equal(F.step(x), [0.0, 0.0, 1.0, 1.0, 1.0])
    assert_array_equal(F.relu(x), [0.0, 0.0, 0.0, 0.5, 3.0])
    assert_allclose(F.leaky_relu(x), [-0.02, -0.005, 0.0, 0.5, 3.0], rtol=1e-15)
    assert_allclose(F.leaky_relu(x, slope=0.2), [-0.4, -0.1, 0.0, 0.5, 3.0], rtol=1e-15)


def test_relu_and_step_derivative_conventions_at_zero():
    x = np.array([-1.0, 0.0, 1.0])
    assert_array_equal(F.relu_derivative(x), [0.0, 0.0, 1.0])
    assert_array_equal(F.step_derivative(x), [0.0, 0.0, 0.0])
    assert_array_equal(F.leaky_relu_derivative(x, slope=0.1), [0.1, 0.1, 1.0])


# Points chosen away from the kink at 0, where relu/step/leaky_relu are not differentiable.
_X = np.array([-3.1, -1.2, -0.37, 0.23, 0.81, 2.4])


@pytest.mark.parametrize(
    "f, df",
    [
        (F.identity, F.identity_derivative),
        (F.step, F.step_derivative),
        (F.sigmoid, F.sigmoid_derivative),
        (F.tanh, F.tanh_derivative),
        (F.relu, F.relu_derivative),
        (F.leaky_relu, F.leaky_relu_derivative),
        (lambda x: F.leaky_relu(x, slope=0.3), lambda x: F.leaky_relu_derivative(x, slope=0.3)),
    ],
    ids=["identity", "step", "sigmoid", "tanh", "relu", "leaky_relu", "leaky_relu_0.3"],
)
def test_derivative_matches_central_difference(f, df):
    assert_allclose(df(_X), central_difference(f, _X), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize(
    "f",
    [
        F.identity,
        F.identity_derivative,
        F.step,
        F.step_derivative,
        F.sigmoid,
        F.sigmoid_derivative,
        F.tanh,
        F.tanh_derivative,
        F.relu,
        F.relu_derivative,
        F.leaky_relu,
        F.leaky_relu_derivative,
        F.softmax,
        F.log_softmax,
        F.logsumexp,
        F.normalize,
    ],
    ids=lambda f: f.__name__,
)
def test_float32_input_gives_float32_output(f):
    x = np.array([[-1.5, 0.25, 2.0], [0.5, 1.0, 3.0]], dtype=np.float32)
    assert f(x).dtype == np.float32


# ---------------------------------------------------------------- softmax backward


def test_softmax_jvp_equals_explicit_jacobian_product():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 5))
    g = rng.normal(size=(4, 5))
    p = F.softmax(x)
    expected = np.stack([(np.diag(pi) - np.outer(pi, pi)).T @ gi for pi, gi in zip(p, g)])
    assert_allclose(F.softmax_jvp(p, g), expected, rtol=1e-12, atol=1e-15)


def test_softmax_jvp_matches_finite_difference_of_softmax():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(1, 4))
    g = rng.normal(size=(1, 4))
    h = 1e-6
    numeric = np.zeros(4)
    for j in range(4):
        e = np.zeros_like(x)
        e[0, j] = h
        numeric[j] = ((F.softmax(x + e) - F.softmax(x - e)) @ g[0])[0] / (2 * h)
    assert_allclose(F.softmax_jvp(F.softmax(x), g)[0], numeric, rtol=1e-7, atol=1e-10)


def test_softmax_jvp_of_constant_gradient_is_zero():
    p = F.softmax(np.random.default_rng(5).normal(size=(3, 4)))
    assert_allclose(F.softmax_jvp(p, np.full((3, 4), 2.5)), np.zeros((3, 4)), atol=1e-15)
