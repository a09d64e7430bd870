"""Activation functions and their derivatives, the sigmoid's 0.25, tanh's range, and dying ReLUs (S0, S1, S3).

Every curve comes from the library's activation layers: the function from
``forward`` and the derivative from ``backward`` fed with ones (element-wise
layers return :math:`f'(z)` then), checked against central differences of
``forward`` and against :mod:`mlplab.functional`. S0 asks for a proof that the
sigmoid's derivative is at most 0.25; S1 says tanh squashes into (0, 1), which is
a slip for (-1, 1) (SPEC §3); S0 warns of dying ReLUs and says leaky ReLU has none.

The dying-ReLU run trains a 784-256-10 ReLU network on Fashion-MNIST with plain
SGD at a normal and at a large learning rate, and counts after every epoch the
hidden units that are never active on a fixed batch of training images. Pixels
stay in [0, 1] (no standardization), as in Nielsen's and MATLAB's examples: with
non-negative inputs one large step that makes a unit's weights and bias
negative silences it for every image, and a silent ReLU gets no gradient to
recover. A leaky ReLU network at the large rate shows the difference: its units
may be pushed negative too, but every one keeps a gradient.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from ... import functional as F
from ...layers import Dense, Identity, Layer, LeakyReLU, PReLU, ReLU, Sigmoid, Step, Tanh
from ...losses import SoftmaxCrossEntropy
from ...model import MLP, Sequential
from ...plotting import pyplot
from ...training import Trainer, TrainingDiverged
from ...training.callbacks import Callback
from ..base import Lab, experiment
from ..data import fashion

GRID = np.linspace(-5.0, 5.0, 1001)
FD_STEP = 1e-6
KINK = 1e-3
"""Grid points closer than this to 0 are left out of the finite-difference check (ReLU, step: no derivative at 0)."""
NORMAL_LR, LARGE_LR = 0.05, 0.7
HIDDEN = 256


def activation_layers() -> dict[str, tuple[Layer, Callable[[np.ndarray], np.ndarray]]]:
    """Each activation layer (float64) with its derivative from :mod:`mlplab.functional`."""
    return {
        "sigmoid": (Sigmoid(), F.sigmoid_derivative),
        "tanh": (Tanh(), F.tanh_derivative),
        "ReLU": (ReLU(), F.relu_derivative),
        "leaky ReLU (slope 0.01)": (LeakyReLU(), F.leaky_relu_derivative),
        "PReLU (initial slope 0.25)": (PReLU(1, dtype=np.float64), lambda z: F.leaky_relu_derivative(z, 0.25)),
        "step (Heaviside)": (Step(), F.step_derivative),
        "identity": (Identity(), F.identity_derivative),
    }


def curves(layer: Layer) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``f(z)``, ``f'(z)`` from ``backward`` and ``f'(z)`` by central differences, on :data:`GRID`."""
    z = GRID[:, None]
    value = layer.forward(z).copy()
    layer.forward(z, training=True)
    grad = layer.backward(np.ones_like(z))
    assert grad is not None  # input_grad=True (the default): backward returns the input gradient
    derivative = grad.copy()
    numeric = (layer.forward(z + FD_STEP) - layer.forward(z - FD_STEP)) / (2 * FD_STEP)
    return value[:, 0], derivative[:, 0], numeric[:, 0]


def sigmoid_of(z: np.ndarray) -> np.ndarray:
    """σ(z) from the library's Sigmoid layer."""
    return Sigmoid().forward(z[:, None])[:, 0]


