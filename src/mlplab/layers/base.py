"""The layer contract shared by every building block."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ..parameter import Parameter


class Layer:
    """Base class of all layers.

    A layer maps a batch ``x`` of shape ``(n_samples, n_in)`` to ``(n_samples, n_out)``.

    * ``forward(x, *, training=False)`` computes the output and keeps what the
      backward pass needs. ``training`` switches dropout and batch statistics on.
    * ``backward(grad_out, *, input_grad=True)`` takes :math:`\\partial L/\\partial y`
      (same shape as the output), *adds* the parameter gradients into each
      ``Parameter.grad`` and returns :math:`\\partial L/\\partial x`. With
      ``input_grad=False`` a layer may skip that product and return ``None``
      (the first layer of a network: nobody needs the gradient of the data).
    * ``parameters()`` lists the trainable :class:`~mlplab.Parameter` objects.
    * ``in_features`` is the input width ``n_in`` the layer requires, or ``None``
      when it accepts any width (element-wise activations, dropout).
    * ``dtype`` is the dtype of the layer's parameters (or, without any, of its
      buffers), the one its input should have; ``None`` for a layer with
      neither, which computes in the dtype of its input.

    Outputs of a *training* forward pass and the gradients returned by
    ``backward`` live in buffers owned by the layer and reused by the next call
    with the same batch size (this keeps allocation out of the training loop);
    copy them if you need to keep them. Inference outputs are fresh arrays.
    """

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_out: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        raise NotImplementedError

    def __call__(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        return self.forward(x, training=training)

    @property
    def in_features(self) -> int | None:
        """The input width the layer requires, or ``None`` when any width is accepted."""
        return None

    @property
    def dtype(self) -> np.dtype | None:
        """Dtype of the parameters, else of the buffers, else ``None`` (the layer computes in its input's dtype)."""
        params = self.parameters()
        if params:
            return params[0].dtype
        buffers = list(self.buffers().values())
        return buffers[0].dtype if buffers else None

    def named_parameters(self) -> Iterator[tuple[str, Parameter]]:
        """``(name, parameter)`` pairs; names are attribute names such as ``"W"``."""
        return iter(())

    def parameters(self) -> list[Parameter]:
        """The trainable parameters, in a fixed order."""
        return [p for _, p in self.named_parameters()]

    def buffers(self) -> dict[str, np.ndarray]:
        """Non-trainable state that a saved model must keep (e.g. running statistics)."""
        return {}

    def zero_grad(self) -> None:
        """Reset every parameter gradient to zero in place."""
        for p in self.parameters():
            p.zero_grad()

    def output_features(self, in_features: int) -> int:
        """Number of output features for ``in_features`` inputs (used by ``summary``)."""
        return in_features

    def _buffer(self, key: str, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """A scratch array owned by the layer, reallocated only when the shape or dtype changes."""
        store: dict[str, np.ndarray] = self.__dict__.setdefault("_buffers", {})
        buf = store.get(key)
        if buf is None or buf.shape != shape or buf.dtype != dtype:
            buf = store[key] = np.empty(shape, dtype=dtype)
        return buf

    def _ones_row(self, n: int, dtype: np.dtype) -> np.ndarray:
        """A ``(1, n)`` row of ones: a column sum as the product ``ones @ g`` is faster than ``g.sum(axis=0)``."""
        ones = self.__dict__.get("_ones")
        if ones is None or ones.shape[1] != n or ones.dtype != dtype:
            ones = self._ones = np.ones((1, n), dtype=dtype)
        return ones

    def _out(self, key: str, like: np.ndarray, training: bool) -> np.ndarray:
        """Where to write an output shaped like ``like``: a reused buffer in training, else a new array."""
        if training:
            return self._buffer(key, like.shape, like.dtype)
        return np.empty_like(like)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
