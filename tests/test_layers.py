"""Tests of every layer in isolation: forward values, backward rules, gradient checks, dtypes and buffers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import mlplab
from mlplab import (
    MSE,
    BatchNorm,
    Dense,
    Dropout,
    Identity,
    LeakyReLU,
    PReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Standardize,
    Step,
    Tanh,
)

TOL = 1e-6  # worst relative error accepted from mlplab.gradcheck in float64


def away_from_zero(shape, seed=0, margin=0.2):
    """Random inputs with |x| >= margin, so kinks at 0 (ReLU, step) are never crossed by a finite difference."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape)
    return np.sign(x) * (margin + np.abs(x))


def make_layer(name, dtype=np.float64, features=4):
    """A fresh layer of each kind, with non-trivial parameters, for ``features`` inputs."""
    rng = np.random.default_rng(7)
    if name == "dense":
        layer = Dense(features, 3, rng=1, dtype=dtype)
        layer.b.value[...] = rng.normal(size=3)
        return layer
    if name == "prelu":
        layer = PReLU(features, dtype=dtype)
        layer.alpha.value[...] = rng.uniform(0.1, 0.5, size=features)
        return layer
    if name == "batchnorm":
        layer = BatchNorm(features, dtype=dtype)
        layer.gamma.value[...] = rng.uniform(0.5, 2.0, size=features)
        layer.beta.value[...] = rng.normal(size=features)
        layer.running_mean[...] = rng.normal(size=features)
        layer.running_var[...] = rng.uniform(0.5, 2.0, size=features)
        return layer
    if name == "dropout":
        return Dropout(0.3, rng=3)
    return {
        "identity": Identity,
        "step": Step,
        "sigmoid": Sigmoid,
        "tanh": Tanh,
        "relu": ReLU,
        "leaky_relu": lambda: LeakyReLU(0.1),
        "softmax": Softmax,
    }[name]()


ALL_LAYERS = [
    "dense",
    "identity",
    "step",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "prelu",
    "softmax",
    "dropout",
    "batchnorm",
]
PARAM_NAMES = {"dense": {"W", "b"}, "prelu": {"alpha"}, "batchnorm": {"gamma", "beta"}}


def check_gradients(layer, x, *, training, seed=11):
    out = layer.forward(x, training=training)
    y = np.random.default_rng(seed).normal(size=out.shape)
    return mlplab.gradcheck(layer, MSE(), x, y, training=training, check_input=True)


# ---------------------------------------------------------------- gradient checks


@pytest.mark.parametrize("name", ALL_LAYERS)
@pytest.mark.parametrize("training", [False, True], ids=["inference", "training"])
def test_gradcheck_every_layer_float64(name, training):
    layer = make_layer(name)
    errors = check_gradients(layer, away_from_zero((6, 4)), training=training)
    assert set(errors) == PARAM_NAMES.get(name, set()) | {"input"}
    for key, err in errors.items():
        assert err < TOL, f"{name} {key}: relative error {err:.2e}"


def test_gradcheck_detects_a_wrong_backward():
    """The check itself must be able to fail: a Tanh with a sigmoid-shaped backward is caught."""

    class BrokenTanh(Tanh):
        def backward(self, grad_out, *, input_grad=True):
            return grad_out * self._y * (1 - self._y)

    errors = check_gradients(BrokenTanh(), away_from_zero((4, 3)), training=False)
    assert errors["input"] > 1e-2


def test_gradcheck_restores_batchnorm_running_statistics():
    layer = make_layer("batchnorm")
    before = {k: v.copy() for k, v in layer.buffers().items()}
    x = away_from_zero((6, 4))
    out = layer.forward(x, training=False)  # inference: leaves running stats alone
    mlplab.gradcheck(layer, MSE(), x, np.zeros_like(out), training=True)
    for key, value in layer.buffers().items():
        assert_array_equal(value, before[key])


# ---------------------------------------------------------------- Dense


