"""Binary and multi-class classification with neural networks (S0).

S0 draws "a feed-forward neural network with one hidden layer (with 3 neurons)" for binary classification,
then builds an N-class classifier from "N separate binary classifiers" on one-hot targets (one-vs-all), and
moves on to a softmax output with cross-entropy as the "more accurate" multi-class classifier, because
sigmoid outputs "can not be interpreted as probability". This experiment

* trains the 2-3-1 network (tanh hidden layer, sigmoid output, binary cross-entropy on its probabilities) on
  two binary tasks no line can separate, moons and circles, against a network without hidden layer
  (logistic regression), and draws its decision boundary with the three hidden units' lines;
* on a 4-arm spiral and on Fashion-MNIST compares three multi-class classifiers with the same number of
  hidden units in total: one-vs-all (:class:`mlplab.OneVsAll` over N binary networks with H hidden units each),
  one network with N sigmoid outputs trained with MSE on one-hot targets (S0's "previously"), and one network
  with a softmax output and cross-entropy (N * H hidden units each). It reports their test accuracies and how
  far the N outputs are from summing to 1, and draws the decision regions side by side.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...datasets import toy
from ...layers import Dense
from ...losses import BinaryCrossEntropy
from ...model import MLP
from ...perceptron import OneVsAll
from ...plotting import pyplot
from ...training import Trainer
from ..base import Lab, experiment
from ..data import fashion

METHODS = ("one-vs-all", "sigmoid + MSE", "softmax + CE")
SPIRAL_ARMS = 4
SPIRAL_NOISE = 0.25
TOY_LR = 0.03
TOY_HIDDEN = 8
FASHION_HIDDEN = 32
FASHION_LR = 1e-3


@dataclass(frozen=True)
class Recipe:
    """How to train a network: hidden activation, Adam's learning rate, batch size (None: whole set), epochs."""

    activation: str
    lr: float
    batch_size: int | None
    epochs: int


class BinaryNetwork:
    """A binary classifier for :class:`mlplab.OneVsAll`: an ``n_in-H-1`` network with a sigmoid output.

    ``fit(X, y)`` takes labels in {-1, +1} and trains with binary cross-entropy on the output probability;
    ``decision_function(X)`` is that probability, P(positive | x), which OneVsAll compares across classes.
    """

    def __init__(self, n_in: int, hidden: int, recipe: Recipe, seed: int) -> None:
        self.model = MLP([n_in, hidden, 1], activation=recipe.activation, output_activation="sigmoid", rng=seed)
        self.recipe = recipe
        self.trainer = Trainer(
            self.model,
            loss=BinaryCrossEntropy(),
            optimizer="adam",
            lr=recipe.lr,
            batch_size=recipe.batch_size,
            verbose=0,
            rng=seed,
        )
        self.losses: list[float] = []

    def fit(self, X: np.ndarray, y: np.ndarray) -> BinaryNetwork:
        targets = (np.asarray(y) == 1).astype(np.float32).reshape(-1, 1)
        self.losses = self.trainer.fit(X, targets, epochs=self.recipe.epochs).history["loss"]
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        return self.trainer.predict(X)[:, 0]


@dataclass
class Outcome:
    """One multi-class classifier's test results: accuracy, class probabilities and parameter count."""

    accuracy: float
    probabilities: np.ndarray
    parameters: int
    predict: Any

    @property
    def sum_deviation(self) -> float:
        """Mean |sum_k p_k - 1| over the test set."""
        return float(np.mean(np.abs(self.probabilities.sum(axis=1) - 1)))


def _seeds(first: int) -> Iterator[int]:
    """0, 1, 2, ... offset by ``first``: a fresh initialization for each network OneVsAll builds."""
    seed = first
    while True:
        yield seed
        seed += 1


def _parameter_count(model: MLP) -> int:
    return int(sum(p.size for p in model.parameters()))


def _one_vs_all(
    x: np.ndarray, y: np.ndarray, xt: np.ndarray, yt: np.ndarray, n_classes: int, hidden: int, recipe: Recipe, seed: int
) -> Outcome:
    seeds = _seeds(seed)
    ova = OneVsAll(lambda: BinaryNetwork(x.shape[1], hidden, recipe, next(seeds)), n_classes=n_classes).fit(x, y)
    probabilities = ova.decision_function(xt)
    count = sum(_parameter_count(clf.model) for clf in ova.estimators_)
    return Outcome(float(np.mean(ova.predict(xt) == yt)), probabilities, count, ova.decision_function)


