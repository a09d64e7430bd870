"""Compiled kernels: the same results as the NumPy code they stand for (bit for bit for the optimizers' formulas)."""

import importlib.util

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from mlplab import MLP, SGD, Adadelta, Adagrad, Adam, AdamW, Parameter, RMSprop, SoftmaxCrossEntropy, kernels

numba_missing = importlib.util.find_spec("numba") is None
needs_numba = pytest.mark.skipif(numba_missing, reason="numba is not installed")


@pytest.fixture
def numpy_only():
    previous = kernels.enabled()
    kernels.set_enabled(False)
    yield
    kernels.set_enabled(previous)


def _run_optimizer(make, dtype, use_kernels, steps=4, packed=False, nan_at=None):
    """Values, state dict, and what each call of the fast path returned (``True``: the kernel did the
    update), after ``steps`` steps on fixed random gradients (some not finite at step ``nan_at``)."""
    previous = kernels.enabled()
    kernels.set_enabled(use_kernels)
    try:
        rng = np.random.default_rng(0)
        if packed:
            params = MLP([20, 15, 3], rng=0, dtype=dtype).parameters()
        else:
            params = [Parameter(rng.normal(size=(30, 20)).astype(dtype)), Parameter(rng.normal(size=20).astype(dtype))]
        opt = make(params)
        fast_steps = []
        fast_update = opt._fast_update

        def counted_fast_update(*args):
            fast_steps.append(fast_update(*args))
            return fast_steps[-1]

        opt._fast_update = counted_fast_update
        for step in range(steps):
            for p in params:
                p.zero_grad()
                g = rng.normal(size=p.shape).astype(dtype)
                if step == nan_at:
                    g.flat[:3] = np.nan, np.inf, -np.inf
                p.add_grad(g)
            opt.step()
        return [p.value.copy() for p in params], opt.state_dict(), fast_steps
    finally:
        kernels.set_enabled(previous)


# Every algorithm with a compiled kernel, in every variant the kernel takes.
OPTIMIZERS = {
    "sgd-momentum": lambda ps: SGD(ps, lr=0.05, momentum=0.9),
    "sgd-momentum-dampening-l1": lambda ps: SGD(ps, lr=0.05, momentum=0.9, dampening=0.3, l1=0.01),
    "sgd-nesterov-decay": lambda ps: SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1),
    "adam": lambda ps: Adam(ps, lr=0.01),
    "adam-decay-l1": lambda ps: Adam(ps, lr=0.01, betas=(0.8, 0.99), weight_decay=0.1, l1=0.01),
    "adam-amsgrad": lambda ps: Adam(ps, lr=0.01, amsgrad=True, weight_decay=0.1),
    "adamw-amsgrad": lambda ps: AdamW(ps, lr=0.01, amsgrad=True),
    "rmsprop": lambda ps: RMSprop(ps, lr=0.01, weight_decay=0.1),
    "rmsprop-centered-momentum": lambda ps: RMSprop(ps, lr=0.01, alpha=0.9, momentum=0.5, centered=True, l1=0.01),
    "rmsprop-centered": lambda ps: RMSprop(ps, lr=0.01, centered=True),
    "rmsprop-momentum": lambda ps: RMSprop(ps, lr=0.01, momentum=0.9),
    "adagrad": lambda ps: Adagrad(ps, lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.1),
    "adadelta": lambda ps: Adadelta(ps, lr=1.0, rho=0.8, l1=0.01),
}


def _assert_same_bits(compiled, plain, dtype):
    (compiled_values, compiled_state, _), (plain_values, plain_state, _) = compiled, plain
    for a, b in zip(compiled_values, plain_values):
        assert a.dtype == dtype
        assert_array_equal(a, b, strict=True)
    assert plain_state["state"].keys() == compiled_state["state"].keys()
    for key, state in plain_state["state"].items():
        assert state.keys() == compiled_state["state"][key].keys()
        for field, value in state.items():
            assert_array_equal(compiled_state["state"][key][field], value, strict=True)


