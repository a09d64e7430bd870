"""Assignment 6 of S3, as written: gradient descent on a quartic, then a shallow and an improved Fashion-MNIST network.

Question 1 runs mlplab's own :class:`~mlplab.SGD` on a one-element :class:`~mlplab.Parameter` ``x`` whose
gradient is the analytic :math:`f'(x) = x^3 - 9x^2 + 7` of :math:`f(x) = \\tfrac14 x^4 - 3x^3 + 7x - 5`,
from :math:`x = 0` with the rates 0.01, 0.05 and 0.1. Since :math:`f'(0) = 7 > 0` every run walks left,
to the local minimum at :math:`x^* \\approx -0.8433` (:math:`f(x^*) \\approx -8.9775`; the roots of
:math:`f'` come from :func:`numpy.roots`). The global minimum lies far to the right, at
:math:`x \\approx 8.912`, beyond the local maximum at :math:`x \\approx 0.931`. Near :math:`x^*` an
update multiplies the error by :math:`1 - \\eta f''(x^*)` with :math:`f''(x^*) \\approx 17.3`: 0.01 creeps
(0.83 per step), 0.1 overshoots and oscillates (-0.73), 0.05 is close to the ideal :math:`1/f''(x^*)`.

Question 2 trains one hidden layer of 100 sigmoid units with softmax cross-entropy ("logistic loss") and
mini-batch SGD (batch 300) for several learning rates, picks the rate on a validation split held out of the
training set, and reports the chosen network's test accuracy and training time. Question 3 changes several
things at once (ReLU, two wider layers, dropout, L2, Adam with an exponentially decaying rate) and must beat
Question 2's test accuracy by at least 0.5 points.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from ... import MLP, SGD, Parameter, Trainer, schedule_for
from ...datasets import Dataset
from ...datasets.preprocessing import train_val_split
from ...plotting import pyplot
from ..base import Lab, experiment
from ..data import fashion

Q1_RATES = (0.01, 0.05, 0.1)
Q1_ITERATIONS = 60
Q1_TOLERANCE = 1e-4
Q2_RATES = (1e-4, 1e-3, 1e-2, 0.03, 0.1, 0.3, 1.0, 3.0)
Q2_HIDDEN = 100
Q2_BATCH = 300
Q3_SIZES = [784, 256, 128, 10]
Q3_DROPOUT = 0.2
Q3_L2 = 1e-4
Q3_LR = 1e-3
Q3_BATCH = 128
REQUIRED_GAIN = 0.005
FLOOR = 1e-16  # f(x_t) - f(x*) below float64 resolution of f(x*) is drawn at this value

FloatOrArray = TypeVar("FloatOrArray", float, np.ndarray)
"""A point or an array of points: :func:`f` and its derivatives give a number or an array of the same shape."""


def f(x: FloatOrArray) -> FloatOrArray:
    """The assignment's function :math:`f(x) = x^4/4 - 3x^3 + 7x - 5`."""
    return x**4 / 4 - 3 * x**3 + 7 * x - 5


def f_prime(x: FloatOrArray) -> FloatOrArray:
    """:math:`f'(x) = x^3 - 9x^2 + 7`."""
    return x**3 - 9 * x**2 + 7


def f_second(x: FloatOrArray) -> FloatOrArray:
    """:math:`f''(x) = 3x^2 - 18x`."""
    return 3 * x**2 - 18 * x


def critical_points() -> np.ndarray:
    """The real roots of :math:`f'`, ascending (:func:`numpy.roots` of :math:`x^3 - 9x^2 + 0x + 7`)."""
    roots = np.roots([1.0, -9.0, 0.0, 7.0])
    return np.sort(roots[np.abs(roots.imag) < 1e-12].real)


def gradient_descent(rate: float, iterations: int) -> np.ndarray:
    """Iterates :math:`x_0 = 0, x_1, \\dots` of mlplab's SGD on :math:`f`, fed the analytic gradient."""
    x = Parameter(np.zeros(1), name="x")
    optimizer = SGD([x], lr=rate)
    path = [float(x.value[0])]
    for _ in range(iterations):
        optimizer.zero_grad()
        x.add_grad(f_prime(x.value))
        optimizer.step()
        path.append(float(x.value[0]))
    return np.array(path)


