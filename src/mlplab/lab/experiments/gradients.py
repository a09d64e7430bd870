r"""Vanishing and exploding gradients, their remedies, and gradient clipping on a cliff (S1).

Two studies:

1. **Per-layer gradient norms** ``||dL/dW_l||`` of deep networks (8 hidden layers of 128 units)
   on standardized Fashion-MNIST, at the first step and through training with mini-batch SGD:
   a sigmoid network with Glorot weights (the gradient *vanishes* towards the input: every
   sigmoid layer multiplies it by at most 0.25), a tanh network with N(0, 1) weights (far too
   large for 128 inputs: the gradient *explodes* towards the input), a ReLU network with He
   weights, and the sigmoid and tanh networks again with batch normalization before every
   activation (``MLP(batch_norm=True)``).
2. **Clipping on a cliff** (S1's "cliffs" figure): gradient descent on a two-parameter loss,
   a gentle bowl plus a steep step of height 100,

   .. math::

       L(w) = \tfrac{a}{2} \lVert w \rVert^2 + H \, \sigma\big(k (n \cdot w - c)\big),

   whose gradient on the step is about 100 times the bowl's. Unclipped, one step on the cliff
   throws the parameters far away; clipping the gradient by value (``mlplab.clip_grad_value``,
   each element into [-1, 1]) or by norm (``mlplab.clip_grad_norm``, direction kept) lets
   descent walk down the cliff and reach the minimum.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ...clipping import clip_grad_norm, clip_grad_value
from ...layers import Dense
from ...model import MLP
from ...optimizers import SGD
from ...parameter import Parameter
from ...training import Trainer
from ...training.callbacks import Callback
from ..base import Lab, experiment
from ..data import ImageData, fashion
from ..plots import pyplot

HIDDEN, WIDTH = 8, 128
BALANCED = (0.1, 10.0)  # first-layer / last-layer gradient norm ratio counted as "balanced"


@dataclass(frozen=True)
class Network:
    """One deep network of the study: a label, its hidden activation, initializer and batch norm."""

    label: str
    activation: str
    init: str
    batch_norm: bool = False


SIGMOID = Network("sigmoid, Glorot", "sigmoid", "glorot_normal")
TANH_LARGE = Network("tanh, N(0, 1)", "tanh", "standard_normal")
RELU_HE = Network("ReLU, He", "relu", "he_normal")
SIGMOID_BN = Network("sigmoid, Glorot + batch norm", "sigmoid", "glorot_normal", batch_norm=True)
TANH_LARGE_BN = Network("tanh, N(0, 1) + batch norm", "tanh", "standard_normal", batch_norm=True)
NETWORKS = (SIGMOID, TANH_LARGE, RELU_HE, SIGMOID_BN, TANH_LARGE_BN)


class GradientNorms(Callback):
    """Records ``||dL/dW_l||`` of every Dense layer after each mini-batch (the gradient of that step)."""

    def __init__(self, dense: list[Dense]) -> None:
        self.dense = dense
        self.norms: list[list[float]] = []

    def on_batch_end(self, batch: int, logs: dict) -> None:
        self.norms.append([float(np.linalg.norm(layer.W.grad)) for layer in self.dense])


@dataclass
class Training:
    """What one network did: gradient norms per step and layer, weight change per layer, accuracy per epoch."""

    network: Network
    norms: np.ndarray
    relative_change: np.ndarray
    loss: list[float]
    val_accuracy: list[float]
    steps_per_epoch: int

    @property
    def end_norms(self) -> np.ndarray:
        """Median gradient norm of each layer over the last epoch's steps (one step alone is noisy)."""
        return np.median(self.norms[-self.steps_per_epoch:], axis=0)

    @property
    def start_ratio(self) -> float:
        """First layer's gradient norm over the last layer's, at the first step (< 1: vanishing, > 1: exploding)."""
        return float(self.norms[0, 0] / self.norms[0, -1])


def _train(network: Network, data: ImageData, epochs: int, batch_size: int, lab: Lab) -> Training:
    model = MLP([data.x_train.shape[1]] + [WIDTH] * HIDDEN + [10], activation=network.activation,
                init=network.init, batch_norm=network.batch_norm, rng=lab.rng)
    dense = [layer for layer in model.layers if isinstance(layer, Dense)]
    initial = [layer.W.value.copy() for layer in dense]
    recorder = GradientNorms(dense)
    trainer = Trainer(model, loss="softmax_cross_entropy", optimizer="sgd", lr=0.05, batch_size=batch_size,
                      optimizer_options={"momentum": 0.9}, callbacks=[recorder], verbose=0, rng=lab.seed)
    history = trainer.fit(data.x_train, data.y_train, epochs=epochs, validation_data=(data.x_test, data.y_test))
    change = np.array([np.linalg.norm(layer.W.value - w) / np.linalg.norm(w) for layer, w in zip(dense, initial)])
    return Training(network, np.array(recorder.norms), change, history.history["loss"],
                    history.history["val_accuracy"], trainer.batches_per_epoch)


