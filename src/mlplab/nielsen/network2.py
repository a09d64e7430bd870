"""``network2.py`` of Nielsen's book, chapter 3: cross-entropy, L2 regularization, better initial weights, monitoring.

Use as the book does, with the import changed::

    from mlplab.nielsen import mnist_loader, network2
    training_data, validation_data, test_data = mnist_loader.load_data_wrapper()
    net = network2.Network([784, 30, 10], cost=network2.CrossEntropyCost)
    net.SGD(training_data, 30, 10, 0.5, lmbda=5.0, evaluation_data=validation_data,
            monitor_evaluation_accuracy=True)
    net.save("net.json")
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._atomic import atomic_write
from ..functional import sigmoid
from ._common import COSTS, BookNetwork, CrossEntropyCost, QuadraticCost, stack_targets, vectorized_result
from .network import sigmoid_prime


class Network(BookNetwork):
    """The book's improved network: a choice of cost, weights :math:`N(0, 1/n_{in})` by default, L2, monitoring."""

    def __init__(
        self, sizes: Sequence[int], cost: Any = CrossEntropyCost, rng: np.random.Generator | int | None = None
    ) -> None:
        super().__init__(sizes, cost, rng)
        self.default_weight_initializer()

    def default_weight_initializer(self) -> None:
        """Weights :math:`N(0, 1/n_{in})`, biases :math:`N(0, 1)`."""
        self._initialize("default")

    def large_weight_initializer(self) -> None:
        """Weights and biases :math:`N(0, 1)`, as in chapter 1."""
        self._initialize("large")

    def SGD(  # noqa: N802
        self,
        training_data: Any,
        epochs: int,
        mini_batch_size: int,
        eta: float,
        lmbda: float = 0.0,
        evaluation_data: Any = None,
        monitor_evaluation_cost: bool = False,
        monitor_evaluation_accuracy: bool = False,
        monitor_training_cost: bool = False,
        monitor_training_accuracy: bool = False,
        early_stopping_n: int = 0,
    ) -> tuple[list[float], list[int], list[float], list[int]]:
        """Mini-batch SGD with L2 weight decay :math:`\\lambda/n`; returns the four monitored lists.

        ``(evaluation_cost, evaluation_accuracy, training_cost, training_accuracy)``, one entry per
        epoch for each monitor that is on (accuracies are counts of right answers). With
        ``early_stopping_n``, stop when the evaluation accuracy has not improved for that many epochs.
        """
        evaluation = list(evaluation_data) if evaluation_data is not None else None
        evaluation_cost: list[float] = []
        evaluation_accuracy: list[int] = []
        training_cost: list[float] = []
        training_accuracy: list[int] = []
        best, stale = 0, 0
        for epoch, data in self._epochs(training_data, epochs, mini_batch_size, eta, lmbda):
            print(f"Epoch {epoch} training complete")
            if monitor_training_cost:
                training_cost.append(self.total_cost(data, lmbda))
                print(f"Cost on training data: {training_cost[-1]}")
            if monitor_training_accuracy:
                training_accuracy.append(self.accuracy(data, convert=True))
                print(f"Accuracy on training data: {training_accuracy[-1]} / {len(data)}")
            if monitor_evaluation_cost and evaluation:
                evaluation_cost.append(self.total_cost(evaluation, lmbda, convert=True))
                print(f"Cost on evaluation data: {evaluation_cost[-1]}")
            if monitor_evaluation_accuracy and evaluation:
                evaluation_accuracy.append(self.accuracy(evaluation))
                print(f"Accuracy on evaluation data: {evaluation_accuracy[-1]} / {len(evaluation)}")
                if early_stopping_n > 0:
                    best, stale = (evaluation_accuracy[-1], 0) if evaluation_accuracy[-1] > best else (best, stale + 1)
                    if stale == early_stopping_n:
                        break
            print()
        return evaluation_cost, evaluation_accuracy, training_cost, training_accuracy

    def accuracy(self, data: Any, convert: bool = False) -> int:
        """Right answers on ``data``; labels may be one-hot columns (``convert=True`` in the book) or ints."""
        data = list(data)
        if not data:
            return 0
        truth = stack_targets(data, self.sizes[-1]).argmax(axis=1)
        return int(np.count_nonzero(self._outputs(data).argmax(axis=1) == truth))

    def total_cost(self, data: Any, lmbda: float, convert: bool = False) -> float:
        """:math:`\\frac1n\\sum_x C_x + \\frac{\\lambda}{2n}\\sum_w w^2` on ``data``."""
        data = list(data)
        cost = self.cost.fn(self._outputs(data), stack_targets(data, self.sizes[-1])) / len(data)
        return cost + 0.5 * (lmbda / len(data)) * sum(float(np.linalg.norm(w)) ** 2 for w in self.weights)

    def save(self, filename: str | Path) -> None:
        """Write the book's JSON: ``sizes``, ``weights`` and ``biases`` as nested lists, the cost's class name."""
        data = {
            "sizes": self.sizes,
            "weights": [w.tolist() for w in self.weights],
            "biases": [b.tolist() for b in self.biases],
            "cost": self.cost.__name__,
        }
        with atomic_write(filename) as file:
            file.write(json.dumps(data).encode())


def load(filename: str | Path) -> Network:
    """A network from the book's JSON (its own ``save`` or this one's); the cost is looked up by name, no code runs."""
    with open(filename) as file:
        data = json.load(file)
    missing = {"sizes", "weights", "biases", "cost"} - set(data)
    if missing:
        raise ValueError(f"{filename} is not a saved network: it lacks {', '.join(sorted(missing))}")
    if data["cost"] not in COSTS:
        raise ValueError(f"{filename} names an unknown cost {data['cost']!r}; valid: {', '.join(COSTS)}")
    net = Network(data["sizes"], cost=COSTS[data["cost"]])
    shapes = [(y, x) for x, y in zip(data["sizes"][:-1], data["sizes"][1:])]
    weights = [np.asarray(w, dtype=np.float64) for w in data["weights"]]
    biases = [np.asarray(b, dtype=np.float64).reshape(-1, 1) for b in data["biases"]]
    if [w.shape for w in weights] != shapes or [b.shape for b in biases] != [(y, 1) for y, _ in shapes]:
        raise ValueError(f"{filename}: weight or bias shapes do not match sizes {data['sizes']}")
    net.weights, net.biases = weights, biases
    return net


__all__ = ["CrossEntropyCost", "Network", "QuadraticCost", "load", "sigmoid", "sigmoid_prime", "vectorized_result"]