def test_dense_forward_by_hand():
    layer = Dense(2, 3, dtype=np.float64)
    layer.W.value[...] = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    layer.b.value[...] = [0.5, -0.5, 1.0]
    out = layer.forward(np.array([[1.0, 1.0], [2.0, -1.0]]))
    assert_allclose(out, [[5.5, 6.5, 10.0], [-1.5, -1.5, 1.0]])


def test_dense_without_bias_has_only_w():
    layer = Dense(3, 2, bias=False, rng=0, dtype=np.float64)
    assert layer.b is None
    assert [n for n, _ in layer.named_parameters()] == ["W"]
    x = np.ones((1, 3))
    assert_allclose(layer.forward(x), x @ layer.W.value)


def test_dense_backward_matches_explicit_numpy():
    rng = np.random.default_rng(0)
    layer = Dense(4, 3, rng=0, dtype=np.float64)
    layer.b.value[...] = rng.normal(size=3)
    x = rng.normal(size=(5, 4))
    g = rng.normal(size=(5, 3))
    out = layer.forward(x, training=True)
    assert_allclose(out, x @ layer.W.value + layer.b.value, rtol=1e-14)
    dx = layer.backward(g)
    assert_allclose(dx, g @ layer.W.value.T, rtol=1e-13)
    assert_allclose(layer.W.grad, x.T @ g, rtol=1e-13)
    assert_allclose(layer.b.grad, g.sum(axis=0), rtol=1e-13)


def test_dense_backward_without_input_grad_returns_none_and_fills_grads():
    rng = np.random.default_rng(1)
    layer = Dense(4, 3, rng=0, dtype=np.float64)
    x, g = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    layer.forward(x)
    assert layer.backward(g, input_grad=False) is None
    assert_allclose(layer.W.grad, x.T @ g, rtol=1e-13)
    assert_allclose(layer.b.grad, g.sum(axis=0), rtol=1e-13)


def test_dense_backward_before_forward_raises():
    with pytest.raises(RuntimeError):
        Dense(2, 2).backward(np.ones((1, 2)))


def test_dense_rejects_wrong_input_shape():
    with pytest.raises(ValueError, match="Dense expects"):
        Dense(3, 2).forward(np.ones((2, 4)))


def test_dense_converts_input_to_its_dtype():
    layer = Dense(3, 2, rng=0, dtype=np.float32)
    out = layer.forward(np.ones((2, 3), dtype=np.float64))
    assert out.dtype == np.float32


def test_dense_same_seed_same_weights():
    assert_array_equal(Dense(5, 4, rng=9).W.value, Dense(5, 4, rng=9).W.value)
    assert not np.array_equal(Dense(5, 4, rng=9).W.value, Dense(5, 4, rng=10).W.value)


# ---------------------------------------------------------------- accumulation and zero_grad


@pytest.mark.parametrize("name", ["dense", "prelu", "batchnorm"])
@pytest.mark.parametrize("training", [False, True], ids=["inference", "training"])
def test_gradients_accumulate_over_two_backward_calls(name, training):
    layer = make_layer(name)
    x = away_from_zero((6, 4), seed=2)
    out = layer.forward(x, training=training)
    g = np.random.default_rng(3).normal(size=out.shape)
    dx1 = layer.backward(g).copy()
    once = {n: p.grad.copy() for n, p in layer.named_parameters()}
    assert all(np.any(v != 0) for v in once.values())
    dx2 = layer.backward(g)
    assert_allclose(dx2, dx1, rtol=1e-14)  # the input gradient is returned, not accumulated
    for n, p in layer.named_parameters():
        assert_allclose(p.grad, 2 * once[n], rtol=1e-13, err_msg=n)


