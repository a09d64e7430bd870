"""Gradient clipping: element-wise by value and global rescaling by norm, both in place."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from mlplab import Parameter, clip_grad_norm, clip_grad_value


def with_grad(g, dtype=np.float64):
    p = Parameter(np.zeros(np.shape(g), dtype=dtype))
    p.add_grad(np.asarray(g, dtype=dtype))
    return p


def global_norm(params):
    return np.sqrt(sum(float(np.sum(p.grad**2)) for p in params))


def test_clip_value_symmetric_in_place():
    a, b = with_grad([-3.0, 0.5, 2.0]), with_grad([[0.9, -1.2]])
    grads = (a.grad, b.grad)
    assert clip_grad_value([a, b], 1.0) is None
    assert a.grad is grads[0] and b.grad is grads[1]
    assert_array_equal(a.grad, [-1.0, 0.5, 1.0])
    assert_array_equal(b.grad, [[0.9, -1.0]])


def test_clip_value_asymmetric_range():
    p = with_grad([-3.0, -0.2, 0.5, 2.0, 5.0])
    clip_grad_value([p], max_value=2.0, min_value=-0.5)
    assert_array_equal(p.grad, [-0.5, -0.2, 0.5, 2.0, 2.0])


def test_clip_value_range_entirely_positive():
    p = with_grad([-1.0, 0.3, 0.7])
    clip_grad_value([p], max_value=0.5, min_value=0.1)
    assert_array_equal(p.grad, [0.1, 0.3, 0.5])


def test_clip_value_keeps_float32():
    p = with_grad([-3.0, 3.0], dtype=np.float32)
    clip_grad_value([p], 1.5)
    assert p.grad.dtype == np.float32
    assert_array_equal(p.grad, np.array([-1.5, 1.5], dtype=np.float32))


@pytest.mark.parametrize("max_value", [0.0, -1.0])
def test_clip_value_symmetric_needs_positive_max(max_value):
    with pytest.raises(ValueError, match="max_value"):
        clip_grad_value([with_grad([1.0])], max_value)


def test_clip_value_min_above_max_raises():
    p = with_grad([1.0, -1.0])
    with pytest.raises(ValueError, match="min_value"):
        clip_grad_value([p], max_value=0.5, min_value=1.0)
    assert_array_equal(p.grad, [1.0, -1.0])


def test_clip_norm_returns_global_norm_before_clipping_and_rescales():
    a, b = with_grad([3.0, 4.0]), with_grad([[12.0]])  # global norm sqrt(9 + 16 + 144) = 13
    before = (a.grad.copy(), b.grad.copy())
    grads = (a.grad, b.grad)
    total = clip_grad_norm([a, b], 6.5)
    assert total == pytest.approx(13.0, rel=1e-12)
    assert a.grad is grads[0] and b.grad is grads[1]
    assert global_norm([a, b]) == pytest.approx(6.5, rel=1e-6)
    # one common factor: the direction is kept
    factor = 6.5 / (13.0 + 1e-6)
    assert_allclose(a.grad, before[0] * factor, rtol=1e-12)
    assert_allclose(b.grad, before[1] * factor, rtol=1e-12)


def test_clip_norm_is_global_not_per_parameter():
    a, b = with_grad([1.0, 0.0]), with_grad([0.0, 10.0])
    clip_grad_norm([a, b], 1.0)
    # per-parameter clipping would leave a untouched at norm 1
    assert a.grad[0] == pytest.approx(1.0 / np.sqrt(101.0), rel=1e-5)
    assert b.grad[1] == pytest.approx(10.0 / np.sqrt(101.0), rel=1e-5)


def test_clip_norm_no_change_below_max_norm():
    rng = np.random.default_rng(0)
    params = [with_grad(rng.normal(size=(3, 2))), with_grad(rng.normal(size=4))]
    before = [p.grad.copy() for p in params]
    norm = global_norm(params)
    assert clip_grad_norm(params, norm * 2) == pytest.approx(norm, rel=1e-12)
    for p, g in zip(params, before):
        assert_array_equal(p.grad, g)


def test_clip_norm_random_gradients():
    rng = np.random.default_rng(1)
    params = [with_grad(rng.normal(size=(5, 3)) * 10), with_grad(rng.normal(size=3) * 10)]
    before = [p.grad.copy() for p in params]
    norm = global_norm(params)
    assert clip_grad_norm(params, 2.0) == pytest.approx(norm, rel=1e-12)
    assert global_norm(params) == pytest.approx(2.0, rel=1e-6)
    ratios = np.concatenate([(p.grad / g).ravel() for p, g in zip(params, before)])
    assert_allclose(ratios, ratios[0], rtol=1e-12)


def test_clip_norm_float32_stays_float32():
    p = with_grad([30.0, 40.0], dtype=np.float32)
    assert clip_grad_norm([p], 5.0) == pytest.approx(50.0, rel=1e-6)
    assert p.grad.dtype == np.float32
    assert_allclose(p.grad, [3.0, 4.0], rtol=1e-5)


@pytest.mark.parametrize("max_norm", [0.0, -1.0, float("nan"), float("inf")])
def test_clip_norm_invalid_max_norm_raises(max_norm):
    with pytest.raises(ValueError, match="max_norm"):
        clip_grad_norm([with_grad([1.0])], max_norm)
