"""Weight initializers: small functions ``init(shape, rng, dtype) -> array``.

For a Dense weight of shape ``(n_in, n_out)``, ``fan_in = n_in`` and
``fan_out = n_out``. Biases are zero unless asked otherwise.

The lectures use the same names for different things (SPEC §3); here every
scheme has one unambiguous name and its docstring gives the variance:

============== ===================================== ===========================================
name           distribution                          what the lectures call it
============== ===================================== ===========================================
zeros          0                                      (fails to break symmetry, S1)
constant       c                                      (fails to break symmetry, S1)
normal         N(0, sigma^2), sigma = 0.01            "small random numbers" (S1)
standard_normal N(0, 1)                               Nielsen's "large" initializer (S3)
nielsen        N(0, 1/n_in)                           Nielsen's default (S3)
lecun_normal   N(0, 1/n_in)                           what S1 calls "Xavier"
lecun_uniform  U(+-sqrt(3/n_in)), variance 1/n_in
uniform_fan_in U(+-1/sqrt(n_in)), variance 1/(3 n_in) what S3 calls "glorot"
glorot_normal  N(0, 2/(n_in + n_out))                 Glorot/Xavier as S0 defines it
glorot_uniform U(+-sqrt(6/(n_in + n_out)))            Glorot/Xavier uniform, same variance
he_normal      N(0, 2/n_in)                           He; S3's N(0, sqrt(2/n_in)) means the std
he_uniform     U(+-sqrt(6/n_in)), variance 2/n_in
============== ===================================== ===========================================
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .registry import Registry

Initializer = Callable[..., np.ndarray]
INITIALIZERS: Registry[Initializer] = Registry("initializer")


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    if len(shape) == 1:
        return shape[0], shape[0]
    return shape[0], shape[1]


def _normal(shape: tuple[int, ...], std: float, rng: np.random.Generator, dtype: Any) -> np.ndarray:
    return (rng.standard_normal(shape) * std).astype(dtype)


def _uniform(shape: tuple[int, ...], bound: float, rng: np.random.Generator, dtype: Any) -> np.ndarray:
    return rng.uniform(-bound, bound, size=shape).astype(dtype)


@INITIALIZERS.register("zeros")
def zeros(shape: tuple[int, ...], rng: np.random.Generator | None = None, dtype: Any = np.float32) -> np.ndarray:
    """All zeros: mean 0, variance 0. Every unit computes the same thing forever."""
    return np.zeros(shape, dtype=dtype)


@INITIALIZERS.register("constant")
def constant(
    shape: tuple[int, ...], rng: np.random.Generator | None = None, dtype: Any = np.float32, value: float = 0.5
) -> np.ndarray:
    """Every weight equal to ``value``: mean ``value``, variance 0; symmetry is never broken."""
    return np.full(shape, value, dtype=dtype)


@INITIALIZERS.register("normal")
def normal(shape: tuple[int, ...], rng: np.random.Generator, dtype: Any = np.float32, std: float = 0.01) -> np.ndarray:
    r"""Small Gaussian :math:`N(0, \sigma^2)`, :math:`\sigma = 0.01` by default."""
    return _normal(shape, std, rng, dtype)


@INITIALIZERS.register("standard_normal")
def standard_normal(shape: tuple[int, ...], rng: np.random.Generator, dtype: Any = np.float32) -> np.ndarray:
    """:math:`N(0, 1)`: Nielsen's ``large_weight_initializer``. With 784 inputs a unit's
    pre-activation has variance about 785, so sigmoid and tanh units saturate."""
    return _normal(shape, 1.0, rng, dtype)


@INITIALIZERS.register("nielsen")
def nielsen(shape: tuple[int, ...], rng: np.random.Generator, dtype: Any = np.float32) -> np.ndarray:
    r"""Nielsen's ``default_weight_initializer``: :math:`N(0, 1/n_{in})`, std :math:`1/\sqrt{n_{in}}`.

    The same distribution as :func:`lecun_normal`, kept under Nielsen's name.
    """
    return _normal(shape, 1.0 / math.sqrt(_fans(shape)[0]), rng, dtype)


@INITIALIZERS.register("lecun_normal")
def lecun_normal(shape: tuple[int, ...], rng: np.random.Generator, dtype: Any = np.float32) -> np.ndarray:
    r"""LeCun normal :math:`N(0, 1/n_{in})`. S1 calls this "Xavier"; it is not Glorot's formula."""
    return _normal(shape, 1.0 / math.sqrt(_fans(shape)[0]), rng, dtype)


