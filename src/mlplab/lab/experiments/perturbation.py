r"""Learning by perturbing weights versus backprop, counted in forward passes (S1).

S1: "Randomly perturb one weight and see if it improves performance. If so, save the change.
Very inefficient. [...] Towards the end of learning, large weight perturbations will nearly
always make things worse." This experiment measures both sentences.

Two regression tasks (mean squared error, full batch, tanh networks in float64):

* **sin**: a 1-8-1 network (25 weights) fits :math:`y = \sin x` on 64 evenly spaced points of
  :math:`[-\pi, \pi]`, target loss :math:`10^{-3}`;
* **teacher**: to vary the number of weights :math:`P` alone, a d-16-1 student learns a random
  d-16-1 teacher (256 Gaussian inputs, outputs scaled to variance 1) for d = 1, 4, 16, 64
  (P = 49 to 1,057), target loss 0.01 (1 % of the variance left).

Each network is trained from the same initial weights, until the target loss, by

* **perturbation**: :class:`mlplab.PerturbationLearner`, one forward pass per try, with fixed step
  sizes :math:`\delta` (a fixed-step run stops once no single move :math:`\pm\delta` helps any more)
  and with a step that starts at 0.1 and is halved whenever it is stuck;
* **backprop**: :class:`mlplab.training.Trainer` with plain gradient descent and with Adam, each at
  three learning rates; the cheapest of each is compared.

Cost is counted in forward passes over the data. A backprop step (forward + backward) counts as
:data:`mlplab.perturbation.BACKPROP_STEP_COST` = 3 forward passes, since the backward pass does two
matrix products per layer where the forward pass does one. This is a convention, not a timing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from ...model import MLP
from ...perturbation import BACKPROP_STEP_COST, PerturbationLearner, backprop_forward_pass_cost
from ...training import Trainer, TrainingDiverged
from ...training.callbacks import Callback
from ..base import Lab, experiment
from ..plots import pyplot

SINE_POINTS = 64
TEACHER_SAMPLES = 256
TEACHER_HIDDEN = 16
STEP_SIZES = (0.003, 0.01, 0.03, 0.1)
"""Fixed perturbation steps on the sin task (the acceptance figure)."""
TEACHER_STEP_SIZES = (0.01, 0.03)
HALVING_START = 0.1
LEARNING_RATES = {"gd": (0.03, 0.1, 0.3), "adam": (0.01, 0.03, 0.1)}
OPTIMIZER_LABELS = {"gd": "backprop, gradient descent", "adam": "backprop, Adam"}
STALL_TRIES_PER_MOVE = 3
"""Stuck: no change kept in ``3 * 2P`` tries (each of the 2P moves +-delta tried three times on average)."""
ACCEPTANCE_WINDOW = 200


@dataclass(frozen=True)
class Budget:
    """How far the runs go: the target loss, perturbation tries and backprop steps at most."""

    target: float
    forward_passes: int
    backprop_steps: int


@dataclass(frozen=True)
class Size:
    """The sin task's and the teacher tasks' budgets, and the teachers' input sizes."""

    sine: Budget
    teacher: Budget
    teacher_inputs: tuple[int, ...]
    teachers_per_size: int
    learning_rates: dict[str, tuple[float, ...]]


FULL = Size(
    sine=Budget(target=1e-3, forward_passes=300_000, backprop_steps=20_000),
    teacher=Budget(target=1e-2, forward_passes=400_000, backprop_steps=5_000),
    teacher_inputs=(1, 4, 16, 64),
    teachers_per_size=3,
    learning_rates=LEARNING_RATES,
)
QUICK = Size(
    sine=Budget(target=2e-2, forward_passes=4_000, backprop_steps=800),
    teacher=Budget(target=1e-1, forward_passes=2_000, backprop_steps=300),
    teacher_inputs=(1, 4),
    teachers_per_size=1,
    learning_rates={"gd": (0.1,), "adam": (0.1,)},
)


@dataclass(frozen=True, eq=False)
class Task:
    """A regression problem and the shape of the network that learns it."""

    name: str
    sizes: tuple[int, ...]
    x: np.ndarray
    y: np.ndarray

    @property
    def n_weights(self) -> int:
        """Weights and biases P of the network."""
        return int(sum((a + 1) * b for a, b in zip(self.sizes[:-1], self.sizes[1:])))


@dataclass
class Run:
    """One training run: its loss after each forward pass (or equivalent) and the cost of reaching the target."""

    label: str
    cost: np.ndarray
    loss: np.ndarray
    target: float

    @property
    def cost_to_target(self) -> float:
        """Forward passes (or equivalents) spent when the loss first reached the target; inf if never."""
        hit = np.flatnonzero(self.loss <= self.target)
        return float(self.cost[hit[0]]) if hit.size else np.inf