def iterations_to_reach(path: np.ndarray, target: float, tolerance: float) -> int | None:
    """The first iteration from which :math:`|x_t - x^*| < tol` holds to the end (``None`` if never)."""
    outside = np.flatnonzero(np.abs(path - target) >= tolerance)
    if outside.size == 0:
        return 0
    first_inside = int(outside[-1]) + 1
    return first_inside if first_inside < path.size else None


@dataclass
class Run:
    """One trained network: its per-epoch history, test accuracy and training time (seconds)."""

    history: dict[str, list[float]]
    test_accuracy: float
    train_seconds: float

    @property
    def val_accuracy(self) -> float:
        return self.history["val_accuracy"][-1]


def train(trainer: Trainer, split: tuple[np.ndarray, ...], data: Dataset, epochs: int) -> Run:
    """Fit on the training part, monitor the validation part, then score once on the test set."""
    x_train, y_train, x_val, y_val = split
    history = trainer.fit(x_train, y_train, epochs=epochs, validation_data=(x_val, y_val)).history
    test = trainer.evaluate(data.x_test, data.y_test)["accuracy"]
    return Run(history, test, float(np.sum(history["epoch_time"])))


def shallow_trainer(rate: float, seed: int) -> Trainer:
    """Question 2: 784-100-10, sigmoid hidden units, softmax cross-entropy, plain mini-batch SGD."""
    model = MLP([784, Q2_HIDDEN, 10], activation="sigmoid", rng=seed)
    return Trainer(
        model, loss="softmax_cross_entropy", optimizer="sgd", lr=rate, batch_size=Q2_BATCH, verbose=0, rng=seed
    )


def improved_trainer(epochs: int, seed: int) -> Trainer:
    """Question 3: ReLU, 256 and 128 units, dropout, L2, Adam with an exponential decay to 1/100 of the rate."""
    model = MLP(Q3_SIZES, activation="relu", dropout=Q3_DROPOUT, rng=seed)
    return Trainer(
        model,
        loss="softmax_cross_entropy",
        optimizer="adam",
        lr=Q3_LR,
        batch_size=Q3_BATCH,
        l2=Q3_L2,
        schedule=schedule_for("exponential", Q3_LR, epochs),
        verbose=0,
        rng=seed,
    )


def question_1(lab: Lab) -> None:
    roots = critical_points()
    curvature = f_second(roots)
    minima, maxima = roots[curvature > 0], roots[curvature < 0]
    paths = {rate: gradient_descent(rate, Q1_ITERATIONS) for rate in Q1_RATES}
    final_mean = np.mean([path[-1] for path in paths.values()])
    reached = minima[np.argmin(np.abs(minima - final_mean))]  # the minimum the runs ended at
    global_min = minima[np.argmin(f(minima))]
    steps = {rate: iterations_to_reach(path, reached, Q1_TOLERANCE) for rate, path in paths.items()}
    best = min(Q1_RATES, key=lambda r: np.inf if (n := steps[r]) is None else n)
    factors = {rate: 1 - rate * f_second(reached) for rate in Q1_RATES}
    lab.record(
        q1_critical_points=roots,
        q1_critical_values=f(roots),
        q1_second_derivative=curvature,
        q1_local_minimum=reached,
        q1_local_minimum_value=f(reached),
        q1_global_minimum=global_min,
        q1_global_minimum_value=f(global_min),
        q1_rates=Q1_RATES,
        q1_iterates={str(rate): path for rate, path in paths.items()},
        q1_values={str(rate): f(path) for rate, path in paths.items()},
        q1_final_x={str(rate): path[-1] for rate, path in paths.items()},
        q1_iterations_to_tolerance={str(rate): n for rate, n in steps.items()},
        q1_tolerance=Q1_TOLERANCE,
        q1_error_factor_per_step={str(rate): v for rate, v in factors.items()},
        q1_ideal_rate=1 / f_second(reached),
        q1_stability_limit=2 / f_second(reached),
        q1_best_rate=best,
    )
    plot_q1(lab, paths, roots, reached, steps)

    finals = np.array([path[-1] for path in paths.values()])
    lab.claim(
        "Gradient descent from x = 0 on f(x) = x^4/4 - 3x^3 + 7x - 5 finds the local minimum x* = -0.843, "
        "f(x*) = -8.978 (f'(0) = 7 > 0, so it moves left; the root of f' there is -0.84329 by numpy.roots)",
        "S3",
        abs(reached + 0.843) < 5e-4 and bool(np.all(np.abs(finals - reached) < 1e-2)),
        f"numpy.roots(f') = {np.round(roots, 5).tolist()}; after {Q1_ITERATIONS} iterations x = "
        + ", ".join(f"{x:.5f} (rate {r})" for r, x in zip(Q1_RATES, finals))
        + f"; f(x*) = {f(reached):.4f}",
    )
    lab.claim(
        "Of the rates 0.01, 0.05 and 0.1, 0.05 is the best: 0.01 creeps towards x* and 0.1 overshoots and "
        "oscillates, because near x* each step multiplies the error by 1 - rate * f''(x*)",
        "S3",
        best == 0.05,
        f"iterations until |x - x*| < {Q1_TOLERANCE:g}: "
        + ", ".join(f"{'never' if steps[r] is None else steps[r]} (rate {r})" for r in Q1_RATES)
        + f"; error factor per step {', '.join(f'{factors[r]:.2f}' for r in Q1_RATES)}; "
        f"f''(x*) = {f_second(reached):.2f}, ideal rate 1/f'' = {1 / f_second(reached):.4f}",
    )
    lab.claim(
        "The minimum gradient descent reaches from x = 0 is only local: f has a lower, global minimum to the right",
        "S3",
        f(global_min) < f(reached) and len(maxima) == 1 and reached < maxima[0] < global_min,
        f"global minimum x = {global_min:.4f}, f = {f(global_min):.2f}, behind the local maximum at "
        f"x = {maxima[0]:.4f} (f = {f(maxima[0]):.3f})",
    )