@pytest.mark.parametrize("name", ["dense", "prelu", "batchnorm"])
def test_zero_grad_resets_in_place(name):
    layer = make_layer(name)
    x = away_from_zero((6, 4), seed=4)
    out = layer.forward(x, training=True)
    g = np.random.default_rng(5).normal(size=out.shape)
    layer.backward(g)
    once = {n: p.grad.copy() for n, p in layer.named_parameters()}
    layer.backward(g)
    arrays = {n: p.grad for n, p in layer.named_parameters()}
    layer.zero_grad()
    for n, p in layer.named_parameters():
        assert p.grad is arrays[n], f"{n}.grad was replaced, not reset in place"
        assert_array_equal(p.grad, 0.0)
    layer.backward(g)  # after zero_grad, one backward gives one gradient again
    for n, p in layer.named_parameters():
        assert p.grad is arrays[n]
        assert_allclose(p.grad, once[n], rtol=1e-13, err_msg=n)


# ---------------------------------------------------------------- activations: forward by hand


def test_identity_forward_and_backward():
    x = np.array([[-1.0, 2.0]])
    layer = Identity()
    assert_array_equal(layer.forward(x), x)
    g = np.array([[3.0, -4.0]])
    assert_array_equal(layer.backward(g), g)
    assert layer.parameters() == []


def test_step_forward_by_hand():
    out = Step().forward(np.array([[-1.0, 0.0, 2.0, -0.001]]))
    assert_array_equal(out, [[0.0, 1.0, 1.0, 0.0]])


@pytest.mark.parametrize("training", [False, True])
def test_step_backward_is_all_zeros(training):
    layer = Step()
    x = np.array([[-1.0, 0.0, 2.0], [3.0, -0.5, 0.1]])
    layer.forward(x, training=training)
    dx = layer.backward(np.full((2, 3), 7.0))
    assert dx.shape == (2, 3)
    assert_array_equal(dx, 0.0)


def test_sigmoid_forward_and_backward_by_hand():
    layer = Sigmoid()
    out = layer.forward(np.array([[0.0, math.log(3.0), -math.log(3.0)]]))
    assert_allclose(out, [[0.5, 0.75, 0.25]], rtol=1e-15)
    dx = layer.backward(np.array([[1.0, 2.0, 4.0]]))
    assert_allclose(dx, [[0.25, 2 * 0.1875, 4 * 0.1875]], rtol=1e-14)


def test_tanh_forward_and_backward_by_hand():
    layer = Tanh()
    out = layer.forward(np.array([[0.0, math.log(2.0), -math.log(2.0)]]))  # tanh(ln 2) = 3/5
    assert_allclose(out, [[0.0, 0.6, -0.6]], rtol=1e-14, atol=1e-16)
    dx = layer.backward(np.array([[1.0, 1.0, 2.0]]))
    assert_allclose(dx, [[1.0, 0.64, 1.28]], rtol=1e-14)


@pytest.mark.parametrize("training", [False, True])
def test_relu_forward_and_backward_by_hand(training):
    layer = ReLU()
    out = layer.forward(np.array([[-2.0, 0.0, 3.0]]), training=training)
    assert_array_equal(out, [[0.0, 0.0, 3.0]])
    assert_array_equal(layer.backward(np.array([[5.0, 6.0, 7.0]])), [[0.0, 0.0, 7.0]])


@pytest.mark.parametrize("training", [False, True])
def test_leaky_relu_forward_and_backward_by_hand(training):
    layer = LeakyReLU(0.1)
    out = layer.forward(np.array([[-2.0, 0.0, 3.0]]), training=training)
    assert_allclose(out, [[-0.2, 0.0, 3.0]], rtol=1e-15)
    assert_allclose(layer.backward(np.array([[5.0, 6.0, 7.0]])), [[0.5, 0.6, 7.0]], rtol=1e-15)


def test_leaky_relu_default_slope_and_validation():
    assert LeakyReLU().slope == 0.01
    assert_allclose(LeakyReLU().forward(np.array([[-100.0]])), [[-1.0]])
    with pytest.raises(ValueError):
        LeakyReLU(-0.1)


