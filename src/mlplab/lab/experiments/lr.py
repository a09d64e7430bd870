"""The learning rate: too small, good, too large; and constant, linear, exponential and step decay (S0, S1, S3).

S1: "the lower the value of learning rate, the slower we travel along the
downward slope"; S0: large steps overshoot the minimum, so decay the rate,
linearly :math:`\\alpha_t = \\alpha_{start} - (\\alpha_{start} - \\alpha_{end})\\,t/N` or
exponentially :math:`\\alpha_t = \\alpha_{start}\\,\\delta^t`; S3: MATLAB's
piecewise schedule (drop factor 0.5 every 5 epochs).

S0 prints :math:`\\delta = \\alpha_{end}^{1/N}/\\alpha_{start}`, a typo (SPEC §3):
that :math:`\\delta` is above 1 for usual rates, so the "decay" grows. The
correct :math:`\\delta = (\\alpha_{end}/\\alpha_{start})^{1/N}`, which
:class:`~mlplab.schedules.ExponentialDecay` uses, reaches
:math:`\\alpha_{end}` after :math:`N` epochs; the figure shows both.

Three parts, all with mlplab's optimizers and trainer:

* plain gradient descent on :math:`f(w) = w^2` (a :class:`~mlplab.Parameter`
  updated by :class:`~mlplab.SGD`), where every regime is exact: slow for
  :math:`\\alpha \\ll 0.5`, one step at 0.5, oscillating between 0.5 and 1,
  diverging above 1;
* a 784-100-10 network on Fashion-MNIST with rates from 0.001 to 1 (mini-batch
  SGD); a run whose loss becomes NaN or infinite raises
  :class:`~mlplab.training.TrainingDiverged`, and its curve is marked;
* the same network with a constant rate and with linear, exponential and
  step decay from the same starting rate (:func:`~mlplab.schedules.schedule_for`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...datasets import Dataset
from ...model import MLP
from ...optimizers import SGD
from ...parameter import Parameter
from ...plotting import pyplot
from ...schedules import ExponentialDecay, Schedule, schedule_for
from ...training import Trainer, TrainingDiverged
from ..base import Lab, experiment
from ..data import fashion

QUADRATIC_RATES = (0.05, 0.3, 0.9, 1.05)  # f(w) = w^2: slow, good, oscillating, diverging
QUADRATIC_START = 1.0
NETWORK_RATES = (0.001, 0.01, 0.1, 0.3, 1.0)
SCHEDULES = ("constant", "linear", "exponential", "step")
SCHEDULE_START = 0.2
END_FACTOR = 100  # linear and exponential decay end at SCHEDULE_START / END_FACTOR (schedule_for's default)
BATCH = 128
RATE_COLORS = ("tab:purple", "tab:blue", "tab:green", "tab:orange", "tab:red")
SCHEDULE_COLORS = {"constant": "tab:grey", "linear": "tab:blue", "exponential": "tab:green", "step": "tab:orange"}


def descend_quadratic(lr: float, steps: int) -> np.ndarray:
    """The iterates ``w_0 .. w_steps`` of plain gradient descent on ``f(w) = w^2`` from ``QUADRATIC_START``."""
    w = Parameter(np.array([QUADRATIC_START]), name="w")
    optimizer = SGD([w], lr=lr)
    iterates = [w.value[0]]
    for _ in range(steps):
        optimizer.zero_grad()
        w.add_grad(2 * w.value)
        optimizer.step()
        iterates.append(w.value[0])
    return np.array(iterates)


@dataclass
class NetworkRun:
    """A training run: per-epoch curves (epoch 0 = before training) and where it diverged, if it did."""

    label: str
    lr: list[float]
    train_loss: list[float]
    test_accuracy: list[float]
    diverged: str | None = None  # the TrainingDiverged message


def train(
    data: Dataset, lr: float, epochs: int, seed: int, schedule: Schedule | None = None, label: str = ""
) -> NetworkRun:
    """Mini-batch SGD on a fresh 784-100-10 network; the epoch-0 point is the untrained network."""
    model = MLP([784, 100, 10], rng=seed)
    trainer = Trainer(model, optimizer="sgd", lr=lr, batch_size=BATCH, schedule=schedule, verbose=0, rng=seed)
    start = trainer.evaluate(data.x_train, data.y_train)
    start_accuracy = trainer.evaluate(data.x_test, data.y_test)["accuracy"]
    diverged = None
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # a too-large rate overflows before the loss is NaN
            trainer.fit(data.x_train, data.y_train, epochs=epochs, validation_data=(data.x_test, data.y_test))
    except TrainingDiverged as error:
        diverged = str(error)
    history = trainer.history.history
    return NetworkRun(
        label or f"lr {lr:g}",
        [lr] + history.get("lr", []),
        [start["loss"]] + history.get("loss", []),
        [start_accuracy] + history.get("val_accuracy", []),
        diverged,
    )


def typo_rate(epochs: np.ndarray, start: float, end: float, n: int) -> np.ndarray:
    """S0's printed exponential decay, ``start * (end^(1/N) / start)^t`` (a typo: it grows)."""
    return start * (end ** (1 / n) / start) ** epochs


