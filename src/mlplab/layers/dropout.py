"""Inverted dropout."""

from __future__ import annotations

import numpy as np

from .._validation import check_fraction
from ..rng import as_generator
from .base import Layer


class Dropout(Layer):
    r"""Inverted dropout: in training, zero each unit with probability ``p`` and scale the rest by
    :math:`1/(1-p)`; at inference, the identity.

    .. math::

        y = x \odot m, \quad m_{ij} = \frac{[u_{ij} \ge p]}{1 - p},\ u_{ij} \sim U(0, 1),
        \qquad \frac{\partial L}{\partial x} = g \odot m .

    Each :math:`u_{ij}` is a uniform 32-bit integer compared with
    :math:`\operatorname{round}(p\, 2^{32})`: finer than float32 uniforms
    (:math:`2^{-24}`), and about twice as fast to draw from NumPy's 64-bit
    generators (PCG64, SFC64, Philox), whose raw output is split in halves.

    The scaling keeps :math:`E[y] = x`, so nothing changes at inference (S3's
    "halve the weights" is the non-inverted form of the same idea).

    Parameters
    ----------
    p : float in [0, 1)
        Probability of *dropping* a unit (not of keeping it).
    rng : numpy.random.Generator or int, optional
        Source of the masks.
    """

    def __init__(self, p: float = 0.5, rng: np.random.Generator | int | None = None) -> None:
        self.p = check_fraction("p", p)
        self.rng = as_generator(rng)
        self._mask: np.ndarray | None = None

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        if not training or self.p == 0.0:
            self._mask = None
            return x
        dtype = x.dtype if x.dtype in (np.float32, np.float64) else np.dtype(np.float64)
        draws = _uint32_draws(self.rng, x.shape)
        threshold = np.uint32(min(round(self.p * 2**32), 2**32 - 1))
        keep = np.greater_equal(draws, threshold, out=self._buffer("keep", x.shape, np.dtype(bool)))
        mask = np.multiply(keep, dtype.type(1.0 / (1.0 - self.p)), out=self._buffer("mask", x.shape, dtype))
        self._mask = mask
        out = self._out("out", x, training)
        np.multiply(x, mask, out=out)
        return out

    def backward(self, grad_out: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        if self._mask is None:
            return grad_out
        dx = self._buffer("dx", grad_out.shape, grad_out.dtype)
        np.multiply(grad_out, self._mask, out=dx)
        return dx

    def get_config(self) -> dict[str, float]:
        """JSON-able constructor arguments: ``{"p": p}``. The generator is not part of it."""
        return {"p": self.p}

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"


_RAW_64_BIT = (np.random.PCG64, np.random.PCG64DXSM, np.random.SFC64, np.random.Philox)


def _uint32_draws(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Uniform 32-bit integers: halves of raw 64-bit outputs where the generator makes those."""
    size = int(np.prod(shape))
    if isinstance(rng.bit_generator, _RAW_64_BIT):
        return rng.bit_generator.random_raw((size + 1) // 2).view(np.uint32)[:size].reshape(shape)
    return rng.integers(0, 2**32, size=shape, dtype=np.uint32)