class StopAtLoss(Callback):
    """Stop training once the epoch's loss is at or below ``target``."""

    def __init__(self, target: float) -> None:
        self.target = target

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        if logs["loss"] <= self.target:
            self.trainer.stop_training = True


def network(sizes: tuple[int, ...], seed: int) -> MLP:
    """A tanh network in float64; the same ``seed`` gives the same initial weights."""
    return MLP(list(sizes), activation="tanh", rng=seed, dtype=np.float64)


def sine_task() -> Task:
    """S1-sized: a 1-8-1 network fitting sin on evenly spaced points of [-pi, pi]."""
    x = np.linspace(-np.pi, np.pi, SINE_POINTS).reshape(-1, 1)
    return Task("sin(x), 1-8-1", (1, 8, 1), x, np.sin(x))


def teacher_task(n_inputs: int, index: int, rng: np.random.Generator) -> Task:
    """A student d-16-1 learns random teacher number ``index`` of that shape on Gaussian inputs.

    The teacher's outputs are scaled to mean 0 and variance 1, so a loss of 0.01 leaves 1 % of their variance.
    """
    sizes = (n_inputs, TEACHER_HIDDEN, 1)
    x = rng.standard_normal((TEACHER_SAMPLES, n_inputs))
    y = network(sizes, int(rng.integers(2**31))).forward(x)
    return Task(f"teacher {n_inputs}-{TEACHER_HIDDEN}-1 #{index + 1}", sizes, x, (y - y.mean()) / y.std())


def perturb(task: Task, init_seed: int, step_size: float, budget: Budget, seed: int, halve: bool = False) -> Run:
    """Train by perturbation until the target loss or the budget.

    A run is stuck when no change was kept in the last ``STALL_TRIES_PER_MOVE * 2P`` tries (checked
    every 2P tries): with a fixed step no single move +-delta lowers the loss any more, and the run
    stops; with ``halve`` the step is halved instead and the run goes on.
    """
    learner = PerturbationLearner(network(task.sizes, init_seed), "mse", step_size=step_size, rng=seed)
    chunk = 2 * learner.n_weights
    patience = STALL_TRIES_PER_MOVE * chunk
    last_kept = 0
    while learner.forward_passes < budget.forward_passes and (learner.loss_ is None or learner.loss_ > budget.target):
        kept_before = learner.n_accepted_
        tries = min(chunk, budget.forward_passes - learner.forward_passes)
        learner.fit(task.x, task.y, max_forward_passes=tries, target_loss=budget.target)
        if learner.n_accepted_ > kept_before:
            last_kept = learner.forward_passes
        elif learner.forward_passes - last_kept >= patience:
            if not halve:
                break
            learner.step_size /= 2
            last_kept = learner.forward_passes
    loss = np.array(learner.history_)
    label = f"perturbation, $\\delta$ = {step_size:g}" + (", halved when stuck" if halve else "")
    return Run(label, np.arange(1, loss.size + 1), loss, budget.target)


def backprop(task: Task, init_seed: int, optimizer: str, lr: float, budget: Budget, seed: int) -> Run:
    """Full-batch backprop training until the target or the step budget (a diverged run ends where it diverged).

    The loss of epoch ``k`` (0-based) is measured by the forward pass of step ``k + 1``, after ``k``
    full steps: its cost is ``3 k + 1`` forward passes.
    """
    trainer = Trainer(
        network(task.sizes, init_seed),
        loss="mse",
        optimizer="sgd" if optimizer == "gd" else optimizer,
        lr=lr,
        batch_size=None,
        callbacks=[StopAtLoss(budget.target)],
        verbose=0,
        rng=seed,
    )
    try:
        trainer.fit(task.x, task.y, epochs=budget.backprop_steps)
    except TrainingDiverged:
        pass  # the history holds the epochs before the divergence
    loss = np.array(trainer.history.history.get("loss", []), dtype=float)
    cost = np.array([backprop_forward_pass_cost(k) + 1 for k in range(loss.size)])
    return Run(f"{OPTIMIZER_LABELS[optimizer]}, lr = {lr:g}", cost, loss, budget.target)


def train_all(
    task: Task, step_sizes: tuple[float, ...], size: Size, budget: Budget, rng: np.random.Generator
) -> dict[str, list[Run]]:
    """Every method on ``task`` from one set of initial weights: fixed steps, the halving step, GD and Adam."""
    init_seed, seed = (int(s) for s in rng.integers(2**31, size=2))
    runs = {"perturbation": [perturb(task, init_seed, step, budget, seed) for step in step_sizes]}
    runs["perturbation"].append(perturb(task, init_seed, HALVING_START, budget, seed, halve=True))
    for optimizer, rates in size.learning_rates.items():
        runs[optimizer] = [backprop(task, init_seed, optimizer, lr, budget, seed) for lr in rates]
    return runs