def plot_quadratic(lab: Lab, iterates: dict[float, np.ndarray]) -> None:
    plt = pyplot()
    fig, (curve, trace) = plt.subplots(1, 2, figsize=(10, 3.8))
    w = np.linspace(-1.6, 1.6, 200)
    curve.plot(w, w**2, color="black", lw=1)
    for (lr, ws), color in zip(iterates.items(), RATE_COLORS[1:]):
        shown = ws[np.abs(ws) <= 1.6][:8]
        curve.plot(shown, shown**2, marker="o", ms=3, lw=0.9, color=color, label=f"lr {lr:g}")
        trace.plot(np.arange(len(ws)), ws, marker=".", ms=4, lw=1, color=color, label=f"lr {lr:g}")
    curve.set_xlabel("w")
    curve.set_ylabel("f(w) = w²")
    curve.set_title("The first steps on the parabola")
    curve.legend()
    trace.axhline(0, color="black", lw=0.8)
    trace.set_xlabel("step t")
    trace.set_ylabel("w after t steps")
    trace.set_ylim(-3, 3)
    trace.set_title("Slow (0.05), fast (0.3), oscillating (0.9), diverging (1.05)")
    trace.legend(loc="lower left")
    fig.suptitle("Gradient descent on f(w) = w²: w ← (1 − 2·lr)·w, so lr > 0.5 overshoots and lr > 1 diverges")
    lab.figure(
        fig,
        "quadratic.png",
        "Plain gradient descent on a parabola with four learning rates: too small crawls, a good rate "
        "converges fast, a large rate overshoots the minimum and oscillates, a too large one diverges.",
    )


def plot_rates(lab: Lab, runs: list[NetworkRun], data_name: str, n_train: int) -> None:
    plt = pyplot()
    fig, (loss, accuracy) = plt.subplots(1, 2, figsize=(10, 4), gridspec_kw={"wspace": 0.25})
    cap = 3 * max(run.train_loss[0] for run in runs)  # losses above it (or not finite) are drawn at the cap, marked X
    for run, color in zip(runs, RATE_COLORS):
        epochs = np.arange(len(run.train_loss))
        values = np.array(run.train_loss)
        off_scale = values > cap
        label = run.label + (" (diverged)" if run.diverged else " (loss exploded)" if off_scale.any() else "")
        loss.plot(epochs, np.minimum(values, cap), marker=".", color=color, label=label)
        accuracy.plot(epochs, run.test_accuracy, marker=".", color=color, label=label)
        marks = list(epochs[off_scale]) + ([len(epochs)] if run.diverged else [])
        if marks:
            loss.plot(marks, [cap] * len(marks), marker="X", ms=9, color=color, ls="none")
            text = f"{values[off_scale][0]:.0e}" if off_scale.any() else "not finite"
            loss.annotate(text, (marks[0], cap), xytext=(4, 4), textcoords="offset points", color=color, fontsize=8)
    loss.set_yscale("log")
    loss.set_ylim(top=cap * 1.6)
    loss.set_ylabel("training cross-entropy (log scale)")
    loss.set_title("Training loss (epoch 0: untrained; X: off the scale)")
    accuracy.set_ylabel("test accuracy")
    accuracy.set_title("Test accuracy")
    for ax in (loss, accuracy):
        ax.set_xlabel("epoch")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(fontsize=7)
    fig.suptitle(
        f"Learning rates from too small to too large: 784-100-10 network, SGD, batch {BATCH}, "
        f"{n_train} {data_name} images"
    )
    lab.figure(
        fig,
        "network-rates.png",
        "The same network trained with five learning rates. A loss that exploded, or stopped being finite "
        "(mlplab's trainer then stops with TrainingDiverged), is drawn at the top of the axis and marked X.",
    )


