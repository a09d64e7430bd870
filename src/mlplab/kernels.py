"""Optional compiled kernels for the optimizers and the softmax loss, with numba (``pip install "mlplab[fast]"``).

These are fast paths: the readable code is elsewhere. Adam's update is about
a dozen NumPy passes over the parameters (``sqrt`` alone is a quarter of it),
SGD with momentum four, and each pass allocates its result; one compiled
loop does each in a single pass, which keeps the working set in cache: Adam
runs about 4.5x faster on a 200,000-parameter network, momentum SGD about
2-3x. RMSprop, AdaGrad and Adadelta have kernels of their own. An optimizer picks its
kernel in one place, :meth:`mlplab.optimizers.Optimizer._step_one`, through
its ``_fast_update`` hook, and otherwise runs its ``_update``, which reads as
the formula in its docstring. Each kernel performs the very same
floating-point operations in the same order as that ``_update`` (no fused
multiply-add, no fast-math), so both paths give bit-identical results (the
optimizers store their hyper-parameters as Python floats, which NumPy applies
in the array's dtype, as the kernels do). Only C-contiguous float32 and
float64 arrays go to the kernels (:func:`fits`).

Softmax cross-entropy on a small batch is a dozen tiny NumPy calls, each
costing more in overhead than in arithmetic; the kernel does it in one pass
per row (its ``exp`` and ``log`` may differ from NumPy's in the last bit, and
it sums the loss in float64). Without numba, or with the environment
variable ``MLPLAB_NUMBA=0``, or after ``set_enabled(False)``, the NumPy code runs.
"""

from __future__ import annotations

import importlib.util
import math
import os
from collections.abc import Callable
from typing import Any

import numpy as np

_enabled = os.environ.get("MLPLAB_NUMBA", "1") != "0" and importlib.util.find_spec("numba") is not None
_compiled: dict[str, Callable[..., Any]] = {}


def enabled() -> bool:
    """Whether the compiled kernels are in use."""
    return _enabled


def set_enabled(flag: bool) -> bool:
    """Switch the compiled kernels on or off; returns the previous setting.

    Raises
    ------
    ImportError
        If switched on while numba is not installed.
    """
    global _enabled
    if flag and importlib.util.find_spec("numba") is None:
        raise ImportError('the compiled kernels need numba: pip install "mlplab[fast]"')
    previous, _enabled = _enabled, bool(flag)
    return previous