# ---------------------------------------------------------------------------------------------- the cliff


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


def _descend(cliff: Cliff, clipping: str, iterations: int) -> Descent:
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
    path = np.array(path)
    label = {"none": "no clipping", "value": f"clip by value to [-{CLIP:g}, {CLIP:g}]",
             "norm": f"clip by norm to {CLIP:g}"}[clipping]
    return Descent(label, path, cliff.loss(path), np.array(raw_norms), np.array(cosines))


# ---------------------------------------------------------------------------------------------- figures


def _log_y(ax: Any) -> None:
    """A log-scaled y axis without minor ticks (the values span decades; minor ticks only cost drawing time)."""
    from matplotlib.ticker import NullLocator

    ax.set_yscale("log")
    ax.yaxis.set_minor_locator(NullLocator())



def _plot_norms_by_layer(lab: Lab, runs: list[Training]) -> None:
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(11, 4))
    layers = np.arange(1, HIDDEN + 2)
    for run, marker in zip(runs, "os^vD"):
        style = {"marker": marker, "ls": "--" if run.network.batch_norm else "-", "label": run.network.label}
        axes[0].plot(layers, run.norms[0], **style)
        axes[1].plot(layers, run.end_norms, **style)
        axes[2].plot(layers, run.relative_change, **style)
    titles = ("At the first step", "End of training (median over the last epoch)",
              "How far each layer's weights moved")
    ylabels = ("gradient norm ‖∂L/∂W_l‖", "gradient norm ‖∂L/∂W_l‖", "‖W_l(end) − W_l(start)‖ / ‖W_l(start)‖")
    for ax, title, ylabel in zip(axes, titles, ylabels):
        _log_y(ax)
        ax.set_xticks(layers)
        ax.set_xlabel("weight layer l (1 = input side)")
        ax.set_ylabel(ylabel)
        ax.set_title(title, fontsize=9)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(runs), fontsize=8)
    fig.suptitle(f"Per-layer gradient norms, {HIDDEN} hidden layers of {WIDTH} units (log scale): sigmoid vanishes, "
                 "N(0, 1) tanh explodes towards the input", fontsize=9.5)
    fig.subplots_adjust(left=0.07, right=0.99, top=0.87, bottom=0.2, wspace=0.32)
    lab.figure(fig, "gradient-norms-by-layer.png",
               "Gradient norm of every weight matrix at the first SGD step and over the last epoch, and the relative change of "
               "each weight matrix over training (dashed: with batch normalization).")


def _plot_norms_over_training(lab: Lab, runs: list[Training]) -> None:
    plt = pyplot()
    fig, axes = plt.subplots(2, 3, figsize=(11, 6.2))
    colors = plt.get_cmap("viridis")(np.linspace(0, 0.9, HIDDEN + 1))
    every_norm = np.concatenate([run.norms.ravel() for run in runs])
    shared_range = (every_norm.min() / 2, every_norm.max() * 2)
    for ax, run in zip(axes.ravel(), runs):
        steps = np.arange(1, len(run.norms) + 1)
        for layer, color in enumerate(colors):
            ax.plot(steps, run.norms[:, layer], color=color, lw=0.9, label=f"W_{layer + 1}")
        _log_y(ax)
        ax.set_ylim(*shared_range)
        ax.set_title(run.network.label, fontsize=9)
        ax.set_xlabel("SGD step (mini-batch)")
        ax.set_ylabel("‖∂L/∂W_l‖")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.955), ncol=HIDDEN + 1, fontsize=8,
               title="weight layer (W_1: input side, darkest; W_9: output layer)", title_fontsize=8)
    accuracy = axes.ravel()[len(runs)]
    for run, marker in zip(runs, "os^vD"):
        epochs = np.arange(1, len(run.val_accuracy) + 1)
        accuracy.plot(epochs * run.steps_per_epoch, 100 * np.array(run.val_accuracy), marker=marker,
                      ls="--" if run.network.batch_norm else "-", label=run.network.label)
    accuracy.axhline(10, color="grey", ls=":", label="chance")
    accuracy.set_ylim(0, 100)
    accuracy.set_xlabel("SGD step (mini-batch)")
    accuracy.set_ylabel("test accuracy (%) after each epoch")
    accuracy.set_title("What the networks learn", fontsize=9)
    accuracy.legend(fontsize=6.5, loc="center right", bbox_to_anchor=(1.0, 0.57))
    fig.suptitle("Gradient norm of every layer through training (same log scale in every panel; SGD with momentum "
                 "0.9, lr 0.05)",
                 fontsize=10, y=0.995)
    fig.subplots_adjust(left=0.07, right=0.99, top=0.84, bottom=0.08, hspace=0.42, wspace=0.3)
    lab.figure(fig, "gradient-norms-over-training.png",
               "‖∂L/∂W_l‖ of each layer at every step for each network (darker = nearer the input), and the test "
               "accuracy after each epoch.")


