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


def generators_in(model: object) -> list[np.random.Generator]:
    """Every distinct random generator held by a layer in ``model``'s tree (e.g. dropout's), in layer order."""
    found: dict[int, np.random.Generator] = {}

    def visit(layer: object) -> None:
        for child in getattr(layer, "layers", ()):
            visit(child)
        rng = getattr(layer, "rng", None)
        if isinstance(rng, np.random.Generator):
            found.setdefault(id(rng), rng)

    visit(model)
    return list(found.values())
