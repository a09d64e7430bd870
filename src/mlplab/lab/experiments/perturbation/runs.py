"""The tasks, budgets and training runs of the ``perturbation`` experiment.

The sin task and the random-teacher tasks, how far each run may go (quick and full sizes), and the
two ways of training from the same initial weights: weight perturbation with a fixed or a halving step
(:class:`mlplab.PerturbationLearner`) and full-batch backprop with gradient descent or Adam.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ....model import MLP
from ....perturbation import PerturbationLearner, backprop_forward_pass_cost
from ....training import Trainer, TrainingDiverged
from ....training.callbacks import Callback

SINE_POINTS = 64
TEACHER_SAMPLES = 256
TEACHER_HIDDEN = 16
STEP_SIZES = (0.003, 0.01, 0.03, 0.1)
"""Fixed perturbation steps on the sin task (the acceptance figure)."""
TEACHER_STEP_SIZES = (0.01, 0.03)
HALVING_START = 0.1
LEARNING_RATES: dict[str, tuple[float, ...]] = {"gd": (0.03, 0.1, 0.3), "adam": (0.01, 0.03, 0.1)}
OPTIMIZER_LABELS = {"gd": "backprop, gradient descent", "adam": "backprop, Adam"}
STALL_TRIES_PER_MOVE = 3
"""Stuck: no change kept in ``3 * 2P`` tries (each of the 2P moves +-delta tried three times on average)."""


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
