"""Activation layers: element-wise non-linearities (and softmax, row-wise).

Each layer's forward rule sits next to its backward rule; the same functions
exist as plain NumPy functions with their derivatives in :mod:`mlplab.functional`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import functional as F
from .._validation import check_positive, check_positive_int
from ..parameter import Parameter
from ..registry import Registry
from .base import Layer

ACTIVATIONS: Registry[type[Layer]] = Registry("activation")


class Activation(Layer):
    """Base of element-wise activations.

    They keep the input width. Except for :class:`PReLU` (one learned slope per
    feature), they accept any width (``in_features`` is ``None``), have no
    parameters and compute in the dtype of their input (``dtype`` is ``None``).
    """

    def get_config(self) -> dict[str, Any]:
        """JSON-able constructor arguments: ``type(self)(**self.get_config())`` rebuilds the layer.

        A parameter-free activation has none, so this is ``{}``.
        """
        return {}

    def _grad_out(self, grad_out: np.ndarray) -> np.ndarray:
        return self._buffer("dx", grad_out.shape, grad_out.dtype)


@ACTIVATIONS.register("identity", "linear", "none")
class Identity(Activation):
    r""":math:`y = x`; :math:`\partial L/\partial x = g`."""

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        return x

    def backward(self, grad_out: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        return grad_out


@ACTIVATIONS.register("step", "heaviside")
class Step(Activation):
    r"""Heaviside step :math:`y = [x \ge 0]`, the perceptron's activation.

    Its derivative is zero wherever it exists, so ``backward`` returns zeros:
    gradient descent cannot train through a step. It is here to show exactly
    that (S1, S3), and for the perceptron algorithm, which needs no gradient.
    """

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        out = self._out("out", x, training)
        np.greater_equal(x, 0, out=out)
        return out

    def backward(self, grad_out: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        out = self._grad_out(grad_out)
        out.fill(0)
        return out


@ACTIVATIONS.register("sigmoid", "logistic")
class Sigmoid(Activation):
    r""":math:`y = \sigma(x) = 1/(1 + e^{-x})`; :math:`\partial L/\partial x = g\, y (1 - y)`."""

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        self._y = F.sigmoid(x)
        return self._y

    def backward(self, grad_out: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        y = self._y
        out = self._grad_out(grad_out)
        np.subtract(1, y, out=out)
        out *= y
        out *= grad_out
        return out


@ACTIVATIONS.register("tanh")
class Tanh(Activation):
    r""":math:`y = \tanh x` in (-1, 1); :math:`\partial L/\partial x = g (1 - y^2)`."""

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        out = self._out("out", x, training)
        np.tanh(x, out=out)
        self._y = out
        return out

    def backward(self, grad_out: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        y = self._y
        out = self._grad_out(grad_out)
        np.multiply(y, y, out=out)
        np.subtract(1, out, out=out)
        out *= grad_out
        return out


@ACTIVATIONS.register("relu")
class ReLU(Activation):
    r""":math:`y = \max(0, x)`; :math:`\partial L/\partial x = g\,[x > 0]`.

    Computed as a comparison and a multiplication by the stored mask, which is
    several times faster than ``np.maximum`` and gives the backward pass for free.
    """

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        mask = self._buffer("mask", x.shape, np.dtype(bool)) if training else None
        self._mask = np.greater(x, 0, out=mask)
        out = self._out("out", x, training)
        np.multiply(x, self._mask, out=out)
        return out

    def backward(self, grad_out: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        out = self._grad_out(grad_out)
        np.multiply(grad_out, self._mask, out=out)
        return out


@ACTIVATIONS.register("leaky_relu", "leakyrelu")
class LeakyReLU(Activation):
    r""":math:`y = x` for :math:`x > 0`, else :math:`a x`; :math:`\partial L/\partial x = g` or :math:`a g`.

    Parameters
    ----------
    slope : float, default 0.01
        The slope :math:`a` for negative inputs.
    """

    def __init__(self, slope: float = 0.01) -> None:
        self.slope = check_positive("slope", slope, allow_zero=True)

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        self._scale = np.where(x > 0, x.dtype.type(1), x.dtype.type(self.slope))
        out = self._out("out", x, training)
        np.multiply(x, self._scale, out=out)
        return out

    def backward(self, grad_out: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        out = self._grad_out(grad_out)
        np.multiply(grad_out, self._scale, out=out)
        return out

    def get_config(self) -> dict[str, Any]:
        """JSON-able constructor arguments: ``{"slope": a}``."""
        return {"slope": self.slope}

    def __repr__(self) -> str:
        return f"LeakyReLU(slope={self.slope})"


@ACTIVATIONS.register("prelu")
class PReLU(Activation):
    r"""Parametric ReLU: :math:`y_j = x_j` for :math:`x_j > 0`, else :math:`\alpha_j x_j`, one learned
    slope per feature.

    .. math::

        \frac{\partial L}{\partial x_{ij}} = g_{ij}\,(1 \text{ or } \alpha_j), \qquad
        \frac{\partial L}{\partial \alpha_j} = \sum_i g_{ij}\, x_{ij}\, [x_{ij} \le 0].

    Parameters
    ----------
    features : int
        Number of features (one slope each).
    init : float, default 0.25
        Initial slope.
    dtype : numpy dtype, default float32
    """

    def __init__(self, features: int, init: float = 0.25, dtype: Any = np.float32) -> None:
        self.features = check_positive_int("features", features)
        self.alpha = Parameter(np.full(features, init, dtype=dtype), name="alpha")

    @property
    def in_features(self) -> int:
        """``features``: the input width (one slope per feature)."""
        return self.features

    @property
    def dtype(self) -> np.dtype:
        """Dtype of the slopes :math:`\\alpha`."""
        return self.alpha.dtype

    def named_parameters(self) -> Iterator[tuple[str, Parameter]]:
        yield "alpha", self.alpha

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        if x.ndim != 2 or x.shape[1] != self.features:
            raise ValueError(f"PReLU expects input of shape (n, {self.features}), got {x.shape}")
        self._x = x
        self._positive = x > 0
        return np.where(self._positive, x, x * self.alpha.value)

    def backward(self, grad_out: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        negative_part = np.where(self._positive, 0, self._x)
        self.alpha.add_grad(np.einsum("ij,ij->j", grad_out, negative_part))
        return np.where(self._positive, grad_out, grad_out * self.alpha.value)

    def get_config(self) -> dict[str, Any]:
        """JSON-able constructor arguments: ``{"features", "dtype"}`` (dtype by name).

        ``init`` is left out: it only sets the slopes before training, and a
        loaded model overwrites them with the saved values.
        """
        return {"features": self.features, "dtype": self.alpha.dtype.name}

    def __repr__(self) -> str:
        return f"PReLU(features={self.features})"


@ACTIVATIONS.register("softmax")
class Softmax(Activation):
    r"""Row-wise softmax :math:`p_{ij} = e^{x_{ij}} / \sum_k e^{x_{ik}}` (stable: the row maximum is
    subtracted first).

    Backward: :math:`\partial L/\partial x = p \odot (g - \sum_k g_k p_k)`. For training a
    classifier, prefer identity outputs with :class:`~mlplab.losses.SoftmaxCrossEntropy`,
    which fuses the two into the gradient :math:`(P - Y)/m`.
    """

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        self._p = F.softmax(x, axis=1)
        return self._p

    def backward(self, grad_out: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        return F.softmax_jvp(self._p, grad_out)


def get_activation(spec: str | Layer, features: int | None = None, dtype: Any = np.float32) -> Layer:
    """Build an activation layer from a name (``features`` is needed by ``"prelu"``) or return a layer."""
    if isinstance(spec, Layer):
        return spec
    cls = ACTIVATIONS.get(spec)
    if issubclass(cls, PReLU):
        if features is None:
            raise ValueError(f"activation {spec!r} needs the number of features")
        return cls(features, dtype=dtype)
    return cls()
