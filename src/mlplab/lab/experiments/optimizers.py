"""The optimizers race: SGD, momentum, Nesterov, AdaGrad, Adadelta, RMSprop and Adam (S4, and S0's momentum).

S4 shows the popular animation of optimizers on test surfaces and says that
momentum fixes gradient descent's zig-zag across an elongated valley ("the
direction of the steepest descent can be almost perpendicular if the ellipse
is elongated ... average the history of past updates"). Here every optimizer
is mlplab's own, updating a :class:`~mlplab.Parameter` of shape ``(2,)`` whose
gradient is computed analytically and added with ``add_grad``, on three
surfaces:

* a long narrow valley, :math:`f = (u^2 + 50 v^2)/2` with :math:`(u, v)` the point turned by 30 degrees
  (condition number 50; turned, so that its axes are not the coordinate axes, which per-coordinate
  methods such as AdaGrad would otherwise exploit);
* a saddle, :math:`f = x^2 - y^2`, started almost on the ridge line ``y = 0``;
* Rosenbrock's banana, :math:`f = (1 - x)^2 + 100 (y - x^2)^2`.

Each optimizer gets its best learning rate from a grid of half decades,
judged by its loss after the step budget on the valley and on Rosenbrock. The
saddle is unbounded below, where the largest stable rate would always win;
there every rate is set so that the first step has the same length, and the
race shows what each does once the gradient vanishes near the saddle point.
Then the same optimizers train a 784-100-10 network on Fashion-MNIST for the
same epochs, each at three rates (its usual rate times 1/3, 1 and 3); the
figure shows the rate with the lowest final training loss.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from ...datasets import Dataset
from ...model import MLP
from ...optimizers import SGD, Adadelta, Adagrad, Adam, Optimizer, RMSprop
from ...parameter import Parameter
from ...plotting import pyplot
from ...training import Trainer, TrainingDiverged
from ..base import Lab, experiment
from ..data import fashion

Builder = Callable[[list[Parameter], float], Optimizer]

OPTIMIZERS: dict[str, tuple[Builder, float, str]] = {  # name: (builder, usual rate for the network, colour)
    "SGD": (lambda p, lr: SGD(p, lr=lr), 0.3, "tab:grey"),
    "momentum": (lambda p, lr: SGD(p, lr=lr, momentum=0.9), 0.03, "tab:blue"),
    "Nesterov": (lambda p, lr: SGD(p, lr=lr, momentum=0.9, nesterov=True), 0.03, "tab:cyan"),
    "AdaGrad": (lambda p, lr: Adagrad(p, lr=lr), 0.03, "tab:olive"),
    "Adadelta": (lambda p, lr: Adadelta(p, lr=lr), 1.0, "tab:purple"),
    "RMSprop": (lambda p, lr: RMSprop(p, lr=lr), 1e-3, "tab:orange"),
    "Adam": (lambda p, lr: Adam(p, lr=lr), 1e-3, "tab:red"),
}
SURFACE_RATES = 10.0 ** np.arange(-4.0, 1.01, 0.5)  # 1e-4 ... 10 in half decades
NETWORK_RATE_FACTORS = (1 / 3, 1.0, 3.0)
ESCAPE = -1.0  # the saddle is escaped once the loss is at or below this (|y| >= 1 at least)
FIRST_STEP = 0.1  # length of every optimizer's first step on the saddle
TURN = np.deg2rad(30.0)  # the valley's long axis, from the x axis


@dataclass(frozen=True)
class Surface:
    """A 2-D test function, its analytic gradient, a start point, a plotting box and its minimum (if any)."""

    name: str
    formula: str
    f: Callable[[np.ndarray], np.ndarray]
    grad: Callable[[np.ndarray], np.ndarray]
    start: tuple[float, float]
    box: tuple[float, float, float, float]  # x_min, x_max, y_min, y_max
    minimum: float | None  # None: unbounded below
    argmin: tuple[float, float] | None = None

    def inside(self, point: np.ndarray) -> bool:
        """Whether ``point`` is finite and within twice the plotting box (beyond it a run has left the picture)."""
        x0, x1, y0, y1 = self.box
        cx, cy, hx, hy = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0), (y1 - y0)
        return bool(np.all(np.isfinite(point)) and abs(point[0] - cx) <= hx and abs(point[1] - cy) <= hy)


def along_valley(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates ``(u, v)`` along and across the valley (the point turned by ``-TURN``)."""
    return np.cos(TURN) * p[0] + np.sin(TURN) * p[1], -np.sin(TURN) * p[0] + np.cos(TURN) * p[1]


