"""Question 1 of the ``assignment`` experiment: gradient descent from x = 0 on the quartic f.

The function and its derivatives, the critical points (:func:`numpy.roots`), mlplab's SGD fed the analytic
gradient, the two figures and the three claims.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np

from .... import SGD, Parameter
from ....plotting import pyplot
from ...base import Lab

Q1_RATES = (0.01, 0.05, 0.1)
Q1_ITERATIONS = 60
Q1_TOLERANCE = 1e-4
FLOOR = 1e-16  # f(x_t) - f(x*) below float64 resolution of f(x*) is drawn at this value

FloatOrArray = TypeVar("FloatOrArray", float, np.ndarray)
"""A point or an array of points: :func:`f` and its derivatives give a number or an array of the same shape."""


def f(x: FloatOrArray) -> FloatOrArray:
    """The assignment's function :math:`f(x) = x^4/4 - 3x^3 + 7x - 5`."""
    return x**4 / 4 - 3 * x**3 + 7 * x - 5


def f_prime(x: FloatOrArray) -> FloatOrArray:
    """:math:`f'(x) = x^3 - 9x^2 + 7`."""
    return x**3 - 9 * x**2 + 7


def f_second(x: FloatOrArray) -> FloatOrArray:
    """:math:`f''(x) = 3x^2 - 18x`."""
    return 3 * x**2 - 18 * x


def critical_points() -> np.ndarray:
    """The real roots of :math:`f'`, ascending (:func:`numpy.roots` of :math:`x^3 - 9x^2 + 0x + 7`)."""
    roots = np.roots([1.0, -9.0, 0.0, 7.0])
    return np.sort(roots[np.abs(roots.imag) < 1e-12].real)


def gradient_descent(rate: float, iterations: int) -> np.ndarray:
    """Iterates :math:`x_0 = 0, x_1, \\dots` of mlplab's SGD on :math:`f`, fed the analytic gradient."""
    x = Parameter(np.zeros(1), name="x")
    optimizer = SGD([x], lr=rate)
    path = [float(x.value[0])]
    for _ in range(iterations):
        optimizer.zero_grad()
        x.add_grad(f_prime(x.value))
        optimizer.step()
        path.append(float(x.value[0]))
    return np.array(path)


def iterations_to_reach(path: np.ndarray, target: float, tolerance: float) -> int | None:
    """The first iteration from which :math:`|x_t - x^*| < tol` holds to the end (``None`` if never)."""
    outside = np.flatnonzero(np.abs(path - target) >= tolerance)
    if outside.size == 0:
        return 0
    first_inside = int(outside[-1]) + 1
    return first_inside if first_inside < path.size else None


def question_1(lab: Lab) -> None:
    roots = critical_points()
    curvature = f_second(roots)
    minima, maxima = roots[curvature > 0], roots[curvature < 0]
    paths = {rate: gradient_descent(rate, Q1_ITERATIONS) for rate in Q1_RATES}
    final_mean = np.mean([path[-1] for path in paths.values()])
    reached = minima[np.argmin(np.abs(minima - final_mean))]  # the minimum the runs ended at
    global_min = minima[np.argmin(f(minima))]
    steps = {rate: iterations_to_reach(path, reached, Q1_TOLERANCE) for rate, path in paths.items()}
    best = min(Q1_RATES, key=lambda r: np.inf if (n := steps[r]) is None else n)
    factors = {rate: 1 - rate * f_second(reached) for rate in Q1_RATES}
    lab.record(
        q1_critical_points=roots,
        q1_critical_values=f(roots),
        q1_second_derivative=curvature,
        q1_local_minimum=reached,
        q1_local_minimum_value=f(reached),
        q1_global_minimum=global_min,
        q1_global_minimum_value=f(global_min),
        q1_rates=Q1_RATES,
        q1_iterates={str(rate): path for rate, path in paths.items()},
        q1_values={str(rate): f(path) for rate, path in paths.items()},
        q1_final_x={str(rate): path[-1] for rate, path in paths.items()},
        q1_iterations_to_tolerance={str(rate): n for rate, n in steps.items()},
        q1_tolerance=Q1_TOLERANCE,
        q1_error_factor_per_step={str(rate): v for rate, v in factors.items()},
        q1_ideal_rate=1 / f_second(reached),
        q1_stability_limit=2 / f_second(reached),
        q1_best_rate=best,
    )
    plot_q1(lab, paths, roots, reached, steps)

    finals = np.array([path[-1] for path in paths.values()])
    lab.claim(
        "Gradient descent from x = 0 on f(x) = x^4/4 - 3x^3 + 7x - 5 finds the local minimum x* = -0.843, "
        "f(x*) = -8.978 (f'(0) = 7 > 0, so it moves left; the root of f' there is -0.84329 by numpy.roots)",
        "S3",
        abs(reached + 0.843) < 5e-4 and bool(np.all(np.abs(finals - reached) < 1e-2)),
        f"numpy.roots(f') = {np.round(roots, 5).tolist()}; after {Q1_ITERATIONS} iterations x = "
        + ", ".join(f"{x:.5f} (rate {r})" for r, x in zip(Q1_RATES, finals))
        + f"; f(x*) = {f(reached):.4f}",
    )
    lab.claim(
        "Of the rates 0.01, 0.05 and 0.1, 0.05 is the best: 0.01 creeps towards x* and 0.1 overshoots and "
        "oscillates, because near x* each step multiplies the error by 1 - rate * f''(x*)",
        "S3",
        best == 0.05,
        f"iterations until |x - x*| < {Q1_TOLERANCE:g}: "
        + ", ".join(f"{'never' if steps[r] is None else steps[r]} (rate {r})" for r in Q1_RATES)
        + f"; error factor per step {', '.join(f'{factors[r]:.2f}' for r in Q1_RATES)}; "
        f"f''(x*) = {f_second(reached):.2f}, ideal rate 1/f'' = {1 / f_second(reached):.4f}",
    )
    lab.claim(
        "The minimum gradient descent reaches from x = 0 is only local: f has a lower, global minimum to the right",
        "S3",
        f(global_min) < f(reached) and len(maxima) == 1 and reached < maxima[0] < global_min,
        f"global minimum x = {global_min:.4f}, f = {f(global_min):.2f}, behind the local maximum at "
        f"x = {maxima[0]:.4f} (f = {f(maxima[0]):.3f})",
    )