def _compile(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    kernel = _compiled.get(name)
    if kernel is None:
        import numba

        kernel = _compiled[name] = numba.njit(cache=True, nogil=True, error_model="numpy")(function)
    return kernel


def _momentum(w: Any, g: Any, v: Any, lr: Any, mu: Any, one_minus_tau: Any, nesterov: bool) -> None:  # pragma: no cover
    for i in range(w.size):
        gi = g[i]
        vi = v[i] * mu + one_minus_tau * gi
        v[i] = vi
        w[i] -= lr * (gi + mu * vi) if nesterov else lr * vi


def _adam(
    w: Any,
    g: Any,
    m: Any,
    v: Any,
    v_max: Any,
    amsgrad: bool,
    beta1: Any,
    one_minus_beta1: Any,
    beta2: Any,
    one_minus_beta2: Any,
    eps: Any,
    step_size: Any,
    inv_bias2: Any,
) -> None:  # pragma: no cover
    for i in range(w.size):
        gi = g[i]
        mi = m[i] * beta1 + one_minus_beta1 * gi
        vi = v[i] * beta2 + one_minus_beta2 * (gi * gi)
        m[i] = mi
        v[i] = vi
        if amsgrad:
            vi = v_max[i] = np.maximum(v_max[i], vi)
        w[i] -= mi / (np.sqrt(vi) * inv_bias2 + eps) * step_size


def _rmsprop(
    w: Any,
    g: Any,
    s: Any,
    g_avg: Any,
    buf: Any,
    centered: bool,
    momentum: bool,
    alpha: Any,
    one_minus_alpha: Any,
    eps: Any,
    lr: Any,
    mu: Any,
) -> None:  # pragma: no cover
    for i in range(w.size):
        gi = g[i]
        si = s[i] * alpha + one_minus_alpha * gi * gi
        s[i] = si
        if centered:
            ai = g_avg[i] * alpha + one_minus_alpha * gi
            g_avg[i] = ai
            d = np.sqrt(si - ai * ai) + eps
        else:
            d = np.sqrt(si) + eps
        if momentum:
            bi = buf[i] * mu + gi / d
            buf[i] = bi
            w[i] -= lr * bi
        else:
            w[i] -= lr * (gi / d)


def _adagrad(w: Any, g: Any, s: Any, lr_t: Any, eps: Any) -> None:  # pragma: no cover
    for i in range(w.size):
        gi = g[i]
        si = s[i] + gi * gi
        s[i] = si
        w[i] -= lr_t * (gi / (np.sqrt(si) + eps))


def _adadelta(
    w: Any, g: Any, s: Any, u: Any, lr: Any, rho: Any, one_minus_rho: Any, eps: Any
) -> None:  # pragma: no cover
    for i in range(w.size):
        gi = g[i]
        si = s[i] * rho + one_minus_rho * gi * gi
        s[i] = si
        delta = np.sqrt(u[i] + eps) / np.sqrt(si + eps) * gi
        u[i] = u[i] * rho + one_minus_rho * delta * delta
        w[i] -= lr * delta


_KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def fits(*arrays: np.ndarray | None) -> bool:
    """Whether the kernels take these arrays: all C-contiguous and all float32 or all float64.

    ``None`` entries (optional state that is absent, such as AMSGrad's ``v_max``) are skipped.
    """
    present = [a for a in arrays if a is not None]
    dtype = present[0].dtype
    return dtype in _KERNEL_DTYPES and all(a.flags.c_contiguous and a.dtype == dtype for a in present)


def momentum_update(
    w: np.ndarray, g: np.ndarray, v: np.ndarray, lr: float, momentum: float, dampening: float, nesterov: bool
) -> None:
    r"""The fast path of :meth:`mlplab.SGD._update` after the first step, in one pass and in place:

    .. math::

        v \leftarrow \mu v + (1 - \tau) g, \qquad
        w \leftarrow w - \eta \begin{cases} g + \mu v & \text{Nesterov} \\ v & \text{otherwise,} \end{cases}

    with the same floating-point operations in the same order. The arrays must
    pass :func:`fits`; the hyper-parameters are applied in their dtype.
    """
    dtype = w.dtype.type
    _compile("momentum", _momentum)(
        w.reshape(-1), g.reshape(-1), v.reshape(-1), dtype(lr), dtype(momentum), dtype(1 - dampening), nesterov
    )


def adam_update(
    w: np.ndarray,
    g: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    v_max: np.ndarray | None,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    step: int,
) -> None:
    r"""The fast path of :meth:`mlplab.Adam._update` at step ``step`` (:math:`t`), in one pass and in place:

    .. math::

        m \leftarrow \beta_1 m + (1-\beta_1) g, \quad
        v \leftarrow \beta_2 v + (1-\beta_2) g^2, \quad
        w \leftarrow w - \frac{m}{\sqrt{v}\, c_2 + \epsilon}\, s,

    with :math:`s = \eta/(1-\beta_1^t)` and :math:`c_2 = 1/\sqrt{1-\beta_2^t}`
    computed as ``Adam._update`` computes them, and the same floating-point
    operations in the same order. With ``v_max`` (AMSGrad) its running maximum
    ``v_max = max(v_max, v)`` replaces :math:`v` in the denominator. The arrays
    must pass :func:`fits`; the hyper-parameters are applied in their dtype.
    """
    dtype = w.dtype.type
    step_size = lr / (1 - beta1**step)
    inv_bias2 = 1 / math.sqrt(1 - beta2**step)
    absent = v  # passed for an absent v_max: the kernel never reads it
    _compile("adam", _adam)(
        w.reshape(-1),
        g.reshape(-1),
        m.reshape(-1),
        v.reshape(-1),
        (absent if v_max is None else v_max).reshape(-1),
        v_max is not None,
        dtype(beta1),
        dtype(1 - beta1),
        dtype(beta2),
        dtype(1 - beta2),
        dtype(eps),
        dtype(step_size),
        dtype(inv_bias2),
    )


def rmsprop_update(
    w: np.ndarray,
    g: np.ndarray,
    square_avg: np.ndarray,
    grad_avg: np.ndarray | None,
    buf: np.ndarray | None,
    lr: float,
    alpha: float,
    eps: float,
    momentum: float,
) -> None:
    r"""The fast path of :meth:`mlplab.RMSprop._update`, in one pass and in place:

    .. math::

        s \leftarrow \alpha s + (1 - \alpha) g^2, \quad
        d = \sqrt{s - \bar g^2} + \epsilon \ (\text{centered, } \bar g \leftarrow \alpha \bar g + (1-\alpha) g)
        \text{ or } \sqrt{s} + \epsilon, \quad
        w \leftarrow w - \eta\, g / d

    (with ``buf``: :math:`b \leftarrow \mu b + g/d`, :math:`w \leftarrow w - \eta b`), with the
    same floating-point operations in the same order. ``grad_avg`` is given when
    centered, ``buf`` when :math:`\mu > 0`. The arrays must pass :func:`fits`.
    """
    dtype = w.dtype.type
    absent = square_avg  # passed for an absent array: the kernel never reads it
    _compile("rmsprop", _rmsprop)(
        w.reshape(-1),
        g.reshape(-1),
        square_avg.reshape(-1),
        (absent if grad_avg is None else grad_avg).reshape(-1),
        (absent if buf is None else buf).reshape(-1),
        grad_avg is not None,
        buf is not None,
        dtype(alpha),
        dtype(1 - alpha),
        dtype(eps),
        dtype(lr),
        dtype(momentum),
    )


def adagrad_update(
    w: np.ndarray, g: np.ndarray, total: np.ndarray, lr: float, lr_decay: float, eps: float, step: int
) -> None:
    r"""The fast path of :meth:`mlplab.Adagrad._update` at step ``step`` (:math:`t`), in one pass and in place:

    .. math::

        s \leftarrow s + g^2, \qquad w \leftarrow w - \eta_t\, g / (\sqrt{s} + \epsilon),

    with :math:`\eta_t = \eta / (1 + (t - 1)\,\text{lr\_decay})` computed as
    ``Adagrad._update`` computes it, and the same floating-point operations in
    the same order. The arrays must pass :func:`fits`.
    """
    dtype = w.dtype.type
    lr_t = lr / (1 + (step - 1) * lr_decay)
    _compile("adagrad", _adagrad)(w.reshape(-1), g.reshape(-1), total.reshape(-1), dtype(lr_t), dtype(eps))


def adadelta_update(
    w: np.ndarray, g: np.ndarray, square_avg: np.ndarray, acc_delta: np.ndarray, lr: float, rho: float, eps: float
) -> None:
    r"""The fast path of :meth:`mlplab.Adadelta._update`, in one pass and in place:

    .. math::

        s \leftarrow \rho s + (1 - \rho) g^2, \quad
        \Delta = \frac{\sqrt{u + \epsilon}}{\sqrt{s + \epsilon}}\, g, \quad
        u \leftarrow \rho u + (1 - \rho) \Delta^2, \quad
        w \leftarrow w - \eta \Delta,

    with the same floating-point operations in the same order. The arrays must pass :func:`fits`.
    """
    dtype = w.dtype.type
    _compile("adadelta", _adadelta)(
        w.reshape(-1),
        g.reshape(-1),
        square_avg.reshape(-1),
        acc_delta.reshape(-1),
        dtype(lr),
        dtype(rho),
        dtype(1 - rho),
        dtype(eps),
    )


def _softmax_cross_entropy(z: Any, labels: Any, scale: float, grad: Any) -> float:  # pragma: no cover
    total = 0.0
    m, k = z.shape
    for i in range(m):
        top = z[i, 0]
        for j in range(1, k):
            top = max(top, z[i, j])
        sum_exp = z.dtype.type(0)
        for j in range(k):
            e = np.exp(z[i, j] - top)
            grad[i, j] = e
            sum_exp += e
        label = labels[i]
        total += np.log(np.float64(sum_exp)) - np.float64(z[i, label] - top)
        for j in range(k):
            p = grad[i, j] / sum_exp
            if j == label:
                p -= 1
            grad[i, j] = p * scale
    return total * scale


def softmax_cross_entropy(z: np.ndarray, labels: np.ndarray, scale: float) -> tuple[float, np.ndarray] | None:
    r"""Loss and gradient of softmax cross-entropy with integer labels, in one pass per row.

    .. math::

        L = s \sum_i \Big(\log \sum_j e^{z_{ij} - \max_j z_{ij}} - (z_{i y_i} - \max_j z_{ij})\Big), \qquad
        \frac{\partial L}{\partial z_{ij}} = s\,(p_{ij} - [j = y_i]),

    with :math:`s` the reduction scale (:math:`1/m` for the mean). Returns
    ``None`` (the caller runs its NumPy code) when the kernels are off or the
    logits are not a C-contiguous float32 or float64 array.
    """
    if not (_enabled and fits(z)):
        return None
    grad = np.empty_like(z)
    loss = _compile("softmax_cross_entropy", _softmax_cross_entropy)(z, labels, z.dtype.type(scale), grad)
    return float(loss), grad