def _draw_surface(ax: Any, cliff: Cliff, runs: list[Descent], low: np.ndarray, high: np.ndarray) -> Any:
    """Filled contours of log10(loss) over [low, high], the cliff's edge and every path."""
    grid = np.stack(np.meshgrid(np.linspace(low[0], high[0], 240), np.linspace(low[1], high[1], 180)), axis=-1)
    filled = ax.contourf(grid[..., 0], grid[..., 1], np.log10(cliff.loss(grid) + 1e-2), levels=24, cmap="viridis")
    edge = np.linspace(low[1], high[1], 2)  # n·w = c, solved for w1
    ax.plot((cliff.offset - cliff.normal[1] * edge) / cliff.normal[0], edge, color="w", ls="--", lw=1,
            label="cliff edge")
    for run, color, marker in zip(runs, CLIFF_COLORS, "o^s"):
        ax.plot(run.path[:, 0], run.path[:, 1], color=color, marker=marker, ms=3, lw=1.2, label=run.label)
    ax.plot(*START, "w*", ms=12, mec="k", label="start")
    ax.plot(0, 0, "wX", ms=9, mec="k", label="minimum")
    ax.set_xlim(low[0], high[0])
    ax.set_ylim(low[1], high[1])
    ax.set_xlabel("w₁")
    ax.set_ylabel("w₂")
    return filled


CLIFF_COLORS = ("tab:red", "tab:cyan", "tab:orange")


def _plot_cliff(lab: Lab, cliff: Cliff, runs: list[Descent]) -> None:
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
    _log_y(losses)
    losses.set_xlabel("iteration")
    losses.set_ylabel("loss L(w)")
    losses.set_title("Loss per iteration", fontsize=9)
    losses.legend(fontsize=7)
    _log_y(steps)
    steps.axhline(CLIFF_LR * CLIP, color="grey", ls=":", label="lr × clipping threshold")
    steps.set_xlabel("iteration")
    steps.set_ylabel("step length ‖Δw‖")
    steps.set_title("Length of each step", fontsize=9)
    steps.legend(fontsize=7)
    fig.suptitle(f"Gradient descent (lr {CLIFF_LR:g}) on a bowl with a cliff of height {cliff.height:g}: "
                 "unclipped, one step on the cliff throws w far away", fontsize=10)
    fig.subplots_adjust(left=0.07, right=0.9, top=0.92, bottom=0.07, hspace=0.3, wspace=0.22)
    fig.colorbar(filled, cax=fig.add_axes((0.915, 0.55, 0.012, 0.37)), label="log10(loss + 0.01)")
    lab.figure(fig, "clipping-on-a-cliff.png",
               "Gradient descent without clipping, with clipping by value and with clipping by norm on a 2-parameter "
               "loss with a steep cliff: the paths over log10 of the loss (whole and zoomed), the loss per iteration "
               "and the length of each step (log scales).")


# ---------------------------------------------------------------------------------------------- experiment


