"""Fully connected (dense, affine) layer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .._validation import check_positive_int
from ..initializers import Initializer, get_initializer
from ..parameter import Parameter
from ..rng import as_generator
from .base import Layer


class Dense(Layer):
    r"""Affine map :math:`y = x W + b` on a batch of row vectors.

    With :math:`x` of shape ``(n, n_in)``, :math:`W` of shape ``(n_in, n_out)``
    and :math:`g = \partial L/\partial y` of shape ``(n, n_out)``:

    .. math::

        \frac{\partial L}{\partial x} = g W^T, \qquad
        \frac{\partial L}{\partial W} = x^T g, \qquad
        \frac{\partial L}{\partial b} = \mathbf{1}^T g = \sum_i g_i .

    Parameters
    ----------
    in_features, out_features : int
        Sizes of the input and output.
    init : str or callable, default "glorot_uniform"
        Weight initializer, by name (see :mod:`mlplab.initializers`) or as a
        function ``init(shape, rng, dtype)``.
    bias : bool, default True
        Whether to add a bias (initialized to zero).
    rng : numpy.random.Generator or int, optional
        Source of randomness for the initializer (a seed is turned into a Generator).
    dtype : numpy dtype, default float32
        Dtype of the parameters; inputs of another dtype are converted once.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        init: str | Initializer = "glorot_uniform",
        bias: bool = True,
        rng: np.random.Generator | int | None = None,
        dtype: Any = np.float32,
    ) -> None:
        in_features = check_positive_int("in_features", in_features)
        self.out_features = check_positive_int("out_features", out_features)
        float_dtype = np.dtype(dtype)
        if float_dtype.kind != "f":
            raise ValueError(f"Invalid dtype: {dtype!r} (must be a floating-point type)")
        self.init = init
        initializer = get_initializer(init)
        self.W = Parameter(initializer((in_features, out_features), as_generator(rng), float_dtype), name="W")
        if self.W.dtype != float_dtype:
            self.W = Parameter(self.W.value.astype(float_dtype), name="W")
        self.b = Parameter(np.zeros(out_features, dtype=float_dtype), name="b") if bias else None
        self._x: np.ndarray | None = None

    @property
    def in_features(self) -> int:
        """``n_in``, the number of rows of ``W``."""
        return self.W.shape[0]

    @property
    def dtype(self) -> np.dtype:
        """Dtype of ``W`` and ``b``."""
        return self.W.dtype

    def named_parameters(self) -> Iterator[tuple[str, Parameter]]:
        yield "W", self.W
        if self.b is not None:
            yield "b", self.b

    def output_features(self, in_features: int) -> int:
        return self.out_features

    def get_config(self) -> dict[str, Any]:
        """JSON-able constructor arguments: ``{"in_features", "out_features", "bias", "dtype"}``.

        ``init`` and ``rng`` are left out: they only matter before training, and a
        loaded model overwrites the weights with the saved values.
        """
        return {
            "in_features": self.in_features,
            "out_features": self.out_features,
            "bias": self.b is not None,
            "dtype": self.dtype.name,
        }

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(f"Dense expects input of shape (n, {self.in_features}), got {x.shape}")
        if x.dtype != self.dtype:
            x = x.astype(self.dtype)
        self._x = x
        n = x.shape[0]
        out = self._buffer("out", (n, self.out_features), self.dtype) if training else None
        out = np.matmul(x, self.W.value, out=out)
        if self.b is not None:
            out += self.b.value
        return out

    def backward(self, grad_out: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        """Fill ``W.grad`` and ``b.grad``; return :math:`g W^T`, or ``None`` when
        ``input_grad`` is false (the first layer of a network needs no input gradient)."""
        x = self._x
        if x is None:
            raise RuntimeError("Dense.backward called before forward")
        self.W.add_grad_matmul(x.T, grad_out)
        if self.b is not None:
            self.b.add_grad_matmul(self._ones_row(grad_out.shape[0], grad_out.dtype), grad_out)
        if not input_grad:
            return None
        dx = self._buffer("dx", x.shape, self.dtype)
        return np.matmul(grad_out, self.W.value.T, out=dx)

    def __repr__(self) -> str:
        return f"Dense({self.in_features}, {self.out_features}, bias={self.b is not None}, dtype={self.dtype.name})"