@INITIALIZERS.register("lecun_uniform")
def lecun_uniform(shape: tuple[int, ...], rng: np.random.Generator, dtype: Any = np.float32) -> np.ndarray:
    r"""LeCun uniform :math:`U(\pm\sqrt{3/n_{in}})`: variance :math:`1/n_{in}`."""
    return _uniform(shape, math.sqrt(3.0 / _fans(shape)[0]), rng, dtype)


@INITIALIZERS.register("uniform_fan_in")
def uniform_fan_in(shape: tuple[int, ...], rng: np.random.Generator, dtype: Any = np.float32) -> np.ndarray:
    r""":math:`U(\pm 1/\sqrt{n_{in}})`: variance :math:`1/(3 n_{in})`.

    S3 calls this "glorot"; it is the bound of PyTorch's default ``Linear`` init,
    not Glorot and Bengio's formula (see :func:`glorot_uniform`).
    """
    return _uniform(shape, 1.0 / math.sqrt(_fans(shape)[0]), rng, dtype)


@INITIALIZERS.register("glorot_normal", "xavier_normal")
def glorot_normal(shape: tuple[int, ...], rng: np.random.Generator, dtype: Any = np.float32) -> np.ndarray:
    r"""Glorot/Xavier normal :math:`N(0, 2/(n_{in} + n_{out}))`, as S0 defines it."""
    fan_in, fan_out = _fans(shape)
    return _normal(shape, math.sqrt(2.0 / (fan_in + fan_out)), rng, dtype)


@INITIALIZERS.register("glorot_uniform", "xavier_uniform")
def glorot_uniform(shape: tuple[int, ...], rng: np.random.Generator, dtype: Any = np.float32) -> np.ndarray:
    r"""Glorot/Xavier uniform :math:`U(\pm\sqrt{6/(n_{in} + n_{out})})`: variance :math:`2/(n_{in} + n_{out})`."""
    fan_in, fan_out = _fans(shape)
    return _uniform(shape, math.sqrt(6.0 / (fan_in + fan_out)), rng, dtype)


@INITIALIZERS.register("he_normal", "kaiming_normal")
def he_normal(shape: tuple[int, ...], rng: np.random.Generator, dtype: Any = np.float32) -> np.ndarray:
    r"""He normal :math:`N(0, 2/n_{in})`, standard deviation :math:`\sqrt{2/n_{in}}` (S3's notation gives the std)."""
    return _normal(shape, math.sqrt(2.0 / _fans(shape)[0]), rng, dtype)


@INITIALIZERS.register("he_uniform", "kaiming_uniform")
def he_uniform(shape: tuple[int, ...], rng: np.random.Generator, dtype: Any = np.float32) -> np.ndarray:
    r"""He uniform :math:`U(\pm\sqrt{6/n_{in}})`: variance :math:`2/n_{in}`."""
    return _uniform(shape, math.sqrt(6.0 / _fans(shape)[0]), rng, dtype)


def get_initializer(spec: str | Initializer, **kwargs: Any) -> Initializer:
    """Resolve a name (with optional keyword arguments, e.g. ``std=0.1``) or a callable."""
    if callable(spec):
        return spec
    init = INITIALIZERS.get(spec)
    return functools.partial(init, **kwargs) if kwargs else init