def _single_network(
    x: np.ndarray,
    y: np.ndarray,
    xt: np.ndarray,
    yt: np.ndarray,
    n_classes: int,
    hidden: int,
    recipe: Recipe,
    seed: int,
    output: str,
) -> Outcome:
    """One ``n_in-hidden-N`` network: softmax + cross-entropy (``output="softmax"``) or sigmoid + MSE on one-hot."""
    use_softmax = output == "softmax"
    model = MLP(
        [x.shape[1], hidden, n_classes],
        activation=recipe.activation,
        output_activation="identity" if use_softmax else "sigmoid",
        rng=seed,
    )
    trainer = Trainer(
        model,
        loss="softmax_cross_entropy" if use_softmax else "mse",
        optimizer="adam",
        lr=recipe.lr,
        batch_size=recipe.batch_size,
        verbose=0,
        rng=seed,
    )
    trainer.fit(x, y if use_softmax else np.eye(n_classes, dtype=np.float32)[y], epochs=recipe.epochs)

    def predict(points: np.ndarray) -> np.ndarray:
        return trainer.predict_proba(points) if use_softmax else trainer.predict(points)

    probabilities = predict(xt)
    return Outcome(float(np.mean(probabilities.argmax(axis=1) == yt)), probabilities, _parameter_count(model), predict)


def _compare(
    x: np.ndarray, y: np.ndarray, xt: np.ndarray, yt: np.ndarray, hidden: int, recipe: Recipe, seed: int
) -> dict[str, Outcome]:
    """The three multi-class classifiers, each with ``n_classes * hidden`` hidden units in total."""
    k = int(y.max()) + 1
    return {
        "one-vs-all": _one_vs_all(x, y, xt, yt, k, hidden, recipe, seed),
        "sigmoid + MSE": _single_network(x, y, xt, yt, k, k * hidden, recipe, seed, "sigmoid"),
        "softmax + CE": _single_network(x, y, xt, yt, k, k * hidden, recipe, seed, "softmax"),
    }


