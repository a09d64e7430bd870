"""L1 and L2 penalties by hand, and their gradients as the optimizers' weight_decay and l1."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from mlplab import SGD, Parameter, l1_penalty, l2_penalty


def make_params():
    return [Parameter([[1.0, -2.0], [0.5, 3.0]]), Parameter([-1.5, 0.25])]


def test_l2_penalty_by_hand():
    # sum of squares: 1 + 4 + 0.25 + 9 + 2.25 + 0.0625 = 16.5625
    assert l2_penalty(make_params(), 0.1) == pytest.approx(0.1 / 2 * 16.5625, rel=1e-12)


def test_l1_penalty_by_hand():
    # sum of absolute values: 1 + 2 + 0.5 + 3 + 1.5 + 0.25 = 8.25
    assert l1_penalty(make_params(), 0.1) == pytest.approx(0.1 * 8.25, rel=1e-12)


def test_penalties_zero_for_zero_lambda_or_weights():
    assert l2_penalty(make_params(), 0.0) == 0.0
    assert l1_penalty([Parameter(np.zeros(3))], 0.5) == 0.0


def numerical_gradient(penalty, params, lam, h=1e-6):
    grads = []
    for p in params:
        g = np.zeros_like(p.value)
        for i in np.ndindex(p.shape):
            old = p.value[i]
            p.value[i] = old + h
            up = penalty(params, lam)
            p.value[i] = old - h
            down = penalty(params, lam)
            p.value[i] = old
            g[i] = (up - down) / (2 * h)
        grads.append(g)
    return grads


def test_l2_gradient_is_lam_times_w():
    lam, params = 0.3, make_params()
    for p, g in zip(params, numerical_gradient(l2_penalty, params, lam)):
        assert_allclose(g, lam * p.value, rtol=1e-6, atol=1e-9)


def test_l1_gradient_is_lam_times_sign_w():
    lam, params = 0.3, make_params()
    for p, g in zip(params, numerical_gradient(l1_penalty, params, lam)):
        assert_allclose(g, lam * np.sign(p.value), rtol=1e-6, atol=1e-9)


def test_l2_gradient_matches_sgd_weight_decay():
    # with a zero loss gradient, one SGD step with weight_decay=lam moves by -lr * d(l2_penalty)/dw
    lam, lr = 0.3, 0.5
    params = make_params()
    start = [p.value.copy() for p in params]
    numeric = numerical_gradient(l2_penalty, params, lam)
    SGD(params, lr=lr, weight_decay=lam).step()
    for p, w, g in zip(params, start, numeric):
        assert_allclose(p.value, w - lr * g, rtol=1e-6, atol=1e-9)


def test_l1_gradient_matches_sgd_l1():
    lam, lr = 0.3, 0.5
    params = make_params()
    start = [p.value.copy() for p in params]
    numeric = numerical_gradient(l1_penalty, params, lam)
    SGD(params, lr=lr, l1=lam).step()
    for p, w, g in zip(params, start, numeric):
        assert_allclose(p.value, w - lr * g, rtol=1e-6, atol=1e-9)


def test_sgd_weight_decay_is_lectures_weight_decay_form():
    eta, lam = 0.1, 0.2
    w = np.array([1.0, -2.0, 0.5])
    g = np.array([0.3, 0.4, -1.0])
    p = Parameter(w)
    p.add_grad(g)
    SGD([p], lr=eta, weight_decay=lam).step()
    assert_allclose(p.value, (1 - eta * lam) * w - eta * g, rtol=1e-12)
