"""The three figures of the ``perturbation`` experiment: loss against cost, cost to target, acceptance."""

from __future__ import annotations

from typing import Any

import numpy as np

from ....plotting import pyplot
from ...base import Lab
from .measures import acceptance_rate, cheapest, log_slope, ratio
from .runs import OPTIMIZER_LABELS, STEP_SIZES, TEACHER_HIDDEN, Run, Task

ACCEPTANCE_WINDOW = 200


def perturbation_styles(plt: Any, n_fixed: int) -> list[tuple[Any, str]]:
    """Colour and line style per perturbation run: solid blues for the fixed steps, then black dash-dots for halving."""
    return [(color, "-") for color in plt.cm.Blues(np.linspace(0.4, 0.95, n_fixed))] + [("black", "-.")]


def plot_curves(
    lab: Lab, sine: Task, sine_runs: dict[str, list[Run]], teachers: dict[Task, dict[str, list[Run]]]
) -> None:
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 5.6))
    colors = {"gd": "tab:red", "adam": "tab:purple"}
    for run, (color, style) in zip(sine_runs["perturbation"], perturbation_styles(plt, len(STEP_SIZES))):
        left.plot(run.cost, run.loss, color=color, lw=1.2, ls=style, label=run.label)
    for optimizer in OPTIMIZER_LABELS:
        best = cheapest(sine_runs[optimizer])
        left.plot(best.cost, best.loss, color=colors[optimizer], ls="--", lw=1.6, label=f"{best.label} (cheapest)")
    left.axhline(sine_runs["adam"][0].target, color="grey", ls=":", lw=1, label="target loss")
    left.set_title(f"{sine.name} (P = {sine.n_weights}): every method")
    left.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    shades = plt.cm.viridis(np.linspace(0, 0.85, len(teachers)))
    for (task, runs), color in zip(teachers.items(), shades):
        pert, adam = cheapest(runs["perturbation"]), cheapest(runs["adam"])
        right.plot(pert.cost, pert.loss, color=color, lw=1.3, label=f"P = {task.n_weights:,}: perturbation")
        right.plot(adam.cost, adam.loss, color=color, lw=1.3, ls="--", label=f"P = {task.n_weights:,}: backprop, Adam")
    right.axhline(next(iter(teachers.values()))["adam"][0].target, color="grey", ls=":", lw=1, label="target loss")
    right.set_title(f"Students of d-{TEACHER_HIDDEN}-1 teachers: the cheapest run of each")
    right.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    for ax in (left, right):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("forward passes over the data (log scale; a backprop step counts 3)")
        ax.set_ylabel("training loss (MSE, log scale)")
    fig.suptitle("Weight perturbation versus backprop: loss against cost; each run stops at its target loss")
    fig.tight_layout()
    lab.figure(
        fig,
        "loss-vs-forward-passes.png",
        "Training loss against forward passes (log-log). Left: the 1-8-1 sin fit with fixed perturbation steps, a "
        "step halved when stuck, and the cheapest gradient-descent and Adam runs. Right: students of random teachers "
        "of growing size P, cheapest perturbation (solid) and Adam (dashed) run each. A backprop step counts as 3 "
        "forward passes (a convention).",
    )


def plot_cost(lab: Lab, sizes: list[int], per_teacher: dict[str, list[list[float]]], target: float) -> None:
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10.5, 4))
    styles = {"perturbation": ("tab:blue", "o"), "gd": ("tab:red", "s"), "adam": ("tab:purple", "^")}
    labels = {"perturbation": "weight perturbation", **OPTIMIZER_LABELS}
    medians = {method: [float(np.median(c)) for c in per_teacher[method]] for method in styles}
    all_costs = [c for method in styles for costs in per_teacher[method] for c in costs]
    finite_costs = [c for c in all_costs if np.isfinite(c)]
    never = 2 * max(finite_costs, default=1.0)
    for method, (color, marker) in styles.items():
        for p, values in zip(sizes, per_teacher[method]):
            shown = np.where(np.isfinite(values), values, never)
            left.scatter([p] * len(shown), shown, color=color, marker=marker, s=14, alpha=0.35, lw=0)
        reached = np.isfinite(medians[method])
        slope = log_slope(sizes, medians[method])
        left.plot(
            np.array(sizes)[reached],
            np.array(medians[method])[reached],
            marker=marker,
            color=color,
            label=f"{labels[method]}: cost ~ P^{slope:.2f}",
        )
    if len(finite_costs) < len(all_costs):
        left.axhline(never, color="grey", ls=":", lw=1, label="never reached (faint points)")
    left.set_ylabel(f"forward passes to reach loss {target:g}")
    left.set_title("Cheapest run of each method (faint: each teacher; line: median)")
    for method in OPTIMIZER_LABELS:
        ratios = np.array([ratio(p, b) for p, b in zip(medians["perturbation"], medians[method])])
        color, marker = styles[method]
        finite = np.isfinite(ratios)
        right.plot(np.array(sizes)[finite], ratios[finite], marker=marker, color=color, label=f"vs {labels[method]}")
    right.axhline(1, color="grey", ls=":", lw=1, label="equal cost")
    right.set_ylabel("perturbation cost / backprop cost (medians)")
    right.set_title("How many times more perturbation costs")
    for ax in (left, right):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(f"weights and biases P of the d-{TEACHER_HIDDEN}-1 student (log scale)")
        ax.legend(fontsize=7)
    fig.tight_layout()
    lab.figure(
        fig,
        "cost-to-target.png",
        f"Students of random d-{TEACHER_HIDDEN}-1 teachers (d = 1, 4, 16, 64): forward passes the cheapest run of each "
        f"method needs to reach loss {target:g}, against the number of weights P, with the exponent fitted to the "
        "medians (left), and the ratio of the medians perturbation / backprop (right).",
    )


def plot_acceptance(lab: Lab, task: Task, runs: list[Run]) -> None:
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10.5, 3.9))
    for run, (color, style) in zip(runs, perturbation_styles(plt, len(runs) - 1)):
        right.plot(run.cost, run.loss, color=color, ls=style, lw=1.5, label=run.label)
        if style == "-":  # the halving run's acceptance restarts at every halving: left out of the left panel
            rate = acceptance_rate(run.loss, ACCEPTANCE_WINDOW)
            left.plot(
                (np.arange(rate.size) + 0.5) * ACCEPTANCE_WINDOW,
                100 * rate,
                color=color,
                lw=1.5,
                label=run.label.removeprefix("perturbation, "),
            )
    left.set_xscale("log")
    left.set_xlabel("forward passes (log scale)")
    left.set_ylabel(f"tries that lowered the loss (%, per {ACCEPTANCE_WINDOW})")
    left.set_title("Fewer and fewer perturbations help (fixed steps)")
    left.set_ylim(0, 1.4 * left.get_ylim()[1])
    left.legend(fontsize=7, loc="upper right", ncol=2)
    right.set_xscale("log")
    right.set_yscale("log")
    right.set_xlabel("forward passes (log scale)")
    right.set_ylabel("training loss (MSE, log scale)")
    right.set_title("A fixed step gets stuck: larger steps sooner, higher")
    right.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    lab.figure(
        fig,
        "acceptance.png",
        f"Weight perturbation on {task.name}: the share of tries that lowered the loss, in windows of "
        f"{ACCEPTANCE_WINDOW} tries, for each fixed step (left), and the loss (right). A fixed-step run ends when no "
        "single move helps any more; the halving run goes on with half the step each time it is stuck.",
    )
