r"""Overfitting a small training set, and L2, L1, dropout and data expansion narrowing the gap (S2, S3).

S2: with too many or too wide layers "it is very easy to fit the data when training but prediction
is often wrong"; S3 adds :math:`\frac{\lambda}{2n}\sum |w|^p` (L2 for :math:`p = 2`, L1 for
:math:`p = 1`) and names two more cures, artificial expansion of the training data and dropout.

A 784-256-10 ReLU network learns 1,000 Fashion-MNIST training images by mini-batch gradient descent
(batch 32, learning rate 0.05 decaying exponentially to 0.005) and is tested on the 10,000 test
images, five ways from the same initial weights and batch order:

* **none**: training accuracy goes to about 100 % while test accuracy stalls;
* **L2**: ``Trainer(l2=...)``, the gradient gains :math:`\lambda w`, i.e. S3's weight decay
  :math:`w \leftarrow (1 - \eta\lambda) w - \eta g` (S3's :math:`\lambda/n` is ``l2`` here);
* **L1**: ``Trainer(l1=...)``, the gradient gains :math:`\lambda \operatorname{sign}(w)`;
* **dropout**: ``MLP(dropout=0.5)``, S3's "delete half of the hidden neurons" in each step (inverted
  dropout, so nothing changes at test time);
* **expansion**: :func:`mlplab.datasets.preprocessing.expand_by_shifts`, each image plus its four
  copies shifted by one pixel (5,000 images; an epoch still passes over every one).

Training accuracy is measured in inference mode (no dropout) on the 1,000 original images; the gap
is training minus test accuracy, averaged over the last epochs. Penalties apply to weight
matrices only, not biases (S3: "the update rule for the biases remains unchanged").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from ...datasets import Dataset
from ...datasets.preprocessing import expand_by_shifts
from ...layers import Dense
from ...model import MLP
from ...plotting import pyplot
from ...schedules import ExponentialDecay
from ...training import Trainer
from ...training.callbacks import Callback
from ..base import Lab, experiment
from ..data import fashion

HIDDEN = 256
LR = 0.05
BATCH = 32
LAMBDA = "$\\lambda$"
SMALL = 1e-3
"""A weight with :math:`|w|` below this counts as (near) zero."""
MARGIN = 0.5
"""Percentage points by which a gap must shrink to count as narrowed."""


@dataclass(frozen=True)
class Method:
    """One way of training: a name for the figures and what it changes."""

    name: str
    label: str
    l1: float = 0.0
    l2: float = 0.0
    dropout: float = 0.0
    expand: bool = False


METHODS = (
    Method("none", "no regularization"),
    Method("l2", "L2, $\\lambda$ = 0.02", l2=0.02),
    Method("l1", "L1, $\\lambda$ = 0.001", l1=1e-3),
    Method("dropout", "dropout, p = 0.5", dropout=0.5),
    Method("expansion", "expansion, 1-pixel shifts (x5)", expand=True),
)
COLORS = {"none": "tab:grey", "l2": "tab:blue", "l1": "tab:green", "dropout": "tab:orange", "expansion": "tab:purple"}


@dataclass(frozen=True)
class Size:
    """How much data and training."""

    n_train: int
    n_test: int
    epochs: int


FULL = Size(n_train=1_000, n_test=10_000, epochs=200)
QUICK = Size(n_train=200, n_test=1_000, epochs=12)


@dataclass
class Outcome:
    """Per-epoch accuracies of one method and its first layer's final weights."""

    train_accuracy: np.ndarray
    test_accuracy: np.ndarray
    weights: np.ndarray
    tail: int

    @property
    def gap(self) -> np.ndarray:
        """Training minus test accuracy per epoch, in points."""
        return 100 * (self.train_accuracy - self.test_accuracy)

    @property
    def final_gap(self) -> float:
        return float(self.gap[-self.tail :].mean())

    @property
    def final_train(self) -> float:
        return float(self.train_accuracy[-self.tail :].mean())

    @property
    def final_test(self) -> float:
        return float(self.test_accuracy[-self.tail :].mean())

    @property
    def small_fraction(self) -> float:
        """Share of first-layer weights with :math:`|w| <` :data:`SMALL`."""
        return float(np.mean(np.abs(self.weights) < SMALL))


