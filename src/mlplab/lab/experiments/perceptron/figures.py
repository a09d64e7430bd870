"""The three figures of the ``perceptron`` experiment: updates against margin, non-separable data, renormalization."""

from __future__ import annotations

import numpy as np

from ....perceptron import Perceptron
from ....plotting import pyplot
from ...base import Lab
from ...plots import draw_line
from .runs import SMALL_RHO, SWEEP_MARGIN, OnlineRun, direction


def plot_margins(
    lab: Lab,
    margins: np.ndarray,
    online: np.ndarray,
    bounds: np.ndarray,
    s3_epochs: np.ndarray,
    s3_converged: np.ndarray,
    slope: float,
) -> None:
    """``updates-vs-margin.png``: updates (online) and epochs (S3) against the margin, and who converged."""
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    n_seeds = online.shape[1]
    spread = np.exp(np.random.default_rng(0).uniform(-0.08, 0.08, n_seeds))
    for i, margin in enumerate(margins):
        moved = online[i] > 0  # a start that already separates needs no update: not drawable on a log scale
        left.scatter(margin * spread[moved], online[i][moved], s=12, c="tab:blue", alpha=0.5)
        ok = s3_converged[i]
        left.scatter(margin * spread[ok], s3_epochs[i][ok], s=14, marker="^", c="tab:orange", alpha=0.6)
    left.plot(
        margins,
        np.median(online, axis=1),
        "o-",
        c="tab:blue",
        label=f"Rosenblatt online: updates (median; slope {slope:.2f})",
    )
    s3_median = [np.median(e[c]) if c.any() else np.nan for e, c in zip(s3_epochs, s3_converged)]
    left.plot(
        margins, s3_median, "^-", c="tab:orange", label=f"S3 algorithm, rho={SMALL_RHO:g}: epochs, converged runs"
    )
    left.plot(margins, np.median(bounds, axis=1), "k--", label="Novikoff's bound $(R/\\gamma)^2$ (slope -2)")
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xlabel("margin $\\gamma$ of the generating line (data spans 2 along it; log scale)")
    left.set_ylabel("updates until no mistake (log scale)")
    left.set_title("Smaller margin, more updates; far below the worst case")
    left.legend(fontsize=8)
    right.plot(margins, np.mean(online >= 0, axis=1), "o-", c="tab:blue", label="Rosenblatt online")
    right.plot(margins, s3_converged.mean(axis=1), "^-", c="tab:orange", label=f"S3 algorithm, rho={SMALL_RHO:g}")
    right.set_xscale("log")
    right.set_ylim(-0.05, 1.05)
    right.set_xlabel("margin $\\gamma$ (log scale)")
    right.set_ylabel(f"share of {n_seeds} runs that converged")
    right.set_title("Separable data: which runs reach zero mistakes")
    right.legend(fontsize=8)
    lab.figure(
        fig,
        "updates-vs-margin.png",
        f"Linearly separable data with a controlled margin, {n_seeds} data sets and starts per margin. Left: updates "
        "to convergence of the online perceptron (blue) and epochs of S3's renormalized algorithm (orange), against "
        "Novikoff's bound. Right: the share of runs that converged at all.",
    )