def plot_schedules(lab: Lab, runs: list[NetworkRun], epochs: int, data_name: str) -> None:
    plt = pyplot()
    fig, (rate, loss, accuracy) = plt.subplots(1, 3, figsize=(11, 3.9), gridspec_kw={"wspace": 0.35})
    n = epochs - 1
    end = SCHEDULE_START / END_FACTOR
    trained = np.arange(1, epochs + 1)  # epoch k is trained at the schedule's rate for t = k - 1
    rate.plot(
        trained,
        typo_rate(trained - 1, SCHEDULE_START, end, n),
        color="black",
        ls="--",
        lw=1,
        label="S0's printed δ (typo)",
    )
    for run in runs:
        style = dict(marker=".", color=SCHEDULE_COLORS[run.label], label=run.label)
        rate.plot(trained, run.lr[1:], **style)
        loss.plot(trained, run.train_loss[1:], **style)
        accuracy.plot(trained, run.test_accuracy[1:], **style)
    rate.axhline(end, color="grey", ls=":", lw=1, label=f"α_end = {end:g}")
    rate.set_yscale("log")
    rate.set_ylim(end / 3, SCHEDULE_START * 10)
    rate.set_ylabel("learning rate (log scale)")
    rate.set_title("Learning rate used in each epoch")
    loss.set_yscale("log")
    loss.set_ylabel("training cross-entropy (epoch mean, log scale)")
    loss.set_title("Training loss")
    accuracy.set_ylabel("test accuracy")
    accuracy.set_title("Test accuracy")
    for ax in (rate, loss, accuracy):
        ax.set_xlabel("epoch")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(fontsize=7)
    fig.suptitle(
        f"Decay from α = {SCHEDULE_START:g}: linear and exponential reach α/{END_FACTOR} in the last epoch, "
        f"step halves every 5 epochs ({data_name})"
    )
    lab.figure(
        fig,
        "schedules.png",
        "Constant, linear, exponential (δ = (α_end/α_start)^(1/N)) and step decay: the rate used in each "
        "epoch, and the training loss and test accuracy that follow. The dashed line is S0's printed "
        "formula, which misses α_end (and for these numbers grows).",
    )


