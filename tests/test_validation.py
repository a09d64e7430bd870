"""Bad input at the library's boundary gets a clear error naming the argument and the value."""

import numpy as np
import pytest

import mlplab
from mlplab._validation import check_batch, check_finite


@pytest.fixture
def model():
    return mlplab.MLP([4, 5, 3], rng=0)


def test_wrong_number_of_features(model):
    with pytest.raises(ValueError, match=r"x has 6 features per sample, expected 4"):
        model.forward(np.zeros((2, 6)))


def test_wrong_number_of_dimensions(model):
    with pytest.raises(ValueError, match=r"x must be 2-D .* got shape \(4,\)"):
        model.forward(np.zeros(4))


def test_empty_batch(model):
    with pytest.raises(ValueError, match="x is empty"):
        model.forward(np.zeros((0, 4)))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_input(model, bad):
    x = np.zeros((3, 4))
    x[1, 2] = bad
    with pytest.raises(ValueError, match=r"x contains 1 NaN or infinite value\(s\); first at index \(1, 2\)"):
        model.forward(x)


def test_large_finite_input_is_not_mistaken_for_infinite():
    x = np.full((3, 4), 3e38, dtype=np.float32)  # the sum overflows, the values do not
    assert check_batch("x", x, 4) is x


def test_non_numeric_input(model):
    with pytest.raises(ValueError, match="x must hold numbers"):
        model.forward(np.array([["a", "b", "c", "d"]]))


def test_input_is_converted_to_the_model_dtype(model):
    assert model.forward(np.ones((2, 4), dtype=np.float64)).dtype == np.float32
    assert model.forward(np.ones((2, 4), dtype=np.int64)).dtype == np.float32


def test_dense_checks_its_own_input_shape():
    with pytest.raises(ValueError, match=r"Dense expects input of shape \(n, 3\), got \(2, 5\)"):
        mlplab.Dense(3, 2, rng=0).forward(np.zeros((2, 5), dtype=np.float32))


def test_labels_out_of_range():
    logits = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"target has label 4 outside the valid range \[0, 3\]"):
        mlplab.SoftmaxCrossEntropy().forward(logits, np.array([0, 1, 4]))
    with pytest.raises(ValueError, match=r"target has label -1 outside"):
        mlplab.SoftmaxCrossEntropy().forward(logits, np.array([0, -1, 2]))


@pytest.mark.parametrize(
    "kind, name",
    [
        ("activation", "relux"),
        ("loss", "crossentropyy"),
        ("initializer", "glorot"),
        ("optimizer", "adamm"),
        ("schedule", "cosine"),
    ],
)
def test_unknown_names_list_the_valid_ones(kind, name):
    registry = mlplab.REGISTRIES[kind]
    with pytest.raises(
        mlplab.UnknownNameError, match=rf"unknown {kind} '{name}'; valid names: .*{registry.names()[0]}"
    ):
        registry.get(name)


def test_mlp_rejects_unknown_activation_name():
    with pytest.raises(ValueError, match="unknown activation 'sigmod'"):
        mlplab.MLP([2, 3, 1], activation="sigmod")


@pytest.mark.parametrize("lr", [0, -0.1, float("nan")])
def test_non_positive_learning_rate(lr):
    params = mlplab.MLP([2, 2], rng=0).parameters()
    with pytest.raises(ValueError, match=r"Invalid learning rate"):
        mlplab.SGD(params, lr=lr)


@pytest.mark.parametrize("sizes", [[4], [4, 0, 2], [4, -3, 2], [4, 2.5, 2]])
def test_bad_layer_sizes(sizes):
    with pytest.raises(ValueError, match=r"Invalid sizes\[\d\]|needs at least"):
        mlplab.MLP(sizes)


def test_dropout_probability_must_be_below_one():
    with pytest.raises(ValueError, match=r"Invalid p: 1.0 \(must be in \[0, 1\)\)"):
        mlplab.Dropout(1.0)


def test_rng_of_wrong_type():
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        mlplab.Dense(2, 2, rng="seed")


@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 3, 4)])
def test_check_finite_finds_a_single_bad_value_in_any_shape(shape):
    for bad in (np.nan, np.inf):
        x = np.ones(shape, dtype=np.float32)
        x.reshape(-1)[-1] = bad
        with pytest.raises(ValueError, match="1 NaN or infinite"):
            check_finite("x", x)


def test_check_finite_opposite_infinities_in_one_row_are_caught():
    x = np.zeros((2, 3))
    x[1, 0], x[1, 2] = np.inf, -np.inf
    with pytest.raises(ValueError, match="2 NaN or infinite"):
        check_finite("x", x)