class TrainingAccuracy(Callback):
    """After every epoch, the accuracy on ``(x, y)`` in inference mode (dropout off)."""

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x, self.y = x, y
        self.accuracy: list[float] = []

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        self.accuracy.append(self.trainer.evaluate(self.x, self.y)["accuracy"])


def train(method: Method, data: Dataset, size: Size, init_seed: int, order_seed: int) -> Outcome:
    """Train a fresh 784-256-10 network the way ``method`` says; record accuracies per epoch."""
    x, y = data.x_train, data.y_train
    if method.expand:
        x, y = expand_by_shifts(x, y, (28, 28))
    model = MLP([x.shape[1], HIDDEN, 10], activation="relu", dropout=method.dropout, rng=init_seed)
    on_train = TrainingAccuracy(data.x_train, data.y_train)
    trainer = Trainer(
        model,
        loss="softmax_cross_entropy",
        optimizer="sgd",
        lr=LR,
        batch_size=BATCH,
        schedule=ExponentialDecay(LR, LR / 10, size.epochs - 1),
        l1=method.l1,
        l2=method.l2,
        callbacks=[on_train],
        verbose=0,
        rng=order_seed,
    )
    history = trainer.fit(x, y, epochs=size.epochs, validation_data=(data.x_test, data.y_test)).history
    first = model.layers[0]
    assert isinstance(first, Dense)  # an MLP starts with a Dense layer
    return Outcome(
        train_accuracy=np.array(on_train.accuracy),
        test_accuracy=np.array(history["val_accuracy"]),
        weights=first.W.value.copy(),
        tail=max(1, size.epochs // 20),
    )


def plot_curves(lab: Lab, outcomes: dict[str, Outcome], data: Dataset) -> None:
    plt = pyplot()
    fig, axes = plt.subplots(2, 3, figsize=(11, 6.4), sharex=True)
    epochs = np.arange(1, len(outcomes["none"].test_accuracy) + 1)
    baseline = outcomes["none"]
    for ax, method in zip(axes.flat, METHODS):
        outcome = outcomes[method.name]
        color = COLORS[method.name]
        if method.name != "none":
            ax.plot(epochs, 100 * baseline.train_accuracy, color="grey", ls="--", lw=0.8, alpha=0.6)
            ax.plot(epochs, 100 * baseline.test_accuracy, color="grey", lw=0.8, alpha=0.6, label="none (for reference)")
        ax.plot(
            epochs,
            100 * outcome.train_accuracy,
            color=color,
            ls="--",
            label=f"training ({len(data.y_train):,} originals)",
        )
        ax.plot(epochs, 100 * outcome.test_accuracy, color=color, label=f"test ({len(data.y_test):,} images)")
        ax.set_title(f"{method.label}: gap {outcome.final_gap:.1f} points")
        ax.set_ylabel("accuracy (%)")
        ax.legend(fontsize=7, loc="lower right")
    gap_ax = axes.flat[-1]
    for method in METHODS:
        gap_ax.plot(epochs, outcomes[method.name].gap, color=COLORS[method.name], label=method.label)
    gap_ax.axhline(0, color="black", lw=0.6)
    gap_ax.set_title("Train - test gap of every method")
    gap_ax.set_ylabel("gap (percentage points)")
    gap_ax.legend(fontsize=7)
    for ax in axes[-1]:
        ax.set_xlabel("epoch")
    low = min(100 * min(o.test_accuracy.min(), o.train_accuracy.min()) for o in outcomes.values())
    for ax in axes.flat[:-1]:
        ax.set_ylim(max(0, low - 2), 101)
    fig.suptitle(
        f"784-{HIDDEN}-10 ReLU net on {len(data.y_train):,} {data.name} training images: "
        "dashed = training, solid = test accuracy",
        y=1.0,
    )
    fig.tight_layout()
    lab.figure(
        fig,
        "accuracy-curves.png",
        "Training (dashed) and test (solid) accuracy per epoch for each method, with the unregularized run in grey; "
        "the last panel overlays every method's train - test gap.",
    )


def plot_gap(lab: Lab, outcomes: dict[str, Outcome]) -> None:
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10.5, 3.9))
    positions = np.arange(len(METHODS))
    labels = [m.label.replace(", ", ",\n", 1) for m in METHODS]
    gaps = [outcomes[m.name].final_gap for m in METHODS]
    bars = left.bar(positions, gaps, color=[COLORS[m.name] for m in METHODS])
    left.bar_label(bars, fmt="%.1f", fontsize=8)
    left.set_xticks(positions, labels, fontsize=7)
    left.set_ylabel("training - test accuracy (points)")
    left.set_title("Final gap: smaller is less overfitting")
    train = [100 * outcomes[m.name].final_train for m in METHODS]
    test = [100 * outcomes[m.name].final_test for m in METHODS]
    right.bar(positions - 0.2, train, width=0.4, color="lightgrey", label="training (grey)")
    bars = right.bar(positions + 0.2, test, width=0.4, color=[COLORS[m.name] for m in METHODS], label="test (colour)")
    right.bar_label(bars, fmt="%.1f", fontsize=8)
    right.set_xticks(positions, labels, fontsize=7)
    right.set_ylim(min(test) - 10, 108)
    right.set_ylabel("accuracy (%)")
    right.set_title("Final accuracies (test bars labelled)")
    right.legend(loc="upper center", fontsize=8, ncol=2)
    lab.figure(
        fig,
        "gap.png",
        "Left: training minus test accuracy at the end of training (mean of the last epochs) for each method. "
        "Right: the final training and test accuracies behind it.",
    )


