"""Optimizers: the first two steps of every torch.optim algorithm by hand, penalties, groups, state, validation."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import mlplab
from mlplab import SGD, Adadelta, Adagrad, Adam, AdamW, Optimizer, Parameter, RMSprop, UnknownNameError, get_optimizer

W0 = np.array([1.0, -2.0])
G1 = np.array([0.5, -1.5])
G2 = np.array([-0.25, 2.0])

# (class, keyword arguments) covering every variant of every algorithm.
VARIANTS = {
    "sgd": (SGD, dict(lr=0.1)),
    "sgd_momentum": (SGD, dict(lr=0.1, momentum=0.9)),
    "sgd_dampening": (SGD, dict(lr=0.1, momentum=0.9, dampening=0.3)),
    "sgd_nesterov": (SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
    "adam": (Adam, dict(lr=0.1)),
    "adam_amsgrad": (Adam, dict(lr=0.1, amsgrad=True)),
    "adamw": (AdamW, dict(lr=0.1)),
    "rmsprop": (RMSprop, dict(lr=0.01)),
    "rmsprop_centered": (RMSprop, dict(lr=0.01, centered=True)),
    "rmsprop_momentum": (RMSprop, dict(lr=0.01, momentum=0.5)),
    "adagrad": (Adagrad, dict(lr=0.1, lr_decay=0.1, initial_accumulator_value=0.1)),
    "adadelta": (Adadelta, dict(lr=1.0)),
}
ALL_CLASSES = [SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta]


def set_grad(p, g):
    """Give ``p`` the gradient ``g`` the way a backward pass would (no backward follows)."""
    p.zero_grad()
    p.add_grad(np.asarray(g, dtype=p.dtype))


def two_steps(cls, w0=W0, grads=(G1, G2), **kwargs):
    """Values of a parameter starting at ``w0`` after each of the steps with ``grads``."""
    p = Parameter(w0)
    opt = cls([p], **kwargs)
    values = []
    for g in grads:
        set_grad(p, g)
        opt.step()
        values.append(p.value.copy())
    return values


def assert_two_steps(cls, expected, **kwargs):
    w1, w2 = two_steps(cls, **kwargs)
    assert_allclose(w1, expected[0], rtol=1e-12, atol=1e-15)
    assert_allclose(w2, expected[1], rtol=1e-12, atol=1e-15)


# --------------------------------------------------------------------------- SGD


def test_sgd_plain_two_steps():
    lr = 0.1
    w1 = W0 - lr * G1
    w2 = w1 - lr * G2
    assert_two_steps(SGD, (w1, w2), lr=lr)


def test_sgd_momentum_two_steps():
    lr, mu = 0.1, 0.9
    b1 = G1  # torch: the buffer is the gradient itself on the first step
    w1 = W0 - lr * b1
    b2 = mu * b1 + G2
    w2 = w1 - lr * b2
    assert_two_steps(SGD, (w1, w2), lr=lr, momentum=mu)


def test_sgd_momentum_with_dampening_two_steps():
    lr, mu, tau = 0.1, 0.9, 0.3
    b1 = G1  # no dampening on the first step
    w1 = W0 - lr * b1
    b2 = mu * b1 + (1 - tau) * G2
    w2 = w1 - lr * b2
    assert_two_steps(SGD, (w1, w2), lr=lr, momentum=mu, dampening=tau)


def test_sgd_nesterov_two_steps():
    lr, mu = 0.1, 0.9
    b1 = G1
    w1 = W0 - lr * (G1 + mu * b1)
    b2 = mu * b1 + G2
    w2 = w1 - lr * (G2 + mu * b2)
    assert_two_steps(SGD, (w1, w2), lr=lr, momentum=mu, nesterov=True)


def test_sgd_coupled_weight_decay_two_steps():
    lr, wd = 0.1, 0.2
    w1 = W0 - lr * (G1 + wd * W0)
    w2 = w1 - lr * (G2 + wd * w1)
    assert_two_steps(SGD, (w1, w2), lr=lr, weight_decay=wd)


def test_sgd_weight_decay_enters_momentum_buffer():
    lr, mu, wd = 0.1, 0.9, 0.2
    d1 = G1 + wd * W0
    b1 = d1
    w1 = W0 - lr * b1
    d2 = G2 + wd * w1
    b2 = mu * b1 + d2
    w2 = w1 - lr * b2
    assert_two_steps(SGD, (w1, w2), lr=lr, momentum=mu, weight_decay=wd)


def test_sgd_l1_adds_l1_times_sign_of_w():
    lr, l1 = 0.1, 0.3
    w1 = W0 - lr * (G1 + l1 * np.sign(W0))
    w2 = w1 - lr * (G2 + l1 * np.sign(w1))
    assert_two_steps(SGD, (w1, w2), lr=lr, l1=l1)


# --------------------------------------------------------------------------- Adam / AdamW


def adam_by_hand(w0, grads, lr, beta1, beta2, eps, amsgrad=False, wd=0.0, decoupled=False):
    """torch.optim.Adam / AdamW written out step by step."""
    w = w0.copy()
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    v_max = np.zeros_like(w)
    out = []
    for t, g in enumerate(grads, start=1):
        if decoupled:
            w = w * (1 - lr * wd)
        elif wd:
            g = g + wd * w
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        bc1 = 1 - beta1**t
        bc2 = 1 - beta2**t
        if amsgrad:
            v_max = np.maximum(v_max, v)
            denom = np.sqrt(v_max) / np.sqrt(bc2) + eps
        else:
            denom = np.sqrt(v) / np.sqrt(bc2) + eps
        w = w - (lr / bc1) * m / denom
        out.append(w)
    return out


def test_adam_two_steps_explicit_scalars():
    # element 0 only, every number written out: g1 = 0.5, g2 = -0.25
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 0.01
    m1 = 0.1 * 0.5
    v1 = 0.001 * 0.25
    w1 = 1.0 - (lr / 0.1) * m1 / (np.sqrt(v1) / np.sqrt(0.001) + eps)
    m2 = 0.9 * m1 + 0.1 * -0.25
    v2 = 0.999 * v1 + 0.001 * 0.0625
    bc1, bc2 = 1 - 0.9**2, 1 - 0.999**2
    w2 = w1 - (lr / bc1) * m2 / (np.sqrt(v2) / np.sqrt(bc2) + eps)
    got = two_steps(Adam, lr=lr, betas=(b1, b2), eps=eps)
    assert got[0][0] == pytest.approx(w1, rel=1e-12)
    assert got[1][0] == pytest.approx(w2, rel=1e-12)


@pytest.mark.parametrize("eps", [1e-8, 0.05])
def test_adam_two_steps(eps):
    # a large eps makes its placement (after the bias-corrected square root) matter
    expected = adam_by_hand(W0, (G1, G2), lr=0.1, beta1=0.9, beta2=0.999, eps=eps)
    assert_two_steps(Adam, expected, lr=0.1, eps=eps)


def test_adam_amsgrad_two_steps_uses_running_max():
    # with beta2 = 0.5, element 0 has v2 < v1 (g2^2 < v1), so the maximum matters there
    kwargs = dict(lr=0.1, betas=(0.9, 0.5), eps=1e-8)
    expected = adam_by_hand(W0, (G1, G2), beta1=0.9, beta2=0.5, lr=0.1, eps=1e-8, amsgrad=True)
    assert_two_steps(Adam, expected, amsgrad=True, **kwargs)
    plain = two_steps(Adam, **kwargs)[1]
    amsgrad = two_steps(Adam, amsgrad=True, **kwargs)[1]
    assert abs(plain[0] - amsgrad[0]) > 1e-3  # element 0: v_max = v1 > v2
    assert plain[1] == pytest.approx(amsgrad[1], rel=1e-12)  # element 1: v2 > v1


def test_adam_coupled_weight_decay_two_steps():
    expected = adam_by_hand(W0, (G1, G2), lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8, wd=0.5)
    assert_two_steps(Adam, expected, lr=0.1, weight_decay=0.5)


def test_adamw_decoupled_weight_decay_two_steps():
    lr, wd = 0.1, 0.5
    expected = adam_by_hand(W0, (G1, G2), lr=lr, beta1=0.9, beta2=0.999, eps=1e-8, wd=wd, decoupled=True)
    assert_two_steps(AdamW, expected, lr=lr, weight_decay=wd)
    # and it is not the coupled form
    coupled = adam_by_hand(W0, (G1, G2), lr=lr, beta1=0.9, beta2=0.999, eps=1e-8, wd=wd)
    assert not np.allclose(two_steps(AdamW, lr=lr, weight_decay=wd)[1], coupled[1])


def test_adamw_first_step_is_shrink_then_adam_step():
    lr, wd = 0.1, 0.5
    # Adam's first step with bias correction: m_hat = g, v_hat = g^2, so the step is lr * g / (|g| + eps)
    w1 = W0 * (1 - lr * wd) - lr * G1 / (np.abs(G1) + 1e-8)
    assert_allclose(two_steps(AdamW, grads=(G1,), lr=lr, weight_decay=wd)[0], w1, rtol=1e-12)


def test_adamw_default_weight_decay_is_0_01_and_adam_default_0():
    p = Parameter(W0)
    assert AdamW([p]).param_groups[0]["weight_decay"] == 0.01
    assert Adam([p]).param_groups[0]["weight_decay"] == 0.0


# --------------------------------------------------------------------------- RMSprop


def rmsprop_by_hand(w0, grads, lr, alpha, eps, momentum=0.0, centered=False):
    w = w0.copy()
    s = np.zeros_like(w)
    g_avg = np.zeros_like(w)
    buf = np.zeros_like(w)
    out = []
    for g in grads:
        s = alpha * s + (1 - alpha) * g * g
        if centered:
            g_avg = alpha * g_avg + (1 - alpha) * g
            d = np.sqrt(s - g_avg * g_avg) + eps
        else:
            d = np.sqrt(s) + eps
        if momentum > 0:
            buf = momentum * buf + g / d
            w = w - lr * buf
        else:
            w = w - lr * g / d
        out.append(w)
    return out


def test_rmsprop_plain_two_steps_explicit():
    lr, a, eps = 0.01, 0.9, 1e-8
    s1 = (1 - a) * G1**2
    w1 = W0 - lr * G1 / (np.sqrt(s1) + eps)
    s2 = a * s1 + (1 - a) * G2**2
    w2 = w1 - lr * G2 / (np.sqrt(s2) + eps)
    assert_two_steps(RMSprop, (w1, w2), lr=lr, alpha=a, eps=eps)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(),
        dict(alpha=0.9, eps=0.01),
        dict(centered=True),
        dict(centered=True, alpha=0.8),
        dict(momentum=0.5),
        dict(momentum=0.5, centered=True, alpha=0.9),
    ],
    ids=["default", "alpha_eps", "centered", "centered_alpha", "momentum", "momentum_centered"],
)
def test_rmsprop_two_steps(kwargs):
    full = dict(lr=0.01, alpha=0.99, eps=1e-8, momentum=0.0, centered=False) | kwargs
    expected = rmsprop_by_hand(W0, (G1, G2), **full)
    assert_two_steps(RMSprop, expected, **full)


def test_rmsprop_centered_differs_from_plain():
    plain = two_steps(RMSprop, lr=0.01)[1]
    centered = two_steps(RMSprop, lr=0.01, centered=True)[1]
    assert not np.allclose(plain, centered)


# --------------------------------------------------------------------------- Adagrad


def test_adagrad_plain_two_steps():
    lr, eps = 0.1, 1e-10
    s1 = G1**2
    w1 = W0 - lr * G1 / (np.sqrt(s1) + eps)
    s2 = s1 + G2**2
    w2 = w1 - lr * G2 / (np.sqrt(s2) + eps)
    assert_two_steps(Adagrad, (w1, w2), lr=lr)


def test_adagrad_lr_decay_and_initial_accumulator_two_steps():
    lr, decay, init, eps = 0.1, 0.5, 0.25, 1e-10
    s1 = init + G1**2
    clr1 = lr / (1 + 0 * decay)
    w1 = W0 - clr1 * G1 / (np.sqrt(s1) + eps)
    s2 = s1 + G2**2
    clr2 = lr / (1 + 1 * decay)
    w2 = w1 - clr2 * G2 / (np.sqrt(s2) + eps)
    assert_two_steps(Adagrad, (w1, w2), lr=lr, lr_decay=decay, initial_accumulator_value=init)


def test_adagrad_initial_accumulator_state():
    p = Parameter(W0)
    opt = Adagrad([p], lr=0.1, initial_accumulator_value=0.25)
    set_grad(p, G1)
    opt.step()
    assert_allclose(opt.state[p]["sum"], 0.25 + G1**2)


# --------------------------------------------------------------------------- Adadelta


@pytest.mark.parametrize("lr, rho, eps", [(1.0, 0.9, 1e-6), (0.5, 0.8, 1e-3)])
def test_adadelta_two_steps(lr, rho, eps):
    s1 = (1 - rho) * G1**2
    delta1 = np.sqrt(0.0 + eps) / np.sqrt(s1 + eps) * G1
    u1 = (1 - rho) * delta1**2
    w1 = W0 - lr * delta1
    s2 = rho * s1 + (1 - rho) * G2**2
    delta2 = np.sqrt(u1 + eps) / np.sqrt(s2 + eps) * G2
    w2 = w1 - lr * delta2
    assert_two_steps(Adadelta, (w1, w2), lr=lr, rho=rho, eps=eps)


# --------------------------------------------------------------------------- defaults


@pytest.mark.parametrize(
    "cls, expected",
    [
        (SGD, dict(lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False)),
        (Adam, dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False)),
        (AdamW, dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False)),
        (RMSprop, dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False)),
        (Adagrad, dict(lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10)),
        (Adadelta, dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0)),
    ],
)
def test_defaults_match_torch(cls, expected):
    group = cls([Parameter(W0)]).param_groups[0]
    for key, value in expected.items():
        assert group[key] == value, key


# --------------------------------------------------------------------------- penalties on every optimizer


@pytest.mark.parametrize("name", sorted(set(VARIANTS) - {"adamw"}))
def test_coupled_weight_decay_is_gradient_plus_wd_times_w(name):
    cls, kwargs = VARIANTS[name]
    wd = 0.3
    p_decay, p_manual = Parameter(W0), Parameter(W0)
    opt_decay = cls([p_decay], weight_decay=wd, **kwargs)
    opt_manual = cls([p_manual], **kwargs)
    for g in (G1, G2):
        set_grad(p_decay, g)
        set_grad(p_manual, g + wd * p_manual.value)
        opt_decay.step()
        opt_manual.step()
    assert_allclose(p_decay.value, p_manual.value, rtol=1e-12)
    assert_array_equal(p_decay.grad, G2)  # the stored gradient itself is not modified


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_l1_is_gradient_plus_l1_times_sign(name):
    cls, kwargs = VARIANTS[name]
    if cls is AdamW:
        kwargs = kwargs | dict(weight_decay=0.0)
    l1 = 0.2
    p_l1, p_manual = Parameter(W0), Parameter(W0)
    opt_l1 = cls([p_l1], l1=l1, **kwargs)
    opt_manual = cls([p_manual], **kwargs)
    for g in (G1, G2):
        set_grad(p_l1, g)
        set_grad(p_manual, g + l1 * np.sign(p_manual.value))
        opt_l1.step()
        opt_manual.step()
    assert_allclose(p_l1.value, p_manual.value, rtol=1e-12)


# --------------------------------------------------------------------------- groups and lr


def test_parameter_groups_with_own_lr_and_weight_decay():
    w, b = Parameter([1.0, -2.0]), Parameter([0.5])
    opt = SGD([{"params": [w]}, {"params": [b], "weight_decay": 0.0, "lr": 0.5}], lr=0.1, weight_decay=0.2)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[0]["weight_decay"] == 0.2
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["weight_decay"] == 0.0
    set_grad(w, [1.0, 1.0])
    set_grad(b, [1.0])
    opt.step()
    assert_allclose(w.value, [1.0 - 0.1 * (1.0 + 0.2 * 1.0), -2.0 - 0.1 * (1.0 + 0.2 * -2.0)], rtol=1e-12)
    assert_allclose(b.value, [0.5 - 0.5 * 1.0], rtol=1e-12)  # bias exempt from decay


def test_group_defaults_filled_from_constructor():
    a, b = Parameter([1.0]), Parameter([2.0])
    opt = Adam([{"params": [a]}, {"params": [b], "betas": (0.5, 0.6)}], lr=0.01, eps=1e-6)
    assert opt.param_groups[0]["betas"] == (0.9, 0.999)
    assert opt.param_groups[1]["betas"] == (0.5, 0.6)
    assert all(g["eps"] == 1e-6 and g["lr"] == 0.01 for g in opt.param_groups)


def test_invalid_hyper_parameter_in_a_group_raises():
    a, b = Parameter([1.0]), Parameter([2.0])
    with pytest.raises(ValueError, match="weight_decay"):
        SGD([{"params": [a]}, {"params": [b], "weight_decay": -1.0}], lr=0.1)


def test_lr_property_gets_first_group_and_sets_all_groups():
    a, b = Parameter([1.0]), Parameter([2.0])
    opt = SGD([{"params": [a], "lr": 0.1}, {"params": [b], "lr": 0.2}])
    assert opt.lr == 0.1
    opt.lr = 0.05
    assert [g["lr"] for g in opt.param_groups] == [0.05, 0.05]
    set_grad(a, [1.0])
    set_grad(b, [1.0])
    opt.step()
    assert a.value[0] == pytest.approx(0.95) and b.value[0] == pytest.approx(1.95)


def test_lr_setter_rejects_negative():
    opt = SGD([Parameter([1.0])], lr=0.1)
    with pytest.raises(ValueError, match="learning rate"):
        opt.lr = -0.1
    assert opt.lr == 0.1


# --------------------------------------------------------------------------- state, dtype, in place


def test_state_created_on_first_step_and_keyed_by_parameter():
    p, q = Parameter(W0), Parameter([3.0])
    opt = Adam([p, q], lr=0.1)
    assert opt.state == {}
    set_grad(p, G1)
    set_grad(q, [1.0])
    opt.step()
    assert set(opt.state) == {p, q}
    assert opt.state[p]["step"] == 1
    assert_allclose(opt.state[p]["m"], 0.1 * G1)
    assert_allclose(opt.state[p]["v"], 0.001 * G1**2)
    assert opt.state[q]["m"].shape == (1,)
    opt.step()
    assert opt.state[p]["step"] == 2 and opt.state[q]["step"] == 2


def test_momentum_buffer_state_for_sgd():
    p = Parameter(W0)
    opt = SGD([p], lr=0.1, momentum=0.9)
    set_grad(p, G1)
    opt.step()
    set_grad(p, G2)
    opt.step()
    assert_allclose(opt.state[p]["velocity"], 0.9 * G1 + G2)


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_parameters_have_independent_state(name):
    cls, kwargs = VARIANTS[name]
    together = [Parameter(W0), Parameter(-W0)]
    alone = [Parameter(W0), Parameter(-W0)]
    opt = cls(together, **kwargs)
    opts = [cls([p], **kwargs) for p in alone]
    for g in (G1, G2):
        for k in range(2):
            set_grad(together[k], (k + 1) * g)
            set_grad(alone[k], (k + 1) * g)
        opt.step()
        for o in opts:
            o.step()
    for p, q in zip(together, alone):
        assert_allclose(p.value, q.value, rtol=1e-12)


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_float32_stays_float32(name):
    cls, kwargs = VARIANTS[name]
    p32 = Parameter(W0.astype(np.float32))
    opt = cls([p32], weight_decay=0.01, **kwargs)
    for g in (G1, G2):
        set_grad(p32, g)
        opt.step()
    assert p32.value.dtype == np.float32 and p32.grad.dtype == np.float32
    for key, value in opt.state[p32].items():
        if isinstance(value, np.ndarray):
            assert value.dtype == np.float32, key
    expected = two_steps(cls, weight_decay=0.01, **kwargs)[1]
    assert_allclose(p32.value, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_updates_in_place(name):
    cls, kwargs = VARIANTS[name]
    p = Parameter(W0)
    value, grad = p.value, p.grad
    opt = cls([p], **kwargs)
    for g in (G1, G2):
        set_grad(p, g)
        opt.step()
    assert p.value is value and p.grad is grad
    assert not np.array_equal(value, W0)  # the held reference saw the update


def test_zero_grad_zeroes_every_gradient_in_place():
    a, b = Parameter(W0), Parameter([[1.0, 2.0]])
    opt = SGD([{"params": [a]}, {"params": [b]}], lr=0.1)
    set_grad(a, G1)
    set_grad(b, [[3.0, 4.0]])
    grads = (a.grad, b.grad)
    opt.zero_grad()
    assert a.grad is grads[0] and b.grad is grads[1]
    assert not a.grad.any() and not b.grad.any()


def test_step_with_zero_gradient_leaves_sgd_parameter_unchanged():
    p = Parameter(W0)
    SGD([p], lr=0.1, momentum=0.9).step()
    assert_array_equal(p.value, W0)


# --------------------------------------------------------------------------- convergence


A = np.array([[3.0, 1.0], [1.0, 2.0], [0.5, -1.0]])
B = np.array([1.0, -2.0, 0.5])


def quadratic(w):
    r = A @ w - B
    return 0.5 * float(r @ r)


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("sgd", dict(lr=0.05)),
        ("sgd", dict(lr=0.01, momentum=0.9)),
        ("sgd", dict(lr=0.01, momentum=0.9, dampening=0.5)),
        ("sgd", dict(lr=0.01, momentum=0.9, nesterov=True)),
        ("adam", dict(lr=0.05)),
        ("adam", dict(lr=0.05, amsgrad=True)),
        ("adamw", dict(lr=0.05)),
        ("rmsprop", dict(lr=0.01)),
        ("rmsprop", dict(lr=0.01, centered=True)),
        ("rmsprop", dict(lr=0.01, momentum=0.5)),
        ("adagrad", dict(lr=0.5)),
        ("adagrad", dict(lr=0.5, lr_decay=0.01, initial_accumulator_value=0.1)),
        ("adadelta", dict(lr=1.0, eps=1e-3)),
    ],
)
def test_reduces_convex_quadratic(name, kwargs):
    w_star = np.linalg.lstsq(A, B, rcond=None)[0]
    f_star = quadratic(w_star)
    p = Parameter([2.0, 2.0])
    opt = get_optimizer(name, [p], **kwargs)
    f0 = quadratic(p.value)
    for _ in range(200):
        opt.zero_grad()
        p.add_grad(A.T @ (A @ p.value - B))
        opt.step()
    assert quadratic(p.value) - f_star < 0.1 * (f0 - f_star)


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize("cls", ALL_CLASSES)
@pytest.mark.parametrize("lr", [0.0, -0.1])
def test_non_positive_lr_raises(cls, lr):
    with pytest.raises(ValueError, match=rf"Invalid learning rate: {lr!r}"):
        cls([Parameter(W0)], lr=lr)


@pytest.mark.parametrize("cls", ALL_CLASSES)
def test_negative_weight_decay_raises(cls):
    with pytest.raises(ValueError, match=r"Invalid weight_decay: -0\.5"):
        cls([Parameter(W0)], lr=0.1, weight_decay=-0.5)


@pytest.mark.parametrize("cls", ALL_CLASSES)
def test_negative_l1_raises(cls):
    with pytest.raises(ValueError, match=r"Invalid l1: -0\.1"):
        cls([Parameter(W0)], lr=0.1, l1=-0.1)


@pytest.mark.parametrize("cls", [SGD, RMSprop])
@pytest.mark.parametrize("momentum", [-0.1, 1.0, 1.5])
def test_momentum_outside_unit_interval_raises(cls, momentum):
    with pytest.raises(ValueError, match=rf"Invalid momentum: {momentum!r}"):
        cls([Parameter(W0)], lr=0.1, momentum=momentum)


@pytest.mark.parametrize("cls", [Adam, AdamW])
@pytest.mark.parametrize(
    "betas, bad", [((1.0, 0.999), "beta1: 1.0"), ((-0.1, 0.999), "beta1: -0.1"), ((0.9, 1.0), "beta2: 1.0")]
)
def test_betas_outside_unit_interval_raise(cls, betas, bad):
    with pytest.raises(ValueError, match=rf"Invalid {bad}"):
        cls([Parameter(W0)], lr=0.1, betas=betas)


def test_betas_must_be_a_pair():
    with pytest.raises(ValueError, match="betas"):
        Adam([Parameter(W0)], lr=0.1, betas=(0.9,))


@pytest.mark.parametrize("kwargs", [dict(), dict(momentum=0.9, dampening=0.1)])
def test_nesterov_without_momentum_or_with_dampening_raises(kwargs):
    with pytest.raises(ValueError, match=r"Nesterov.*momentum="):
        SGD([Parameter(W0)], lr=0.1, nesterov=True, **kwargs)


@pytest.mark.parametrize(
    "cls, kwargs, name",
    [
        (Adam, dict(eps=-1e-8), "eps"),
        (RMSprop, dict(alpha=1.0), "alpha"),
        (Adagrad, dict(lr_decay=-0.1), "lr_decay"),
        (Adagrad, dict(initial_accumulator_value=-1.0), "initial_accumulator_value"),
        (Adadelta, dict(rho=1.5), "rho"),
        (SGD, dict(dampening=-0.1), "dampening"),
    ],
)
def test_other_invalid_hyper_parameters_raise(cls, kwargs, name):
    with pytest.raises(ValueError, match=rf"Invalid {name}"):
        cls([Parameter(W0)], lr=0.1, **kwargs)


@pytest.mark.parametrize("cls", ALL_CLASSES)
def test_empty_parameter_list_raises(cls):
    with pytest.raises(ValueError, match="empty"):
        cls([], lr=0.1)


@pytest.mark.parametrize("bad", [np.array([1.0, 2.0]), 3.0, "w"])
def test_non_parameter_raises_type_error(bad):
    with pytest.raises(TypeError, match="Parameter"):
        SGD([Parameter(W0), bad], lr=0.1)


# --------------------------------------------------------------------------- registry


@pytest.mark.parametrize("name", mlplab.OPTIMIZERS.names())
def test_every_registered_name_builds(name):
    p = Parameter(W0)
    opt = get_optimizer(name, [p], lr=0.01)
    assert isinstance(opt, Optimizer)
    assert opt.lr == 0.01
    set_grad(p, G1)
    opt.step()
    assert not np.array_equal(p.value, W0)


@pytest.mark.parametrize(
    "name, cls",
    [
        ("sgd", SGD),
        ("Adam", Adam),
        ("ADAMW", AdamW),
        ("rmsprop", RMSprop),
        ("adagrad", Adagrad),
        ("adadelta", Adadelta),
    ],
)
def test_name_resolves_to_class(name, cls):
    assert type(get_optimizer(name, [Parameter(W0)], lr=0.01)) is cls


def test_unknown_name_lists_valid_names():
    with pytest.raises(UnknownNameError) as info:
        get_optimizer("adamax", [Parameter(W0)], lr=0.01)
    message = str(info.value)
    assert "adamax" in message
    for name in mlplab.OPTIMIZERS.names():
        assert name in message


def test_get_optimizer_returns_instance_unchanged_and_needs_params_for_names():
    opt = SGD([Parameter(W0)], lr=0.1)
    assert get_optimizer(opt) is opt
    with pytest.raises(ValueError, match="parameters"):
        get_optimizer("sgd")


# --------------------------------------------------------------------------- packed parameters, one flat update


def _packed_and_separate(seed=0):
    """The parameters of a packed MLP, and unpacked copies of them."""
    packed = mlplab.MLP([5, 4, 3], batch_norm=True, rng=seed).parameters()
    separate = [Parameter(p.value.copy()) for p in packed]
    return packed, separate


def _give_gradients(params, rng):
    for p in params:
        p.zero_grad()
    grads = [rng.normal(size=p.shape) for p in params]
    for p, g in zip(params, grads):
        p.add_grad(g.astype(p.dtype))


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_flat_update_of_packed_parameters_equals_per_parameter_updates(name):
    cls, kwargs = VARIANTS[name]
    packed, separate = _packed_and_separate()
    flat_opt, opt = cls(packed, weight_decay=0.01, **kwargs), cls(separate, weight_decay=0.01, **kwargs)
    assert flat_opt._flat[0] is not None and opt._flat[0] is None
    for step in range(3):
        for params in (packed, separate):
            _give_gradients(params, np.random.default_rng(step))
        flat_opt.step()
        opt.step()
    for p, q in zip(packed, separate):
        assert_allclose(p.value, q.value, rtol=1e-6, atol=1e-7)
    for p, q in zip(packed, separate):
        for key, value in opt.state[q].items():
            assert_allclose(flat_opt.state[p][key], value, rtol=1e-6, atol=1e-7)


def test_flat_state_is_shared_as_views_and_round_trips_through_state_dict():
    packed, _ = _packed_and_separate()
    opt = Adam(packed, lr=0.1)
    assert opt.state == {}
    _give_gradients(packed, np.random.default_rng(0))
    opt.step()
    m = opt.state[packed[0]]["m"]
    assert m.shape == packed[0].shape and opt.state[packed[0]]["step"] == 1
    saved = opt.state_dict()
    restored_params, _ = _packed_and_separate()
    for p, q in zip(restored_params, packed):
        q_value = q.value.copy()
        p.value[...] = q_value
    restored = Adam(restored_params, lr=0.1)
    restored.load_state_dict(saved)
    assert restored._flat[0] is not None
    for step in (1, 2):
        for params in (packed, restored_params):
            _give_gradients(params, np.random.default_rng(step))
        opt.step()
        restored.step()
    for p, q in zip(packed, restored_params):
        assert_array_equal(p.value, q.value)
    assert restored.state[restored_params[-1]]["step"] == 3


def test_a_replaced_parameter_array_falls_back_to_per_parameter_updates():
    packed, separate = _packed_and_separate()
    opt, reference = SGD(packed, lr=0.1, momentum=0.9), SGD(separate, lr=0.1, momentum=0.9)
    _give_gradients(packed, np.random.default_rng(0))
    _give_gradients(separate, np.random.default_rng(0))
    opt.step()
    reference.step()
    packed[1].value = packed[1].value.copy()  # no longer a view into the packed array
    _give_gradients(packed, np.random.default_rng(1))
    _give_gradients(separate, np.random.default_rng(1))
    opt.step()
    reference.step()
    assert opt._flat[0] is None
    for p, q in zip(packed, separate):
        assert_allclose(p.value, q.value, rtol=1e-6)


def test_a_member_without_gradient_counts_as_zero_in_a_flat_update():
    packed, _ = _packed_and_separate()
    before = [p.value.copy() for p in packed]
    packed[0].add_grad(np.full(packed[0].shape, 3.0, dtype=packed[0].dtype))
    opt = SGD(packed, lr=0.1)
    opt.zero_grad()  # stale 3.0s stay in memory until something reads or writes them
    packed[1].add_grad(np.ones(packed[1].shape, dtype=packed[1].dtype))
    opt.step()
    assert_array_equal(packed[0].value, before[0])
    assert_allclose(packed[1].value, before[1] - 0.1)


def test_an_assigned_gradient_array_is_used_by_a_packed_optimizer():
    packed, separate = _packed_and_separate()
    opt, reference = SGD(packed, lr=0.1), SGD(separate, lr=0.1)
    for p, q in zip(packed, separate):
        g = np.full(p.shape, 2.0, dtype=p.dtype)
        p.grad = g.copy()
        q.grad = g.copy()
    opt.step()
    reference.step()
    for p, q in zip(packed, separate):
        assert_allclose(p.value, q.value)
