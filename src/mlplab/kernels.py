"""Optional compiled kernels for the optimizers and the softmax loss, with numba (``pip install "mlplab[fast]"``).

Adam's update is about a dozen NumPy passes over the parameters (``sqrt``
alone is a quarter of it), SGD with momentum four; one compiled loop does
each in a single pass, which keeps the working set in cache: Adam runs
about 4.5x faster on a 200,000-parameter network, momentum SGD about 2-3x.
Each kernel performs the very same floating-point operations in the same
order as the NumPy code it replaces (no fused multiply-add, no fast-math),
so both paths give bit-identical results (the optimizers store their
hyper-parameters as Python floats, which NumPy applies in the array's dtype).
Only C-contiguous float32 and float64 arrays go to the kernels.

Softmax cross-entropy on a small batch is a dozen tiny NumPy calls, each
costing more in overhead than in arithmetic; the kernel does it in one pass
per row (its ``exp`` and ``log`` may differ from NumPy's in the last bit, and
it sums the loss in float64). Without numba, or with the environment
variable ``MLPLAB_NUMBA=0``, or after ``set_enabled(False)``, the NumPy code runs.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from typing import Any

import numpy as np

_enabled = os.environ.get("MLPLAB_NUMBA", "1") != "0" and importlib.util.find_spec("numba") is not None
_compiled: dict[str, Callable[..., None]] = {}


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


def _compile(name: str, function: Callable[..., None]) -> Callable[..., None]:
    kernel = _compiled.get(name)
    if kernel is None:
        import numba

        kernel = _compiled[name] = numba.njit(cache=True, nogil=True, error_model="numpy")(function)
    return kernel


def _adam(w: Any, g: Any, m: Any, v: Any, beta1: Any, one_minus_beta1: Any, beta2: Any,
          one_minus_beta2: Any, inv_bias2: Any, eps: Any, step_size: Any) -> None:  # pragma: no cover
    for i in range(w.size):
        gi = g[i]
        mi = m[i] * beta1 + gi * one_minus_beta1
        vi = v[i] * beta2 + (gi * gi) * one_minus_beta2
        m[i] = mi
        v[i] = vi
        w[i] -= (mi / (np.sqrt(vi) * inv_bias2 + eps)) * step_size


def _momentum(w: Any, g: Any, v: Any, mu: Any, lr: Any, nesterov: bool) -> None:  # pragma: no cover
    for i in range(w.size):
        gi = g[i]
        vi = v[i] * mu + gi
        v[i] = vi
        w[i] -= (vi * mu + gi) * lr if nesterov else vi * lr


_KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _fits(*arrays: np.ndarray) -> bool:
    """Whether the kernels can take these arrays: C-contiguous float32 or float64."""
    return all(a.flags.c_contiguous and a.dtype in _KERNEL_DTYPES for a in arrays)


def momentum_update(
    w: np.ndarray, g: np.ndarray, v: np.ndarray, scratch: np.ndarray, mu: float, lr: float,
    *, dampening: float = 0.0, nesterov: bool = False, first: bool = False,
) -> None:
    r"""One step of SGD with momentum in place (``torch.optim.SGD``'s rule):

    .. math::

        v \leftarrow \mu v + (1 - \tau) g \ (v = g \text{ on the first step}), \qquad
        w \leftarrow w - \eta \begin{cases} \mu v + g & \text{Nesterov} \\ v & \text{otherwise.} \end{cases}

    On the ``first`` step ``v`` must already hold ``g``. ``scratch`` is work space for the NumPy path.
    """
    if _enabled and not first and dampening == 0 and _fits(w, g, v):
        dtype = w.dtype.type
        _compile("momentum", _momentum)(w.reshape(-1), g.reshape(-1), v.reshape(-1), dtype(mu), dtype(lr), nesterov)
        return
    if not first:
        v *= mu
        v += g if dampening == 0 else (1 - dampening) * g
    if nesterov:
        np.multiply(v, mu, out=scratch)
        scratch += g
        scratch *= lr
    else:
        np.multiply(v, lr, out=scratch)
    w -= scratch


def adam_update(
    w: np.ndarray, g: np.ndarray, m: np.ndarray, v: np.ndarray, scratch: np.ndarray,
    beta1: float, beta2: float, inv_bias2: float, eps: float, step_size: float,
    v_max: np.ndarray | None = None,
) -> None:
    r"""One Adam step in place, with the bias corrections folded into two scalars:

    .. math::

        m \leftarrow \beta_1 m + (1-\beta_1) g, \quad
        v \leftarrow \beta_2 v + (1-\beta_2) g^2, \quad
        w \leftarrow w - \frac{m}{\sqrt{v}\, c_2 + \epsilon}\, s,

    with :math:`c_2 = 1/\sqrt{1-\beta_2^t}` (``inv_bias2``) and
    :math:`s = \eta/(1-\beta_1^t)` (``step_size``). Every array has the
    parameter's shape and dtype; ``scratch`` is work space for the NumPy path.
    With ``v_max`` (AMSGrad) the running maximum of :math:`v` replaces :math:`v`
    in the denominator (NumPy path only).
    """
    dtype = w.dtype.type
    if _enabled and v_max is None and _fits(w, g, m, v):
        _compile("adam", _adam)(
            w.reshape(-1), g.reshape(-1), m.reshape(-1), v.reshape(-1),
            dtype(beta1), dtype(1 - beta1), dtype(beta2), dtype(1 - beta2), dtype(inv_bias2), dtype(eps), dtype(step_size),
        )
        return
    m *= beta1
    np.multiply(g, 1 - beta1, out=scratch)
    m += scratch
    v *= beta2
    np.multiply(g, g, out=scratch)
    scratch *= 1 - beta2
    v += scratch
    if v_max is not None:
        np.maximum(v_max, v, out=v_max)
        v = v_max
    np.sqrt(v, out=scratch)
    scratch *= inv_bias2
    scratch += eps
    np.divide(m, scratch, out=scratch)
    scratch *= step_size
    w -= scratch


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
    if not (_enabled and _fits(z)):
        return None
    grad = np.empty_like(z)
    loss = _compile("softmax_cross_entropy", _softmax_cross_entropy)(z, labels, z.dtype.type(scale), grad)
    return float(loss), grad
