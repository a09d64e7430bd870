"""The classifiers and training runs of the ``binary-multiclass`` experiment.

The binary tasks and S0's 2-3-1 network (or, without hidden layer, logistic regression), and the three
multi-class classifiers compared with the same number of hidden units in total: one-vs-all over binary
networks (:class:`BinaryNetwork` in :class:`mlplab.OneVsAll`), one network with sigmoid outputs and MSE on
one-hot targets, and one with a softmax output and cross-entropy.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ....datasets import toy
from ....losses import BinaryCrossEntropy
from ....model import MLP
from ....perceptron import OneVsAll
from ....training import Trainer

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


def compare(
    x: np.ndarray, y: np.ndarray, xt: np.ndarray, yt: np.ndarray, hidden: int, recipe: Recipe, seed: int
) -> dict[str, Outcome]:
    """The three multi-class classifiers, each with ``n_classes * hidden`` hidden units in total."""
    k = int(y.max()) + 1
    return {
        "one-vs-all": _one_vs_all(x, y, xt, yt, k, hidden, recipe, seed),
        "sigmoid + MSE": _single_network(x, y, xt, yt, k, k * hidden, recipe, seed, "sigmoid"),
        "softmax + CE": _single_network(x, y, xt, yt, k, k * hidden, recipe, seed, "softmax"),
    }


def binary_task(name: str, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    if name == "moons":
        return toy.moons(n, noise=0.15, rng=rng)
    return toy.circles(n, noise=0.08, factor=0.5, rng=rng)


def train_binary(x: np.ndarray, y: np.ndarray, hidden: int | None, recipe: Recipe, seed: int) -> Trainer:
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


def binary_accuracy(trainer: Trainer, x: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((trainer.predict(x)[:, 0] > 0.5) == (y == 1)))
