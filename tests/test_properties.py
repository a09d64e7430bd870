"""Property-based tests of the validation at the public boundary: losses and the trainer.

Whatever arrays they are given (any shape, dtype, NaN, infinity, empty, 0-d, labels out of
range), ``Loss.forward`` and ``Trainer.fit``/``evaluate``/``predict`` either work or raise
``ValueError``/``TypeError`` with a message that names the argument; never another exception
from deep inside NumPy, and never a NaN result for finite inputs.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import mlplab
from mlplab.losses import LOSSES, Loss
from mlplab.training import Trainer

SETTINGS = settings(
    max_examples=60,
    derandomize=True,  # the same examples on every run
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
BOUND = 1e3  # finite values: large enough to matter, small enough that no model or loss overflows
SPECIAL = [np.nan, np.inf, -np.inf]

finite_floats = st.floats(-BOUND, BOUND, allow_nan=False, allow_infinity=False, width=32)
any_floats = st.one_of(finite_floats, st.sampled_from(SPECIAL))
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)


@st.composite
def arrays(draw, shape=shapes, labels=False):
    """Any array: a real, complex, bool, object or string dtype, NaN and infinities among the floats."""
    kind = draw(st.sampled_from(["float64", "float32", "int64", "uint8", "bool", "complex", "object", "str"]))
    shape = draw(shape) if isinstance(shape, st.SearchStrategy) else shape
    if kind in ("float64", "float32"):
        elements = any_floats if draw(st.booleans()) else finite_floats
        return draw(hnp.arrays(kind, shape, elements=elements))
    if kind in ("int64", "uint8"):
        bound = 4 if labels else 255
        return draw(hnp.arrays(kind, shape, elements=st.integers(-2 if kind == "int64" else 0, bound)))
    if kind == "bool":
        return draw(hnp.arrays(bool, shape))
    if kind == "complex":
        return draw(hnp.arrays(np.complex128, shape, elements=st.complex_numbers(max_magnitude=10, allow_nan=False)))
    values = draw(hnp.arrays(np.float64, shape, elements=finite_floats))
    return values.astype(object) if kind == "object" else values.astype(str)


def is_finite_real(a: np.ndarray) -> bool:
    return a.dtype.kind in "biuf" and bool(np.all(np.isfinite(a)))


def names_one_of(error: Exception, names: tuple[str, ...]) -> bool:
    return any(re.search(rf"(^|\W){re.escape(name)}(\W|$)", str(error)) for name in names)


def check_outcome(call, names, inputs_finite):
    """Run ``call``: a result, or a ValueError/TypeError naming one of ``names``; a NaN only from non-finite input."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no warning escapes: NumPy's about overflow neither ...
            if not inputs_finite:  # ... except where NaN or infinity went in (and comes out)
                warnings.filterwarnings("ignore", category=RuntimeWarning)
            result = call()
    except (ValueError, TypeError) as error:
        assert names_one_of(error, names), f"{type(error).__name__} names none of {names}: {error}"
        return None
    if inputs_finite:
        values = np.asarray(list(result.values()) if isinstance(result, dict) else result, dtype=np.float64)
        assert np.all(np.isfinite(values)), f"finite inputs gave {result}"
    return result


# ---------------------------------------------------------------- losses

LOSS_FACTORIES = sorted({type(LOSSES.create(name)).__name__: type(LOSSES.create(name)) for name in LOSSES}.items())
LOSS_FACTORIES.append(("BinaryCrossEntropy(from_logits)", lambda: LOSSES.create("bce", from_logits=True)))


@st.composite
def loss_inputs(draw):
    """A prediction and a target that often fit each other (shape, labels) and often do not."""
    pred = draw(arrays())
    how = draw(st.sampled_from(["free", "labels", "same shape"]))
    if how == "labels" and pred.ndim >= 1:
        target = draw(arrays(shape=(pred.shape[0],), labels=True))
    elif how == "same shape":
        target = draw(arrays(shape=pred.shape, labels=True))
    else:
        target = draw(arrays(labels=True))
    return pred, target


