"""Per-layer gradient norms of deep sigmoid, tanh and ReLU networks, with and without batch norm (S1).

The first study of the ``gradients`` experiment: the networks, their training with a recorder of
``||dL/dW_l||`` at every step, the two figures and the claims about vanishing and exploding gradients.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ....datasets import Dataset
from ....layers import Dense
from ....model import MLP
from ....plotting import pyplot
from ....training import Trainer
from ....training.callbacks import Callback
from ...base import Lab
from ...plots import log_y

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
        return np.median(self.norms[-self.steps_per_epoch :], axis=0)

    @property
    def start_ratio(self) -> float:
        """First layer's gradient norm over the last layer's, at the first step (< 1: vanishing, > 1: exploding)."""
        return float(self.norms[0, 0] / self.norms[0, -1])


def train(network: Network, data: Dataset, epochs: int, batch_size: int, lab: Lab) -> Training:
    """Train ``network`` with mini-batch SGD (momentum 0.9, lr 0.05), recording every step's gradient norms."""
    model = MLP(
        [data.x_train.shape[1]] + [WIDTH] * HIDDEN + [10],
        activation=network.activation,
        init=network.init,
        batch_norm=network.batch_norm,
        rng=lab.rng,
    )
    dense = [layer for layer in model.layers if isinstance(layer, Dense)]
    initial = [layer.W.value.copy() for layer in dense]
    recorder = GradientNorms(dense)
    trainer = Trainer(
        model,
        loss="softmax_cross_entropy",
        optimizer="sgd",
        lr=0.05,
        batch_size=batch_size,
        optimizer_options={"momentum": 0.9},
        callbacks=[recorder],
        verbose=0,
        rng=lab.seed,
    )
    history = trainer.fit(data.x_train, data.y_train, epochs=epochs, validation_data=(data.x_test, data.y_test))
    change = np.array([np.linalg.norm(layer.W.value - w) / np.linalg.norm(w) for layer, w in zip(dense, initial)])
    return Training(
        network,
        np.array(recorder.norms),
        change,
        history.history["loss"],
        history.history["val_accuracy"],
        trainer.batches_per_epoch,
    )


def plot_norms_by_layer(lab: Lab, runs: list[Training]) -> None:
    """``gradient-norms-by-layer.png``: each layer's gradient norm at the start and the end, and its weights' change."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(11, 4))
    layers = np.arange(1, HIDDEN + 2)
    for run, marker in zip(runs, "os^vD"):
        style = {"marker": marker, "ls": "--" if run.network.batch_norm else "-", "label": run.network.label}
        axes[0].plot(layers, run.norms[0], **style)
        axes[1].plot(layers, run.end_norms, **style)
        axes[2].plot(layers, run.relative_change, **style)
    titles = ("At the first step", "End of training (median over the last epoch)", "How far each layer's weights moved")
    ylabels = ("gradient norm ‖∂L/∂W_l‖", "gradient norm ‖∂L/∂W_l‖", "‖W_l(end) − W_l(start)‖ / ‖W_l(start)‖")
    for ax, title, ylabel in zip(axes, titles, ylabels):
        log_y(ax)
        ax.set_xticks(layers)
        ax.set_xlabel("weight layer l (1 = input side)")
        ax.set_ylabel(ylabel)
        ax.set_title(title, fontsize=9)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(runs), fontsize=8)
    fig.suptitle(
        f"Per-layer gradient norms, {HIDDEN} hidden layers of {WIDTH} units (log scale): sigmoid vanishes, "
        "N(0, 1) tanh explodes towards the input",
        fontsize=9.5,
    )
    fig.subplots_adjust(left=0.07, right=0.99, top=0.87, bottom=0.2, wspace=0.32)
    lab.figure(
        fig,
        "gradient-norms-by-layer.png",
        "Gradient norm of every weight matrix at the first SGD step and over the last epoch, and the relative change of "
        "each weight matrix over training (dashed: with batch normalization).",
    )


def plot_norms_over_training(lab: Lab, runs: list[Training]) -> None:
    """``gradient-norms-over-training.png``: every layer's gradient norm at every step, and the test accuracy."""
    plt = pyplot()
    fig, axes = plt.subplots(2, 3, figsize=(11, 6.2))
    colors = plt.get_cmap("viridis")(np.linspace(0, 0.9, HIDDEN + 1))
    every_norm = np.concatenate([run.norms.ravel() for run in runs])
    shared_range = (every_norm.min() / 2, every_norm.max() * 2)
    for ax, run in zip(axes.ravel(), runs):
        steps = np.arange(1, len(run.norms) + 1)
        for layer, color in enumerate(colors):
            ax.plot(steps, run.norms[:, layer], color=color, lw=0.9, label=f"W_{layer + 1}")
        log_y(ax)
        ax.set_ylim(*shared_range)
        ax.set_title(run.network.label, fontsize=9)
        ax.set_xlabel("SGD step (mini-batch)")
        ax.set_ylabel("‖∂L/∂W_l‖")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(
        handles,
        labels,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.955),
        ncol=HIDDEN + 1,
        fontsize=8,
        title="weight layer (W_1: input side, darkest; W_9: output layer)",
        title_fontsize=8,
    )
    accuracy = axes.ravel()[len(runs)]
    for run, marker in zip(runs, "os^vD"):
        epochs = np.arange(1, len(run.val_accuracy) + 1)
        accuracy.plot(
            epochs * run.steps_per_epoch,
            100 * np.array(run.val_accuracy),
            marker=marker,
            ls="--" if run.network.batch_norm else "-",
            label=run.network.label,
        )
    accuracy.axhline(10, color="grey", ls=":", label="chance")
    accuracy.set_ylim(0, 100)
    accuracy.set_xlabel("SGD step (mini-batch)")
    accuracy.set_ylabel("test accuracy (%) after each epoch")
    accuracy.set_title("What the networks learn", fontsize=9)
    accuracy.legend(fontsize=6.5, loc="center right", bbox_to_anchor=(1.0, 0.57))
    fig.suptitle(
        "Gradient norm of every layer through training (same log scale in every panel; SGD with momentum 0.9, lr 0.05)",
        fontsize=10,
        y=0.995,
    )
    fig.subplots_adjust(left=0.07, right=0.99, top=0.84, bottom=0.08, hspace=0.42, wspace=0.3)
    lab.figure(
        fig,
        "gradient-norms-over-training.png",
        "‖∂L/∂W_l‖ of each layer at every step for each network (darker = nearer the input), and the test "
        "accuracy after each epoch.",
    )


def _in_range(ratio: float) -> bool:
    return BALANCED[0] < ratio < BALANCED[1]


def gradient_claims(lab: Lab, runs: dict[Network, Training]) -> None:
    """S1's claims on vanishing and exploding gradients, He initialization and batch normalization."""
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
        "first/last layer ratio "
        + "; ".join(
            f"{r.network.label}: {r.start_ratio:.2f} (without: {runs[base].start_ratio:.1e}), test accuracy "
            f"{100 * r.val_accuracy[-1]:.1f}% (without: {100 * runs[base].val_accuracy[-1]:.1f}%)"
            for r, base in zip(with_bn, (SIGMOID, TANH_LARGE))
        ),
    )
