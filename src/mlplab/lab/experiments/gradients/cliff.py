r"""Gradient clipping on a cliff (S1's "cliffs" figure): the loss, the descents, their figure and claims.

The second study of the ``gradients`` experiment: gradient descent on a two-parameter loss, a gentle
bowl plus a steep step of height 100, unclipped, clipped by value and clipped by norm.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ....clipping import clip_grad_norm, clip_grad_value
from ....optimizers import SGD
from ....parameter import Parameter
from ....plotting import pyplot
from ...base import Lab
from ...plots import log_y


@dataclass(frozen=True)
class Cliff:
    r"""A bowl with a cliff: :math:`L(w) = \frac{a}{2}\lVert w\rVert^2 + H\,\sigma(k(n \cdot w - c))`.

    The minimum is near the origin, on the low side of the cliff; the start is on the high plateau.
    On the cliff the gradient reaches :math:`H k / 4 = 100`, against about 0.4 for the bowl.
    """

    curvature: float = 0.05
    height: float = 100.0
    steepness: float = 4.0
    angle_deg: float = 20.0
    offset: float = 3.0

    @property
    def normal(self) -> np.ndarray:
        angle = np.deg2rad(self.angle_deg)
        return np.array([np.cos(angle), np.sin(angle)])

    def _sigmoid(self, w: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.steepness * (w @ self.normal - self.offset)))

    def loss(self, w: np.ndarray) -> np.ndarray:
        """Loss at ``w`` of shape (..., 2)."""
        return 0.5 * self.curvature * (w**2).sum(axis=-1) + self.height * self._sigmoid(w)

    def grad(self, w: np.ndarray) -> np.ndarray:
        s = self._sigmoid(w)
        return self.curvature * w + self.height * self.steepness * s * (1 - s) * self.normal


START = np.array([7.0, 4.0])
CLIP = 1.0
CLIFF_LR = 1.0
CLIFF_COLORS = ("tab:red", "tab:cyan", "tab:orange")


@dataclass
class Descent:
    """One gradient-descent run on the cliff."""

    label: str
    path: np.ndarray
    losses: np.ndarray
    raw_grad_norms: np.ndarray
    cosines: np.ndarray

    @property
    def steps(self) -> np.ndarray:
        return np.linalg.norm(np.diff(self.path, axis=0), axis=1)


def descend(cliff: Cliff, clipping: str, iterations: int) -> Descent:
    """Plain gradient descent (mlplab's SGD) from START; ``clipping`` is "none", "value" or "norm"."""
    w = Parameter(START.copy(), name="w")
    optimizer = SGD([w], lr=CLIFF_LR)
    path, raw_norms, cosines = [w.value.copy()], [], []
    for _ in range(iterations):
        optimizer.zero_grad()
        w.add_grad(cliff.grad(w.value))
        raw = w.grad.copy()
        if clipping == "value":
            clip_grad_value([w], CLIP)
        elif clipping == "norm":
            clip_grad_norm([w], CLIP)
        raw_norms.append(np.linalg.norm(raw))
        cosines.append(raw @ w.grad / (np.linalg.norm(raw) * np.linalg.norm(w.grad)))
        optimizer.step()
        path.append(w.value.copy())
    points = np.array(path)
    label = {
        "none": "no clipping",
        "value": f"clip by value to [-{CLIP:g}, {CLIP:g}]",
        "norm": f"clip by norm to {CLIP:g}",
    }[clipping]
    return Descent(label, points, cliff.loss(points), np.array(raw_norms), np.array(cosines))


def _draw_surface(ax: Any, cliff: Cliff, runs: list[Descent], low: np.ndarray, high: np.ndarray) -> Any:
    """Filled contours of log10(loss) over [low, high], the cliff's edge and every path."""
    grid = np.stack(np.meshgrid(np.linspace(low[0], high[0], 240), np.linspace(low[1], high[1], 180)), axis=-1)
    filled = ax.contourf(grid[..., 0], grid[..., 1], np.log10(cliff.loss(grid) + 1e-2), levels=24, cmap="viridis")
    edge = np.linspace(low[1], high[1], 2)  # n·w = c, solved for w1
    ax.plot(
        (cliff.offset - cliff.normal[1] * edge) / cliff.normal[0], edge, color="w", ls="--", lw=1, label="cliff edge"
    )
    for run, color, marker in zip(runs, CLIFF_COLORS, "o^s"):
        ax.plot(run.path[:, 0], run.path[:, 1], color=color, marker=marker, ms=3, lw=1.2, label=run.label)
    ax.plot(*START, "w*", ms=12, mec="k", label="start")
    ax.plot(0, 0, "wX", ms=9, mec="k", label="minimum")
    ax.set_xlim(low[0], high[0])
    ax.set_ylim(low[1], high[1])
    ax.set_xlabel("w₁")
    ax.set_ylabel("w₂")
    return filled


def plot_cliff(lab: Lab, cliff: Cliff, runs: list[Descent]) -> None:
    """``clipping-on-a-cliff.png``: the paths over the loss surface, the loss and the step length per iteration."""
    plt = pyplot()
    fig, ((overview, zoom), (losses, steps)) = plt.subplots(2, 2, figsize=(11, 7.6))
    points = np.concatenate([run.path for run in runs])
    filled = _draw_surface(overview, cliff, runs, points.min(axis=0) - 2, points.max(axis=0) + 2)
    overview.set_title("Whole path: the unclipped step lands far beyond the minimum", fontsize=9)
    _draw_surface(zoom, cliff, runs, np.array([-2.0, -2.0]), np.array([8.0, 5.5]))
    zoom.set_title("Near the cliff: clipped descent walks down it in steps of ≤ 1", fontsize=9)
    zoom.legend(fontsize=7, loc="upper left", facecolor="white", framealpha=0.85, frameon=True)
    for run, color in zip(runs, CLIFF_COLORS):
        iterations = np.arange(len(run.losses))
        losses.plot(iterations, run.losses, color=color, label=run.label)
        steps.plot(iterations[1:], run.steps, color=color, label=run.label)
    log_y(losses)
    losses.set_xlabel("iteration")
    losses.set_ylabel("loss L(w)")
    losses.set_title("Loss per iteration", fontsize=9)
    losses.legend(fontsize=7)
    log_y(steps)
    steps.axhline(CLIFF_LR * CLIP, color="grey", ls=":", label="lr × clipping threshold")
    steps.set_xlabel("iteration")
    steps.set_ylabel("step length ‖Δw‖")
    steps.set_title("Length of each step", fontsize=9)
    steps.legend(fontsize=7)
    fig.suptitle(
        f"Gradient descent (lr {CLIFF_LR:g}) on a bowl with a cliff of height {cliff.height:g}: "
        "unclipped, one step on the cliff throws w far away",
        fontsize=10,
    )
    fig.subplots_adjust(left=0.07, right=0.9, top=0.92, bottom=0.07, hspace=0.3, wspace=0.22)
    fig.colorbar(filled, cax=fig.add_axes((0.915, 0.55, 0.012, 0.37)), label="log10(loss + 0.01)")
    lab.figure(
        fig,
        "clipping-on-a-cliff.png",
        "Gradient descent without clipping, with clipping by value and with clipping by norm on a 2-parameter "
        "loss with a steep cliff: the paths over log10 of the loss (whole and zoomed), the loss per iteration "
        "and the length of each step (log scales).",
    )


def clipping_claims(lab: Lab, descents: list[Descent]) -> None:
    """S1's claims on a cliff: the unclipped step throws w away; clipping by value or norm reaches the minimum."""
    plain, by_value, by_norm = descents
    start_distance = float(np.linalg.norm(START))
    farthest = float(np.linalg.norm(plain.path, axis=1).max())
    lab.claim(
        "On a cliff an unclipped gradient step is huge and throws the parameters far away",
        "S1",
        plain.steps.max() > 10 * CLIFF_LR * CLIP and farthest > 3 * start_distance,
        f"longest step {plain.steps.max():.1f} (gradient {plain.raw_grad_norms.max():.1f}); it lands "
        f"{farthest:.1f} from the minimum, having started {start_distance:.1f} from it",
    )
    lab.claim(
        "Clipping the gradient (by value or by norm) lets descent go down the cliff and on to the minimum",
        "S1",
        max(by_value.losses[-1], by_norm.losses[-1]) < 0.1 * plain.losses[-1],
        f"final loss after {len(plain.losses) - 1} iterations: {plain.losses[-1]:.3g} unclipped, "
        f"{by_value.losses[-1]:.2e} clipped by value, {by_norm.losses[-1]:.2e} clipped by norm",
    )
    lab.claim(
        "Clipping by norm keeps the gradient's direction; clipping by value does not",
        "S1",
        by_norm.cosines.min() > 1 - 1e-9 and by_value.cosines.min() < 0.99,
        f"smallest cosine between clipped and raw gradient: {by_norm.cosines.min():.6f} (norm), "
        f"{by_value.cosines.min():.3f} (value, {np.degrees(np.arccos(by_value.cosines.min())):.0f}° turned)",
    )