@pytest.mark.parametrize("make", [factory for _, factory in LOSS_FACTORIES], ids=[name for name, _ in LOSS_FACTORIES])
@SETTINGS
@given(data=loss_inputs())
def test_a_loss_works_or_names_the_bad_argument(make, data):
    loss: Loss = make()
    pred, target = data
    value = check_outcome(lambda: loss.forward(pred, target), ("pred", "target"), is_finite_real(pred))
    if value is not None:
        assert isinstance(value, float)
        if pred.dtype.kind == "f" and np.isnan(pred).any():
            assert np.isnan(value), f"a NaN prediction scored {value}"
        elif pred.dtype.kind == "f" and not np.isfinite(pred).all() and type(loss).__name__ != "SoftmaxCrossEntropy":
            assert not np.isfinite(value), f"an infinite prediction scored {value}"  # (-inf is p = 0 to softmax)
        grad = loss.backward()
        assert grad.size == pred.size
        if is_finite_real(pred):
            assert np.all(np.isfinite(grad))


@pytest.mark.parametrize("make", [factory for _, factory in LOSS_FACTORIES], ids=[name for name, _ in LOSS_FACTORIES])
@SETTINGS
@given(
    n=st.integers(1, 5),
    k=st.integers(1, 4),
    seed=st.integers(0, 2**16),
    scale=st.sampled_from([1e-3, 1.0, 30.0, BOUND]),
)
def test_a_loss_of_valid_finite_inputs_is_finite(make, n, k, seed, scale):
    loss: Loss = make()
    rng = np.random.default_rng(seed)
    name = type(loss).__name__
    if name == "PerceptronCriterion":
        pred, target = rng.normal(size=(n, 1)) * scale, rng.choice([-1.0, 1.0], size=n)
    elif name in ("SoftmaxCrossEntropy", "NLLLoss", "Hinge"):
        pred, target = rng.normal(size=(n, k)) * scale, rng.integers(0, k, size=n)
        if name == "SoftmaxCrossEntropy" and seed % 2:  # probability rows
            target = rng.dirichlet(np.ones(k), size=n)
    elif name == "BinaryCrossEntropy":
        pred = rng.normal(size=(n, k)) * scale if loss.from_logits else rng.uniform(0, 1, size=(n, k))
        target = rng.integers(0, 2, size=(n, k)).astype(float)
    else:
        pred, target = rng.normal(size=(n, k)) * scale, rng.normal(size=(n, k)) * scale
    value = loss.forward(pred, target)
    assert np.isfinite(value) and np.all(np.isfinite(loss.backward()))


@st.composite
def huge_inputs(draw):
    """Predictions anywhere in the float range, with labels, 0/1 rows or values that fit them."""
    n, k = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    pred = draw(hnp.arrays(np.float64, (n, k), elements=st.floats(allow_nan=False, allow_infinity=False)))
    target = draw(
        st.one_of(
            hnp.arrays(np.int64, n, elements=st.integers(0, k - 1)),
            hnp.arrays(np.int64, n, elements=st.sampled_from([-1, 1])),
            hnp.arrays(np.float64, (n, k), elements=st.sampled_from([0.0, 1.0])),
            hnp.arrays(np.float64, (n, k), elements=st.floats(allow_nan=False, allow_infinity=False)),
        )
    )
    return pred, target


@pytest.mark.parametrize("make", [factory for _, factory in LOSS_FACTORIES], ids=[name for name, _ in LOSS_FACTORIES])
@SETTINGS
@given(data=huge_inputs())
def test_a_loss_of_huge_finite_inputs_may_overflow_but_is_never_nan(make, data):
    loss: Loss = make()
    pred, target = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # overflow is expected here
        try:
            value = loss.forward(pred, target)
        except ValueError as error:
            assert names_one_of(error, ("pred", "target")), str(error)
            return
    assert not np.isnan(value), f"finite inputs gave {value}"


