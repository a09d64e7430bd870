"""Activation functions, their derivatives, and numerically stable softmax tools.

Every function takes and returns NumPy arrays, works element-wise (softmax and
friends along ``axis``), and keeps the input's floating dtype. The derivative
functions take the *input* ``x`` of the activation, so that
``d/dx f(x) = f_derivative(x)``.

Numerical care:

* ``softmax(x) = exp(x - max x) / sum exp(x - max x)`` -- subtracting the row
  maximum (S2) changes nothing mathematically and prevents overflow.
* ``logsumexp(x) = max x + log sum exp(x - max x)``.
* ``sigmoid(x)`` is evaluated as ``1 / (1 + e^{-|x|})`` or ``e^{-|x|} / (1 + e^{-|x|})``
  depending on the sign, so ``exp`` never overflows.
"""

from __future__ import annotations

import numpy as np

# ---------------------------------------------------------------- softmax family


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    r"""Softmax, :math:`p_i = e^{x_i} / \sum_j e^{x_j}`, stable for large inputs.

    Parameters
    ----------
    x : ndarray
        Scores (logits), e.g. shape ``(n_samples, n_classes)``.
    axis : int
        Axis along which the probabilities sum to one.

    Examples
    --------
    >>> softmax(np.array([5.0, 3.0, 2.0])).round(2)
    array([0.84, 0.11, 0.04])
    """
    shifted = x - x.max(axis=axis, keepdims=True)
    e: np.ndarray = np.exp(shifted)
    e /= e.sum(axis=axis, keepdims=True)
    return e


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    r"""Logarithm of the softmax, :math:`x_i - \log\sum_j e^{x_j}`, without overflow or ``log 0``."""
    shifted: np.ndarray = x - x.max(axis=axis, keepdims=True)
    shifted -= np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    return shifted


def logsumexp(x: np.ndarray, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    r""":math:`\log\sum_j e^{x_j} = m + \log\sum_j e^{x_j - m}` with :math:`m = \max_j x_j`."""
    m = x.max(axis=axis, keepdims=True)
    out: np.ndarray = m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def normalize(x: np.ndarray, axis: int = -1) -> np.ndarray:
    r"""Plain normalization :math:`x_i / \sum_j x_j` -- the alternative S0 compares softmax with.

    >>> normalize(np.array([5.0, 3.0, 2.0]))
    array([0.5, 0.3, 0.2])
    """
    p: np.ndarray = x / x.sum(axis=axis, keepdims=True)
    return p


# ---------------------------------------------------------------- activations


def identity(x: np.ndarray) -> np.ndarray:
    """:math:`f(x) = x`."""
    return x


def identity_derivative(x: np.ndarray) -> np.ndarray:
    """:math:`f'(x) = 1`."""
    return np.ones_like(x)


def step(x: np.ndarray) -> np.ndarray:
    r"""Heaviside step of the perceptron: :math:`1` if :math:`x \ge 0`, else :math:`0`."""
    return (x >= 0).astype(x.dtype)


def step_derivative(x: np.ndarray) -> np.ndarray:
    """Zero everywhere it exists (undefined at 0): no gradient flows through a step,
    which is why perceptron networks cannot be trained by backpropagation."""
    return np.zeros_like(x)


def sigmoid(x: np.ndarray) -> np.ndarray:
    r"""Logistic sigmoid :math:`\sigma(x) = 1 / (1 + e^{-x})`, range (0, 1), overflow-free."""
    e = np.exp(-np.abs(x))
    r = 1.0 / (1.0 + e)
    y: np.ndarray = np.where(x >= 0, r, e * r)
    return y


def sigmoid_derivative(x: np.ndarray) -> np.ndarray:
    r""":math:`\sigma'(x) = \sigma(x)(1 - \sigma(x))`, at most 0.25 (at x = 0)."""
    s = sigmoid(x)
    ds: np.ndarray = s * (1 - s)
    return ds


def tanh(x: np.ndarray) -> np.ndarray:
    r"""Hyperbolic tangent, range (-1, 1) (S1's "(0, 1)" is a slip)."""
    t: np.ndarray = np.tanh(x)
    return t


def tanh_derivative(x: np.ndarray) -> np.ndarray:
    r""":math:`\tanh'(x) = 1 - \tanh^2(x)`, at most 1 (at x = 0)."""
    t = np.tanh(x)
    dt: np.ndarray = 1 - t * t
    return dt


def relu(x: np.ndarray) -> np.ndarray:
    r""":math:`\max(0, x)`."""
    return x * (x > 0)


def relu_derivative(x: np.ndarray) -> np.ndarray:
    """1 for x > 0, else 0 (the convention at 0 is 0, as in PyTorch)."""
    return (x > 0).astype(x.dtype)


def leaky_relu(x: np.ndarray, slope: float = 0.01) -> np.ndarray:
    r""":math:`x` for :math:`x > 0`, else :math:`a x` with a small slope :math:`a`."""
    return np.where(x > 0, x, x * slope)


def leaky_relu_derivative(x: np.ndarray, slope: float = 0.01) -> np.ndarray:
    """1 for x > 0, else ``slope``."""
    return np.where(x > 0, np.ones_like(x), np.full_like(x, slope))


def softmax_jvp(probabilities: np.ndarray, grad: np.ndarray) -> np.ndarray:
    r"""Backward pass of softmax: :math:`\partial L/\partial x = p \odot (g - \sum_j g_j p_j)`.

    This is the product of the softmax Jacobian :math:`\mathrm{diag}(p) - p p^T`
    with the incoming gradient ``grad``, row by row, never forming the Jacobian.
    """
    dot = np.einsum("ij,ij->i", grad, probabilities)[:, None]
    dx: np.ndarray = probabilities * (grad - dot)
    return dx
