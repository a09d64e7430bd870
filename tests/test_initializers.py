"""Tests of mlplab.initializers: each scheme's mean and variance, bounds, dtype, lookup by name, seeding."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import mlplab
from mlplab import initializers as I
from mlplab.initializers import INITIALIZERS, get_initializer

N_IN, N_OUT = 1000, 500
SHAPE = (N_IN, N_OUT)
SEED = 12345

# name -> (variance formula, uniform bound or None)
RANDOM_SCHEMES = {
    "normal": (0.01**2, None),
    "standard_normal": (1.0, None),
    "nielsen": (1.0 / N_IN, None),
    "lecun_normal": (1.0 / N_IN, None),
    "lecun_uniform": (1.0 / N_IN, math.sqrt(3.0 / N_IN)),
    "uniform_fan_in": (1.0 / (3 * N_IN), 1.0 / math.sqrt(N_IN)),
    "glorot_normal": (2.0 / (N_IN + N_OUT), None),
    "glorot_uniform": (2.0 / (N_IN + N_OUT), math.sqrt(6.0 / (N_IN + N_OUT))),
    "he_normal": (2.0 / N_IN, None),
    "he_uniform": (2.0 / N_IN, math.sqrt(6.0 / N_IN)),
}


def draw(name, dtype=np.float64, seed=SEED, shape=SHAPE):
    return INITIALIZERS.get(name)(shape, np.random.default_rng(seed), dtype)


def test_every_registered_initializer_is_covered():
    covered = set(RANDOM_SCHEMES) | {"zeros", "constant"}
    aliases = {"xavier_normal", "xavier_uniform", "kaiming_normal", "kaiming_uniform"}
    assert set(INITIALIZERS.names()) == covered | aliases


@pytest.mark.parametrize("name", sorted(RANDOM_SCHEMES))
def test_empirical_mean_and_variance_match_formula(name):
    variance, _ = RANDOM_SCHEMES[name]
    w = draw(name)
    assert w.shape == SHAPE
    n = w.size
    # Sample mean: standard error sqrt(var/n); allow 5 standard errors.
    assert abs(w.mean()) < 5 * math.sqrt(variance / n)
    # Sample variance: relative standard error <= sqrt(2/n) ~ 0.002; allow 2 %.
    assert_allclose(w.var(), variance, rtol=0.02)


@pytest.mark.parametrize("name", sorted(n for n, (_, bound) in RANDOM_SCHEMES.items() if bound is not None))
def test_uniform_schemes_stay_within_their_bounds(name):
    _, bound = RANDOM_SCHEMES[name]
    w = draw(name)
    assert np.all(np.abs(w) <= bound)
    # A uniform on (-bound, bound) comes close to both ends on half a million draws.
    assert w.max() > 0.999 * bound and w.min() < -0.999 * bound
    # And it is flat: about a quarter of the draws in each quarter of the interval.
    counts, _ = np.histogram(w, bins=4, range=(-bound, bound))
    assert_allclose(counts / w.size, 0.25, atol=0.01)


@pytest.mark.parametrize("name", ["normal", "standard_normal", "nielsen", "lecun_normal", "glorot_normal", "he_normal"])
def test_normal_schemes_are_not_bounded_like_uniform(name):
    variance, _ = RANDOM_SCHEMES[name]
    w = draw(name)
    std = math.sqrt(variance)
    assert np.abs(w).max() > 3.5 * std  # Gaussian tails, unlike any uniform of the same variance
    assert_allclose(np.mean(np.abs(w) < std), 0.6827, atol=0.005)


def test_zeros_is_exactly_zero():
    w = I.zeros(SHAPE)
    assert w.shape == SHAPE
    assert_array_equal(w, 0.0)


def test_constant_is_exactly_its_value():
    assert_array_equal(I.constant((3, 4)), np.full((3, 4), 0.5, dtype=np.float32))
    w = I.constant((3, 4), dtype=np.float64, value=-1.25)
    assert w.dtype == np.float64
    assert_array_equal(w, -1.25)


@pytest.mark.parametrize("name", INITIALIZERS.names())
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_respected(name, dtype):
    w = draw(name, dtype=dtype, shape=(7, 5))
    assert w.dtype == dtype
    assert w.shape == (7, 5)


@pytest.mark.parametrize("name", INITIALIZERS.names())
def test_default_dtype_is_float32(name):
    assert INITIALIZERS.get(name)((4, 3), np.random.default_rng(0)).dtype == np.float32


@pytest.mark.parametrize("name", sorted(RANDOM_SCHEMES))
def test_same_seed_gives_same_weights_and_other_seed_differs(name):
    a = draw(name, shape=(20, 10))
    b = draw(name, shape=(20, 10))
    c = draw(name, shape=(20, 10), seed=SEED + 1)
    assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_float32_draw_is_the_float64_draw_rounded():
    a64 = draw("he_normal", dtype=np.float64, shape=(6, 4))
    a32 = draw("he_normal", dtype=np.float32, shape=(6, 4))
    assert_array_equal(a32, a64.astype(np.float32))


def test_get_initializer_by_name_returns_registered_function():
    assert get_initializer("he_normal") is I.he_normal
    assert get_initializer("HE-Normal") is I.he_normal
    assert get_initializer("xavier_uniform") is I.glorot_uniform
    assert get_initializer("kaiming_uniform") is I.he_uniform


def test_get_initializer_passes_callables_through():
    def custom(shape, rng, dtype):
        return np.ones(shape, dtype=dtype)

    assert get_initializer(custom) is custom


def test_get_initializer_normal_with_std_kwarg():
    init = get_initializer("normal", std=0.1)
    w = init(SHAPE, np.random.default_rng(SEED), np.float64)
    assert_allclose(w.std(), 0.1, rtol=0.01)
    # Same draws as the default scheme, scaled by 0.1 / 0.01.
    assert_allclose(w, 10.0 * draw("normal"), rtol=1e-12)


def test_get_initializer_constant_with_value_kwarg():
    init = get_initializer("constant", value=0.3)
    assert_array_equal(init((2, 3), None, np.float64), np.full((2, 3), 0.3))
    w32 = init((2, 3), None, np.float32)
    assert w32.dtype == np.float32
    assert_array_equal(w32, np.float32(0.3))


def test_unknown_initializer_name_lists_valid_names():
    with pytest.raises(mlplab.UnknownNameError) as info:
        get_initializer("glorot_gaussian")
    message = str(info.value)
    assert "glorot_gaussian" in message
    for name in INITIALIZERS.names():
        assert name in message


def test_unknown_initializer_name_is_a_value_error_and_key_error():
    with pytest.raises(ValueError):
        get_initializer("nope")
    with pytest.raises(KeyError):
        get_initializer("nope")


def test_fans_of_one_dimensional_shape():
    # A 1-D shape uses its length as both fans: he_uniform bound sqrt(6/n).
    w = I.he_uniform((20000,), np.random.default_rng(0), np.float64)
    assert np.all(np.abs(w) <= math.sqrt(6.0 / 20000))
    assert_allclose(w.var(), 2.0 / 20000, rtol=0.05)