# ---------------------------------------------------------------- the trainer

TRAINER_LOSSES = ["softmax_cross_entropy", "hinge", "nll", "mse", "bce_logits", "perceptron"]


def make_trainer(loss: str) -> Trainer:
    outputs = 1 if loss in ("perceptron",) else 3
    model = mlplab.MLP([2, 4, outputs], dropout=0.1, rng=0, dtype=np.float64)
    chosen = mlplab.losses.get_loss("bce", from_logits=True) if loss == "bce_logits" else loss
    return Trainer(model, chosen, lr=0.01, batch_size=3, verbose=0, rng=0)


@st.composite
def trainer_inputs(draw):
    """``x`` often of the model's 2 features and ``y`` often of its rows, each possibly bad."""
    n = draw(st.integers(0, 5))
    x = draw(arrays(shape=st.sampled_from([(n, 2), (n, 2), (n, 3), (n,), (), (n, 2, 1)])))
    y = draw(arrays(shape=st.sampled_from([(n,), (n,), (n, 3), (n, 1), (), (n + 1,)]), labels=True))
    return x, y


def finite_pair(x, y) -> bool:
    return is_finite_real(np.asarray(x)) and is_finite_real(np.asarray(y))


@pytest.mark.parametrize("loss", TRAINER_LOSSES)
@SETTINGS
@given(data=trainer_inputs())
def test_fit_works_or_names_the_bad_argument(loss, data):
    x, y = data
    trainer = make_trainer(loss)
    history = check_outcome(lambda: trainer.fit(x, y, epochs=1).history["loss"], ("x", "y"), finite_pair(x, y))
    if history is not None:
        assert len(history) == 1


@pytest.mark.parametrize("loss", TRAINER_LOSSES)
@SETTINGS
@given(validation=trainer_inputs())
def test_fit_with_validation_data_names_the_bad_argument(loss, validation):
    x = np.zeros((4, 2))
    y = {"perceptron": np.array([1, -1, 1, -1]), "bce_logits": np.zeros((4, 3)), "mse": np.zeros((4, 3))}.get(
        loss, np.zeros(4, dtype=np.int64)
    )
    trainer = make_trainer(loss)
    check_outcome(
        lambda: trainer.fit(x, y, epochs=1, validation_data=validation).history["val_loss"],
        ("validation x", "validation y", "validation_data"),
        finite_pair(*validation),
    )


@pytest.mark.parametrize("loss", TRAINER_LOSSES)
@SETTINGS
@given(data=trainer_inputs(), batch_size=st.sampled_from([1, 2, 2048, 0, -1, 2.5, True]))
def test_evaluate_and_predict_work_or_name_the_bad_argument(loss, data, batch_size):
    x, y = data
    trainer = make_trainer(loss)
    finite_x = is_finite_real(np.asarray(x))
    out = check_outcome(lambda: trainer.predict(x, batch_size=batch_size), ("x", "batch_size"), finite_x)
    if out is not None:
        assert out.shape == (np.asarray(x).shape[0], trainer.model.output_features(2))
    logs = check_outcome(
        lambda: trainer.evaluate(x, y, batch_size=batch_size), ("x", "y", "batch_size"), finite_pair(x, y)
    )
    if logs is not None and "accuracy" in logs:
        assert 0 <= logs["accuracy"] <= 1


def test_the_strategies_reach_working_calls():
    """Guard against properties that hold only because every example is refused."""
    trainer = make_trainer("softmax_cross_entropy")
    assert np.isfinite(trainer.fit(np.zeros((3, 2)), np.array([0, 1, 2]), epochs=1).history["loss"][0])
    assert np.isfinite(LOSSES.create("hinge").forward(np.zeros((2, 3)), np.array([0, 2])))
