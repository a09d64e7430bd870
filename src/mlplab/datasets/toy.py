"""Small 2-D data sets for experiments you can plot: XOR, noisy XOR, blobs, moons, circles, spirals.

Each returns ``(x, y)``: ``x`` float32 of shape ``(n, 2)``, ``y`` int64 class
labels of shape ``(n,)``. Classes get ``n // k`` samples each, the first
``n % k`` classes one more; the rows come in a random order. Noise is Gaussian
and drawn from ``rng`` (a Generator or an int seed), so a seed fixes the set.
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import check_fraction, check_positive, check_positive_int
from ..rng import as_generator

__all__ = ["blobs", "circles", "moons", "noisy_xor", "spirals", "xor"]


def xor() -> tuple[np.ndarray, np.ndarray]:
    r"""The four XOR points: :math:`y = x_1 \oplus x_2`.

    ====== ======
    x      y
    ====== ======
    (0, 0) 0
    (0, 1) 1
    (1, 0) 1
    (1, 1) 0
    ====== ======

    No line separates the classes, so a perceptron cannot learn it and a
    2-2-1 network can (S1, S4).
    """
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    y = np.array([0, 1, 1, 0], dtype=np.int64)
    return x, y


def noisy_xor(
    n: int = 400, noise: float = 0.15, rng: np.random.Generator | int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    r"""XOR as clouds: ``n`` points around the four corners :math:`(\pm 1, \pm 1)`, class :math:`[x_1 x_2 < 0]`.

    Corners :math:`(1, 1)` and :math:`(-1, -1)` are class 0, the other two class 1 (the
    XOR of the signs); each point is its corner plus :math:`N(0, \text{noise}^2)` per coordinate.
    """
    n = check_positive_int("n", n)
    noise = check_positive("noise", noise, allow_zero=True)
    rng = as_generator(rng)
    corners = [np.array([[1.0, 1.0]]), np.array([[-1.0, -1.0]]), np.array([[1.0, -1.0]]), np.array([[-1.0, 1.0]])]
    sizes = _class_sizes(n, 4)
    clouds = [np.repeat(c, size, axis=0) for c, size in zip(corners, sizes)]
    return _finish([np.concatenate(clouds[:2]), np.concatenate(clouds[2:])], noise, rng)


def blobs(
    n: int = 400, noise: float = 0.5, rng: np.random.Generator | int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    r"""Two Gaussian blobs centred at :math:`(-1, -1)` (class 0) and :math:`(1, 1)` (class 1), spread ``noise``.

    Linearly separable when ``noise`` is small; they overlap more as it grows.
    """
    n = check_positive_int("n", n)
    noise = check_positive("noise", noise, allow_zero=True)
    rng = as_generator(rng)
    n0, n1 = _class_sizes(n, 2)
    return _finish([np.full((n0, 2), -1.0), np.full((n1, 2), 1.0)], noise, rng)


def _class_sizes(n: int, k: int) -> list[int]:
    return [n // k + (1 if c < n % k else 0) for c in range(k)]


def _finish(points: list[np.ndarray], noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Stack per-class point sets, add N(0, noise^2) to each coordinate, shuffle the rows."""
    x = np.concatenate(points)
    y = np.concatenate([np.full(p.shape[0], c, dtype=np.int64) for c, p in enumerate(points)])
    if noise > 0:
        x = x + noise * rng.standard_normal(x.shape)
    order = rng.permutation(x.shape[0])
    return x[order].astype(np.float32), y[order]


def moons(
    n: int = 200, noise: float = 0.1, rng: np.random.Generator | int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    r"""Two interleaving half circles.

    With :math:`t` evenly spaced in :math:`[0, \pi]`:

    * class 0 (upper moon): :math:`(\cos t, \sin t)`
    * class 1 (lower moon): :math:`(1 - \cos t, \tfrac12 - \sin t)`

    plus :math:`N(0, \text{noise}^2)` on each coordinate. Same construction as
    scikit-learn's ``make_moons``.
    """
    n = check_positive_int("n", n)
    noise = check_positive("noise", noise, allow_zero=True)
    rng = as_generator(rng)
    n0, n1 = _class_sizes(n, 2)
    t0, t1 = np.linspace(0.0, math.pi, n0), np.linspace(0.0, math.pi, n1)
    upper = np.column_stack([np.cos(t0), np.sin(t0)])
    lower = np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)])
    return _finish([upper, lower], noise, rng)


def circles(
    n: int = 200,
    noise: float = 0.05,
    factor: float = 0.5,
    rng: np.random.Generator | int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Two concentric circles.

    With :math:`t` evenly spaced in :math:`[0, 2\pi)`:

    * class 0 (outer): :math:`(\cos t, \sin t)`, radius 1
    * class 1 (inner): :math:`f\,(\cos t, \sin t)`, radius :math:`f` = ``factor``

    plus :math:`N(0, \text{noise}^2)` on each coordinate. Only a non-linear
    boundary (a ring of radius between :math:`f` and 1) separates them.
    """
    n = check_positive_int("n", n)
    noise = check_positive("noise", noise, allow_zero=True)
    factor = check_fraction("factor", factor, low_open=True)
    rng = as_generator(rng)
    n0, n1 = _class_sizes(n, 2)
    t0 = np.linspace(0.0, 2 * math.pi, n0, endpoint=False)
    t1 = np.linspace(0.0, 2 * math.pi, n1, endpoint=False)
    outer = np.column_stack([np.cos(t0), np.sin(t0)])
    inner = factor * np.column_stack([np.cos(t1), np.sin(t1)])
    return _finish([outer, inner], noise, rng)


def spirals(
    n: int = 300,
    classes: int = 3,
    noise: float = 0.2,
    rng: np.random.Generator | int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    r"""``classes`` interleaved spiral arms (the CS231n spiral, arms evenly rotated).

    Arm :math:`k` of :math:`K` has radii :math:`r` evenly spaced in
    :math:`[0, 1]` and angles

    .. math:: \theta = \frac{2\pi k}{K} + 4 r + \text{noise}\cdot\varepsilon,
              \qquad \varepsilon \sim N(0, 1),

    giving the point :math:`(r \sin\theta, r \cos\theta)`. The noise perturbs
    the angle (not the coordinates), as in CS231n, so points stay on their
    circle of radius :math:`r`. Each arm turns 4 radians from the centre out.
    """
    n = check_positive_int("n", n)
    classes = check_positive_int("classes", classes)
    noise = check_positive("noise", noise, allow_zero=True)
    if classes > n:
        raise ValueError(f"spirals needs at least one point per class: n={n} < classes={classes}")
    rng = as_generator(rng)
    x_parts, y_parts = [], []
    for k, size in enumerate(_class_sizes(n, classes)):
        r = np.linspace(0.0, 1.0, size)
        theta = 2 * math.pi * k / classes + 4.0 * r + noise * rng.standard_normal(size)
        x_parts.append(np.column_stack([r * np.sin(theta), r * np.cos(theta)]))
        y_parts.append(np.full(size, k, dtype=np.int64))
    order = rng.permutation(n)
    return np.concatenate(x_parts)[order].astype(np.float32), np.concatenate(y_parts)[order]