@experiment("gradients", "Vanishing and exploding gradients, batch norm and clipping", sources="S1")
def run(lab: Lab) -> None:
    n_train, n_test, epochs, batch_size = (512, 200, 1, 64) if lab.quick else (8000, 2000, 5, 128)
    data = fashion(n_train, n_test, standardize=True, seed=lab.seed)
    runs = [_train(network, data, epochs, batch_size, lab) for network in NETWORKS]
    by_network = {run.network: run for run in runs}
    lab.record(
        layers="W_1 (input side) ... W_9 (output layer)",
        gradient_norms_first_step={r.network.label: r.norms[0] for r in runs},
        gradient_norms_last_epoch_median={r.network.label: r.end_norms for r in runs},
        gradient_norms_per_step={r.network.label: r.norms for r in runs},
        first_to_last_layer_ratio_first_step={r.network.label: r.start_ratio for r in runs},
        relative_weight_change={r.network.label: r.relative_change for r in runs},
        train_loss={r.network.label: r.loss for r in runs},
        val_accuracy={r.network.label: r.val_accuracy for r in runs},
    )
    _plot_norms_by_layer(lab, runs)
    _plot_norms_over_training(lab, runs)

    cliff = Cliff()
    descents = [_descend(cliff, clipping, iterations=50) for clipping in ("none", "value", "norm")]
    lab.record(cliff={
        d.label: {
            "final_loss": d.losses[-1],
            "longest_step": d.steps.max(),
            "farthest_from_minimum": np.linalg.norm(d.path, axis=1).max(),
            "largest_raw_gradient": d.raw_grad_norms.max(),
            "smallest_cosine_clipped_vs_raw": d.cosines.min(),
            "path": d.path,
            "losses": d.losses,
        }
        for d in descents
    })
    _plot_cliff(lab, cliff, descents)

    _gradient_claims(lab, by_network)
    _clipping_claims(lab, descents)


def _in_range(ratio: float) -> bool:
    return BALANCED[0] < ratio < BALANCED[1]


def _gradient_claims(lab: Lab, runs: dict[Network, Training]) -> None:
    sigmoid, tanh, relu = runs[SIGMOID], runs[TANH_LARGE], runs[RELU_HE]
    lab.claim(
        "Vanishing gradients: in a deep sigmoid network the gradient shrinks layer by layer towards the input",
        "S1",
        sigmoid.start_ratio < 1e-2,
        f"‖∂L/∂W_1‖ = {sigmoid.norms[0, 0]:.2e} vs ‖∂L/∂W_{HIDDEN + 1}‖ = {sigmoid.norms[0, -1]:.2e} at the first step "
        f"(ratio {sigmoid.start_ratio:.1e})",
    )
    lab.claim(
        "With vanishing gradients the layers near the input barely change while those near the output learn",
        "S1",
        sigmoid.relative_change[0] < 0.1 * sigmoid.relative_change[-2],
        f"relative change of W_1 {sigmoid.relative_change[0]:.1e} vs W_{HIDDEN} {sigmoid.relative_change[-2]:.1e}; "
        f"test accuracy {100 * sigmoid.val_accuracy[-1]:.1f}%",
    )
    lab.claim(
        "Exploding gradients: with too-large weights (tanh, N(0, 1) for 128 inputs) the gradient grows layer by "
        "layer towards the input",
        "S1",
        tanh.start_ratio > 1e2,
        f"‖∂L/∂W_1‖ = {tanh.norms[0, 0]:.2e} vs ‖∂L/∂W_{HIDDEN + 1}‖ = {tanh.norms[0, -1]:.2e} at the first step "
        f"(ratio {tanh.start_ratio:.1e})",
    )
    lab.claim(
        "Exploding gradients cause very large weight updates and poor training",
        "S1",
        tanh.relative_change[0] > 1 and tanh.val_accuracy[-1] < relu.val_accuracy[-1] - 0.1,
        f"W_1 moved {tanh.relative_change[0]:.1f} times its own norm; test accuracy {100 * tanh.val_accuracy[-1]:.1f}% "
        f"vs {100 * relu.val_accuracy[-1]:.1f}% for ReLU + He",
    )
    lab.claim(
        "Proper initialization (He for ReLU) keeps the gradient norms balanced across layers",
        "S1",
        _in_range(relu.start_ratio),
        f"first/last layer gradient norm ratio {relu.start_ratio:.2f} at the first step; "
        f"test accuracy {100 * relu.val_accuracy[-1]:.1f}%",
    )
    with_bn = (runs[SIGMOID_BN], runs[TANH_LARGE_BN])
    lab.claim(
        "Batch normalization removes both the vanishing (sigmoid) and the exploding (N(0, 1) tanh) gradients",
        "S1",
        all(_in_range(r.start_ratio) for r in with_bn),
        "first/last layer ratio " + "; ".join(
            f"{r.network.label}: {r.start_ratio:.2f} (without: {runs[base].start_ratio:.1e}), test accuracy "
            f"{100 * r.val_accuracy[-1]:.1f}% (without: {100 * runs[base].val_accuracy[-1]:.1f}%)"
            for r, base in zip(with_bn, (SIGMOID, TANH_LARGE))
        ),
    )


def _clipping_claims(lab: Lab, descents: list[Descent]) -> None:
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
