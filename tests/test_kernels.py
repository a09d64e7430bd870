"""Compiled kernels: the same results as the NumPy code they replace (bit for bit for the optimizers)."""

import importlib.util

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from mlplab import SGD, Adam, Parameter, SoftmaxCrossEntropy, kernels

numba_missing = importlib.util.find_spec("numba") is None
needs_numba = pytest.mark.skipif(numba_missing, reason="numba is not installed")


@pytest.fixture
def numpy_only():
    previous = kernels.enabled()
    kernels.set_enabled(False)
    yield
    kernels.set_enabled(previous)


def _run_optimizer(make, dtype, use_kernels, steps=4):
    previous = kernels.enabled()
    kernels.set_enabled(use_kernels)
    try:
        rng = np.random.default_rng(0)
        params = [Parameter(rng.normal(size=(30, 20)).astype(dtype)), Parameter(rng.normal(size=20).astype(dtype))]
        opt = make(params)
        for _ in range(steps):
            for p in params:
                p.zero_grad()
                p.add_grad(rng.normal(size=p.shape).astype(dtype))
            opt.step()
        return [p.value.copy() for p in params], opt.state_dict()
    finally:
        kernels.set_enabled(previous)


OPTIMIZERS = {
    "adam": lambda ps: Adam(ps, lr=0.01),
    "adam-decay": lambda ps: Adam(ps, lr=0.01, betas=(0.8, 0.99), weight_decay=0.1),
    "momentum": lambda ps: SGD(ps, lr=0.05, momentum=0.9),
    "nesterov": lambda ps: SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
}


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_kernels_match_numpy_bit_for_bit(name, dtype):
    compiled, compiled_state = _run_optimizer(OPTIMIZERS[name], dtype, True)
    plain, plain_state = _run_optimizer(OPTIMIZERS[name], dtype, False)
    for a, b in zip(compiled, plain):
        assert a.dtype == dtype
        assert_array_equal(a, b)
    for key, state in plain_state["state"].items():
        for field, value in state.items():
            if isinstance(value, np.ndarray):
                assert_array_equal(compiled_state["state"][key][field], value)


def test_optimizers_change_parameters_without_kernels(numpy_only):
    for name, make in OPTIMIZERS.items():
        values, _ = _run_optimizer(make, np.float32, False)
        assert not np.allclose(values[0], np.random.default_rng(0).normal(size=(30, 20))), name


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


def test_non_contiguous_arrays_take_the_numpy_path():
    rng = np.random.default_rng(2)
    w = rng.normal(size=(6, 8)).astype(np.float32)[:, ::2]
    g = rng.normal(size=(6, 8)).astype(np.float32)[:, ::2]
    v = np.zeros_like(w)
    expected = w - 0.1 * (0.9 * v + g)
    kernels.momentum_update(w, g, v, np.empty_like(w), 0.9, 0.1)
    assert_allclose(w, expected, rtol=1e-6)


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
    compiled, _ = _run_optimizer(make, np.float32, True)
    plain, _ = _run_optimizer(make, np.float32, False)
    for a, b in zip(compiled, plain):
        assert_array_equal(a, b)


@pytest.mark.filterwarnings("ignore:divide by zero")
@pytest.mark.parametrize("dtype", [np.float16, np.longdouble])
def test_other_float_dtypes_fall_back_to_numpy(dtype):
    for name in ("adam", "momentum"):  # (Adam's eps of 1e-8 underflows in float16: only the dtype is checked)
        values, _ = _run_optimizer(OPTIMIZERS[name], dtype, kernels.enabled())
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
