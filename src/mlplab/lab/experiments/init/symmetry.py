"""Study 3 of the ``init`` experiment: zero and constant weights never break symmetry (S1).

A 784-16-10 tanh network trained from zero, constant and random weights. From a constant start
every hidden unit gets the same gradient, so the hidden units stay exactly identical (the runs are
in float64, whose matrix products treat every column alike; float32 kernels can differ in the last
bit between columns). The training runs, the figure and the claims.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ....datasets import Dataset
from ....layers import Dense
from ....model import MLP
from ....plotting import pyplot
from ....training import Trainer
from ...base import Lab
from .wide import N_IN

SYMMETRY_HIDDEN = 16
SMALL_CONSTANT = 0.01


@dataclass(frozen=True)
class SymmetryRun:
    """A 784-16-10 network trained from one initializer: hidden weights before and after, and its history."""

    initial: np.ndarray
    final: np.ndarray
    history: dict[str, list[float]]

    @property
    def spread(self) -> float:
        """Largest difference between two hidden units' incoming weight vectors (0: every unit is the same)."""
        return float(np.abs(self.final - self.final[:, :1]).max())

    @property
    def distinct_units(self) -> int:
        """How many different incoming weight vectors the hidden layer holds."""
        return len(np.unique(self.final.T, axis=0))


def train_from(data: Dataset, init: Any, epochs: int, lab: Lab) -> SymmetryRun:
    """Train a 784-16-10 tanh network (float64) from ``init`` with plain mini-batch SGD."""
    model = MLP([N_IN, SYMMETRY_HIDDEN, 10], activation="tanh", init=init, rng=lab.rng, dtype=np.float64)
    first = model.layers[0]
    assert isinstance(first, Dense)  # an MLP starts with a Dense layer
    initial = first.W.value.copy()
    trainer = Trainer(
        model, loss="softmax_cross_entropy", optimizer="sgd", lr=0.05, batch_size=64, verbose=0, rng=lab.seed
    )
    history = trainer.fit(data.x_train, data.y_train, epochs=epochs, validation_data=(data.x_test, data.y_test))
    return SymmetryRun(initial, first.W.value.copy(), history.history)


def plot_symmetry(lab: Lab, runs: dict[str, SymmetryRun]) -> None:
    """``symmetry.png``: test accuracy per epoch, and what training added to the first hidden units' weights."""
    from matplotlib.ticker import MaxNLocator

    plt = pyplot()
    units_shown = 6
    fig = plt.figure(figsize=(11, 4.2))
    grid = fig.add_gridspec(len(runs), 2 + units_shown, width_ratios=[3.2, 0.5] + [1] * units_shown)
    curves = fig.add_subplot(grid[:, 0])
    for row, (label, run) in enumerate(runs.items()):
        epochs = np.arange(1, len(run.history["val_accuracy"]) + 1)
        curves.plot(epochs, 100 * np.array(run.history["val_accuracy"]), marker="o", label=label)
        change = run.final - run.initial
        scale = max(float(np.abs(change[:, :units_shown]).max()), 1e-12)
        for unit in range(units_shown):
            ax = fig.add_subplot(grid[row, 2 + unit])
            ax.imshow(change[:, unit].reshape(28, 28), cmap="coolwarm", vmin=-scale, vmax=scale)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            ax.spines[:].set_visible(False)
            if unit == 0:
                ax.set_ylabel(label.split(" (")[0], fontsize=7.5)
            if row == 0:
                ax.set_title(f"unit {unit + 1}", fontsize=8)
        ax.text(
            1.12,
            0.5,
            f"largest\ndifference\n{run.spread:.2g}\n\n{run.distinct_units} distinct\nunits",
            transform=ax.transAxes,
            fontsize=7,
            va="center",
        )
    curves.axhline(10, color="grey", ls=":", label="chance (10%)")
    curves.xaxis.set_major_locator(MaxNLocator(integer=True))
    curves.set_xlabel("epoch")
    curves.set_ylabel("test accuracy (%)")
    curves.set_ylim(0, 100)
    curves.set_title("784-16-10 tanh net, mini-batch SGD")
    curves.legend(fontsize=7.5)
    fig.suptitle(
        "Constant initialization never breaks symmetry: every hidden unit learns the same weights\n"
        "(right: what training added to each hidden unit's 784 incoming weights, as 28×28 images)",
        fontsize=9.5,
    )
    fig.subplots_adjust(left=0.06, right=0.91, top=0.82, bottom=0.12, wspace=0.08)
    lab.figure(
        fig,
        "symmetry.png",
        "Test accuracy per epoch from zero, constant and random (Glorot) weights, and the change of the first "
        "six hidden units' incoming weights during training (one colour scale per row; blue negative, red "
        "positive). The largest difference is between the units' final weight vectors.",
    )


def symmetry_claims(lab: Lab, spread: dict[str, float], distinct: dict[str, int], accuracy: dict[str, float]) -> None:
    """S1's claims on symmetry: zero and constant starts keep every hidden unit alike, a random start does not."""
    zeros, constant, random = spread
    lab.claim(
        "Zero initialization fails to break symmetry: after training every hidden unit still has the same weights",
        "S1",
        spread[zeros] == 0.0 and distinct[zeros] == 1,
        f"largest difference between two hidden units' weight vectors {spread[zeros]:.3g}; "
        f"{distinct[zeros]} distinct unit(s) of {SYMMETRY_HIDDEN}; test accuracy {100 * accuracy[zeros]:.1f}%",
    )
    lab.claim(
        "Any constant initialization fails the same way: the hidden units learn, but all alike",
        "S1",
        spread[constant] == 0.0 and distinct[constant] == 1,
        f"constant {SMALL_CONSTANT}: largest difference {spread[constant]:.3g}, {distinct[constant]} distinct "
        f"unit(s); test accuracy {100 * accuracy[constant]:.1f}%",
    )
    lab.claim(
        "Random initialization breaks the symmetry and learns better",
        "S1",
        distinct[random] == SYMMETRY_HIDDEN and accuracy[random] > max(accuracy[zeros], accuracy[constant]) + 0.1,
        f"{distinct[random]} distinct units (largest difference {spread[random]:.2f}); test accuracy "
        f"{100 * accuracy[random]:.1f}% vs {100 * accuracy[zeros]:.1f}% (zeros) and "
        f"{100 * accuracy[constant]:.1f}% (constant)",
    )