def cheapest(runs: list[Run]) -> Run:
    """The run that reached the target with the fewest forward passes (the lowest final loss if none did)."""
    reached = [r for r in runs if np.isfinite(r.cost_to_target)]
    if reached:
        return min(reached, key=lambda r: r.cost_to_target)
    return min(runs, key=lambda r: r.loss[-1] if r.loss.size else np.inf)


def kept(loss: np.ndarray) -> np.ndarray:
    """Whether each perturbation try was kept (lowered the loss)."""
    return np.diff(loss) < 0


def acceptance_rate(loss: np.ndarray, window: int) -> np.ndarray:
    """Share of tries kept in consecutive windows of ``window`` tries."""
    accepted = kept(loss)
    n_windows = accepted.size // window
    return accepted[: n_windows * window].reshape(n_windows, window).mean(axis=1)


def early_and_late_acceptance(loss: np.ndarray) -> tuple[float, float]:
    """Share of tries kept in the first and in the last tenth of a run, up to its last kept change."""
    accepted = kept(loss)
    productive = accepted[: np.flatnonzero(accepted)[-1] + 1] if accepted.any() else accepted
    tenth = max(1, productive.size // 10)
    return float(productive[:tenth].mean()), float(productive[-tenth:].mean())


def passes(cost: float) -> str:
    """A cost as text: ``"20,967"``, or ``"never"`` for a run that did not reach the target."""
    return f"{cost:,.0f}" if np.isfinite(cost) else "never"


def ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, NaN when either never reached the target (is infinite)."""
    return numerator / denominator if np.isfinite(numerator) and np.isfinite(denominator) else np.nan


def log_slope(sizes: list[int], costs: list[float]) -> float:
    """Exponent b of a least-squares fit cost ~ P^b over the runs that reached the target (NaN if < 2)."""
    reached = np.isfinite(costs)
    if reached.sum() < 2:
        return np.nan
    return float(np.polyfit(np.log(np.array(sizes)[reached]), np.log(np.array(costs)[reached]), 1)[0])


def curves(runs: dict[str, list[Run]]) -> dict[str, dict[str, list[float]]]:
    """Every perturbation run and the cheapest run of each optimizer, at about 200 log-spaced points each."""
    shown = runs["perturbation"] + [cheapest(runs[optimizer]) for optimizer in OPTIMIZER_LABELS]
    sampled = {}
    for r in shown:
        index = np.unique(np.geomspace(1, max(r.loss.size, 1), 200).astype(int) - 1)
        sampled[r.label] = {"forward_passes": r.cost[index].tolist(), "loss": r.loss[index].tolist()}
    return sampled


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
        left.plot(np.array(sizes)[reached], np.array(medians[method])[reached], marker=marker, color=color,
                  label=f"{labels[method]}: cost ~ P^{slope:.2f}")
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
            left.plot((np.arange(rate.size) + 0.5) * ACCEPTANCE_WINDOW, 100 * rate, color=color, lw=1.5,
                      label=run.label.removeprefix("perturbation, "))
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


@experiment("perturbation", "Learning by perturbing weights versus backprop", sources="S1")
def run(lab: Lab) -> None:
    size = QUICK if lab.quick else FULL
    sine = sine_task()
    with threadpool_limits(1, user_api="blas"):  # tiny products: one BLAS thread is fastest, same sums anywhere
        sine_runs = train_all(sine, STEP_SIZES, size, size.sine, lab.rng)
        groups = {d: [teacher_task(d, k, lab.rng) for k in range(size.teachers_per_size)] for d in size.teacher_inputs}
        teachers = {task: train_all(task, TEACHER_STEP_SIZES, size, size.teacher, lab.rng)
                    for tasks in groups.values() for task in tasks}

    sine_cost = {method: cheapest(runs).cost_to_target for method, runs in sine_runs.items()}
    sine_backprop = min(sine_cost["gd"], sine_cost["adam"])
    sine_ratio = ratio(sine_cost["perturbation"], sine_backprop)
    per_teacher = {
        method: [[cheapest(teachers[t][method]).cost_to_target for t in tasks] for tasks in groups.values()]
        for method in sine_runs
    }
    per_teacher["backprop"] = [np.minimum(g, a).tolist() for g, a in zip(per_teacher["gd"], per_teacher["adam"])]
    costs = {method: [float(np.median(c)) for c in per_teacher[method]] for method in ("perturbation", "gd", "adam")}
    best_backprop = [float(np.median(c)) for c in per_teacher["backprop"]]
    sizes_p = [tasks[0].n_weights for tasks in groups.values()]
    teacher_ratio = [ratio(p, b) for p, b in zip(costs["perturbation"], best_backprop)]
    slopes = {method: log_slope(sizes_p, values) for method, values in costs.items()}
    fixed = sine_runs["perturbation"][: len(STEP_SIZES)]
    acceptance = {f"{step:g}": early_and_late_acceptance(r.loss) for step, r in zip(STEP_SIZES, fixed)}
    lab.record(
        backprop_step_cost=BACKPROP_STEP_COST,
        sine_target_loss=size.sine.target,
        sine_n_weights=sine.n_weights,
        step_sizes=STEP_SIZES,
        halving_start=HALVING_START,
        learning_rates=size.learning_rates,
        sine_cost_to_target={m: [r.cost_to_target for r in runs] for m, runs in sine_runs.items()},
        sine_final_loss={m: [float(r.loss[-1]) for r in runs] for m, runs in sine_runs.items()},
        sine_best_cost_to_target=sine_cost,
        sine_cost_ratio_perturbation_over_backprop=sine_ratio,
        sine_loss_curves=curves(sine_runs),
        acceptance_early_late=acceptance,
        teacher_target_loss=size.teacher.target,
        teacher_inputs=size.teacher_inputs,
        teacher_n_weights=sizes_p,
        teacher_step_sizes=TEACHER_STEP_SIZES,
        teachers_per_size=size.teachers_per_size,
        teacher_cost_to_target={t.name: {m: [r.cost_to_target for r in runs] for m, runs in teachers[t].items()}
                                for t in teachers},
        teacher_cheapest_cost_per_teacher=per_teacher,
        teacher_median_cost_to_target={**costs, "backprop": best_backprop},
        teacher_cost_ratio_perturbation_over_backprop=teacher_ratio,
        teacher_cost_exponent=slopes,
        teacher_loss_curves={t.name: curves(teachers[t]) for t in teachers},
    )

    plot_curves(lab, sine, sine_runs, {tasks[0]: teachers[tasks[0]] for tasks in groups.values()})
    plot_cost(lab, sizes_p, per_teacher, size.teacher.target)
    plot_acceptance(lab, sine, sine_runs["perturbation"])

    lab.claim(
        "Learning by perturbing one weight at a time needs many more forward passes than backprop to reach the same "
        "loss (backprop: the cheaper of gradient descent and Adam; a backprop step counted as 3 forward passes, "
        "a convention)",
        "S1",
        sine_ratio > 3,
        f"{sine.name}, loss {size.sine.target:g}: perturbation {passes(sine_cost['perturbation'])} forward passes, "
        f"backprop {passes(sine_backprop)} ({sine_ratio:.0f}x); plain gradient descent alone "
        f"{passes(sine_cost['gd'])} (budget {BACKPROP_STEP_COST * size.sine.backprop_steps:,.0f})",
    )
    lab.claim(
        "The gap grows with the number of weights: one forward pass tests one weight, while backprop gets all P "
        "derivatives for about 3",
        "S1",
        slopes["perturbation"] > min(slopes["gd"], slopes["adam"]) + 0.5 and teacher_ratio[-1] > teacher_ratio[0],
        f"students of random teachers (median of {size.teachers_per_size}), loss {size.teacher.target:g}: "
        "perturbation / backprop = "
        + ", ".join(f"{r:.1f}x at P = {p:,}" for p, r in zip(sizes_p, teacher_ratio))
        + "; cost ~ P^b with b = "
        + ", ".join(f"{slopes[m]:.2f} ({name})" for m, name in (("perturbation", "perturbation"), ("gd", "GD"),
                                                                  ("adam", "Adam"))),
    )
    late_large, late_small = acceptance[f"{max(STEP_SIZES):g}"][1], acceptance[f"{min(STEP_SIZES):g}"][1]
    lab.claim(
        "Towards the end of learning, large weight perturbations nearly always make things worse (small ones still "
        "help more often)",
        "S1",
        late_large < 0.05 and late_large < late_small,
        f"{sine.name}, share of tries kept in the first vs the last tenth of each fixed-step run (up to its last kept "
        "change): " + ", ".join(f"delta {k}: {e:.0%} -> {l:.1%}" for k, (e, l) in acceptance.items()),
    )
    final = {step: float(r.loss[-1]) for step, r in zip(STEP_SIZES, fixed)}
    largest, smallest = max(STEP_SIZES), min(STEP_SIZES)
    lab.claim(
        "So a fixed large step gets stuck: the loss stops falling well above what small steps reach",
        "S1",
        final[largest] > 2 * final[smallest],
        f"{sine.name}: final loss {final[largest]:.2g} with delta {largest:g} after {fixed[-1].loss.size - 1:,} tries, "
        f"{final[smallest]:.2g} with delta {smallest:g} after {fixed[0].loss.size - 1:,}",
    )