def test_prelu_initial_slope_is_one_quarter():
    layer = PReLU(3)
    assert layer.alpha.shape == (3,)
    assert layer.alpha.dtype == np.float32
    assert_array_equal(layer.alpha.value, 0.25)
    assert [n for n, _ in layer.named_parameters()] == ["alpha"]
    assert_array_equal(PReLU(2, init=0.1, dtype=np.float64).alpha.value, 0.1)


def test_prelu_forward_by_hand():
    layer = PReLU(2, dtype=np.float64)
    out = layer.forward(np.array([[-4.0, 2.0], [1.0, -8.0]]))
    assert_allclose(out, [[-1.0, 2.0], [1.0, -2.0]])


def test_prelu_alpha_gradient_by_hand():
    layer = PReLU(2, dtype=np.float64)
    layer.alpha.value[...] = [0.5, 0.2]
    x = np.array([[-4.0, 2.0], [1.0, -8.0], [-1.0, -3.0]])
    g = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    layer.forward(x)
    dx = layer.backward(g)
    # dL/dalpha_j = sum_i g_ij x_ij [x_ij <= 0]
    assert_allclose(layer.alpha.grad, [1.0 * -4.0 + 5.0 * -1.0, 4.0 * -8.0 + 6.0 * -3.0])
    assert_allclose(dx, [[0.5, 2.0], [3.0, 0.8], [2.5, 1.2]])


def test_prelu_rejects_wrong_feature_count():
    with pytest.raises(ValueError, match="PReLU expects"):
        PReLU(3).forward(np.ones((2, 4), dtype=np.float32))


def test_softmax_layer_rows_sum_to_one_and_values_by_hand():
    layer = Softmax()
    x = np.array([[0.0, math.log(3.0)], [1000.0, 0.0], [2.0, 2.0]])
    p = layer.forward(x)
    assert_allclose(p, [[0.25, 0.75], [1.0, 0.0], [0.5, 0.5]], rtol=1e-14)
    big = layer.forward(np.random.default_rng(0).normal(scale=5.0, size=(10, 7)))
    assert np.all(big > 0)
    assert_allclose(big.sum(axis=1), np.ones(10), rtol=1e-14)


