"""Networks: a stack of layers (:class:`Sequential`) and the common multi-layer perceptron (:class:`MLP`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from ._validation import check_batch, check_fraction, check_positive_int
from .layers import BatchNorm, Dense, Dropout, Identity, Layer, get_activation
from .layers.activations import ACTIVATIONS
from .packing import pack
from .parameter import Parameter
from .rng import as_generator


class Sequential(Layer):
    """Layers applied one after the other; itself a :class:`~mlplab.layers.Layer`.

    ``forward`` validates its input once (shape, finiteness, dtype) and then
    runs every layer; ``backward`` runs them in reverse. A training loop passes
    ``input_grad=False`` so the first layer skips the gradient of the data, one
    of the three matrix products of the widest layer.

    The layers' parameters are packed into one contiguous value array and one
    gradient array (weight matrices first, see :func:`mlplab.packing.pack`),
    so that an optimizer updates them as one or two flat vectors. Each
    ``p.value`` is a view into it: set weights in place (``p.value[...] = w``).

    ``in_features`` is that of the first layer that requires a width (``None``
    if none does). ``dtype`` is that of the parameters, else of the buffers
    (``None`` for a stack of parameter-free layers), as for any
    :class:`~mlplab.layers.Layer`; ``forward`` converts its input to it.

    Parameters
    ----------
    layers : iterable of Layer
        Kept, in order, in ``.layers``.
    """

    def __init__(self, layers: Iterable[Layer]) -> None:
        self.layers: list[Layer] = list(layers)
        for i, layer in enumerate(self.layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"layers[{i}] is not a Layer: {layer!r}")
        pack(self.named_parameters())

    @property
    def in_features(self) -> int | None:
        """Input width taken from the first layer that requires one; ``None`` if no layer does."""
        for layer in self.layers:
            size = layer.in_features
            if size is not None:
                return size
        return None

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        return self.forward_unchecked(check_batch("x", x, self.in_features, dtype=self.dtype), training=training)

    def forward_unchecked(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        """``forward`` without the input checks, for loops that validated their data once."""
        for layer in self.layers:
            x = layer.forward(x, training=training)
        return x

    def backward(self, grad_out: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        """Back-propagate ``grad_out``; return dL/dx, or ``None`` if ``input_grad`` is false."""
        grad: np.ndarray | None = grad_out
        for i in range(len(self.layers) - 1, -1, -1):
            if grad is None:
                raise RuntimeError(f"layers[{i + 1}].backward returned None, but its input gradient is needed")
            grad = self.layers[i].backward(grad, input_grad=input_grad or i > 0)
        return grad

    def named_parameters(self) -> Iterator[tuple[str, Parameter]]:
        for i, layer in enumerate(self.layers):
            for name, p in layer.named_parameters():
                yield f"{i}.{name}", p

    def buffers(self) -> dict[str, np.ndarray]:
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers) for k, v in layer.buffers().items()}

    def output_features(self, in_features: int) -> int:
        for layer in self.layers:
            in_features = layer.output_features(in_features)
        return in_features

    def summary(self) -> str:
        """A table of layers with their output shapes and parameter counts."""
        rows = [("#", "layer", "output shape", "parameters")]
        features = self.in_features
        total = 0
        for i, layer in enumerate(self.layers):
            count = sum(p.size for p in layer.parameters())
            total += count
            if features is not None:
                features = layer.output_features(features)
            shape = f"(n, {features})" if features is not None else "?"
            rows.append((str(i), repr(layer), shape, f"{count:,}"))
        widths = [max(len(r[c]) for r in rows) for c in range(4)]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
        lines.insert(1, "-" * len(lines[0]))
        dtype = self.dtype
        lines.append(f"total parameters: {total:,}" + (f" ({dtype.name})" if dtype is not None else ""))
        return "\n".join(lines)

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, index: int) -> Layer:
        return self.layers[index]

    def __repr__(self) -> str:
        inner = ",\n".join(f"  {layer!r}" for layer in self.layers)
        return f"{type(self).__name__}([\n{inner}\n])"


_RELU_FAMILY = {ACTIVATIONS.get(name) for name in ("relu", "leaky_relu", "prelu")}


class MLP(Sequential):
    """A multi-layer perceptron: ``Dense`` layers with an activation between them.

    Each hidden layer is ``Dense -> [BatchNorm] -> activation -> [Dropout]``; the
    last ``Dense`` is followed by ``output_activation`` (identity by default,
    i.e. logits for :class:`~mlplab.losses.SoftmaxCrossEntropy`).

    Parameters
    ----------
    sizes : sequence of int
        Layer widths from input to output, e.g. ``[784, 256, 10]``.
    activation : str or sequence of str, default "relu"
        Hidden activation, or one name per hidden layer.
    output_activation : str, default "identity"
    dropout : float, default 0
        Probability of dropping a hidden unit (0 adds no Dropout layers).
    batch_norm : bool, default False
        Insert :class:`~mlplab.layers.BatchNorm` before each hidden activation.
    init : str or callable, default "auto"
        Weight initializer; ``"auto"`` picks ``he_normal`` for ReLU-like
        hidden activations and ``glorot_normal`` otherwise.
    bias : bool, default True
    rng : numpy.random.Generator or int, optional
        One generator drives every initializer and dropout mask.
    dtype : numpy dtype, default float32
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str | Sequence[str] = "relu",
        output_activation: str = "identity",
        dropout: float = 0.0,
        batch_norm: bool = False,
        init: Any = "auto",
        bias: bool = True,
        rng: np.random.Generator | int | None = None,
        dtype: Any = np.float32,
    ) -> None:
        sizes = [check_positive_int(f"sizes[{i}]", s) for i, s in enumerate(sizes)]
        if len(sizes) < 2:
            raise ValueError(f"sizes needs at least an input and an output size, got {sizes}")
        n_hidden = len(sizes) - 2
        activations = [activation] * n_hidden if isinstance(activation, str) else list(activation)
        if len(activations) != n_hidden:
            raise ValueError(f"activation lists {len(activations)} names for {n_hidden} hidden layers")
        dropout = check_fraction("dropout", dropout)
        rng = as_generator(rng)
        self.sizes = sizes
        self.config = {
            "sizes": sizes,
            "activation": activation if isinstance(activation, str) else list(activation),
            "output_activation": output_activation,
            "dropout": dropout,
            "batch_norm": bool(batch_norm),
            "init": init,
            "bias": bool(bias),
            "dtype": np.dtype(dtype).name,
        }
        layers: list[Layer] = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            hidden = i < n_hidden
            act_name = activations[i] if hidden else output_activation
            act = get_activation(act_name, features=n_out, dtype=dtype)
            layer_init = init
            if init == "auto":
                layer_init = "he_normal" if type(act) in _RELU_FAMILY else "glorot_normal"
            layers.append(Dense(n_in, n_out, init=layer_init, bias=bias, rng=rng, dtype=dtype))
            if hidden and batch_norm:
                layers.append(BatchNorm(n_out, dtype=dtype))
            if not isinstance(act, Identity):
                layers.append(act)
            if hidden and dropout > 0:
                layers.append(Dropout(dropout, rng=rng))
        super().__init__(layers)
