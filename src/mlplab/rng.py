"""Randomness is passed in: a seed or a ``numpy.random.Generator``, never the global state."""

from __future__ import annotations

import numpy as np


def as_generator(rng: np.random.Generator | int | None) -> np.random.Generator:
    """Return ``rng`` if it is a Generator, else a new Generator seeded with it.

    ``None`` gives a Generator seeded from fresh OS entropy (not reproducible);
    pass an int for a reproducible run.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, (int, np.integer)) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be a numpy.random.Generator, an int seed or None, got {type(rng).__name__}")