def plot_curves(lab: Lab, measured: dict[str, dict[str, np.ndarray]]) -> None:
    plt = pyplot()
    fig, axes = plt.subplots(2, 4, figsize=(11, 5.2), sharex=True)
    marks = slice(25, None, 50)
    for ax, (name, m) in zip(axes.flat, measured.items()):
        ax.plot(GRID, m["value"], color="tab:blue", label="f(z)")
        ax.plot(GRID, m["derivative"], color="tab:orange", ls="--", label="f'(z), backward pass")
        ax.plot(GRID[marks], m["numeric"][marks], "k.", ms=4, label="central difference")
        ax.set_title(f"{name}\nvalues [{m['value'].min():.5g}, {m['value'].max():.5g}] on [-5, 5]", fontsize=8.5)
    for name, bounds in (("sigmoid", (0, 1)), ("tanh", (-1, 1))):
        ax = axes.flat[list(measured).index(name)]
        for bound in bounds:
            ax.axhline(bound, color="grey", ls=":", lw=1)
    last = axes.flat[-1]
    for name, color in (("sigmoid", "tab:green"), ("tanh", "tab:purple"), ("ReLU", "tab:red")):
        derivative = measured[name]["derivative"]
        last.plot(GRID, derivative, color=color, label=f"{name}'  (max {derivative.max():.3g})")
    last.set_title("derivatives compared: sigmoid' ≤ 0.25", fontsize=8.5)
    last.legend(fontsize=7, loc="upper left")
    for ax in axes[1]:
        ax.set_xlabel("input z")
    for ax in axes[:, 0]:
        ax.set_ylabel("f(z) and f'(z)")
    axes.flat[0].legend(fontsize=7, loc="upper left")
    fig.suptitle(
        "Activations (solid) and their derivatives from the layers' backward passes (dashed), "
        "checked by finite differences (dots)",
        fontsize=10,
    )
    fig.tight_layout()
    lab.figure(
        fig,
        "activations.png",
        "Each activation layer's output and derivative on [-5, 5]; the last panel overlays the sigmoid, "
        "tanh and ReLU derivatives (sigmoid' peaks at 0.25, tanh' at 1).",
    )


class DeadUnits(Callback):
    """Fraction of hidden units never active on ``probe`` (before training and after each epoch), and test accuracy."""

    def __init__(self, model: Sequential, probe: np.ndarray, x_test: np.ndarray, y_test: np.ndarray) -> None:
        self.model, self.probe, self.x_test, self.y_test = model, probe, x_test, y_test
        self.dead: list[float] = []
        self.accuracy: list[float] = []

    def _measure(self) -> None:
        self.dead.append(float(np.mean(never_active(self.model, self.probe))))
        self.accuracy.append(float(np.mean(self.model.forward(self.x_test).argmax(axis=1) == self.y_test)))

    def on_train_begin(self, logs: dict[str, Any]) -> None:
        self._measure()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        self._measure()


def never_active(model: Sequential, probe: np.ndarray) -> np.ndarray:
    """For each hidden unit, whether its pre-activation is ≤ 0 on every probe image."""
    hidden = model.layers[0].forward(probe)
    return np.all(hidden <= 0, axis=0)


