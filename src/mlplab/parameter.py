"""Trainable parameters: a value and the gradient of the loss with respect to it."""

from __future__ import annotations

from typing import Any

import numpy as np


class Parameter:
    """A trainable array and its gradient.

    ``value`` and ``grad`` are NumPy arrays of the same shape and dtype.
    ``grad`` starts as zeros and is never ``None``; backward passes *add* to
    it, and :meth:`zero_grad` resets it in place. Set weights by writing into
    the array (``p.value[...] = w``) so every reference stays valid.

    After :meth:`zero_grad` the next backward pass writes its gradient
    directly (no add), so a gradient written by hand into ``grad`` between
    ``zero_grad`` and ``backward`` is replaced, not added to; use
    :meth:`add_grad` to contribute a gradient of your own. The zeros are
    written lazily: only if ``grad`` is read before a backward pass has
    written it (a training step never pays for them).

    Parameters
    ----------
    value : array_like
        Initial value; a floating-point array (copied).
    name : str, optional
        Short name used in summaries and error messages ("W", "b", ...).
    """

    __slots__ = ("value", "_grad", "name", "_grad_is_zero", "_grad_unwritten")
    value: np.ndarray
    _grad: np.ndarray
    name: str
    _grad_is_zero: bool
    _grad_unwritten: bool

    def __init__(self, value: Any, name: str = "") -> None:
        value = np.array(value, copy=True)
        if value.dtype.kind != "f":
            value = value.astype(np.float64)
        self.value = value
        self.grad = np.zeros_like(value)
        self.name = name
        self._grad_is_zero = True

    @property
    def grad(self) -> np.ndarray:
        """The gradient array (zeros after :meth:`zero_grad` until a backward pass writes it)."""
        if self._grad_unwritten:
            self._grad.fill(0)
            self._grad_unwritten = False
        return self._grad

    @grad.setter
    def grad(self, array: np.ndarray) -> None:
        self._grad = array
        self._grad_unwritten = False

    @classmethod
    def wrap(cls, value: np.ndarray, grad: np.ndarray, name: str = "") -> Parameter:
        """A parameter over existing ``value`` and ``grad`` arrays (no copy; same shape and dtype)."""
        if value.shape != grad.shape or value.dtype != grad.dtype:
            raise ValueError(f"value {value.dtype}{value.shape} and grad {grad.dtype}{grad.shape} differ")
        p = cls.__new__(cls)
        p.value, p.grad, p.name, p._grad_is_zero = value, grad, name, False
        return p

    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape

    @property
    def dtype(self) -> np.dtype:
        return self.value.dtype

    @property
    def size(self) -> int:
        return self.value.size

    def zero_grad(self) -> None:
        """Set the gradient to zero in place (lazily: see the class notes)."""
        self._grad_is_zero = True
        self._grad_unwritten = True

    def add_grad(self, g: np.ndarray) -> None:
        """Accumulate ``grad += g`` (a copy when the gradient is known to be zero)."""
        if self._grad_is_zero:
            np.copyto(self._grad, g)
            self._grad_is_zero = self._grad_unwritten = False
        else:
            self._grad += g

    def add_grad_matmul(self, a: np.ndarray, b: np.ndarray) -> None:
        """Accumulate ``grad += a @ b``.

        Right after :meth:`zero_grad` the product is written straight into
        ``grad`` with no temporary, which keeps the backward pass down to its
        matrix products. A 1-D parameter takes a ``(1, k)`` product.
        """
        grad = self._grad
        target = grad if grad.ndim == 2 else grad.reshape(1, -1)
        if self._grad_is_zero:
            np.matmul(a, b, out=target)
            self._grad_is_zero = self._grad_unwritten = False
        else:
            target += a @ b

    def __repr__(self) -> str:
        label = f"{self.name}, " if self.name else ""
        return f"Parameter({label}shape={self.shape}, dtype={self.dtype})"


def is_weight(name: str) -> bool:
    """Whether a parameter named ``name`` (``"0.W"``, ``"W"``) is a weight matrix.

    Weight matrices take the L1/L2 penalties; biases, batch-norm scales and
    shifts and PReLU slopes do not.
    """
    return name.rsplit(".", 1)[-1] == "W"