def plot_non_separable(
    lab: Lab,
    x: np.ndarray,
    y: np.ndarray,
    separable: OnlineRun,
    cycling: OnlineRun,
    s3_small: np.ndarray,
    s3_large: np.ndarray,
    large_cycle_length: int,
    n_points: int,
) -> None:
    """``non-separable.png``: the last lines, the mistakes and the direction of w per epoch."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.9))
    ax = axes[0]
    for label, marker, color in ((1, "s", "tab:red"), (-1, "o", "tab:blue")):
        ax.scatter(*x[y == label].T, s=12, marker=marker, c=color, label=f"y = {label:+d}")
    for k, w in enumerate(cycling.weights[-6:]):
        draw_line(
            ax,
            w[:2],
            w[2],
            (-2.0, 2.0),
            color="0.3",
            lw=1,
            alpha=0.7,
            label="online: last 6 epochs" if k == 0 else None,
        )
    for k, row in enumerate(s3_large[-large_cycle_length:]):
        draw_line(
            ax,
            row[:2],
            row[2],
            (-2.0, 2.0),
            color="tab:purple",
            lw=1.5,
            ls="--",
            label=f"S3, rho=1: its {large_cycle_length}-cycle" if k == 0 else None,
        )
    ax.set_xlim(-2, 2)
    ax.set_ylim(-2, 2)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title("Overlapping classes: no line separates")
    ax.legend(fontsize=7, loc="lower left")
    ax = axes[1]
    ax.plot(
        np.arange(1, len(separable.mistakes) + 1),
        separable.mistakes,
        "o-",
        c="tab:green",
        ms=3,
        label="online, separable data",
    )
    ax.plot(np.arange(1, len(cycling.mistakes) + 1), cycling.mistakes, c="tab:blue", label="online, overlapping")
    ax.plot(s3_small[:, 3], c="tab:orange", label=f"S3, rho={SMALL_RHO:g}, overlapping")
    ax.plot(s3_large[:, 3], c="tab:purple", ls="--", label="S3, rho=1, overlapping")
    ax.set_xscale("symlog", linthresh=10)
    ax.set_xlabel("epoch (symlog scale)")
    ax.set_ylabel(f"misclassified points (of {n_points})")
    ax.set_title("Mistakes per epoch")
    ax.legend(fontsize=7)
    ax = axes[2]
    ax.plot(
        np.arange(1, len(cycling.weights) + 1),
        [direction(w[:2]) for w in cycling.weights],
        c="tab:blue",
        label="online",
    )
    ax.plot([direction(row[:2]) for row in s3_small], c="tab:orange", label=f"S3, rho={SMALL_RHO:g}")
    ax.plot([direction(row[:2]) for row in s3_large], c="tab:purple", ls="--", label="S3, rho=1")
    ax.set_xscale("symlog", linthresh=10)
    ax.set_xlabel("epoch (symlog scale)")
    ax.set_ylabel("direction of w (degrees from the $x_1$ axis)")
    ax.set_title("Direction of the weight vector per epoch")
    ax.legend(fontsize=7)
    lab.figure(
        fig,
        "non-separable.png",
        "Two overlapping Gaussian classes (not linearly separable). Left: the lines of the last epochs. Middle: "
        "misclassified points per epoch, which never reach 0 (green: separable data for contrast). Right: the "
        "direction of w per epoch keeps moving: a 2-cycle for S3 with rho = 1, a long wander for the others.",
    )


def plot_renormalization(
    lab: Lab,
    x: np.ndarray,
    y: np.ndarray,
    normal: np.ndarray,
    sweep: dict[float, Perceptron],
    cycle: np.ndarray,
    start_angles: np.ndarray,
    end_angles: np.ndarray,
    converged: np.ndarray,
    online_end_angles: np.ndarray,
) -> None:
    """``renormalization.png``: S3's algorithm on separable data by rho, and where bad starts end."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.9))
    ax = axes[0]
    for label, marker, color in ((1, "s", "tab:red"), (-1, "o", "tab:blue")):
        ax.scatter(*x[y == label].T, s=10, marker=marker, c=color, label=f"y = {label:+d}")
    small = sweep[min(sweep)]
    draw_line(ax, small.w_, small.b_, (-1.2, 1.2), color="k", label=f"rho={min(sweep):g}: converged line")
    biases = ", ".join(f"{b:+.1f}" for b in cycle[:, 2])
    ax.plot(
        [],
        [],
        color="tab:purple",
        ls="--",
        label=f"rho=1: {len(cycle)} lines with b = {biases} (|w| = 1),\noutside this window: all points on one side",
    )
    ax.set_xlim(-1.2, 1.2)
    ax.set_ylim(-1.2, 1.2)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(f"Separable data (margin {SWEEP_MARGIN:g})")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16))
    ax = axes[1]
    for (rho, clf), style in zip(sweep.items(), ("--", ":", "-", "-")):
        status = "converged" if clf.converged_ else f"cycle of {clf.cycle_length_}" if clf.cycles_detected_ else "no"
        ax.plot(clf.history_, ls=style, lw=2, label=f"rho={rho:g}: {status} after {clf.n_epochs_} epochs")
    ax.set_xscale("symlog", linthresh=10)
    ax.set_xlabel("epoch (symlog scale)")
    ax.set_ylabel(f"misclassified points (of {len(y)})")
    ax.set_title("S3's algorithm on separable data, by rho")
    ax.legend(fontsize=7)
    ax = axes[2]
    ax.scatter(start_angles[converged], end_angles[converged], s=14, c="tab:green", label="S3: converged")
    ax.scatter(
        start_angles[~converged], end_angles[~converged], s=20, marker="x", c="tab:red", label="S3: not converged"
    )
    ax.scatter(start_angles, online_end_angles, s=8, c="tab:blue", alpha=0.5, label="online perceptron (all converged)")
    ax.set_xlim(0, 180)
    ax.set_ylim(-5, 185)
    ax.set_xlabel("angle between starting w and the separating normal (degrees)")
    ax.set_ylabel("angle at the end (degrees)")
    ax.set_title(f"S3, rho={SMALL_RHO:g}: bad starts stall reversed")
    ax.legend(fontsize=7)
    lab.figure(
        fig,
        "renormalization.png",
        "What the unit-vector renormalization of S3 does on separable data. Left and middle: with a large rho the "
        "algorithm alternates between two wrong lines for ever; a small rho converges. Right: over all margins, "
        "runs that start pointing away from the separating normal stall near the reversed line (about 180 degrees), "
        "where the online perceptron turns round.",
    )