def valley_loss(p: np.ndarray) -> np.ndarray:
    u, v = along_valley(p)
    return 0.5 * (u**2 + 50 * v**2)


def valley_grad(p: np.ndarray) -> np.ndarray:
    u, v = along_valley(p)
    du, dv = u, 50 * v  # then back to (x, y): the transpose of the turn
    return np.array([np.cos(TURN) * du - np.sin(TURN) * dv, np.sin(TURN) * du + np.cos(TURN) * dv])


VALLEY = Surface(
    "long narrow valley",
    r"$f = (u^2 + 50\,v^2)/2$, turned 30°",
    valley_loss,
    valley_grad,
    (-7.0 * np.cos(TURN) - 1.2 * np.sin(TURN), -7.0 * np.sin(TURN) + 1.2 * np.cos(TURN)),  # (u, v) = (-7, 1.2)
    (-8.0, 2.0, -4.5, 1.5),
    0.0,
    (0.0, 0.0),
)
SADDLE = Surface(
    "saddle",
    r"$f = x^2 - y^2$",
    lambda p: p[0] ** 2 - p[1] ** 2,
    lambda p: np.array([2 * p[0], -2 * p[1]]),
    (-1.5, 1e-3),
    (-2.0, 2.0, -2.0, 2.0),
    None,
)
ROSENBROCK = Surface(
    "Rosenbrock",
    r"$f = (1 - x)^2 + 100\,(y - x^2)^2$",
    lambda p: (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2,
    lambda p: np.array([-2 * (1 - p[0]) - 400 * p[0] * (p[1] - p[0] ** 2), 200 * (p[1] - p[0] ** 2)]),
    (-1.2, 1.0),
    (-2.0, 2.0, -1.0, 3.0),
    0.0,
    (1.0, 1.0),
)


@dataclass
class Race:
    """One optimizer on one surface: the points visited and the loss at each."""

    lr: float
    path: np.ndarray  # (steps + 1, 2)
    losses: np.ndarray  # (steps + 1,)
    diverged: bool  # stopped early on a surface with a minimum: non-finite, or far outside the box

    def final_loss(self) -> float:
        return np.inf if self.diverged else float(self.losses[-1])

    def steps_to_escape(self) -> int | None:
        """First step at which the saddle run's loss reached ``ESCAPE`` (None if it never did)."""
        reached = np.flatnonzero(self.losses <= ESCAPE)
        return int(reached[0]) if reached.size else None


def race(surface: Surface, name: str, lr: float, steps: int) -> Race:
    """Run optimizer ``name`` at rate ``lr`` from the surface's start for ``steps`` steps (or until it leaves)."""
    point = Parameter(np.array(surface.start, dtype=np.float64), name="xy")
    optimizer = OPTIMIZERS[name][0]([point], lr)
    path = [point.value.copy()]
    diverged = False
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            optimizer.zero_grad()
            point.add_grad(surface.grad(point.value))
            optimizer.step()
            path.append(point.value.copy())
            if not surface.inside(point.value):
                diverged = surface.minimum is not None  # leaving a surface unbounded below is the goal
                break
    array = np.array(path)
    return Race(lr, array, np.array([surface.f(p) for p in array]), diverged)


def tuned_race(surface: Surface, name: str, steps: int, rates: np.ndarray) -> Race:
    """The race with the lowest final loss over ``rates`` (the smaller rate wins a tie)."""
    races = [race(surface, name, float(lr), steps) for lr in rates]
    return min(races, key=lambda r: (r.final_loss(), r.lr))


def equal_first_step_rate(surface: Surface, name: str, length: float) -> float:
    """The rate at which optimizer ``name``'s first step from the start has length ``length``.

    Every optimizer's first step is proportional to its rate, so one step at rate 1 tells.
    """
    probe = race(surface, name, 1.0, 1)
    return length / float(np.linalg.norm(probe.path[1] - probe.path[0]))


def run_surfaces(steps: dict[str, int], rates: np.ndarray) -> dict[str, dict[str, Race]]:
    """Every optimizer on every surface: rates tuned on the valley and Rosenbrock, equal first steps on the saddle."""
    valley = {name: tuned_race(VALLEY, name, steps[VALLEY.name], rates) for name in OPTIMIZERS}
    saddle = {
        name: race(SADDLE, name, equal_first_step_rate(SADDLE, name, FIRST_STEP), steps[SADDLE.name])
        for name in OPTIMIZERS
    }
    rosenbrock = {name: tuned_race(ROSENBROCK, name, steps[ROSENBROCK.name], rates) for name in OPTIMIZERS}
    return {VALLEY.name: valley, SADDLE.name: saddle, ROSENBROCK.name: rosenbrock}


@dataclass
class NetworkRun:
    """One optimizer training the network at its best rate: the rate, its per-epoch curves, and every rate's result."""

    lr: float
    history: dict[str, list[float]]
    final_loss_by_rate: dict[str, float]


def train_network(name: str, lr: float, data: Dataset, epochs: int, seed: int) -> dict[str, list[float]] | None:
    """Per-epoch history of the 784-100-10 network trained by optimizer ``name`` (``None`` if it diverged)."""
    model = MLP([784, 100, 10], rng=seed)
    optimizer = OPTIMIZERS[name][0](model.parameters(), lr)
    trainer = Trainer(model, optimizer=optimizer, batch_size=128, verbose=0, rng=seed)
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # a too-large rate overflows before the loss is NaN
            history = trainer.fit(data.x_train, data.y_train, epochs=epochs, validation_data=(data.x_test, data.y_test))
    except TrainingDiverged:
        return None
    return history.history


def run_network(lab: Lab, n_train: int, n_test: int, epochs: int) -> tuple[dict[str, NetworkRun], str]:
    """Each optimizer at three rates (its usual rate times 1/3, 1, 3); the run with the lowest final training loss."""
    data = fashion(n_train, n_test, standardize=True, seed=lab.seed)
    seed = int(lab.rng.integers(2**31))
    runs = {}
    for name, (_, typical, _) in OPTIMIZERS.items():
        rates = [typical * factor for factor in NETWORK_RATE_FACTORS]
        histories = {lr: train_network(name, lr, data, epochs, seed) for lr in rates}
        final = {lr: np.inf if h is None else h["loss"][-1] for lr, h in histories.items()}
        best = min(final, key=final.__getitem__)
        history = histories[best]
        if history is None:  # every rate diverged: there is no curve to show
            raise RuntimeError(f"{name} diverged at every learning rate {rates}")
        runs[name] = NetworkRun(best, history, {f"{lr:.3g}": loss for lr, loss in final.items()})
    return runs, data.name


def plot_paths(lab: Lab, races: dict[str, dict[str, Race]]) -> None:
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(11, 4.2), gridspec_kw={"wspace": 0.25})
    for ax, surface in zip(axes, (VALLEY, SADDLE, ROSENBROCK)):
        x0, x1, y0, y1 = surface.box
        xs, ys = np.meshgrid(np.linspace(x0, x1, 200), np.linspace(y0, y1, 200))
        values = surface.f(np.array([xs, ys]))
        if surface.minimum is None:
            ax.contour(xs, ys, values, levels=15, colors="grey", linewidths=0.5, alpha=0.7)
        else:
            levels = np.geomspace(max(values.min(), 1e-2), values.max(), 14)
            ax.contour(xs, ys, values, levels=levels, colors="grey", linewidths=0.5, alpha=0.7)
        for name, run in races[surface.name].items():
            ax.plot(run.path[:, 0], run.path[:, 1], color=OPTIMIZERS[name][2], lw=1.1, label=f"{name} ({run.lr:.2g})")
        ax.plot(*surface.start, "ko", ms=5)
        if surface.argmin is not None:
            ax.plot(*surface.argmin, "k*", ms=10)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_xlabel("x")
        ax.set_title(f"{surface.name}: {surface.formula}")
        ax.legend(
            fontsize=6.5,
            loc="lower right" if surface is not ROSENBROCK else "upper right",
            title="lr",
            title_fontsize=7,
        )
    axes[0].set_ylabel("y")
    fig.suptitle("Seven optimizers from the same start (black dot; star: minimum), learning rates in the legend")
    lab.figure(
        fig,
        "surfaces-paths.png",
        "Paths over the contours of three test surfaces. Valley and Rosenbrock: each optimizer's best rate "
        f"of a half-decade grid; saddle: the rate that makes its first step {FIRST_STEP:g} long.",
    )