def plot_weights(lab: Lab, outcomes: dict[str, Outcome]) -> None:
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10.5, 3.9))
    bins = np.linspace(-9, 0, 61)
    for name in ("none", "l2", "l1"):
        magnitude = np.log10(np.maximum(np.abs(outcomes[name].weights), 1e-9))
        label = next(m.label for m in METHODS if m.name == name)
        left.hist(magnitude.ravel(), bins=bins, histtype="step", lw=1.5, color=COLORS[name], label=label)
    left.axvline(np.log10(SMALL), color="black", ls=":", lw=1, label=f"|w| = {SMALL:g}")
    left.set_yscale("log")
    left.set_xlabel("log10 |w| (first-layer weights; |w| < 1e-9 in the first bin)")
    left.set_ylabel("number of weights (log scale)")
    left.set_title("L1 piles weights up near zero")
    left.legend(fontsize=8, loc="upper left")
    positions = np.arange(len(METHODS))
    fractions = [100 * outcomes[m.name].small_fraction for m in METHODS]
    bars = right.bar(positions, fractions, color=[COLORS[m.name] for m in METHODS])
    right.bar_label(bars, fmt="%.1f", fontsize=8)
    right.set_xticks(positions, [m.label.replace(", ", ",\n", 1) for m in METHODS], fontsize=7)
    right.set_ylim(0, 105)
    right.set_ylabel(f"first-layer weights with |w| < {SMALL:g} (%)")
    right.set_title("Share of (near-)zero weights")
    lab.figure(
        fig,
        "weights.png",
        f"First-layer weights (784 x {HIDDEN}) after training: the distribution of log10 |w| for no penalty, L2 and L1 "
        f"(left) and the share below {SMALL:g} for every method (right).",
    )