def plot_q1(
    lab: Lab, paths: dict[float, np.ndarray], roots: np.ndarray, reached: float, steps: dict[float, int | None]
) -> None:
    plt = pyplot()
    colors = dict(zip(Q1_RATES, ("tab:blue", "tab:green", "tab:red")))
    fig, (whole, zoom) = plt.subplots(1, 2, figsize=(11, 4))
    grid = np.linspace(-2, 10, 600)
    whole.plot(grid, f(grid), color="black", lw=1.2, label="f(x)")
    lowest = roots[np.argmin(f(roots))]
    for root in roots:
        kind = "local maximum" if f_second(root) < 0 else "global minimum" if root == lowest else "local minimum"
        whole.plot(root, f(root), "o", ms=7, label=f"{kind}: x = {root:.3f}, f = {f(root):.2f}")
    whole.set_xlabel("x")
    whole.set_ylabel("f(x)")
    whole.set_title("f(x) = x⁴/4 − 3x³ + 7x − 5 and its critical points")
    whole.legend(loc="lower left")
    grid = np.linspace(-1.2, 0.3, 300)
    zoom.plot(grid, f(grid), color="black", lw=1.2, label="f(x)")
    for rate, path in paths.items():
        shown = path[:12]
        zoom.plot(shown, f(shown), "o-", ms=4, lw=0.8, alpha=0.8, color=colors[rate], label=f"rate {rate}")
    zoom.plot(0, f(0.0), "k*", ms=12, label="start x = 0")
    zoom.axvline(reached, color="grey", ls=":", label=f"x* = {reached:.4f}")
    zoom.set_xlabel("x")
    zoom.set_ylabel("f(x)")
    zoom.set_title("The first 11 steps of gradient descent from x = 0")
    zoom.legend(loc="lower right")
    lab.figure(
        fig,
        "q1-function.png",
        "Q1: f(x) with its critical points (left) and the first gradient-descent "
        "steps for each rate, which all walk left to the local minimum at x* = -0.843 (right).",
    )

    fig, (position, gap) = plt.subplots(1, 2, figsize=(11, 4))
    iterations = np.arange(Q1_ITERATIONS + 1)
    for rate, path in paths.items():
        label = f"rate {rate} ({'never' if steps[rate] is None else steps[rate]} iterations)"
        position.plot(iterations, path, "o-", ms=2.5, lw=1, color=colors[rate], label=label)
        gap.semilogy(
            iterations,
            np.maximum(f(path) - f(reached), FLOOR),
            "o-",
            ms=2.5,
            lw=1,
            color=colors[rate],
            label=f"rate {rate}",
        )
    position.axhline(reached, color="grey", ls=":", label=f"x* = {reached:.4f}")
    position.set_xlabel("iteration t")
    position.set_ylabel("x_t")
    position.set_title(f"x per iteration (iterations until |x − x*| < {Q1_TOLERANCE:g})")
    position.legend()
    gap.set_xlabel("iteration t")
    gap.set_ylabel(f"f(x_t) − f(x*)  (log scale, floored at {FLOOR:g})")
    gap.set_title(f"Convergence of f(x_t) to the local minimum f(x*) = {f(reached):.4f}")
    gap.legend()
    lab.figure(
        fig,
        "q1-convergence.png",
        "Q1: the iterates x_t and the gap f(x_t) - f(x*) per iteration: 0.05 "
        "converges fastest, 0.1 oscillates around x*, 0.01 creeps.",
    )