def without_gradient(model: Sequential, probe: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """For each hidden unit, whether back-propagation on ``probe`` gives its incoming weights exactly zero gradient."""
    loss = SoftmaxCrossEntropy()
    model.zero_grad()
    loss.forward(model.forward(probe, training=True), labels)
    model.backward(loss.backward(), input_grad=False)
    first = model.layers[0]
    assert isinstance(first, Dense) and first.b is not None  # the network starts with a Dense layer with a bias
    grad = np.abs(first.W.grad).sum(axis=0) + np.abs(first.b.grad)
    model.zero_grad()
    return grad == 0


def dying_runs(lab: Lab) -> dict[str, dict[str, Any]]:
    """Train the ReLU network at a normal and a large learning rate, and the leaky ReLU one at the large rate."""
    n_train, n_test, epochs = (640, 500, 2) if lab.quick else (10000, 2000, 10)
    data = fashion(n_train, n_test, standardize=False, seed=lab.seed)
    probe, probe_labels = data.x_train[:1000], data.y_train[:1000]
    setups = {
        f"ReLU, lr {NORMAL_LR:g}": ("relu", NORMAL_LR),
        f"ReLU, lr {LARGE_LR:g}": ("relu", LARGE_LR),
        f"leaky ReLU, lr {LARGE_LR:g}": ("leaky_relu", LARGE_LR),
    }
    runs = {}
    for name, (activation, lr) in setups.items():
        model = MLP([784, HIDDEN, 10], activation=activation, rng=lab.seed + 1)
        monitor = DeadUnits(model, probe, data.x_test, data.y_test)
        trainer = Trainer(
            model, optimizer="sgd", lr=lr, batch_size=64, verbose=0, rng=lab.seed + 2, callbacks=[monitor]
        )
        diverged = None
        try:
            trainer.fit(data.x_train, data.y_train, epochs=epochs)
        except TrainingDiverged:
            diverged = trainer.epoch + 1
        runs[name] = {
            "activation": activation,
            "lr": lr,
            "dead_fraction": np.array(monitor.dead),
            "test_accuracy": np.array(monitor.accuracy),
            "zero_gradient_fraction": float(np.mean(without_gradient(model, probe, probe_labels))),
            "diverged_in_epoch": diverged,
        }
    lab.record(
        dying={
            "data": data.name,
            "n_train": n_train,
            "n_test": n_test,
            "epochs": epochs,
            "hidden": HIDDEN,
            "probe_images": probe.shape[0],
            "batch_size": 64,
            "runs": runs,
        }
    )
    return runs


def plot_dying(lab: Lab, runs: dict[str, dict[str, Any]]) -> None:
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    colors = iter(("tab:blue", "tab:red", "tab:purple"))
    for name, r in runs.items():
        color, ls = next(colors), "--" if r["activation"] == "leaky_relu" else "-"
        epochs = np.arange(r["dead_fraction"].size)
        left.plot(epochs, 100 * r["dead_fraction"], color=color, ls=ls, marker="o", label=name)
        right.plot(epochs, 100 * r["test_accuracy"], color=color, ls=ls, marker="o", label=name)
    left.set_xlabel("epoch")
    left.set_ylabel("hidden units with z ≤ 0 on all 1000 probe images (%)")
    left.set_ylim(bottom=0)
    left.set_title("A large learning rate kills ReLU units for good")
    left.legend()
    right.set_xlabel("epoch")
    right.set_ylabel("test accuracy (%)")
    right.set_title("Test accuracy: the large rate is also unstable")
    right.legend(loc="lower right")
    lab.figure(
        fig,
        "dying-relu.png",
        f"784-{HIDDEN}-10 network on Fashion-MNIST pixels in [0, 1], plain SGD with batch 64: share of hidden "
        "units that never fire on a fixed batch of 1000 training images after each epoch, and test accuracy. "
        "Leaky units (dashed) may sit below zero too but keep a gradient.",
    )


@experiment("activations", "Activation functions, derivatives and dying ReLUs", sources="S0, S1, S3")
def run(lab: Lab) -> None:
    layers = activation_layers()
    measured, fd_errors, functional_errors = {}, {}, {}
    away_from_kink = np.abs(GRID) > KINK
    for name, (layer, derivative) in layers.items():
        value, backward, numeric = curves(layer)
        measured[name] = {"value": value, "derivative": backward, "numeric": numeric}
        fd_errors[name] = float(np.abs(backward - numeric)[away_from_kink].max())
        functional_errors[name] = float(np.abs(backward - derivative(GRID)).max())
    sigmoid_v, sigmoid_d = measured["sigmoid"]["value"], measured["sigmoid"]["derivative"]
    tanh_v, tanh_d = measured["tanh"]["value"], measured["tanh"]["derivative"]
    lab.record(
        grid=GRID[::50],
        curves={name: {k: v[::50] for k, v in m.items()} for name, m in measured.items()},
        max_finite_difference_error=fd_errors,
        max_functional_difference=functional_errors,
        sigmoid_max_derivative=sigmoid_d.max(),
        sigmoid_argmax_derivative=GRID[np.argmax(sigmoid_d)],
        sigmoid_range=[sigmoid_v.min(), sigmoid_v.max()],
        tanh_max_derivative=tanh_d.max(),
        tanh_range=[tanh_v.min(), tanh_v.max()],
    )
    plot_curves(lab, measured)

    with threadpool_limits(1, user_api="blas"):  # small matrices: one BLAS thread is fastest, same sums anywhere
        runs = dying_runs(lab)
    plot_dying(lab, runs)

    lab.claim(
        "The sigmoid's derivative σ'(z) = σ(z)(1 − σ(z)) is at most 0.25, reached at z = 0",
        "S0",
        abs(sigmoid_d.max() - 0.25) < 1e-12 and GRID[np.argmax(sigmoid_d)] == 0,
        f"max σ'(z) on [-5, 5] from the backward pass = {sigmoid_d.max():.6f} at z = {GRID[np.argmax(sigmoid_d)]:g}",
    )
    lab.claim(
        "tanh squashes its input into (−1, 1) — not (0, 1) as S1 says — and is zero-centred; "
        "the sigmoid's range is (0, 1)",
        "S1",
        -1 < tanh_v.min() < -0.99
        and 0.99 < tanh_v.max() < 1
        and abs(tanh_v[GRID == 0][0]) < 1e-15
        and 0 < sigmoid_v.min() < 0.01
        and 0.99 < sigmoid_v.max() < 1,
        f"tanh on [-5, 5] spans [{tanh_v.min():.5f}, {tanh_v.max():.5f}], tanh(0) = {tanh_v[GRID == 0][0]:g}; "
        f"sigmoid spans [{sigmoid_v.min():.5f}, {sigmoid_v.max():.5f}]",
    )
    identity = np.abs(tanh_v - (2 * sigmoid_of(2 * GRID) - 1)).max()
    lab.claim(
        "tanh's gradient is steeper than the sigmoid's (S0), as tanh(z) = 2σ(2z) − 1 (S3) implies: "
        "max tanh' = 4 max σ'",
        "S0, S3",
        tanh_d.max() > 3.99 * sigmoid_d.max() and identity < 1e-12,
        f"max tanh' = {tanh_d.max():.6f} vs max σ' = {sigmoid_d.max():.6f}; "
        f"max |tanh(z) − (2σ(2z) − 1)| = {identity:.1e}",
    )
    worst_fd = max(fd_errors.values())
    lab.claim(
        "Each activation's derivative (the layers' backward passes) is right: it matches central differences and "
        "mlplab.functional; the step's derivative is 0 wherever it exists, so no gradient flows through it",
        "S0, S3",
        worst_fd < 1e-6
        and max(functional_errors.values()) < 1e-12
        and not np.any(measured["step (Heaviside)"]["derivative"]),
        f"largest |backward − central difference| = {worst_fd:.1e} (at |z| > {KINK:g}); "
        f"largest |backward − functional| = {max(functional_errors.values()):.1e}; "
        f"step' is 0 at all {GRID.size} points",
    )
    normal, large, leaky = (
        runs[f"ReLU, lr {NORMAL_LR:g}"],
        runs[f"ReLU, lr {LARGE_LR:g}"],
        runs[f"leaky ReLU, lr {LARGE_LR:g}"],
    )
    lab.claim(
        "ReLU suffers from dying units: after a large learning-rate step many units never activate again",
        "S0",
        large["dead_fraction"][-1] >= 0.1
        and large["dead_fraction"][-1] >= 5 * normal["dead_fraction"][-1] + 0.01
        and large["zero_gradient_fraction"] >= large["dead_fraction"][-1],
        f"hidden units never active on the probe images after the last epoch: {100 * large['dead_fraction'][-1]:.1f} % "
        f"at lr {LARGE_LR:g} vs {100 * normal['dead_fraction'][-1]:.1f} % at lr {NORMAL_LR:g} "
        f"({100 * normal['dead_fraction'][0]:.1f} % before training); "
        f"{100 * large['zero_gradient_fraction']:.1f} % of units get exactly zero gradient",
    )
    lab.claim(
        "Leaky ReLU has no dying-ReLU problem: every unit keeps a gradient, even when pushed below zero",
        "S0",
        leaky["zero_gradient_fraction"] == 0 and large["zero_gradient_fraction"] > 0,
        f"at lr {LARGE_LR:g}: {100 * leaky['zero_gradient_fraction']:.1f} % of leaky units without gradient "
        f"(ReLU: {100 * large['zero_gradient_fraction']:.1f} %), although the large steps push many below zero on "
        f"every probe image: {100 * leaky['dead_fraction'][1]:.1f} % after the first epoch, "
        f"{100 * leaky['dead_fraction'][-1]:.1f} % after the last (their gradient is 0.01 times as large)",
    )
