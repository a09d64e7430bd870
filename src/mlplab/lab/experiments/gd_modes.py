"""Batch, stochastic and mini-batch gradient descent on the same problems (S1, "Various GD types").

S1 computes the gradient three ways: over the whole training set (batch GD,
"movement is very smooth"), from one sample (SGD: "the cost function will
bounce up and down and decrease only on average") and from a mini-batch
(MBGD: "much smoother than SGD", and "the most recommended one ... because it
is computationally efficient"). All three are one loop here, mlplab's
:class:`~mlplab.training.Trainer` with ``batch_size=None``, ``1`` or ``B``.

Two problems:

* linear regression :math:`y = w x + b` (MSE) on synthetic data, a model with
  exactly two parameters, so the path of :math:`(w, b)` can be drawn over the
  contours of the loss; every mode uses the same learning rate and epochs;
* a 784-100-10 ReLU network on a Fashion-MNIST subset, where every mode
  gets the same training-time budget (on one BLAS thread) and the full
  training loss is measured against the seconds spent, to show which mode
  makes the best use of the CPU. Each mode runs at its own rate, the best of
  a small grid tried once by hand (batch GD 0.05/0.1/0.15, SGD
  0.002/0.005/0.01, mini-batch 0.02/0.05/0.1/0.2, by the training loss after
  100, 2 and 8 epochs).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from ...layers import Dense
from ...model import MLP, Sequential
from ...plotting import pyplot
from ...training import Trainer
from ...training.callbacks import Callback
from ..base import Lab, experiment
from ..data import fashion

TRUE_W, TRUE_B, NOISE = 1.5, -0.5, 0.4
START = (-1.0, 2.5)
LINEAR_LR = 0.1
LINEAR_BATCH = 16
FASHION_BATCH = 64
FASHION_MODES = (  # (label, batch size, learning rate, most epochs): rates from the grids in the docstring
    ("batch GD", None, 0.15, 1000),
    ("stochastic GD (1)", 1, 0.002, 50),
    (f"mini-batch GD ({FASHION_BATCH})", FASHION_BATCH, 0.05, 500),
)
COLORS = {"batch": "tab:blue", "stochastic": "tab:red", "mini-batch": "tab:green"}


def _color(label: str) -> str:
    return COLORS[label.split(" ")[0]]


class PathRecorder(Callback):
    """The parameters ``(w, b)`` of a one-unit Dense layer after every update."""

    def __init__(self, layer: Dense) -> None:
        if layer.b is None:
            raise ValueError("PathRecorder needs a Dense layer with a bias")
        self.layer = layer
        self.bias = layer.b
        self.points = [(layer.W.value.item(), self.bias.value.item())]

    def on_batch_end(self, batch: int, logs: dict) -> None:
        self.points.append((self.layer.W.value.item(), self.bias.value.item()))


class LossMonitor(Callback):
    """The full training-set loss against the training time, and a stop once ``budget`` seconds are used.

    The loss is measured at the start, at the end of the first epoch, whenever
    ``budget / points`` seconds of training have passed since the last
    measurement, and at the end. The time spent measuring is subtracted, so
    ``seconds`` is training time only. Training stops at the end of the epoch
    in which the budget runs out.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, budget: float, points: int = 50) -> None:
        self.x, self.y, self.budget, self.interval = x, y, budget, budget / points
        self.seconds: list[float] = []
        self.epochs: list[float] = []
        self.losses: list[float] = []

    def on_train_begin(self, logs: dict) -> None:
        self.start, self.paused = time.perf_counter(), 0.0
        self._measure(0.0)

    def on_batch_end(self, batch: int, logs: dict) -> None:
        trainer = self.trainer
        epoch = trainer.epoch + (batch + 1) / trainer.batches_per_epoch
        elapsed = self._elapsed()
        if elapsed - self.seconds[-1] >= self.interval or epoch == 1.0:
            self._measure(epoch)
        if elapsed >= self.budget:
            trainer.stop_training = True

    def on_train_end(self, logs: dict) -> None:
        if self.epochs[-1] != self.trainer.epoch:
            self._measure(float(self.trainer.epoch))

    def _elapsed(self) -> float:
        return time.perf_counter() - self.start - self.paused

    def _measure(self, epoch: float) -> None:
        begin = time.perf_counter()
        self.seconds.append(begin - self.start - self.paused)
        self.epochs.append(epoch)
        self.losses.append(self.trainer.evaluate(self.x, self.y)["loss"])
        self.paused += time.perf_counter() - begin


@dataclass
class LinearRun:
    """One gradient-descent mode on the linear regression: its path and the full loss along it."""

    label: str
    path: np.ndarray  # (updates + 1, 2): (w, b) before the first update and after each
    losses: np.ndarray  # full-set MSE at each point of the path
    updates_per_epoch: int