def plot_losses(lab: Lab, races: dict[str, dict[str, Race]], steps: dict[str, int]) -> None:
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.8), gridspec_kw={"wspace": 0.35})
    for ax, surface in zip(axes, (VALLEY, SADDLE, ROSENBROCK)):
        for name, run in races[surface.name].items():
            ax.plot(np.arange(len(run.losses)), run.losses, color=OPTIMIZERS[name][2], lw=1.1, label=name)
        if surface.minimum is None:
            ax.axhline(ESCAPE, color="black", ls=":", lw=1, label=f"escaped: f = {ESCAPE:g}")
            ax.set_ylim(-4.5, 2.5)
            ax.set_ylabel("f(x, y)")
        else:
            ax.set_yscale("log")
            ax.set_ylabel("f(x, y) - min f (log scale)")
        ax.set_xlim(0, steps[surface.name])
        ax.set_xlabel("step")
        ax.set_title(surface.name)
    handles, labels = axes[1].get_legend_handles_labels()
    fig.legend(handles, labels, loc="center left", bbox_to_anchor=(0.91, 0.5), fontsize=8)
    fig.suptitle("Loss against step on the three surfaces")
    lab.figure(fig, "surfaces-loss.png", "The loss at every step of the runs drawn in surfaces-paths.png.")


