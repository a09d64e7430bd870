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
    :meth:`add_grad` to contribute a gradient of your own.

    Parameters
    ----------
    value : array_like
        Initial value; a floating-point array (copied).
    name : str, optional
        Short name used in summaries and error messages ("W", "b", ...).
    """

    __slots__ = ("value", "grad", "name", "_grad_is_zero")

    def __init__(self, value: Any, name: str = "") -> None:
        value = np.array(value, copy=True)
        if value.dtype.kind != "f":
            value = value.astype(np.float64)
        self.value: np.ndarray = value
        self.grad: np.ndarray = np.zeros_like(value)
        self.name = name
        self._grad_is_zero = True

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
        """Set the gradient to zero in place."""
        self.grad.fill(0)
        self._grad_is_zero = True

    def add_grad(self, g: np.ndarray) -> None:
        """Accumulate ``grad += g`` (a copy when the gradient is known to be zero)."""
        if self._grad_is_zero:
            np.copyto(self.grad, g)
            self._grad_is_zero = False
        else:
            self.grad += g

    def add_grad_matmul(self, a: np.ndarray, b: np.ndarray) -> None:
        """Accumulate ``grad += a @ b``.

        Right after :meth:`zero_grad` the product is written straight into
        ``grad`` with no temporary, which keeps the backward pass down to its
        matrix products. A 1-D parameter takes a ``(1, k)`` product.
        """
        target = self.grad if self.grad.ndim == 2 else self.grad.reshape(1, -1)
        if self._grad_is_zero:
            np.matmul(a, b, out=target)
            self._grad_is_zero = False
        else:
            target += a @ b

    def __repr__(self) -> str:
        label = f"{self.name}, " if self.name else ""
        return f"Parameter({label}shape={self.shape}, dtype={self.dtype})"