def question_2_and_3(lab: Lab) -> None:
    n_train, n_test, epochs = (2000, 500, 4) if lab.quick else (60000, 10000, 30)
    data = fashion(n_train, n_test, standardize=True, seed=lab.seed)
    split = train_val_split(data.x_train, data.y_train, val_fraction=1 / 6, rng=lab.seed)
    shallow = {rate: train(shallow_trainer(rate, lab.seed), split, data, epochs) for rate in Q2_RATES}
    best_rate = max(Q2_RATES, key=lambda r: shallow[r].val_accuracy)
    chosen = shallow[best_rate]
    improved = train(improved_trainer(epochs, lab.seed), split, data, epochs)
    gain = improved.test_accuracy - chosen.test_accuracy
    val_by_rate = np.array([shallow[r].val_accuracy for r in Q2_RATES])
    lab.record(
        data=data.name,
        n_train=len(split[0]),
        n_validation=len(split[2]),
        n_test=len(data.y_test),
        epochs=epochs,
        q2_rates=Q2_RATES,
        q2_val_accuracy_by_rate=val_by_rate,
        q2_test_accuracy_by_rate=[shallow[r].test_accuracy for r in Q2_RATES],
        q2_val_accuracy_curves={str(r): shallow[r].history["val_accuracy"] for r in Q2_RATES},
        q2_best_rate=best_rate,
        q2_history=chosen.history,
        q2_test_accuracy=chosen.test_accuracy,
        q2_train_seconds=chosen.train_seconds,
        q3_config={
            "sizes": Q3_SIZES,
            "activation": "relu",
            "dropout": Q3_DROPOUT,
            "l2": Q3_L2,
            "optimizer": "adam",
            "lr": Q3_LR,
            "schedule": "exponential to lr/100",
            "batch_size": Q3_BATCH,
        },
        q3_history=improved.history,
        q3_test_accuracy=improved.test_accuracy,
        q3_train_seconds=improved.train_seconds,
        q3_gain=gain,
    )
    plot_q2(lab, shallow, best_rate)
    plot_q3(lab, chosen, improved, best_rate)

    lab.claim(
        f"Q2: one hidden layer of {Q2_HIDDEN} sigmoid units, softmax cross-entropy and mini-batch SGD (batch "
        f"{Q2_BATCH}) classifies Fashion-MNIST; the learning rate, chosen on a validation split, matters",
        "S3",
        chosen.test_accuracy > 0.5 and val_by_rate.max() - val_by_rate.min() > 0.1,
        f"best rate {best_rate:g} of {len(Q2_RATES)} by validation accuracy {chosen.val_accuracy:.4f}; test accuracy "
        f"{chosen.test_accuracy:.4f}; trained in {chosen.train_seconds:.1f} s ({epochs} epochs, {len(split[0])} "
        f"images); validation accuracy spans {val_by_rate.min():.3f} to {val_by_rate.max():.3f} across rates",
    )
    lab.claim(
        "Q2: the rates the assignment suggests (0.0001 to 0.01) are too small for plain SGD on a mean-reduced loss; "
        "the best rate is larger",
        "S3",
        best_rate > 0.01,
        "validation accuracy " + ", ".join(f"{v:.3f} (rate {r:g})" for r, v in zip(Q2_RATES, val_by_rate)),
    )
    lab.claim(
        "Q3: ReLU, wider and deeper layers, dropout, L2 and Adam with a decaying rate improve Q2's test accuracy "
        "by at least 0.5 points",
        "S3",
        gain >= REQUIRED_GAIN,
        f"test accuracy {improved.test_accuracy:.4f} (Q3) vs {chosen.test_accuracy:.4f} (Q2): "
        f"{100 * gain:+.2f} points; Q3 trained in {improved.train_seconds:.1f} s",
    )