def plot_network(lab: Lab, runs: dict[str, NetworkRun], data_name: str, n_train: int) -> None:
    plt = pyplot()
    fig, (train, test) = plt.subplots(1, 2, figsize=(10, 4), gridspec_kw={"wspace": 0.25})
    for name, run in runs.items():
        epochs = np.arange(1, len(run.history["loss"]) + 1)
        style = dict(color=OPTIMIZERS[name][2], marker=".", lw=1.2, label=f"{name}, lr {run.lr:.2g}")
        train.plot(epochs, run.history["loss"], **style)
        test.plot(epochs, run.history["val_accuracy"], **style)
    train.set_yscale("log")
    train.set_ylim(top=2 * np.median([run.history["loss"][0] for run in runs.values()]))  # a slow first epoch runs off
    train.set_ylabel("training cross-entropy (epoch mean, log scale)")
    train.set_title("Training loss")
    test.set_ylabel("test accuracy")
    test.set_title("Test accuracy")
    for ax in (train, test):
        ax.set_xlabel("epoch")
        ax.legend(fontsize=7)
    fig.suptitle(
        f"784-100-10 ReLU network, batch 128, {n_train} {data_name} training images; "
        "each optimizer at its best of 3 rates"
    )
    lab.figure(
        fig,
        "fashion-optimizers.png",
        "The same network trained by each optimizer for the same epochs on Fashion-MNIST, each at the best of "
        "three rates (its usual rate times 1/3, 1 and 3) by final training loss.",
    )


def summarize(values: Mapping[str, float | None], style: str = ".2g") -> str:
    return ", ".join(f"{k} {'never' if v is None else format(v, style)}" for k, v in values.items())