@experiment("lr", "Learning rate: too small, good, too large, and decay schedules", sources="S0, S1, S3")
def run(lab: Lab) -> None:
    if lab.quick:
        n_train, n_test, rate_epochs, schedule_epochs, quadratic_steps = 500, 200, 2, 4, 15
    else:
        n_train, n_test, rate_epochs, schedule_epochs, quadratic_steps = 60_000, 10_000, 10, 20, 25

    iterates = {lr: descend_quadratic(lr, quadratic_steps) for lr in QUADRATIC_RATES}
    lab.record(quadratic_iterates={f"{lr:g}": ws for lr, ws in iterates.items()})
    plot_quadratic(lab, iterates)

    data = fashion(n_train, n_test, standardize=True, seed=lab.seed)
    seed = int(lab.rng.integers(2**31))
    rate_runs = [train(data, lr, rate_epochs, seed) for lr in NETWORK_RATES]
    lab.record(
        fashion_data=data.name,
        fashion_n_train=n_train,
        rate_epochs=rate_epochs,
        rates={
            run.label: {"train_loss": run.train_loss, "test_accuracy": run.test_accuracy, "diverged": run.diverged}
            for run in rate_runs
        },
    )
    plot_rates(lab, rate_runs, data.name, n_train)

    schedule_runs = [
        train(data, SCHEDULE_START, schedule_epochs, seed, schedule_for(name, SCHEDULE_START, schedule_epochs), name)
        for name in SCHEDULES
    ]
    by_name = {run.label: run for run in schedule_runs}
    lab.record(
        schedule_epochs=schedule_epochs,
        schedule_start=SCHEDULE_START,
        schedules={
            run.label: {"lr": run.lr[1:], "train_loss": run.train_loss, "test_accuracy": run.test_accuracy}
            for run in schedule_runs
        },
    )
    plot_schedules(lab, schedule_runs, schedule_epochs, data.name)

    small, *_, large = rate_runs
    finished = [run for run in rate_runs if not run.diverged]
    best = min(finished, key=lambda run: run.train_loss[-1])
    slow, good, oscillating, diverging = (iterates[lr] for lr in QUADRATIC_RATES)
    lab.claim(
        "Too small a learning rate travels slowly down the slope",
        "S1, S0",
        abs(slow[-1]) > 100 * abs(good[-1]) and small.train_loss[-1] > 1.5 * best.train_loss[-1],
        f"w² after {quadratic_steps} steps on f = w²: {slow[-1] ** 2:.2g} at lr 0.05 vs "
        f"{good[-1] ** 2:.2g} at lr 0.3; "
        f"network training loss after {rate_epochs} epochs: {small.train_loss[-1]:.3f} at {small.label} vs "
        f"{best.train_loss[-1]:.3f} at {best.label}",
    )
    flips = int(np.sum(np.sign(oscillating[1:]) != np.sign(oscillating[:-1])))
    large_blew_up = large.diverged is not None or large.train_loss[-1] > large.train_loss[0]
    large_outcome = large.diverged or (
        f"training loss {large.train_loss[0]:.3g} untrained, {large.train_loss[-1]:.3g} at the end"
    )
    lab.claim(
        "Too large a learning rate overshoots the minimum: the weights oscillate, and beyond a limit the loss diverges",
        "S0, S1",
        flips == quadratic_steps and abs(diverging[-1]) > abs(diverging[0]) and large_blew_up,
        f"on f = w²: at lr 0.9 w changed sign at all {flips} steps while |w| shrank to {abs(oscillating[-1]):.2g}; "
        f"at lr 1.05 |w| grew to {abs(diverging[-1]):.3g}; network at {large.label}: {large_outcome}",
    )
    n = schedule_epochs - 1
    end = SCHEDULE_START / END_FACTOR
    correct_delta = ExponentialDecay(SCHEDULE_START, end, n).decay
    typo_delta = end ** (1 / n) / SCHEDULE_START
    exponential_last = by_name["exponential"].lr[-1]
    lab.claim(
        "Exponential decay α_t = α_start·δ^t reaches α_end after N epochs with δ = (α_end/α_start)^(1/N) "
        "(S0 prints δ = α_end^(1/N)/α_start, a typo: that δ misses α_end, and for usual rates exceeds 1)",
        "S0",
        bool(np.isclose(exponential_last, end, rtol=1e-9) and not np.isclose(SCHEDULE_START * typo_delta**n, end)),
        f"α_start {SCHEDULE_START:g}, α_end {end:g}, N = {n}: δ = {correct_delta:.4f} gives "
        f"α_N = {exponential_last:.3g}; "
        f"the printed δ = {typo_delta:.3f} would give α_N = {SCHEDULE_START * typo_delta**n:.3g}",
    )
    linear_rates = by_name["linear"].lr[1:]
    expected_linear = [SCHEDULE_START - (SCHEDULE_START - end) * t / n for t in range(schedule_epochs)]
    step_rates = by_name["step"].lr[1:]
    expected_step = [SCHEDULE_START * 0.5 ** (t // 5) for t in range(schedule_epochs)]
    lab.claim(
        "Linear decay α_t = α_start − (α_start − α_end)·t/N goes from α_start to α_end; "
        "MATLAB's piecewise schedule halves the rate every 5 epochs",
        "S0, S3",
        np.allclose(linear_rates, expected_linear) and np.allclose(step_rates, expected_step),
        f"linear: {linear_rates[0]:g} -> {linear_rates[-1]:.3g} over {n} epochs; step: "
        f"{', '.join(f'{r:g}' for r in sorted(set(step_rates), reverse=True))}",
    )
    final = {run.label: run.train_loss[-1] for run in schedule_runs}
    accuracy = {run.label: run.test_accuracy[-1] for run in schedule_runs}
    lab.claim(
        "Decaying the rate (large steps first, small steps near the minimum) ends training at a lower training "
        "loss than keeping it constant",
        "S0, S3, S4",
        all(final[name] < final["constant"] for name in SCHEDULES[1:]),
        f"training loss in the last epoch: {', '.join(f'{k} {v:.3f}' for k, v in final.items())}",
    )
    lab.claim(
        "Decaying the rate ends training with a better model (higher test accuracy) than keeping it constant",
        "S0, S3, S4",
        all(accuracy[name] > accuracy["constant"] for name in SCHEDULES[1:]),
        f"test accuracy after the last epoch: {', '.join(f'{k} {v:.3f}' for k, v in accuracy.items())}",
    )