def plot_q2(lab: Lab, shallow: dict[float, Run], best_rate: float) -> None:
    plt = pyplot()
    chosen = shallow[best_rate]
    fig, (rates, loss, accuracy) = plt.subplots(1, 3, figsize=(11, 3.8))
    rates.semilogx(Q2_RATES, [100 * shallow[r].val_accuracy for r in Q2_RATES], "o-", label="validation")
    rates.semilogx(
        Q2_RATES,
        [100 * shallow[r].test_accuracy for r in Q2_RATES],
        "s--",
        ms=3,
        alpha=0.6,
        label="test (not used to choose)",
    )
    rates.plot(best_rate, 100 * chosen.val_accuracy, "r*", ms=14, label=f"chosen: {best_rate:g}")
    rates.set_xlabel("learning rate (log scale)")
    rates.set_ylabel("accuracy after the last epoch (%)")
    rates.set_title("Q2: accuracy vs learning rate")
    rates.legend()
    epochs = np.arange(1, len(chosen.history["loss"]) + 1)
    loss.plot(epochs, chosen.history["loss"], "o-", ms=3, label="training")
    loss.plot(epochs, chosen.history["val_loss"], "o-", ms=3, label="validation")
    loss.set_xlabel("epoch")
    loss.set_ylabel("cross-entropy (nats per image)")
    loss.set_title(f"Chosen run (rate {best_rate:g}): loss")
    loss.legend()
    accuracy.plot(epochs, 100 * np.array(chosen.history["accuracy"]), "o-", ms=3, label="training")
    accuracy.plot(epochs, 100 * np.array(chosen.history["val_accuracy"]), "o-", ms=3, label="validation")
    accuracy.axhline(100 * chosen.test_accuracy, color="grey", ls=":", label=f"test {100 * chosen.test_accuracy:.2f}%")
    accuracy.set_xlabel("epoch")
    accuracy.set_ylabel("accuracy (%)")
    accuracy.set_title(f"Chosen run (rate {best_rate:g}): accuracy")
    accuracy.legend()
    lab.figure(
        fig,
        "q2-learning-rate.png",
        "Q2: validation accuracy of the 784-100-10 sigmoid network for each "
        "learning rate (left; the rate is chosen on validation), and the chosen run's loss and accuracy.",
    )


def plot_q3(lab: Lab, chosen: Run, improved: Run, best_rate: float) -> None:
    plt = pyplot()
    fig, (accuracy, loss) = plt.subplots(1, 2, figsize=(11, 4))
    epochs = np.arange(1, len(chosen.history["loss"]) + 1)
    runs = (
        (f"Q2 (100 sigmoid, SGD {best_rate:g})", chosen, "tab:blue"),
        ("Q3 (256-128 ReLU, dropout, L2, Adam)", improved, "tab:orange"),
    )
    for label, run, color in runs:
        accuracy.plot(
            epochs,
            100 * np.array(run.history["val_accuracy"]),
            "o-",
            ms=3,
            color=color,
            label=f"{label}: test {100 * run.test_accuracy:.2f}%",
        )
        accuracy.plot(epochs, 100 * np.array(run.history["accuracy"]), ":", color=color)
        loss.semilogy(epochs, run.history["loss"], ":", color=color, label=f"{label.split()[0]} training")
        loss.semilogy(epochs, run.history["val_loss"], "o-", ms=3, color=color, label=f"{label.split()[0]} validation")
    accuracy.set_xlabel("epoch")
    accuracy.set_ylabel("accuracy (%)")
    accuracy.set_title("Validation accuracy (solid) and training accuracy (dotted)")
    accuracy.legend(loc="lower right", fontsize=8)
    loss.set_xlabel("epoch")
    loss.set_ylabel("cross-entropy (nats per image, log scale)")
    loss.set_title("Training (dotted) and validation (solid) loss")
    loss.legend()
    lab.figure(
        fig,
        "q3-vs-q2.png",
        "Q3 against Q2: validation and training accuracy and loss per epoch; the legend "
        "gives each network's test accuracy.",
    )


@experiment("assignment", "Assignment 6 of S3: gradient descent, a shallow network and a better one", sources="S3")
def run(lab: Lab) -> None:
    question_1(lab)
    question_2_and_3(lab)