@experiment("optimizers", "Optimizers race on test surfaces and on Fashion-MNIST", sources="S0, S4")
def run(lab: Lab) -> None:
    if lab.quick:
        steps = {VALLEY.name: 60, SADDLE.name: 80, ROSENBROCK.name: 150}
        rates, network = SURFACE_RATES[::2], dict(n_train=600, n_test=200, epochs=2)
    else:
        steps = {VALLEY.name: 150, SADDLE.name: 200, ROSENBROCK.name: 2000}
        rates, network = SURFACE_RATES, dict(n_train=60_000, n_test=10_000, epochs=6)
    races = run_surfaces(steps, rates)
    valley, saddle, rosenbrock = (races[s.name] for s in (VALLEY, SADDLE, ROSENBROCK))
    valley_final = {name: r.final_loss() for name, r in valley.items()}
    rosenbrock_final = {name: r.final_loss() for name, r in rosenbrock.items()}
    escape = {name: r.steps_to_escape() for name, r in saddle.items()}
    lab.record(
        steps=steps,
        rate_grid=rates,
        valley_rate={n: r.lr for n, r in valley.items()},
        valley_final_loss=valley_final,
        saddle_rate={n: r.lr for n, r in saddle.items()},
        saddle_steps_to_escape=escape,
        rosenbrock_rate={n: r.lr for n, r in rosenbrock.items()},
        rosenbrock_final_loss=rosenbrock_final,
        rosenbrock_final_point={n: r.path[-1] for n, r in rosenbrock.items()},
    )
    plot_paths(lab, races)
    plot_losses(lab, races, steps)

    runs, data_name = run_network(lab, **network)
    final_train = {name: r.history["loss"][-1] for name, r in runs.items()}
    final_accuracy = {name: r.history["val_accuracy"][-1] for name, r in runs.items()}
    lab.record(
        fashion_data=data_name,
        fashion_epochs=network["epochs"],
        fashion_n_train=network["n_train"],
        fashion_rate={name: r.lr for name, r in runs.items()},
        fashion_final_loss_by_rate={name: r.final_loss_by_rate for name, r in runs.items()},
        fashion_train_loss={name: r.history["loss"] for name, r in runs.items()},
        fashion_test_loss={name: r.history["val_loss"] for name, r in runs.items()},
        fashion_test_accuracy={name: r.history["val_accuracy"] for name, r in runs.items()},
    )
    plot_network(lab, runs, data_name, network["n_train"])

    lab.claim(
        "In a long narrow valley momentum (and Nesterov) beat plain gradient descent, each at its best learning rate",
        "S4, S0",
        max(valley_final["momentum"], valley_final["Nesterov"]) < valley_final["SGD"],
        f"loss after {steps[VALLEY.name]} steps: {summarize(valley_final)}",
    )
    adaptive = ("AdaGrad", "Adadelta", "RMSprop", "Adam")
    escaped_before_sgd = [
        name
        for name in adaptive
        if (taken := escape[name]) is not None and (escape["SGD"] is None or taken < escape["SGD"])
    ]
    lab.claim(
        "Adaptive methods escape the saddle faster than plain gradient descent (they rescale the tiny gradient)",
        "S4",
        len(escaped_before_sgd) == len(adaptive),
        f"steps to reach f = {ESCAPE:g} from y = {SADDLE.start[1]:g}: {summarize(escape, 'd')}; "
        f"faster than SGD: {', '.join(escaped_before_sgd) or 'none'}",
    )
    lab.claim(
        "On Rosenbrock's banana momentum and Adam get much closer to the minimum than plain gradient descent",
        "S4",
        max(rosenbrock_final["momentum"], rosenbrock_final["Adam"]) < rosenbrock_final["SGD"],
        f"loss after {steps[ROSENBROCK.name]} steps: {summarize(rosenbrock_final)}",
    )
    lab.claim(
        "On Fashion-MNIST, Adam and RMSprop reach a lower training loss than plain SGD in the same epochs",
        "S4",
        max(final_train["Adam"], final_train["RMSprop"]) < final_train["SGD"],
        f"training loss in epoch {network['epochs']}: {summarize(final_train, '.3f')}; "
        f"test accuracy: {summarize(final_accuracy, '.3f')}",
    )
