"""Tests of Sequential and MLP: layer order, parameter names, summary, options, gradient checks, seeding, XOR."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import mlplab
from mlplab import (
    ACTIVATIONS,
    MLP,
    MSE,
    BatchNorm,
    Dense,
    Dropout,
    Layer,
    PReLU,
    ReLU,
    Sequential,
    Sigmoid,
    SoftmaxCrossEntropy,
    Standardize,
    Step,
    Tanh,
)
from mlplab.initializers import glorot_normal, he_normal

TOL = 1e-6


def away_from_zero(shape, seed=0, margin=0.2):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape)
    return np.sign(x) * (margin + np.abs(x))


class Recorder(Layer):
    """y = a x + c, logging every call so the order of forward and backward passes is visible."""

    def __init__(self, tag, log, a, c):
        self.tag, self.log, self.a, self.c = tag, log, a, c

    def forward(self, x, *, training=False):
        self.log.append(("forward", self.tag, training))
        return self.a * x + self.c

    def backward(self, grad_out, *, input_grad=True):
        self.log.append(("backward", self.tag, input_grad))
        return self.a * grad_out


# ---------------------------------------------------------------- Sequential


def test_sequential_runs_forward_in_order_and_backward_in_reverse():
    log = []
    seq = Sequential([Recorder(0, log, 2.0, 1.0), Recorder(1, log, 3.0, -1.0), Recorder(2, log, 0.5, 4.0)])
    out = seq.forward(np.array([[1.0, 2.0]]), training=True)
    # ((x*2 + 1)*3 - 1)*0.5 + 4: any other order gives other numbers.
    assert_allclose(out, [[8.0, 11.0]])
    assert log == [("forward", 0, True), ("forward", 1, True), ("forward", 2, True)]
    log.clear()
    grad = seq.backward(np.array([[1.0, 1.0]]))
    assert_allclose(grad, [[3.0, 3.0]])
    assert log == [("backward", 2, True), ("backward", 1, True), ("backward", 0, True)]


def test_sequential_backward_without_input_grad_only_spares_the_first_layer():
    log = []
    seq = Sequential([Recorder(i, log, 1.0, 0.0) for i in range(3)])
    seq.forward(np.ones((1, 2)))
    log.clear()
    seq.backward(np.ones((1, 2)), input_grad=False)
    assert log == [("backward", 2, True), ("backward", 1, True), ("backward", 0, False)]


def test_sequential_matches_manual_composition():
    rng = np.random.default_rng(0)
    d1, act, d2 = Dense(3, 4, rng=1, dtype=np.float64), Tanh(), Dense(4, 2, rng=2, dtype=np.float64)
    seq = Sequential([d1, act, d2])
    x = rng.normal(size=(5, 3))
    out = seq.forward(x)
    h = np.tanh(x @ d1.W.value + d1.b.value)
    assert_allclose(out, h @ d2.W.value + d2.b.value, rtol=1e-14)
    g = rng.normal(size=(5, 2))
    dx = seq.backward(g)
    dh = g @ d2.W.value.T
    assert_allclose(d2.W.grad, h.T @ g, rtol=1e-13)
    assert_allclose(d1.W.grad, x.T @ (dh * (1 - h**2)), rtol=1e-13)
    assert_allclose(dx, (dh * (1 - h**2)) @ d1.W.value.T, rtol=1e-13)


def test_sequential_rejects_non_layers():
    with pytest.raises(TypeError, match=r"layers\[1\]"):
        Sequential([Dense(2, 2), np.tanh])


def test_sequential_indexing_and_length():
    layers = [Dense(2, 3), ReLU(), Dense(3, 1)]
    seq = Sequential(layers)
    assert len(seq) == 3
    assert seq[0] is layers[0] and seq[2] is layers[2]


def test_sequential_validates_its_input():
    model = MLP([3, 4, 2], rng=0)
    with pytest.raises(ValueError, match="features"):
        model.forward(np.ones((2, 5)))
    with pytest.raises(ValueError, match="NaN or infinite"):
        model.forward(np.array([[1.0, np.nan, 0.0]]))
    with pytest.raises(ValueError, match="2-D"):
        model.forward(np.ones(3))


def test_sequential_named_parameters_use_layer_index():
    seq = Sequential([Dense(3, 4), ReLU(), Dense(4, 2, bias=False)])
    names = [n for n, _ in seq.named_parameters()]
    assert names == ["0.W", "0.b", "2.W"]
    assert seq.parameters() == [seq[0].W, seq[0].b, seq[2].W]


def test_sequential_summary_by_hand():
    seq = Sequential([Dense(3, 4), ReLU(), Dense(4, 2)])
    text = seq.summary()
    assert "(n, 4)" in text and "(n, 2)" in text
    assert f"total parameters: {3 * 4 + 4 + 4 * 2 + 2:,}" in text


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sequential_in_features_come_from_the_first_layer_that_requires_a_width(dtype):
    seq = Sequential([Dropout(0.2), Tanh(), Dense(6, 3, dtype=dtype), ReLU(), Dense(3, 2, dtype=dtype)])
    assert seq.in_features == 6
    assert isinstance(seq.dtype, np.dtype) and seq.dtype == np.dtype(dtype)
    nested = Sequential([Sequential([PReLU(5, dtype=dtype), Dense(5, 2, dtype=dtype)]), Tanh()])
    assert nested.in_features == 5 and nested.dtype == np.dtype(dtype)
    with pytest.raises(ValueError, match="expected 6"):
        seq.forward(np.ones((2, 5)))
    other = np.float32 if dtype == np.float64 else np.float64
    assert seq.forward(np.ones((2, 6), dtype=other)).dtype == dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sequential_without_parameters_takes_its_dtype_from_its_buffers(dtype):
    seq = Sequential([Standardize(4, dtype=dtype), Tanh()])
    assert seq.parameters() == []
    assert seq.in_features == 4 and seq.dtype == np.dtype(dtype)
    assert seq.summary().endswith(f"total parameters: 0 ({np.dtype(dtype).name})")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sequential_of_parameter_free_layers_accepts_any_width_and_float_dtype(dtype):
    seq = Sequential([Tanh(), ReLU()])
    assert seq.in_features is None and seq.dtype is None
    for width in (2, 7):
        assert seq.forward(np.ones((3, width), dtype=dtype)).dtype == dtype
    assert seq.summary().endswith("total parameters: 0")


def test_sequential_backward_refuses_a_layer_that_returns_no_input_gradient():
    class NoInputGradient(Layer):
        def forward(self, x, *, training=False):
            return x

        def backward(self, grad_out, *, input_grad=True):
            return None

    seq = Sequential([Tanh(), NoInputGradient()])
    seq.forward(np.ones((2, 3)), training=True)
    with pytest.raises(RuntimeError, match=r"layers\[1\]\.backward returned None"):
        seq.backward(np.ones((2, 3)))


# ---------------------------------------------------------------- MLP structure


def test_mlp_named_parameters():
    model = MLP([4, 5, 3, 2], rng=0)
    assert [n for n, _ in model.named_parameters()] == ["0.W", "0.b", "2.W", "2.b", "4.W", "4.b"]
    shapes = [p.shape for p in model.parameters()]
    assert shapes == [(4, 5), (5,), (5, 3), (3,), (3, 2), (2,)]
    assert all(p is q for (_, p), q in zip(model.named_parameters(), model.parameters()))


def test_mlp_named_parameters_with_batch_norm_and_prelu():
    model = MLP([4, 5, 2], activation="prelu", batch_norm=True, rng=0)
    names = [n for n, _ in model.named_parameters()]
    assert names == ["0.W", "0.b", "1.gamma", "1.beta", "2.alpha", "3.W", "3.b"]
    assert model[2].alpha.shape == (5,)
    assert set(model.buffers()) == {"1.running_mean", "1.running_var"}


def test_mlp_summary_contains_shapes_and_total_count():
    text = MLP([784, 256, 10], rng=0).summary()
    total = 784 * 256 + 256 + 256 * 10 + 10
    assert total == 203_530
    assert f"total parameters: {total:,}" in text
    assert "(n, 256)" in text and "(n, 10)" in text
    assert f"{784 * 256 + 256:,}" in text and f"{256 * 10 + 10:,}" in text
    assert "float32" in text


def test_mlp_summary_counts_batch_norm_and_prelu_parameters():
    model = MLP([4, 5, 3], activation="prelu", batch_norm=True, dropout=0.5, rng=0, dtype=np.float64)
    total = (4 * 5 + 5) + (5 + 5) + 5 + (5 * 3 + 3)
    assert sum(p.size for p in model.parameters()) == total
    text = model.summary()
    assert f"total parameters: {total:,}" in text
    assert "float64" in text


def test_mlp_default_layers():
    model = MLP([3, 4, 2], rng=0)
    assert [type(layer) for layer in model.layers] == [Dense, ReLU, Dense]  # identity output adds no layer
    assert model[0].in_features == 3 and model[0].out_features == 4
    assert model[2].in_features == 4 and model[2].out_features == 2


def test_mlp_per_layer_activation_list():
    model = MLP([2, 3, 4, 5, 1], activation=["tanh", "relu", "sigmoid"], output_activation="sigmoid", rng=0)
    assert [type(layer) for layer in model.layers] == [Dense, Tanh, Dense, ReLU, Dense, Sigmoid, Dense, Sigmoid]


def test_mlp_activation_list_must_match_hidden_layers():
    with pytest.raises(ValueError, match="2 names for 1 hidden"):
        MLP([2, 3, 1], activation=["tanh", "relu"])


def test_mlp_dropout_inserts_dropout_after_each_hidden_activation():
    model = MLP([2, 3, 4, 1], activation="tanh", dropout=0.25, rng=0)
    assert [type(layer) for layer in model.layers] == [Dense, Tanh, Dropout, Dense, Tanh, Dropout, Dense]
    assert all(layer.p == 0.25 for layer in model.layers if isinstance(layer, Dropout))


def test_mlp_batch_norm_inserts_batch_norm_before_each_hidden_activation():
    model = MLP([2, 3, 4, 1], activation="relu", batch_norm=True, rng=0)
    assert [type(layer) for layer in model.layers] == [Dense, BatchNorm, ReLU, Dense, BatchNorm, ReLU, Dense]
    assert [layer.features for layer in model.layers if isinstance(layer, BatchNorm)] == [3, 4]


def test_mlp_batch_norm_and_dropout_together():
    model = MLP([2, 3, 1], activation="relu", batch_norm=True, dropout=0.1, rng=0)
    assert [type(layer) for layer in model.layers] == [Dense, BatchNorm, ReLU, Dropout, Dense]


def test_mlp_init_auto_picks_he_for_relu_family_and_glorot_otherwise():
    relu = MLP([3, 4, 2], activation="relu", rng=0)
    assert relu[0].init == "he_normal"
    assert relu[2].init == "glorot_normal"  # identity output
    for name in ("leaky_relu", "prelu"):
        assert MLP([3, 4, 2], activation=name, rng=0)[0].init == "he_normal", name
    for name in ("tanh", "sigmoid", "identity"):
        assert MLP([3, 4, 2], activation=name, rng=0)[0].init == "glorot_normal", name
    mixed = MLP([3, 4, 5, 2], activation=["tanh", "relu"], rng=0)
    assert [layer.init for layer in mixed.layers if isinstance(layer, Dense)] == [
        "glorot_normal",
        "he_normal",
        "glorot_normal",
    ]


def test_mlp_init_auto_draws_the_same_numbers_as_the_initializer():
    seed = 21
    relu = MLP([30, 20, 2], activation="relu", rng=seed)
    assert_array_equal(relu[0].W.value, he_normal((30, 20), np.random.default_rng(seed), np.float32))
    tanh = MLP([30, 20, 2], activation="tanh", rng=seed)
    assert_array_equal(tanh[0].W.value, glorot_normal((30, 20), np.random.default_rng(seed), np.float32))


def test_mlp_explicit_init_and_no_bias():
    model = MLP([3, 4, 2], init="zeros", bias=False, rng=0)
    assert [n for n, _ in model.named_parameters()] == ["0.W", "2.W"]
    assert all(layer.init == "zeros" for layer in model.layers if isinstance(layer, Dense))
    for p in model.parameters():
        assert_array_equal(p.value, 0.0)


def test_mlp_dtype_float64():
    model = MLP([3, 4, 2], activation="prelu", batch_norm=True, rng=0, dtype=np.float64)
    assert model.dtype == np.float64
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert all(b.dtype == np.float64 for b in model.buffers().values())
    out = model.forward(np.ones((2, 3), dtype=np.float32), training=True)
    assert out.dtype == np.float64
    dx = model.backward(np.ones_like(out))
    assert dx.dtype == np.float64
    assert all(p.grad.dtype == np.float64 for p in model.parameters())


def test_mlp_default_dtype_float32():
    model = MLP([3, 4, 2], rng=0)
    assert model.dtype == np.float32
    out = model.forward(np.ones((2, 3), dtype=np.float64))
    assert out.dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"activation": "prelu", "batch_norm": True, "dropout": 0.2},
        {"activation": "tanh", "output_activation": "softmax"},
    ],
    ids=["plain", "prelu-batchnorm-dropout", "tanh-softmax"],
)
def test_mlp_in_features_and_dtype(dtype, options):
    model = MLP([5, 4, 3], rng=0, dtype=dtype, **options)
    assert model.in_features == 5
    assert isinstance(model.dtype, np.dtype) and model.dtype == np.dtype(dtype)
    assert all(p.dtype == model.dtype for p in model.parameters())


@pytest.mark.parametrize("sizes", [[3], [], [3, 0, 2], [3, -1], [3, 2.5]])
def test_mlp_rejects_bad_sizes(sizes):
    with pytest.raises(ValueError):
        MLP(sizes)


def test_mlp_rejects_bad_dropout_and_unknown_activation():
    with pytest.raises(ValueError, match="dropout"):
        MLP([2, 3, 1], dropout=1.0)
    with pytest.raises(mlplab.UnknownNameError, match="valid names"):
        MLP([2, 3, 1], activation="swish")


# ---------------------------------------------------------------- gradient checks


def gradcheck_mlp(model, *, training, n=6, seed=1):
    x = away_from_zero((n, model.sizes[0]), seed=seed)
    y = np.random.default_rng(seed + 100).normal(size=(n, model.sizes[-1]))
    return mlplab.gradcheck(model, MSE(), x, y, training=training, check_input=True)


@pytest.mark.parametrize("activation", ACTIVATIONS.names())
@pytest.mark.parametrize("training", [False, True], ids=["inference", "training"])
def test_gradcheck_mlp_with_every_activation(activation, training):
    model = MLP([3, 5, 4, 2], activation=activation, rng=0, dtype=np.float64)
    errors = gradcheck_mlp(model, training=training)
    assert set(errors) == {n for n, _ in model.named_parameters()} | {"input"}
    for name, err in errors.items():
        assert err < TOL, f"{activation} {name}: relative error {err:.2e}"


@pytest.mark.parametrize("activation", ACTIVATIONS.names())
def test_gradcheck_mlp_with_every_output_activation(activation):
    model = MLP([3, 4, 3], activation="tanh", output_activation=activation, rng=0, dtype=np.float64)
    errors = gradcheck_mlp(model, training=False)
    for name, err in errors.items():
        assert err < TOL, f"{activation} {name}: relative error {err:.2e}"


def test_step_network_gets_no_gradient_below_the_step():
    model = MLP([3, 5, 2], activation="step", rng=0, dtype=np.float64)
    x = away_from_zero((6, 3))
    out = model.forward(x, training=True)
    dx = model.backward(out - 1.0)
    assert isinstance(model[1], Step)
    assert_array_equal(model[0].W.grad, 0.0)
    assert_array_equal(model[0].b.grad, 0.0)
    assert_array_equal(dx, 0.0)
    assert np.any(model[2].W.grad != 0)  # the layer above the step still learns


@pytest.mark.parametrize("activation", ["relu", "tanh", "prelu"])
@pytest.mark.parametrize("training", [False, True], ids=["inference", "training"])
def test_gradcheck_mlp_with_dropout_and_batch_norm(activation, training):
    model = MLP([3, 6, 5, 2], activation=activation, dropout=0.3, batch_norm=True, rng=0, dtype=np.float64)
    if not training:  # make inference differ from the identity normalization
        for layer in model.layers:
            if isinstance(layer, BatchNorm):
                layer.running_mean[...] = 0.3
                layer.running_var[...] = 2.0
    errors = gradcheck_mlp(model, n=8, training=training)
    assert set(errors) == {n for n, _ in model.named_parameters()} | {"input"}
    for name, err in errors.items():
        assert err < TOL, f"{activation} {name}: relative error {err:.2e}"


def test_gradcheck_nested_sequential_inference():
    inner = MLP([3, 6, 2], activation="tanh", rng=0, dtype=np.float64)
    model = Sequential([inner, Tanh()])
    x = away_from_zero((5, 3))
    errors = mlplab.gradcheck(model, MSE(), x, np.zeros((5, 2)), check_input=True)
    assert set(errors) == {"0.0.W", "0.0.b", "0.2.W", "0.2.b", "input"}
    assert max(errors.values()) < TOL


def test_gradcheck_nested_sequential_with_dropout_in_training():
    """A Sequential is a Layer, so an MLP may sit inside one; its dropout masks must be replayed too."""
    inner = MLP([3, 6, 2], activation="tanh", dropout=0.5, rng=0, dtype=np.float64)
    model = Sequential([inner, Tanh()])
    x = away_from_zero((5, 3))
    errors = mlplab.gradcheck(model, MSE(), x, np.zeros((5, 2)), training=True, check_input=True)
    for name, err in errors.items():
        assert err < TOL, f"{name}: relative error {err:.2e}"


def test_dropout_in_mlp_is_active_in_training_only():
    model = MLP([3, 50, 2], dropout=0.5, rng=0, dtype=np.float64)
    x = away_from_zero((4, 3))
    a = model.forward(x, training=True).copy()
    b = model.forward(x, training=True).copy()
    assert not np.allclose(a, b)  # a new mask each training call
    assert_array_equal(model.forward(x), model.forward(x))  # inference is deterministic


# ---------------------------------------------------------------- backward(input_grad=False)


@pytest.mark.parametrize("options", [{}, {"batch_norm": True, "activation": "tanh"}, {"activation": "prelu"}])
def test_backward_without_input_grad_returns_none_and_same_parameter_grads(options):
    model = MLP([4, 6, 3], rng=0, dtype=np.float64, **options)
    x = away_from_zero((5, 4), seed=2)
    g = np.random.default_rng(3).normal(size=(5, 3))

    model.zero_grad()
    model.forward(x, training=True)
    dx = model.backward(g, input_grad=True)
    assert dx is not None and dx.shape == x.shape
    with_input = {n: p.grad.copy() for n, p in model.named_parameters()}

    model.zero_grad()
    model.forward(x, training=True)
    assert model.backward(g, input_grad=False) is None
    for n, p in model.named_parameters():
        assert np.any(p.grad != 0), n
        assert_array_equal(p.grad, with_input[n], err_msg=n)


# ---------------------------------------------------------------- seeding


@pytest.mark.parametrize("options", [{}, {"activation": "tanh", "dropout": 0.2, "batch_norm": True}])
def test_same_seed_gives_bit_identical_weights(options):
    a, b = MLP([5, 7, 3], rng=42, **options), MLP([5, 7, 3], rng=42, **options)
    for (na, pa), (nb, pb) in zip(a.named_parameters(), b.named_parameters()):
        assert na == nb
        assert_array_equal(pa.value, pb.value)
    c = MLP([5, 7, 3], rng=43, **options)
    assert not np.array_equal(a[0].W.value, c[0].W.value)


def test_seed_and_generator_with_same_seed_agree():
    a = MLP([5, 7, 3], rng=5)
    b = MLP([5, 7, 3], rng=np.random.default_rng(5))
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert_array_equal(pa.value, pb.value)


def test_layers_of_one_mlp_get_different_weights():
    model = MLP([6, 6, 6, 6], rng=0)
    assert not np.array_equal(model[0].W.value, model[2].W.value)


# ---------------------------------------------------------------- training XOR

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0, 1, 1, 0])


def train_xor_adam(seed, steps=300, lr=0.05):
    """Full-batch Adam written out here, on MLP([2, 8, 2]) with softmax cross-entropy."""
    model = MLP([2, 8, 2], activation="tanh", rng=seed, dtype=np.float64)
    loss = SoftmaxCrossEntropy()
    params = model.parameters()
    m = [np.zeros_like(p.value) for p in params]
    v = [np.zeros_like(p.value) for p in params]
    losses = []
    for t in range(1, steps + 1):
        model.zero_grad()
        losses.append(loss.forward(model.forward(XOR_X, training=True), XOR_Y))
        model.backward(loss.backward(), input_grad=False)
        for p, mp, vp in zip(params, m, v):
            mp[...] = 0.9 * mp + 0.1 * p.grad
            vp[...] = 0.999 * vp + 0.001 * p.grad**2
            p.value -= lr * (mp / (1 - 0.9**t)) / (np.sqrt(vp / (1 - 0.999**t)) + 1e-8)
    return model, losses


def test_mlp_learns_xor_with_adam():
    model, losses = train_xor_adam(seed=0)
    assert losses[-1] < 0.01 < losses[0]
    assert_array_equal(model.forward(XOR_X).argmax(axis=1), XOR_Y)


def test_xor_training_is_deterministic_with_fixed_seed():
    a, losses_a = train_xor_adam(seed=3, steps=50)
    b, losses_b = train_xor_adam(seed=3, steps=50)
    assert losses_a == losses_b
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert_array_equal(pa.value, pb.value)


def test_mlp_learns_xor_with_sgd_single_output_float32():
    """Plain gradient descent on MLP([2, 8, 1]) with a sigmoid output and MSE, in float32."""
    model = MLP([2, 8, 1], activation="tanh", output_activation="sigmoid", rng=0)
    loss = MSE()
    target = XOR_Y[:, None].astype(np.float32)
    for _ in range(500):
        model.zero_grad()
        loss.forward(model.forward(XOR_X, training=True), target)
        model.backward(loss.backward(), input_grad=False)
        for p in model.parameters():
            p.value -= 0.5 * p.grad
    assert all(p.dtype == np.float32 for p in model.parameters())
    pred = model.forward(XOR_X)[:, 0]
    assert_array_equal(pred > 0.5, XOR_Y == 1)
    assert loss.forward(model.forward(XOR_X), target) < 0.05


def test_prelu_alpha_is_trained_in_mlp():
    model = MLP([2, 8, 2], activation="prelu", rng=0, dtype=np.float64)
    assert isinstance(model[1], PReLU)
    loss = SoftmaxCrossEntropy()
    model.zero_grad()
    loss.forward(model.forward(XOR_X, training=True), XOR_Y)
    model.backward(loss.backward())
    assert np.any(model[1].alpha.grad != 0)