def plot_q1(
    lab: Lab, paths: dict[float, np.ndarray], roots: np.ndarray, reached: float, steps: dict[float, int | None]
) -> None:
    plt = pyplot()
    colors = dict(zip(Q1_RATES, ("tab:blue", "tab:green", "tab:red")))
    fig, (whole, zoom) = plt.subplots(1, 2, figsize=(11, 4))
    grid = np.linspace(-2, 10, 600)
    whole.plot(grid, f(grid), color="black", lw=1.2, label="f(x)")
    lowest = roots[np.argmin(f(roots))]
    for root in roots:
        kind = "local maximum" if f_second(root) < 0 else "global minimum" if root == lowest else "local minimum"
        whole.plot(root, f(root), "o", ms=7, label=f"{kind}: x = {root:.3f}, f = {f(root):.2f}")
    whole.set_xlabel("x")
    whole.set_ylabel("f(x)")
    whole.set_title("f(x) = x⁴/4 − 3x³ + 7x − 5 and its critical points")
    whole.legend(loc="lower left")
    grid = np.linspace(-1.2, 0.3, 300)
    zoom.plot(grid, f(grid), color="black", lw=1.2, label="f(x)")
    for rate, path in paths.items():
        shown = path[:12]
        zoom.plot(shown, f(shown), "o-", ms=4, lw=0.8, alpha=0.8, color=colors[rate], label=f"rate {rate}")
    zoom.plot(0, f(0.0), "k*", ms=12, label="start x = 0")
    zoom.axvline(reached, color="grey", ls=":", label=f"x* = {reached:.4f}")
    zoom.set_xlabel("x")
    zoom.set_ylabel("f(x)")
    zoom.set_title("The first 11 steps of gradient descent from x = 0")
    zoom.legend(loc="lower right")
    lab.figure(
        fig,
        "q1-function.png",
        "Q1: f(x) with its critical points (left) and the first gradient-descent "
        "steps for each rate, which all walk left to the local minimum at x* = -0.843 (right).",
    )

    fig, (position, gap) = plt.subplots(1, 2, figsize=(11, 4))
    iterations = np.arange(Q1_ITERATIONS + 1)
    for rate, path in paths.items():
        label = f"rate {rate} ({'never' if steps[rate] is None else steps[rate]} iterations)"
        position.plot(iterations, path, "o-", ms=2.5, lw=1, color=colors[rate], label=label)
        gap.semilogy(
            iterations,
            np.maximum(f(path) - f(reached), FLOOR),
            "o-",
            ms=2.5,
            lw=1,
            color=colors[rate],
            label=f"rate {rate}",
        )
    position.axhline(reached, color="grey", ls=":", label=f"x* = {reached:.4f}")
    position.set_xlabel("iteration t")
    position.set_ylabel("x_t")
    position.set_title(f"x per iteration (iterations until |x − x*| < {Q1_TOLERANCE:g})")
    position.legend()
    gap.set_xlabel("iteration t")
    gap.set_ylabel(f"f(x_t) − f(x*)  (log scale, floored at {FLOOR:g})")
    gap.set_title(f"Convergence of f(x_t) to the local minimum f(x*) = {f(reached):.4f}")
    gap.legend()
    lab.figure(
        fig,
        "q1-convergence.png",
        "Q1: the iterates x_t and the gap f(x_t) - f(x*) per iteration: 0.05 "
        "converges fastest, 0.1 oscillates around x*, 0.01 creeps.",
    )