def mse_on_grid(x: np.ndarray, y: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Full-set MSE of ``w x + b`` for every pair ``(w[i], b[i])`` (any matching shapes)."""
    w, b = np.asarray(w, dtype=float), np.asarray(b, dtype=float)
    residual = w[..., None] * x + b[..., None] - y
    return np.mean(residual**2, axis=-1)


def linear_data(lab: Lab, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` samples of ``y = 1.5 x - 0.5 + noise`` with ``x ~ U(-0.5, 1.5)`` (w and b correlated: a tilted valley)."""
    x = lab.rng.uniform(-0.5, 1.5, n)
    y = TRUE_W * x + TRUE_B + NOISE * lab.rng.standard_normal(n)
    return x, y


def run_linear(x: np.ndarray, y: np.ndarray, label: str, batch_size: int | None, epochs: int, seed: int) -> LinearRun:
    """Train ``y = w x + b`` from ``START`` with plain gradient descent at ``LINEAR_LR``, recording the path."""
    layer = Dense(1, 1, dtype=np.float64)
    model = Sequential([layer])
    assert layer.b is not None  # Dense has a bias unless built with bias=False
    layer.W.value[...], layer.b.value[...] = START
    recorder = PathRecorder(layer)
    trainer = Trainer(
        model,
        loss="mse",
        optimizer="sgd",
        lr=LINEAR_LR,
        batch_size=batch_size,
        verbose=0,
        rng=seed,
        callbacks=[recorder],
    )
    trainer.fit(x[:, None], y[:, None], epochs=epochs)
    path = np.array(recorder.points)
    return LinearRun(label, path, mse_on_grid(x, y, path[:, 0], path[:, 1]), trainer.batches_per_epoch)


def fraction_of_increases(losses: np.ndarray) -> float:
    """Share of updates after which the full-set loss went up (0 for a monotone descent)."""
    return float(np.mean(np.diff(losses) > 0))


def mean_rise(losses: np.ndarray) -> float:
    """Mean rise of the full-set loss per update (falls count as 0): how much a run bounces up."""
    return float(np.mean(np.clip(np.diff(losses), 0.0, None)))


def run_fashion(lab: Lab, n_train: int, budget: float) -> tuple[dict[str, LossMonitor], str]:
    """Train the same 784-100-10 network with each mode for ``budget`` seconds; full training loss over time.

    The runs use one BLAS thread: on a shared machine, small matrix products
    split over busy cores stall, and the clock would measure the neighbours.
    """
    data = fashion(n_train, 1, standardize=True, seed=lab.seed)
    x, y = data.x_train, data.y_train
    init_seed, shuffle_seed = (int(s) for s in lab.rng.integers(2**31, size=2))
    warm_up = Trainer(MLP([784, 100, 10], rng=init_seed), optimizer="sgd", lr=0.01, batch_size=16, verbose=0)
    warm_up.fit(x[:64], y[:64], epochs=1)  # compiled kernels load once, before any clock runs
    monitors = {}
    for label, batch_size, lr, most_epochs in FASHION_MODES:
        monitor = LossMonitor(x, y, budget)
        trainer = Trainer(
            MLP([784, 100, 10], rng=init_seed),
            optimizer="sgd",
            lr=lr,
            batch_size=batch_size,
            verbose=0,
            rng=shuffle_seed,
            callbacks=[monitor],
        )
        with threadpool_limits(1, user_api="blas"):
            trainer.fit(x, y, epochs=most_epochs)
        monitors[label] = monitor
    return monitors, data.name


def loss_at_time(monitor: LossMonitor, seconds: float) -> float:
    """The last measured loss at or before ``seconds`` of training."""
    index = np.searchsorted(monitor.seconds, seconds, side="right") - 1
    return monitor.losses[max(index, 0)]


def loss_at_epoch(monitor: LossMonitor, epoch: float) -> float:
    """The last measured loss at or before ``epoch`` epochs of training."""
    index = np.searchsorted(monitor.epochs, epoch + 1e-9, side="right") - 1
    return monitor.losses[max(index, 0)]


def plot_paths(lab: Lab, x: np.ndarray, y: np.ndarray, runs: list[LinearRun], optimum: np.ndarray, epochs: int) -> None:
    plt = pyplot()
    w_grid, b_grid = np.meshgrid(np.linspace(-1.5, 3.0, 150), np.linspace(-2.0, 3.0, 150))
    surface = mse_on_grid(x, y, w_grid, b_grid)
    levels = np.geomspace(surface.min() * 1.05, surface.max(), 12)
    fig, axes = plt.subplots(1, len(runs), figsize=(11, 3.9), sharex=True, sharey=True)
    for ax, run in zip(axes, runs):
        ax.contour(w_grid, b_grid, surface, levels=levels, colors="grey", linewidths=0.6, alpha=0.7)
        ax.plot(
            run.path[:, 0],
            run.path[:, 1],
            color=_color(run.label),
            lw=0.5,
            marker=".",
            ms=2,
            label=f"{len(run.path) - 1} updates",
        )
        ax.plot(*START, "ko", ms=5, label="start")
        ax.plot(*optimum, "k*", ms=10, label="least-squares minimum")
        ax.set_title(f"{run.label}: final MSE {run.losses[-1]:.3f}")
        ax.set_xlabel("slope w")
        ax.legend(loc="upper right", fontsize=7)
    axes[0].set_ylabel("intercept b")
    fig.suptitle(f"Paths of (w, b) over the contours of the MSE of y = w x + b: lr = {LINEAR_LR}, {epochs} epochs each")
    lab.figure(
        fig,
        "linear-paths.png",
        "The same linear regression trained by batch, stochastic and mini-batch gradient descent: "
        "batch GD moves smoothly down the valley, SGD jitters around the minimum, mini-batch is between.",
    )


def plot_linear_losses(lab: Lab, runs: list[LinearRun], n: int, minimum_loss: float) -> None:
    plt = pyplot()
    fig, (by_epoch, by_update) = plt.subplots(1, 2, figsize=(10, 3.8))
    for run in runs:  # SGD first, so the smoother curves are drawn over its band
        style = dict(color=_color(run.label), label=run.label)
        epoch_ends = run.losses[:: run.updates_per_epoch]
        by_epoch.plot(np.arange(len(epoch_ends)), epoch_ends, marker=".", ms=4, lw=1, **style)
        by_update.plot(np.arange(1, len(run.losses) + 1), run.losses, lw=0.6, alpha=0.85, **style)
    for ax in (by_epoch, by_update):
        ax.axhline(minimum_loss, color="black", ls=":", lw=1, label="least-squares minimum")
        ax.set_yscale("log")
        ax.set_ylabel("full training MSE (log scale)")
        ax.legend()
    by_epoch.set_xlabel(f"epochs (passes over the {n} samples)")
    by_epoch.set_title("At each epoch's end: SGD and mini-batch are ahead")
    by_update.set_xscale("log")
    by_update.set_xlabel("parameter updates + 1 (log scale)")
    by_update.set_title("After every update: SGD bounces, batch GD glides")
    lab.figure(
        fig,
        "linear-loss.png",
        "Full training loss of the linear regression at each epoch's end and after every update: SGD's "
        "loss bounces up and down and decreases only on average; batch GD's falls at every step but it "
        "makes one step per epoch.",
    )


def plot_fashion(lab: Lab, monitors: dict[str, LossMonitor], data_name: str, n_train: int) -> None:
    plt = pyplot()
    fig, (by_epoch, by_time) = plt.subplots(1, 2, figsize=(10, 3.8))
    for (label, _, lr, _), monitor in zip(FASHION_MODES, monitors.values()):
        style = dict(color=_color(label), marker=".", ms=3, lw=1, label=f"{label}, lr {lr:g}")
        by_epoch.plot(monitor.epochs[1:], monitor.losses[1:], **style)
        by_time.plot(monitor.seconds, monitor.losses, **style)
    initial = next(iter(monitors.values())).losses[0]
    by_epoch.axhline(initial, color="grey", ls=":", lw=1, label="initial loss")
    by_epoch.set_xscale("log")
    by_epoch.set_xlabel("epochs (log scale)")
    by_epoch.set_title("Per epoch: fewer samples per step learn faster")
    by_time.set_xlabel("training time (s, one BLAS thread)")
    by_time.set_title("Per second of training")
    for ax in (by_epoch, by_time):
        ax.set_ylabel("full training cross-entropy (log scale)")
        ax.set_yscale("log")
        ax.legend()
    fig.suptitle(f"784-100-10 ReLU network, plain gradient descent, {n_train} {data_name} training images")
    lab.figure(
        fig,
        "fashion-loss.png",
        "Training loss on a Fashion-MNIST subset against epochs and against wall time (the same time "
        "budget for each mode; timings on a shared machine) for batch, stochastic and mini-batch GD.",
    )


def summarize(values: dict[str, float], style: str = ".3f") -> str:
    return ", ".join(f"{label} {value:{style}}" for label, value in values.items())


@experiment("gd-modes", "Batch, stochastic and mini-batch gradient descent", sources="S1")
def run(lab: Lab) -> None:
    n_linear, linear_epochs = (64, 15) if lab.quick else (200, 60)
    fashion_train, budget = (300, 0.15) if lab.quick else (10_000, 15.0)

    x, y = linear_data(lab, n_linear)
    shuffle_seed = int(lab.rng.integers(2**31))
    modes = (("stochastic GD (1)", 1), (f"mini-batch GD ({LINEAR_BATCH})", LINEAR_BATCH), ("batch GD", None))
    runs = [run_linear(x, y, label, size, linear_epochs, shuffle_seed) for label, size in modes]
    stochastic, mini, batch = runs
    optimum = np.linalg.lstsq(np.c_[x, np.ones_like(x)], y, rcond=None)[0]
    minimum_loss = float(mse_on_grid(x, y, optimum[0], optimum[1]))
    increases = {run.label: fraction_of_increases(run.losses) for run in runs}
    rises = {run.label: mean_rise(run.losses) for run in runs}
    after_one_epoch = {run.label: float(run.losses[run.updates_per_epoch]) for run in runs}
    lab.record(
        linear_n=n_linear,
        linear_epochs=linear_epochs,
        linear_lr=LINEAR_LR,
        linear_minimum=optimum,
        linear_minimum_loss=minimum_loss,
        linear_final_loss={run.label: float(run.losses[-1]) for run in runs},
        linear_loss_after_one_epoch=after_one_epoch,
        linear_fraction_of_updates_increasing_loss=increases,
        linear_mean_loss_rise_per_update=rises,
        linear_loss_per_epoch={run.label: run.losses[:: run.updates_per_epoch] for run in runs},
    )
    plot_paths(lab, x, y, [batch, stochastic, mini], optimum, linear_epochs)
    plot_linear_losses(lab, runs, n_linear, minimum_loss)

    monitors, data_name = run_fashion(lab, fashion_train, budget)
    plot_fashion(lab, monitors, data_name, fashion_train)
    common_time = min(m.seconds[-1] for m in monitors.values())
    at_common_time = {label: loss_at_time(m, common_time) for label, m in monitors.items()}
    fashion_one_epoch = {label: loss_at_epoch(m, 1.0) for label, m in monitors.items()}
    lab.record(
        fashion_data=data_name,
        fashion_n_train=fashion_train,
        fashion_budget_seconds=budget,
        fashion_curves={
            label: {"epochs": m.epochs, "seconds": m.seconds, "loss": m.losses} for label, m in monitors.items()
        },
        fashion_modes=[{"mode": label, "batch_size": size, "lr": lr} for label, size, lr, _ in FASHION_MODES],
        fashion_common_seconds=common_time,
        fashion_loss_at_common_seconds=at_common_time,
        fashion_loss_after_one_epoch=fashion_one_epoch,
    )

    lab.claim(
        "Batch GD moves smoothly: with the exact gradient the training loss falls at every update",
        "S1",
        increases[batch.label] == 0.0,
        f"the loss went up after {increases[batch.label]:.0%} of batch GD's {len(batch.losses) - 1} updates",
    )
    lab.claim(
        "With one sample per step the loss bounces up and down and decreases only on average; "
        "mini-batches move much more smoothly than single samples",
        "S1",
        rises[stochastic.label] > 3 * rises[mini.label] > 3 * rises[batch.label]
        and increases[stochastic.label] > 0.25
        and stochastic.losses[-1] < stochastic.losses[0],
        f"mean rise of the full MSE per update: {summarize(rises, '.2g')}; "
        f"the loss went up after {increases[stochastic.label]:.0%} of SGD's updates, yet fell from "
        f"{stochastic.losses[0]:.2f} to {stochastic.losses[-1]:.3f} (minimum {minimum_loss:.3f})",
    )
    full_batch = FASHION_MODES[0][0]
    lab.claim(
        "Per pass over the data, stochastic and mini-batch GD get much further than batch GD "
        "(batch GD 'is slow for large training sets')",
        "S1",
        max(after_one_epoch[stochastic.label], after_one_epoch[mini.label]) < after_one_epoch[batch.label]
        and max(v for k, v in fashion_one_epoch.items() if k != full_batch) < fashion_one_epoch[full_batch],
        f"linear regression, MSE after one epoch: {summarize(after_one_epoch)}; "
        f"Fashion-MNIST, cross-entropy after one epoch: {summarize(fashion_one_epoch)}",
    )
    lab.claim(
        "Mini-batch GD is the most computationally efficient: it reaches the lowest loss in the same wall time",
        "S1",
        min(at_common_time, key=at_common_time.__getitem__) == FASHION_MODES[2][0],
        f"Fashion-MNIST training loss after {common_time:.1f} s of training on one BLAS thread: "
        f"{summarize(at_common_time)}",
    )