@needs_numba
@pytest.mark.parametrize("packed", [False, True], ids=["per-parameter", "packed"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_fast_path_matches_the_formula_bit_for_bit(name, dtype, packed):
    steps = 5
    compiled = _run_optimizer(OPTIMIZERS[name], dtype, True, steps, packed)
    plain = _run_optimizer(OPTIMIZERS[name], dtype, False, steps, packed)
    groups = 1 if packed else 2  # a packed model's parameters are one flat vector
    assert compiled[2] == [False] * groups + [True] * groups * (steps - 1)  # the kernel did every later step
    assert plain[2] == []  # the formula did every step
    _assert_same_bits(compiled, plain, dtype)


@needs_numba
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_fast_path_matches_the_formula_on_nan_and_infinite_gradients(name):
    compiled = _run_optimizer(OPTIMIZERS[name], np.float32, True, nan_at=2)
    plain = _run_optimizer(OPTIMIZERS[name], np.float32, False, nan_at=2)
    assert not np.isfinite(plain[0][0]).all()
    _assert_same_bits(compiled, plain, np.float32)


def test_optimizers_change_parameters_without_kernels(numpy_only):
    for name, make in OPTIMIZERS.items():
        values, _, _ = _run_optimizer(make, np.float32, False)
        assert not np.allclose(values[0], np.random.default_rng(0).normal(size=(30, 20))), name


def test_fits_takes_c_contiguous_float32_or_float64_arrays_of_one_dtype():
    a = np.zeros((3, 4), dtype=np.float32)
    assert kernels.fits(a, a.reshape(-1), None)
    assert kernels.fits(np.zeros(3))
    assert not kernels.fits(a, np.zeros((3, 4)))  # float32 with float64
    assert not kernels.fits(a.T)
    assert not kernels.fits(a[:, ::2])
    assert not kernels.fits(np.zeros(3, dtype=np.float16))


@needs_numba
def test_arrays_the_kernels_do_not_take_go_through_the_formula():
    rng = np.random.default_rng(2)
    value = rng.normal(size=(6, 8))[:, ::2]
    grad = rng.normal(size=(6, 8))[:, ::2]
    p = Parameter.wrap(value, grad)
    w0 = value.copy()
    opt = SGD([p], lr=0.1, momentum=0.9)
    opt.step()
    opt.step()
    assert opt._fast_update(p, grad, opt.state[p], opt.param_groups[0]) is False  # (and it changed nothing)
    assert_allclose(value, w0 - 0.1 * grad - 0.1 * (0.9 * grad + grad))


def _softmax_ce_reference(z, y):
    z = z.astype(np.float64)
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    m = len(y)
    grad = np.exp(log_p)
    grad[np.arange(m), y] -= 1
    return -log_p[np.arange(m), y].mean(), grad / m


@pytest.mark.parametrize("use_kernels", [pytest.param(True, marks=needs_numba), False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_cross_entropy_matches_a_float64_reference(use_kernels, dtype):
    previous = kernels.enabled()
    kernels.set_enabled(use_kernels)
    try:
        rng = np.random.default_rng(1)
        z = (rng.normal(size=(37, 10)) * 30).astype(dtype)
        y = rng.integers(0, 10, size=37)
        loss = SoftmaxCrossEntropy()
        value = loss.forward(z, y)
        grad = loss.backward()
    finally:
        kernels.set_enabled(previous)
    expected_value, expected_grad = _softmax_ce_reference(z, y)
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    assert value == pytest.approx(expected_value, rel=tolerance)
    assert grad.dtype == dtype
    assert_allclose(grad, expected_grad, atol=tolerance)


@needs_numba
def test_softmax_kernel_handles_sum_reduction_and_extreme_logits():
    z = np.array([[1000.0, -1000.0, 0.0], [-5.0, 5.0, 5.0]], dtype=np.float32)
    y = np.array([1, 2])
    summed = SoftmaxCrossEntropy(reduction="sum")
    value = summed.forward(z, y)
    expected_value, expected_grad = _softmax_ce_reference(z, y)
    assert np.isfinite(value) and value == pytest.approx(2 * expected_value, rel=1e-6)
    assert_allclose(summed.backward(), 2 * expected_grad, atol=1e-6)


def test_set_enabled_returns_previous_and_refuses_without_numba(monkeypatch):
    previous = kernels.set_enabled(False)
    try:
        assert kernels.enabled() is False
        monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
        with pytest.raises(ImportError, match="mlplab\\[fast\\]"):
            kernels.set_enabled(True)
        assert kernels.enabled() is False
    finally:
        monkeypatch.undo()
        kernels.set_enabled(previous)


@needs_numba
def test_numpy_scalar_hyper_parameters_stay_bit_identical():
    make = lambda ps: Adam(ps, lr=np.float64(0.01), betas=np.array([0.9, 0.999]))  # noqa: E731
    _assert_same_bits(_run_optimizer(make, np.float32, True), _run_optimizer(make, np.float32, False), np.float32)


@pytest.mark.filterwarnings("ignore:divide by zero")
@pytest.mark.parametrize("dtype", [np.float16, np.longdouble])
def test_other_float_dtypes_fall_back_to_numpy(dtype):
    for name in ("adam", "sgd-momentum"):  # (Adam's eps of 1e-8 underflows in float16: only the dtype is checked)
        values, _, fast_steps = _run_optimizer(OPTIMIZERS[name], dtype, kernels.enabled())
        assert not any(fast_steps)
        assert values[0].dtype == dtype
    assert np.all(np.isfinite(values[0]))
    z = np.array([[1.0, 2.0, 0.5]], dtype=dtype)
    loss = SoftmaxCrossEntropy()
    assert np.isfinite(loss.forward(z, np.array([1])))
    assert loss.backward().dtype == dtype


def test_softmax_gradient_of_fortran_ordered_logits_and_unsigned_labels(numpy_only):
    rng = np.random.default_rng(3)
    z = np.asfortranarray(rng.normal(size=(6, 4)))
    y = np.array([0, 1, 2, 3, 2, 1], dtype=np.uint64)
    loss = SoftmaxCrossEntropy()
    value = loss.forward(z, y)
    expected_value, expected_grad = _softmax_ce_reference(z, y.astype(np.int64))
    assert value == pytest.approx(expected_value, rel=1e-12)
    assert_allclose(loss.backward(), expected_grad, atol=1e-12)