@experiment("regularization", "Overfitting, and L2, L1, dropout and data expansion against it", sources="S2, S3")
def run(lab: Lab) -> None:
    size = QUICK if lab.quick else FULL
    data = fashion(size.n_train, size.n_test, standardize=False, seed=lab.seed)
    init_seed, order_seed = (int(s) for s in lab.rng.integers(2**31, size=2))
    with threadpool_limits(1, user_api="blas"):  # small products: one BLAS thread is as fast, and robust to load
        outcomes = {m.name: train(m, data, size, init_seed, order_seed) for m in METHODS}

    lab.record(
        data=data.name,
        n_train=size.n_train,
        n_test=size.n_test,
        epochs=size.epochs,
        gap_averaged_over_last_epochs=outcomes["none"].tail,
        settings={m.name: {"l1": m.l1, "l2": m.l2, "dropout": m.dropout, "expand": m.expand} for m in METHODS},
        final_gap_points={k: o.final_gap for k, o in outcomes.items()},
        final_train_accuracy={k: o.final_train for k, o in outcomes.items()},
        final_test_accuracy={k: o.final_test for k, o in outcomes.items()},
        best_test_accuracy={k: float(o.test_accuracy.max()) for k, o in outcomes.items()},
        small_weight_fraction={k: o.small_fraction for k, o in outcomes.items()},
        mean_abs_weight={k: float(np.abs(o.weights).mean()) for k, o in outcomes.items()},
        train_accuracy_per_epoch={k: o.train_accuracy for k, o in outcomes.items()},
        test_accuracy_per_epoch={k: o.test_accuracy for k, o in outcomes.items()},
    )

    plot_curves(lab, outcomes, data)
    plot_gap(lab, outcomes)
    plot_weights(lab, outcomes)

    none = outcomes["none"]
    lab.claim(
        "Without regularization a wide network overfits a small training set: training accuracy goes to about 100 % "
        "while test accuracy stalls far below",
        "S2, S3",
        none.final_train >= 0.98 and none.final_gap >= 10,
        f"{size.n_train:,} training images: training {100 * none.final_train:.1f} %, "
        f"test {100 * none.final_test:.1f} % "
        f"(best {100 * none.test_accuracy.max():.1f} % at epoch {int(none.test_accuracy.argmax()) + 1}), "
        f"gap {none.final_gap:.1f} points",
    )
    for method in METHODS[1:]:
        outcome = outcomes[method.name]
        lab.claim(
            f"{method.label.replace(LAMBDA, 'lambda')} narrows the train/test gap",
            "S3",
            outcome.final_gap < none.final_gap - MARGIN,
            f"gap {outcome.final_gap:.1f} vs {none.final_gap:.1f} points without; test accuracy "
            f"{100 * outcome.final_test:.1f} % vs {100 * none.final_test:.1f} %, training "
            f"{100 * outcome.final_train:.1f} % vs {100 * none.final_train:.1f} %",
        )
    lab.claim(
        "Each of these regularizers also raises test accuracy (cures the overfitting rather than only trading "
        "training accuracy away)",
        "S3",
        all(outcomes[m.name].final_test > none.final_test for m in METHODS[1:]),
        "test accuracy minus the unregularized "
        + ", ".join(f"{m.name} {100 * (outcomes[m.name].final_test - none.final_test):+.1f}" for m in METHODS[1:])
        + " points",
    )
    l1, l2 = outcomes["l1"].small_fraction, outcomes["l2"].small_fraction
    lab.claim(
        f"L1 drives many weights to (near) zero, L2 only shrinks them: far more first-layer weights end below "
        f"{SMALL:g} with L1",
        "S3",
        l1 > 0.5 and l1 > 3 * max(l2, none.small_fraction),
        f"|w| < {SMALL:g}: L1 {100 * l1:.1f} %, L2 {100 * l2:.1f} %, none {100 * none.small_fraction:.1f} %",
    )