def test_softmax_layer_backward_is_jacobian_product():
    rng = np.random.default_rng(1)
    x, g = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    layer = Softmax()
    p = layer.forward(x)
    expected = np.stack([(np.diag(pi) - np.outer(pi, pi)) @ gi for pi, gi in zip(p, g)])
    assert_allclose(layer.backward(g), expected, rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------- Dropout

P = 0.3


def test_dropout_mask_values_are_zero_or_inverse_keep_probability():
    layer = Dropout(P, rng=0)
    y = layer.forward(np.ones((200, 50)), training=True)
    scale = 1.0 / (1.0 - P)
    assert np.all((y == 0.0) | (y == scale))
    assert np.any(y == 0.0) and np.any(y == scale)


def test_dropout_fraction_of_zeros_is_close_to_p():
    layer = Dropout(P, rng=1)
    x = np.random.default_rng(2).uniform(1.0, 2.0, size=(500, 400))  # no zeros of its own
    y = layer.forward(x, training=True)
    # 200k Bernoulli(0.3) draws: the fraction has standard deviation ~1e-3.
    assert abs(np.mean(y == 0.0) - P) < 0.005
    # Inverted dropout keeps the expectation: E[y] = x.
    assert_allclose(y.mean(), x.mean(), rtol=0.01)


def test_dropout_kept_units_are_scaled_inputs():
    layer = Dropout(P, rng=3)
    x = away_from_zero((50, 20))
    y = layer.forward(x, training=True)
    kept = y != 0
    assert_allclose(y[kept], x[kept] / (1.0 - P), rtol=1e-15)


@pytest.mark.parametrize("p", [0.0, 0.3, 0.9])
def test_dropout_inference_is_identity(p):
    layer = Dropout(p, rng=4)
    x = away_from_zero((10, 6))
    y = layer.forward(x)
    assert_array_equal(y, x)
    g = np.random.default_rng(5).normal(size=x.shape)
    assert_array_equal(layer.backward(g), g)


def test_dropout_p_zero_is_identity_in_training():
    layer = Dropout(0.0, rng=4)
    x = away_from_zero((10, 6))
    assert_array_equal(layer.forward(x, training=True), x)


def test_dropout_backward_uses_the_forward_mask():
    layer = Dropout(P, rng=6)
    x = away_from_zero((40, 10))
    y = layer.forward(x, training=True).copy()
    g = np.random.default_rng(7).normal(size=x.shape)
    dx = layer.backward(g)
    mask = y / x  # 0 or 1/(1-p), exactly where the forward pass put them
    assert_allclose(dx, g * mask, rtol=1e-15)
    assert_array_equal(dx == 0, y == 0)


def test_dropout_masks_change_between_calls_and_repeat_with_seed():
    x = np.ones((30, 30))
    a = Dropout(0.5, rng=8)
    first = a.forward(x, training=True).copy()
    second = a.forward(x, training=True).copy()
    assert not np.array_equal(first, second)
    b = Dropout(0.5, rng=8)
    assert_array_equal(b.forward(x, training=True), first)


@pytest.mark.parametrize("p", [1.0, -0.1, 1.5, float("nan"), float("inf"), True, "0.5", None])
def test_dropout_rejects_invalid_p(p):
    with pytest.raises(ValueError, match="Invalid p"):
        Dropout(p)


def test_dropout_has_no_parameters():
    assert Dropout(0.2).parameters() == []


# ---------------------------------------------------------------- BatchNorm


def bn_batch(m=64, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(loc=[3.0, -2.0, 0.5], scale=[2.0, 0.5, 5.0], size=(m, 3))


def test_batchnorm_training_output_is_standardized():
    x = bn_batch()
    layer = BatchNorm(3, dtype=np.float64)
    y = layer.forward(x, training=True)
    var = x.var(axis=0)
    assert_allclose(y.mean(axis=0), 0.0, atol=1e-14)
    assert_allclose(y.var(axis=0), var / (var + layer.eps), rtol=1e-12)
    assert_allclose(y.var(axis=0), 1.0, rtol=1e-4)


def test_batchnorm_training_applies_gamma_and_beta():
    x = bn_batch()
    layer = BatchNorm(3, dtype=np.float64)
    layer.gamma.value[...] = [2.0, 3.0, 0.5]
    layer.beta.value[...] = [1.0, -1.0, 0.0]
    y = layer.forward(x, training=True)
    x_hat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + 1e-5)
    assert_allclose(y, x_hat * [2.0, 3.0, 0.5] + [1.0, -1.0, 0.0], rtol=1e-12, atol=1e-13)
    assert_allclose(y.mean(axis=0), [1.0, -1.0, 0.0], atol=1e-13)
    assert_allclose(y.std(axis=0), [2.0, 3.0, 0.5], rtol=1e-4)


def test_batchnorm_running_statistics_use_momentum_and_unbiased_variance():
    layer = BatchNorm(3, momentum=0.2, dtype=np.float64)
    assert_array_equal(layer.running_mean, 0.0)
    assert_array_equal(layer.running_var, 1.0)
    x1, x2 = bn_batch(m=8, seed=1), bn_batch(m=5, seed=2)

    layer.forward(x1, training=True)
    mean1, var1 = x1.mean(axis=0), x1.var(axis=0, ddof=1)
    assert_allclose(layer.running_mean, 0.8 * 0.0 + 0.2 * mean1, rtol=1e-13)
    assert_allclose(layer.running_var, 0.8 * 1.0 + 0.2 * var1, rtol=1e-13)
    # Unbiased (ddof=1), as PyTorch: different from the biased value by the factor m/(m-1).
    assert not np.allclose(layer.running_var, 0.8 + 0.2 * x1.var(axis=0), rtol=1e-6)

    layer.forward(x2, training=True)
    mean2, var2 = x2.mean(axis=0), x2.var(axis=0, ddof=1)
    assert_allclose(layer.running_mean, 0.8 * (0.2 * mean1) + 0.2 * mean2, rtol=1e-13)
    assert_allclose(layer.running_var, 0.8 * (0.8 + 0.2 * var1) + 0.2 * var2, rtol=1e-13)


def test_batchnorm_default_momentum_is_one_tenth():
    layer = BatchNorm(3, dtype=np.float64)
    x = bn_batch(m=10, seed=3)
    layer.forward(x, training=True)
    assert_allclose(layer.running_mean, 0.1 * x.mean(axis=0), rtol=1e-13)
    assert_allclose(layer.running_var, 0.9 + 0.1 * x.var(axis=0, ddof=1), rtol=1e-13)


def test_batchnorm_inference_uses_running_statistics():
    layer = BatchNorm(2, eps=1e-5, dtype=np.float64)
    layer.running_mean[...] = [1.0, -2.0]
    layer.running_var[...] = [4.0, 9.0]
    layer.gamma.value[...] = [2.0, 0.5]
    layer.beta.value[...] = [0.1, 0.2]
    x = np.array([[3.0, 1.0], [1.0, -2.0], [-1.0, 4.0]])
    y = layer.forward(x)
    expected = (x - [1.0, -2.0]) / np.sqrt(np.array([4.0, 9.0]) + 1e-5) * [2.0, 0.5] + [0.1, 0.2]
    assert_allclose(y, expected, rtol=1e-14)
    # Inference changes no running statistic, and each sample is normalized on its own.
    assert_array_equal(layer.running_mean, [1.0, -2.0])
    assert_array_equal(layer.running_var, [4.0, 9.0])
    assert_allclose(layer.forward(x[1:2]), expected[1:2], rtol=1e-14)


def test_batchnorm_inference_backward_by_hand():
    layer = BatchNorm(2, dtype=np.float64)
    layer.running_var[...] = [4.0, 9.0]
    layer.gamma.value[...] = [2.0, 0.5]
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    layer.forward(x)
    g = np.array([[1.0, 1.0], [2.0, -1.0]])
    dx = layer.backward(g)
    assert_allclose(dx, g * np.array([2.0, 0.5]) / np.sqrt(np.array([4.0, 9.0]) + 1e-5), rtol=1e-14)
    x_hat = x / np.sqrt(np.array([4.0, 9.0]) + 1e-5)
    assert_allclose(layer.gamma.grad, (g * x_hat).sum(axis=0), rtol=1e-14)
    assert_allclose(layer.beta.grad, g.sum(axis=0), rtol=1e-14)


def test_batchnorm_batch_of_one_in_training_raises():
    layer = BatchNorm(3)
    with pytest.raises(ValueError, match="more than 1 sample"):
        layer.forward(np.ones((1, 3), dtype=np.float32), training=True)
    # Inference on a single sample is fine.
    assert layer.forward(np.ones((1, 3), dtype=np.float32)).shape == (1, 3)


def test_batchnorm_rejects_wrong_feature_count():
    with pytest.raises(ValueError, match="BatchNorm expects"):
        BatchNorm(3).forward(np.ones((4, 2), dtype=np.float32), training=True)


def test_batchnorm_parameters_buffers_and_validation():
    layer = BatchNorm(4)
    assert [n for n, _ in layer.named_parameters()] == ["gamma", "beta"]
    assert_array_equal(layer.gamma.value, 1.0)
    assert_array_equal(layer.beta.value, 0.0)
    assert set(layer.buffers()) == {"running_mean", "running_var"}
    assert layer.buffers()["running_mean"] is layer.running_mean
    with pytest.raises(ValueError):
        BatchNorm(4, momentum=1.5)
    with pytest.raises(ValueError):
        BatchNorm(4, eps=0.0)
    with pytest.raises(ValueError):
        BatchNorm(0)


# ---------------------------------------------------------------- dtypes


@pytest.mark.parametrize("name", ALL_LAYERS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("training", [False, True], ids=["inference", "training"])
def test_layer_keeps_its_dtype_in_outputs_and_gradients(name, dtype, training):
    layer = make_layer(name, dtype=dtype)
    x = away_from_zero((6, 4), seed=8).astype(dtype)
    out = layer.forward(x, training=training)
    assert out.dtype == dtype
    g = np.random.default_rng(9).normal(size=out.shape).astype(dtype)
    dx = layer.backward(g)
    assert dx.dtype == dtype
    assert dx.shape == x.shape
    for pname, p in layer.named_parameters():
        assert p.value.dtype == dtype, pname
        assert p.grad.dtype == dtype, pname
    for bname, buf in layer.buffers().items():
        assert buf.dtype == dtype, bname


@pytest.mark.parametrize("name", ["dense", "prelu", "batchnorm"])
def test_float32_layer_matches_float64_layer(name):
    x = away_from_zero((6, 4), seed=10)
    l32, l64 = make_layer(name, np.float32), make_layer(name, np.float64)
    for (_, p32), (_, p64) in zip(l32.named_parameters(), l64.named_parameters()):
        p64.value[...] = p32.value  # same (float32-representable) parameters
    y32 = l32.forward(x.astype(np.float32), training=True)
    y64 = l64.forward(x, training=True)
    assert_allclose(y32, y64, rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- in_features and dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    ("make", "width"),
    [
        (lambda dtype: Dense(5, 3, dtype=dtype), 5),
        (lambda dtype: BatchNorm(6, dtype=dtype), 6),
        (lambda dtype: PReLU(7, dtype=dtype), 7),
        (lambda dtype: Standardize(8, dtype=dtype), 8),
    ],
    ids=["dense", "batchnorm", "prelu", "standardize"],
)
def test_layers_with_a_width_report_in_features_and_dtype(make, width, dtype):
    layer = make(dtype)
    assert layer.in_features == width
    assert isinstance(layer.dtype, np.dtype)
    assert layer.dtype == np.dtype(dtype)
    assert layer.forward(np.ones((3, width), dtype=dtype)).dtype == dtype
    with pytest.raises(ValueError, match=f"\\(n, {width}\\)"):
        layer.forward(np.ones((3, width + 1), dtype=dtype))


@pytest.mark.parametrize("name", ["identity", "step", "sigmoid", "tanh", "relu", "leaky_relu", "softmax", "dropout"])
def test_parameter_free_layers_accept_any_width_and_dtype(name):
    layer = make_layer(name)
    assert layer.in_features is None
    assert layer.dtype is None
    for dtype in (np.float32, np.float64):
        for width in (2, 5):
            out = layer.forward(np.ones((3, width), dtype=dtype), training=True)
            assert out.dtype == dtype and out.shape == (3, width)


def test_layer_base_class_knows_neither_width_nor_dtype():
    layer = mlplab.Layer()
    assert layer.in_features is None and layer.dtype is None


def test_dense_dtype_and_width_follow_its_weights():
    layer = Dense(4, 2, dtype=np.float64)
    assert (layer.in_features, layer.out_features) == layer.W.shape == (4, 2)
    assert layer.dtype == layer.W.dtype == layer.b.dtype == np.float64


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_get_activation_builds_prelu_with_width_and_dtype(dtype):
    layer = mlplab.get_activation("prelu", features=6, dtype=dtype)
    assert isinstance(layer, PReLU)
    assert layer.in_features == 6 and layer.dtype == dtype
    assert mlplab.get_activation("relu", features=6, dtype=dtype).dtype is None
    with pytest.raises(ValueError, match="needs the number of features"):
        mlplab.get_activation("prelu")


# ---------------------------------------------------------------- output buffers


@pytest.mark.parametrize("name", ALL_LAYERS)
def test_inference_outputs_are_not_overwritten_by_later_calls(name):
    layer = make_layer(name)
    x1, x2 = away_from_zero((5, 4), seed=12), away_from_zero((5, 4), seed=13)
    y_train = layer.forward(x1, training=True)
    y1 = layer.forward(x1)
    kept = y1.copy()
    y2 = layer.forward(x2)
    layer.forward(x2, training=True)
    assert_array_equal(y1, kept)
    assert not np.shares_memory(y1, y2)
    # An inference output is a new array, never the layer's training buffer (pass-through layers return x).
    assert y1 is x1 or not np.shares_memory(y1, y_train)


def test_dense_training_output_lives_in_a_reused_buffer():
    """Documented contract: training outputs are layer-owned buffers, reused by the next
    training call with the same batch size; copy them to keep them."""
    layer = Dense(4, 3, rng=0, dtype=np.float64)
    x1, x2 = away_from_zero((5, 4), seed=14), away_from_zero((5, 4), seed=15)
    y1 = layer.forward(x1, training=True)
    expected1 = x1 @ layer.W.value + layer.b.value
    kept = y1.copy()
    y2 = layer.forward(x2, training=True)
    assert y2 is y1  # same buffer ...
    assert_allclose(y1, x2 @ layer.W.value + layer.b.value)  # ... now holding the second result
    assert_allclose(kept, expected1)  # the copy kept the first
    y3 = layer.forward(away_from_zero((7, 4), seed=16), training=True)
    assert y3.shape == (7, 3) and y3 is not y1  # another batch size gets its own buffer


def test_dense_inference_output_survives_a_training_call():
    layer = Dense(4, 3, rng=0, dtype=np.float64)
    x = away_from_zero((5, 4), seed=17)
    y = layer.forward(x)
    kept = y.copy()
    layer.forward(2 * x, training=True)
    assert_array_equal(y, kept)


def test_batchnorm_inference_backward_with_a_running_mean():
    layer = BatchNorm(2, dtype=np.float64)
    layer.running_mean[...] = [1.0, -1.0]
    layer.running_var[...] = [4.0, 9.0]
    layer.gamma.value[...] = [2.0, 0.5]
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    layer.forward(x)
    g = np.array([[1.0, 1.0], [2.0, -1.0]])
    layer.backward(g)
    x_hat = (x - [1.0, -1.0]) / np.sqrt(np.array([4.0, 9.0]) + 1e-5)
    assert_allclose(layer.gamma.grad, (g * x_hat).sum(axis=0), rtol=1e-14)


@pytest.mark.parametrize("p", [0.01, 0.5, 0.95])
def test_dropout_fraction_for_odd_sizes_and_extreme_p(p):
    y = Dropout(p, rng=4).forward(np.ones((301, 333), dtype=np.float32), training=True)
    assert y.shape == (301, 333) and y.dtype == np.float32
    assert abs(np.mean(y == 0.0) - p) < 0.005


def test_dropout_with_a_32_bit_generator_keeps_every_column():
    rng = np.random.Generator(np.random.MT19937(0))
    y = Dropout(0.5, rng=rng).forward(np.ones((4000, 6), dtype=np.float32), training=True)
    assert np.all(np.abs((y != 0).mean(axis=0) - 0.5) < 0.05)


def test_batchnorm_inference_stays_precise_in_float32_with_a_large_running_mean():
    layer = BatchNorm(1)
    layer.running_mean[...] = 1e4
    layer.running_var[...] = 1e-4
    x = np.array([[1e4 + 0.01]], dtype=np.float32)
    expected = (np.float64(x[0, 0]) - 1e4) / np.sqrt(1e-4 + 1e-5)
    assert layer.forward(x)[0, 0] == pytest.approx(expected, rel=1e-4)
