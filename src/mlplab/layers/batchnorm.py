"""Batch normalization over the features of a batch."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .._validation import check_fraction, check_positive, check_positive_int
from ..parameter import Parameter
from .base import Layer


class BatchNorm(Layer):
    r"""Batch normalization with learned scale :math:`\gamma` and shift :math:`\beta`.

    Training (batch statistics, :math:`m` samples):

    .. math::

        \mu = \tfrac1m \sum_i x_i, \quad \sigma^2 = \tfrac1m \sum_i (x_i - \mu)^2, \quad
        \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}, \quad y = \gamma \hat x + \beta,

    and the running statistics move towards the batch's,
    :math:`r_\mu \leftarrow (1 - k) r_\mu + k \mu`,
    :math:`r_{\sigma^2} \leftarrow (1 - k) r_{\sigma^2} + k \tfrac{m}{m-1}\sigma^2`
    (the unbiased variance, PyTorch's convention), with momentum :math:`k`.
    Inference uses the running statistics in place of :math:`\mu, \sigma^2`.

    Backward in training (with :math:`\hat g = g\gamma`):

    .. math::

        \frac{\partial L}{\partial x} = \frac{1}{m\sqrt{\sigma^2+\epsilon}}
            \Big(m \hat g - \sum_i \hat g_i - \hat x \sum_i \hat g_i \hat x_i\Big), \quad
        \frac{\partial L}{\partial \gamma} = \sum_i g_i \hat x_i, \quad
        \frac{\partial L}{\partial \beta} = \sum_i g_i .

    Since :math:`\sum_i \hat g_i = \gamma\, \partial L/\partial\beta` and
    :math:`\sum_i \hat g_i \hat x_i = \gamma\, \partial L/\partial\gamma`, the code computes
    :math:`\partial L/\partial x = \frac{\gamma}{\sqrt{\sigma^2+\epsilon}}
    \big(g - (\partial L/\partial\beta + \hat x\, \partial L/\partial\gamma)/m\big)`:
    two reductions and four element-wise passes.

    Parameters
    ----------
    features : int
    momentum : float, default 0.1
        Weight :math:`k` of the new batch in the running statistics.
    eps : float, default 1e-5
    dtype : numpy dtype, default float32
    """

    def __init__(self, features: int, momentum: float = 0.1, eps: float = 1e-5, dtype: Any = np.float32) -> None:
        self.features = check_positive_int("features", features)
        self.momentum = check_fraction("momentum", momentum, high_open=False)
        self.eps = check_positive("eps", eps)
        self.gamma = Parameter(np.ones(features, dtype=dtype), name="gamma")
        self.beta = Parameter(np.zeros(features, dtype=dtype), name="beta")
        self.running_mean = np.zeros(features, dtype=dtype)
        self.running_var = np.ones(features, dtype=dtype)

    @property
    def in_features(self) -> int:
        """``features``: the input width."""
        return self.features

    @property
    def dtype(self) -> np.dtype:
        """Dtype of :math:`\\gamma`, :math:`\\beta` and the running statistics."""
        return self.gamma.dtype

    def named_parameters(self) -> Iterator[tuple[str, Parameter]]:
        yield "gamma", self.gamma
        yield "beta", self.beta

    def buffers(self) -> dict[str, np.ndarray]:
        return {"running_mean": self.running_mean, "running_var": self.running_var}

    def get_config(self) -> dict[str, Any]:
        """JSON-able constructor arguments: ``{"features", "momentum", "eps", "dtype"}`` (dtype by name).

        The running statistics are state, not configuration: see :meth:`buffers`.
        """
        return {"features": self.features, "momentum": self.momentum, "eps": self.eps, "dtype": self.gamma.dtype.name}

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        if x.ndim != 2 or x.shape[1] != self.features:
            raise ValueError(f"BatchNorm expects input of shape (n, {self.features}), got {x.shape}")
        self._training = training
        dtype = x.dtype
        if training:
            m = x.shape[0]
            if m < 2:
                raise ValueError(f"BatchNorm needs more than 1 sample per batch in training, got batch shape {x.shape}")
            mean = (self._ones_row(m, dtype) @ x)[0] / dtype.type(m)
            x_hat = np.subtract(x, mean, out=self._buffer("x_hat", x.shape, dtype))
            var = np.einsum("ij,ij->j", x_hat, x_hat) / dtype.type(m)
            k = self.momentum
            self.running_mean *= 1 - k
            self.running_mean += k * mean
            self.running_var *= 1 - k
            self.running_var += (k * m / (m - 1)) * var
            self._inv_std = (1.0 / np.sqrt(var + self.eps)).astype(dtype, copy=False)
            x_hat *= self._inv_std
            self._x_hat = x_hat
            out = self._buffer("out", x.shape, dtype)
            np.multiply(x_hat, self.gamma.value, out=out)
            out += self.beta.value
            return out
        # inference: y = (x - r_mu) s + beta with s = gamma / sqrt(r_var + eps), in three passes
        # (centring first keeps float32 precise when |r_mu| s is large)
        self._inv_std = (1.0 / np.sqrt(self.running_var + self.eps)).astype(dtype, copy=False)
        self._x, self._x_hat = x, None
        out = x - self.running_mean
        out *= self.gamma.value * self._inv_std
        out += self.beta.value
        return out

    def backward(self, grad_out: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        x_hat = self._x_hat
        if x_hat is None:  # after an inference forward pass
            x_hat = (self._x - self.running_mean) * self._inv_std
        m = grad_out.shape[0]
        grad_gamma = np.einsum("ij,ij->j", grad_out, x_hat)
        grad_beta = (self._ones_row(m, grad_out.dtype) @ grad_out)[0]
        self.gamma.add_grad(grad_gamma)
        self.beta.add_grad(grad_beta)
        scale = self.gamma.value * self._inv_std
        dx = self._buffer("dx", grad_out.shape, grad_out.dtype)
        if not self._training:
            np.multiply(grad_out, scale, out=dx)
            return dx
        inv_m = 1.0 / m
        np.multiply(x_hat, grad_gamma * inv_m, out=dx)
        dx += grad_beta * inv_m
        np.subtract(grad_out, dx, out=dx)
        dx *= scale
        return dx

    def __repr__(self) -> str:
        return f"BatchNorm({self.features}, momentum={self.momentum}, eps={self.eps})"
