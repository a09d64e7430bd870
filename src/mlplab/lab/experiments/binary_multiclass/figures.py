"""The figures of the ``binary-multiclass`` experiment: the binary network, the spiral's regions and sums, Fashion-MNIST."""

from __future__ import annotations

from typing import Any

import numpy as np

from ....layers import Dense
from ....model import MLP
from ....plotting import pyplot
from ....training import Trainer
from ...base import Lab
from .runs import FASHION_HIDDEN, METHODS, TOY_HIDDEN, Outcome


def _grid(x: np.ndarray, steps: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A grid over the data's bounding box (plus a border) as two mesh arrays and its points."""
    low, high = x.min(axis=0) - 0.3, x.max(axis=0) + 0.3
    gx, gy = np.meshgrid(np.linspace(low[0], high[0], steps), np.linspace(low[1], high[1], steps))
    return gx, gy, np.column_stack([gx.ravel(), gy.ravel()]).astype(np.float32)


def _draw_line(ax: Any, w: np.ndarray, b: float, xlim: tuple[float, float], **style: Any) -> None:
    """The line w . x + b = 0 over ``xlim`` (or vertical), clipped by the axes' limits."""
    if abs(w[1]) > 1e-9:
        t = np.array(xlim)
        ax.plot(t, -(w[0] * t + b) / w[1], **style)
    else:
        ax.axvline(-b / w[0], **style)


def plot_binary(
    lab: Lab,
    tasks: dict[str, tuple[np.ndarray, np.ndarray]],
    networks: dict[str, Trainer],
    accuracies: dict[str, dict[str, list[float]]],
) -> None:
    plt = pyplot()
    fig, axes = plt.subplots(1, len(tasks), figsize=(11, 4.4))
    for ax, (name, (x, y)) in zip(axes, tasks.items()):
        gx, gy, grid = _grid(x)
        probability = networks[name].predict(grid)[:, 0].reshape(gx.shape)
        ax.contourf(gx, gy, probability, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.45)
        ax.contour(gx, gy, probability, levels=[0.5], colors="k", linewidths=1.5)
        model = networks[name].model
        assert isinstance(model, MLP)  # train_binary trains an MLP
        dense = model.layers[0]
        assert isinstance(dense, Dense) and dense.b is not None  # an MLP starts with a Dense layer with a bias
        for j in range(dense.out_features):
            _draw_line(
                ax,
                dense.W.value[:, j],
                dense.b.value[j],
                (gx.min(), gx.max()),
                color="0.25",
                ls="--",
                lw=1,
                label="the 3 hidden units' lines" if j == 0 else None,
            )
        for label, marker, color in ((0, "o", "tab:blue"), (1, "s", "tab:red")):
            ax.scatter(*x[y == label].T, s=8, marker=marker, c=color, label=f"class {label}")
        ax.set_xlim(gx.min(), gx.max())
        ax.set_ylim(gy.min(), gy.max())
        ax.set_aspect("equal")
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        hidden, linear = np.median(accuracies[name]["2-3-1"]), np.median(accuracies[name]["no hidden layer"])
        ax.set_title(f"{name}: test accuracy {hidden:.3f} (no hidden layer: {linear:.3f})")
        ax.legend(fontsize=7, loc="lower left")
    fig.suptitle("S0's binary network: 2 inputs, 3 hidden neurons (tanh), 1 sigmoid output; colour: P(class 1)")
    lab.figure(
        fig,
        "binary.png",
        "The 2-3-1 network on two binary tasks that no line separates: its decision boundary (black, P = 0.5) "
        "is bent out of the three hidden units' lines (dashed). Accuracies are medians over seeds on a test set.",
    )


def plot_regions(lab: Lab, x: np.ndarray, y: np.ndarray, outcomes: dict[str, Outcome]) -> None:
    from matplotlib.colors import ListedColormap

    plt = pyplot()
    k = int(y.max()) + 1
    colors = ["tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown"][:k]
    gx, gy, grid = _grid(x)
    fig, axes = plt.subplots(1, 3, figsize=(11.5, 4.1))
    for ax, (method, outcome) in zip(axes, outcomes.items()):
        classes = outcome.predict(grid).argmax(axis=1).reshape(gx.shape)
        ax.contourf(gx, gy, classes, levels=np.arange(k + 1) - 0.5, cmap=ListedColormap(colors), alpha=0.35)
        for c in range(k):
            ax.scatter(*x[y == c].T, s=6, c=colors[c], label=f"class {c}")
        ax.set_aspect("equal")
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        ax.set_title(f"{method}: test accuracy {outcome.accuracy:.3f}")
    axes[0].legend(fontsize=7, loc="lower left", markerscale=2)
    fig.suptitle(f"{k}-arm spiral: predicted class (arg max of the {k} outputs) over the plane")
    lab.figure(
        fig,
        "spiral-regions.png",
        f"Decision regions on a {k}-class spiral of one-vs-all ({k} binary 2-{TOY_HIDDEN}-1 networks), one "
        f"2-{k * TOY_HIDDEN}-{k} network with sigmoid outputs and MSE, and one with softmax and cross-entropy.",
    )

    fig, axes = plt.subplots(1, 2, figsize=(10, 4.1))
    for ax, method in zip(axes, METHODS[:2]):
        total = outcomes[method].predict(grid).sum(axis=1).reshape(gx.shape)
        mesh = ax.pcolormesh(gx, gy, total, cmap="coolwarm", vmin=0, vmax=2, shading="auto")
        ax.scatter(*x.T, s=2, c="k", alpha=0.3)
        ax.set_aspect("equal")
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        ax.set_title(f"{method}: test mean |sum - 1| = {outcomes[method].sum_deviation:.3f}")
    fig.colorbar(mesh, ax=axes, label="$\\sum_k p_k$ (sum of the outputs)", shrink=0.9)
    fig.suptitle(
        "Sigmoid outputs need not sum to 1 (softmax outputs always do: "
        f"mean |sum - 1| = {outcomes['softmax + CE'].sum_deviation:.1e})"
    )
    lab.figure(
        fig,
        "spiral-output-sums.png",
        "The sum of the class outputs over the plane (grey: 1; black dots: training points). Independent sigmoid "
        "outputs are not a probability distribution: they sum to more than 1 where classes meet and to less far "
        "from the data.",
    )


def plot_fashion(lab: Lab, runs: list[dict[str, Outcome]], data_name: str) -> None:
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    accuracy = np.array([[run[m].accuracy for m in METHODS] for run in runs])
    positions = np.arange(len(METHODS))
    colors = ("tab:blue", "tab:orange", "tab:green")
    for p, color, values in zip(positions, colors, accuracy.T):
        left.scatter(np.full(len(values), p), values, s=16, color=color, alpha=0.6)
        left.errorbar(
            p + 0.15,
            values.mean(),
            yerr=values.std() if len(values) > 1 else None,
            fmt="o",
            ms=7,
            capsize=4,
            color=color,
        )
        left.annotate(
            f"{values.mean():.4f}", (p + 0.15, values.mean()), textcoords="offset points", xytext=(8, -3), fontsize=8
        )
    parameters = [runs[0][m].parameters for m in METHODS]
    left.set_xticks(positions, [f"{m}\n{p:,} weights" for m, p in zip(METHODS, parameters)], fontsize=8)
    left.set_xlim(-0.5, len(METHODS) - 0.2)
    left.set_ylabel("test accuracy")
    left.set_title(f"{data_name}: test accuracy ({len(runs)} seeds: dots; mean and sd)")
    bins = np.linspace(0, 2.5, 51)
    for method, color in zip(METHODS, colors):
        sums = runs[0][method].probabilities.sum(axis=1)
        right.hist(
            np.clip(sums, 0, 2.5),
            bins=bins,
            histtype="step",
            lw=1.5,
            color=color,
            label=f"{method} (mean |sum - 1| = {runs[0][method].sum_deviation:.2g})",
        )
    right.set_yscale("log")
    right.set_xlabel("sum of the 10 outputs $\\sum_k p_k$ per test image")
    right.set_ylabel("test images (log scale)")
    right.set_title("Only softmax outputs sum to 1")
    right.legend(fontsize=8)
    lab.figure(
        fig,
        "fashion.png",
        f"{data_name}, 10 classes: one-vs-all (10 binary 784-{FASHION_HIDDEN}-1 networks) against one "
        f"784-{10 * FASHION_HIDDEN}-10 network with sigmoid outputs + MSE or softmax + cross-entropy. Left: test "
        "accuracy; right: how the 10 outputs sum over the test images.",
    )