def _binary_task(name: str, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    if name == "moons":
        return toy.moons(n, noise=0.15, rng=rng)
    return toy.circles(n, noise=0.08, factor=0.5, rng=rng)


def _train_binary(x: np.ndarray, y: np.ndarray, hidden: int | None, recipe: Recipe, seed: int) -> Trainer:
    """S0's binary network (``hidden`` = 3) or, with ``hidden=None``, logistic regression (no hidden layer)."""
    sizes = [2, 1] if hidden is None else [2, hidden, 1]
    model = MLP(sizes, activation=recipe.activation, output_activation="sigmoid", rng=seed)
    trainer = Trainer(
        model,
        loss=BinaryCrossEntropy(),
        optimizer="adam",
        lr=recipe.lr,
        batch_size=recipe.batch_size,
        verbose=0,
        rng=seed,
    )
    trainer.fit(x, y.astype(np.float32).reshape(-1, 1), epochs=recipe.epochs)
    return trainer


def _binary_accuracy(trainer: Trainer, x: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((trainer.predict(x)[:, 0] > 0.5) == (y == 1)))


def _grid(x: np.ndarray, steps: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A grid over the data's bounding box (plus a border) as two mesh arrays and its points."""
    low, high = x.min(axis=0) - 0.3, x.max(axis=0) + 0.3
    gx, gy = np.meshgrid(np.linspace(low[0], high[0], steps), np.linspace(low[1], high[1], steps))
    return gx, gy, np.column_stack([gx.ravel(), gy.ravel()]).astype(np.float32)


def _draw_line(ax: Any, w: np.ndarray, b: float, xlim: tuple[float, float], **style: Any) -> None:
    """The line w . x + b = 0 over ``xlim`` (or vertical), clipped by the axes' limits."""
    if abs(w[1]) > 1e-9:
        t = np.array(xlim)
        ax.plot(t, -(w[0] * t + b) / w[1], **style)
    else:
        ax.axvline(-b / w[0], **style)


def _plot_binary(
    lab: Lab,
    tasks: dict[str, tuple[np.ndarray, np.ndarray]],
    networks: dict[str, Trainer],
    accuracies: dict[str, dict[str, list[float]]],
) -> None:
    plt = pyplot()
    fig, axes = plt.subplots(1, len(tasks), figsize=(11, 4.4))
    for ax, (name, (x, y)) in zip(axes, tasks.items()):
        gx, gy, grid = _grid(x)
        probability = networks[name].predict(grid)[:, 0].reshape(gx.shape)
        ax.contourf(gx, gy, probability, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.45)
        ax.contour(gx, gy, probability, levels=[0.5], colors="k", linewidths=1.5)
        model = networks[name].model
        assert isinstance(model, MLP)  # _train_binary trains an MLP
        dense = model.layers[0]
        assert isinstance(dense, Dense) and dense.b is not None  # an MLP starts with a Dense layer with a bias
        for j in range(dense.out_features):
            _draw_line(
                ax,
                dense.W.value[:, j],
                dense.b.value[j],
                (gx.min(), gx.max()),
                color="0.25",
                ls="--",
                lw=1,
                label="the 3 hidden units' lines" if j == 0 else None,
            )
        for label, marker, color in ((0, "o", "tab:blue"), (1, "s", "tab:red")):
            ax.scatter(*x[y == label].T, s=8, marker=marker, c=color, label=f"class {label}")
        ax.set_xlim(gx.min(), gx.max())
        ax.set_ylim(gy.min(), gy.max())
        ax.set_aspect("equal")
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        hidden, linear = np.median(accuracies[name]["2-3-1"]), np.median(accuracies[name]["no hidden layer"])
        ax.set_title(f"{name}: test accuracy {hidden:.3f} (no hidden layer: {linear:.3f})")
        ax.legend(fontsize=7, loc="lower left")
    fig.suptitle("S0's binary network: 2 inputs, 3 hidden neurons (tanh), 1 sigmoid output; colour: P(class 1)")
    lab.figure(
        fig,
        "binary.png",
        "The 2-3-1 network on two binary tasks that no line separates: its decision boundary (black, P = 0.5) "
        "is bent out of the three hidden units' lines (dashed). Accuracies are medians over seeds on a test set.",
    )


def _plot_regions(lab: Lab, x: np.ndarray, y: np.ndarray, outcomes: dict[str, Outcome]) -> None:
    from matplotlib.colors import ListedColormap

    plt = pyplot()
    k = int(y.max()) + 1
    colors = ["tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown"][:k]
    gx, gy, grid = _grid(x)
    fig, axes = plt.subplots(1, 3, figsize=(11.5, 4.1))
    for ax, (method, outcome) in zip(axes, outcomes.items()):
        classes = outcome.predict(grid).argmax(axis=1).reshape(gx.shape)
        ax.contourf(gx, gy, classes, levels=np.arange(k + 1) - 0.5, cmap=ListedColormap(colors), alpha=0.35)
        for c in range(k):
            ax.scatter(*x[y == c].T, s=6, c=colors[c], label=f"class {c}")
        ax.set_aspect("equal")
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        ax.set_title(f"{method}: test accuracy {outcome.accuracy:.3f}")
    axes[0].legend(fontsize=7, loc="lower left", markerscale=2)
    fig.suptitle(f"{k}-arm spiral: predicted class (arg max of the {k} outputs) over the plane")
    lab.figure(
        fig,
        "spiral-regions.png",
        f"Decision regions on a {k}-class spiral of one-vs-all ({k} binary 2-{TOY_HIDDEN}-1 networks), one "
        f"2-{k * TOY_HIDDEN}-{k} network with sigmoid outputs and MSE, and one with softmax and cross-entropy.",
    )

    fig, axes = plt.subplots(1, 2, figsize=(10, 4.1))
    for ax, method in zip(axes, METHODS[:2]):
        total = outcomes[method].predict(grid).sum(axis=1).reshape(gx.shape)
        mesh = ax.pcolormesh(gx, gy, total, cmap="coolwarm", vmin=0, vmax=2, shading="auto")
        ax.scatter(*x.T, s=2, c="k", alpha=0.3)
        ax.set_aspect("equal")
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        ax.set_title(f"{method}: test mean |sum - 1| = {outcomes[method].sum_deviation:.3f}")
    fig.colorbar(mesh, ax=axes, label="$\\sum_k p_k$ (sum of the outputs)", shrink=0.9)
    fig.suptitle(
        "Sigmoid outputs need not sum to 1 (softmax outputs always do: "
        f"mean |sum - 1| = {outcomes['softmax + CE'].sum_deviation:.1e})"
    )
    lab.figure(
        fig,
        "spiral-output-sums.png",
        "The sum of the class outputs over the plane (grey: 1; black dots: training points). Independent sigmoid "
        "outputs are not a probability distribution: they sum to more than 1 where classes meet and to less far "
        "from the data.",
    )


def _plot_fashion(lab: Lab, runs: list[dict[str, Outcome]], data_name: str) -> None:
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    accuracy = np.array([[run[m].accuracy for m in METHODS] for run in runs])
    positions = np.arange(len(METHODS))
    colors = ("tab:blue", "tab:orange", "tab:green")
    for p, color, values in zip(positions, colors, accuracy.T):
        left.scatter(np.full(len(values), p), values, s=16, color=color, alpha=0.6)
        left.errorbar(
            p + 0.15,
            values.mean(),
            yerr=values.std() if len(values) > 1 else None,
            fmt="o",
            ms=7,
            capsize=4,
            color=color,
        )
        left.annotate(
            f"{values.mean():.4f}", (p + 0.15, values.mean()), textcoords="offset points", xytext=(8, -3), fontsize=8
        )
    parameters = [runs[0][m].parameters for m in METHODS]
    left.set_xticks(positions, [f"{m}\n{p:,} weights" for m, p in zip(METHODS, parameters)], fontsize=8)
    left.set_xlim(-0.5, len(METHODS) - 0.2)
    left.set_ylabel("test accuracy")
    left.set_title(f"{data_name}: test accuracy ({len(runs)} seeds: dots; mean and sd)")
    bins = np.linspace(0, 2.5, 51)
    for method, color in zip(METHODS, colors):
        sums = runs[0][method].probabilities.sum(axis=1)
        right.hist(
            np.clip(sums, 0, 2.5),
            bins=bins,
            histtype="step",
            lw=1.5,
            color=color,
            label=f"{method} (mean |sum - 1| = {runs[0][method].sum_deviation:.2g})",
        )
    right.set_yscale("log")
    right.set_xlabel("sum of the 10 outputs $\\sum_k p_k$ per test image")
    right.set_ylabel("test images (log scale)")
    right.set_title("Only softmax outputs sum to 1")
    right.legend(fontsize=8)
    lab.figure(
        fig,
        "fashion.png",
        f"{data_name}, 10 classes: one-vs-all (10 binary 784-{FASHION_HIDDEN}-1 networks) against one "
        f"784-{10 * FASHION_HIDDEN}-10 network with sigmoid outputs + MSE or softmax + cross-entropy. Left: test "
        "accuracy; right: how the 10 outputs sum over the test images.",
    )


@experiment("binary-multiclass", "Binary and multi-class classification: one-vs-all versus softmax", sources="S0")
def run(lab: Lab) -> None:
    quick = lab.quick
    n_seeds = 1 if quick else 5
    toy_recipe = Recipe("tanh", TOY_LR, None, 200 if quick else 1000)
    binary_recipe = Recipe("tanh", 0.05, None, 200 if quick else 1000)
    n_toy, n_test = (200, 500) if quick else (400, 2000)

    # Binary: S0's 2-3-1 network against logistic regression.
    tasks = {name: _binary_task(name, n_toy, lab.rng) for name in ("moons", "circles")}
    tests = {name: _binary_task(name, n_test, lab.rng) for name in tasks}
    accuracies: dict[str, dict[str, list[float]]] = {}
    drawn: dict[str, Trainer] = {}
    for name, (x, y) in tasks.items():
        xt, yt = tests[name]
        accuracies[name] = {"2-3-1": [], "no hidden layer": []}
        for s in range(n_seeds):
            seed = lab.seed * 1000 + s
            network = _train_binary(x, y, 3, binary_recipe, seed)
            accuracies[name]["2-3-1"].append(_binary_accuracy(network, xt, yt))
            accuracies[name]["no hidden layer"].append(
                _binary_accuracy(_train_binary(x, y, None, binary_recipe, seed), xt, yt)
            )
            drawn.setdefault(name, network)

    # Multi-class on a spiral: one-vs-all against one network with N outputs.
    x, y = toy.spirals(300 if quick else 600, SPIRAL_ARMS, SPIRAL_NOISE, rng=lab.rng)
    xt, yt = toy.spirals(n_test, SPIRAL_ARMS, SPIRAL_NOISE, rng=lab.rng)
    spiral = _compare(x, y, xt, yt, TOY_HIDDEN, toy_recipe, lab.seed)

    # Multi-class on Fashion-MNIST.
    n_train, n_images, epochs = (500, 200, 2) if quick else (20000, 10000, 10)
    images = fashion(n_train, n_images, standardize=True, seed=lab.seed)
    fashion_recipe = Recipe("relu", FASHION_LR, 128, epochs)
    fashion_runs = [
        _compare(
            images.x_train,
            images.y_train,
            images.x_test,
            images.y_test,
            FASHION_HIDDEN,
            fashion_recipe,
            lab.seed * 1000 + s,
        )
        for s in range(1 if quick else 3)
    ]
    fashion_accuracy = {m: [r[m].accuracy for r in fashion_runs] for m in METHODS}
    fashion_mean = {m: float(np.mean(v)) for m, v in fashion_accuracy.items()}

    lab.record(
        binary_test_accuracy=accuracies,
        binary_median_accuracy={n: {k: float(np.median(v)) for k, v in a.items()} for n, a in accuracies.items()},
        binary_epochs=binary_recipe.epochs,
        spiral_arms=SPIRAL_ARMS,
        spiral_test_accuracy={m: o.accuracy for m, o in spiral.items()},
        spiral_mean_abs_sum_minus_1={m: o.sum_deviation for m, o in spiral.items()},
        spiral_parameters={m: o.parameters for m, o in spiral.items()},
        fashion_data=images.name,
        fashion_sizes={"train": len(images.y_train), "test": len(images.y_test), "epochs": epochs},
        fashion_test_accuracy=fashion_accuracy,
        fashion_mean_accuracy=fashion_mean,
        fashion_mean_abs_sum_minus_1={m: [r[m].sum_deviation for r in fashion_runs] for m in METHODS},
        fashion_parameters={m: fashion_runs[0][m].parameters for m in METHODS},
    )

    _plot_binary(lab, tasks, drawn, accuracies)
    _plot_regions(lab, x, y, spiral)
    _plot_fashion(lab, fashion_runs, images.name)

    medians = {n: {k: float(np.median(v)) for k, v in a.items()} for n, a in accuracies.items()}
    lab.claim(
        "A feed-forward network with one hidden layer of 3 neurons and a sigmoid output classifies binary data "
        "that no linear classifier can",
        "S0",
        all(m["2-3-1"] >= 0.95 and m["2-3-1"] > m["no hidden layer"] + 0.05 for m in medians.values()),
        "median test accuracy "
        + "; ".join(
            f"{n}: {m['2-3-1']:.3f} with 3 hidden neurons, {m['no hidden layer']:.3f} without"
            for n, m in medians.items()
        ),
    )
    ova_ok = spiral["one-vs-all"].accuracy >= 0.9 and fashion_mean["one-vs-all"] >= 0.8
    lab.claim(
        "N separate binary classifiers trained on the one-hot columns (one-vs-all) make an N-class classifier",
        "S0",
        ova_ok,
        f"one-vs-all test accuracy {spiral['one-vs-all'].accuracy:.3f} on the {SPIRAL_ARMS}-arm spiral, "
        f"{fashion_mean['one-vs-all']:.4f} on {images.name} (10 classes)",
    )
    others = max(fashion_mean["one-vs-all"], fashion_mean["sigmoid + MSE"])
    lab.claim(
        "Softmax with cross-entropy is the more accurate multi-class classifier than sigmoid outputs "
        "(one-vs-all, or sigmoid + MSE)",
        "S0",
        fashion_mean["softmax + CE"] > others,
        f"{images.name} test accuracy, mean of {len(fashion_runs)} seeds: "
        + ", ".join(f"{m} {fashion_mean[m]:.4f}" for m in METHODS)
        + "; spiral: "
        + ", ".join(f"{m} {spiral[m].accuracy:.3f}" for m in METHODS),
    )
    deviations = {m: float(np.mean([r[m].sum_deviation for r in fashion_runs])) for m in METHODS}
    lab.claim(
        "Sigmoid outputs cannot be read as class probabilities (they need not sum to 1); softmax outputs can",
        "S0",
        min(
            deviations["one-vs-all"],
            deviations["sigmoid + MSE"],
            spiral["one-vs-all"].sum_deviation,
            spiral["sigmoid + MSE"].sum_deviation,
        )
        > 0.01
        and max(deviations["softmax + CE"], spiral["softmax + CE"].sum_deviation) < 1e-5,
        "mean |sum of outputs - 1| on test data: "
        + ", ".join(f"{m} {deviations[m]:.3g}" for m in METHODS)
        + f" ({images.name}); "
        + ", ".join(f"{m} {spiral[m].sum_deviation:.3g}" for m in METHODS)
        + " (spiral)",
    )
