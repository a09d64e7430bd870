"""``network.py`` of Nielsen's book, chapter 1: sigmoid neurons, quadratic cost, mini-batch SGD.

Use as the book does, with the import changed::

    from mlplab.nielsen import mnist_loader, network
    training_data, validation_data, test_data = mnist_loader.load_data_wrapper()
    net = network.Network([784, 30, 10])
    net.SGD(training_data, 30, 10, 3.0, test_data=test_data)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..functional import sigmoid, sigmoid_derivative
from ._common import BookNetwork, QuadraticCost


def sigmoid_prime(z: np.ndarray) -> np.ndarray:
    """:math:`\\sigma'(z) = \\sigma(z)(1 - \\sigma(z))`, the book's name."""
    return sigmoid_derivative(z)


class Network(BookNetwork):
    """The book's first network: weights and biases :math:`N(0, 1)`, cost :math:`\\tfrac12\\lVert a - y\\rVert^2`."""

    def __init__(self, sizes: Sequence[int], rng: np.random.Generator | int | None = None) -> None:
        super().__init__(sizes, QuadraticCost, rng)
        self._initialize("large")

    def SGD(self, training_data: Any, epochs: int, mini_batch_size: int, eta: float, test_data: Any = None) -> None:  # noqa: N802
        """Mini-batch stochastic gradient descent; prints ``Epoch j : correct / n`` when ``test_data`` is given."""
        test = list(test_data) if test_data is not None else None
        for epoch, _ in self._epochs(training_data, epochs, mini_batch_size, eta):
            if test:
                print(f"Epoch {epoch} : {self.evaluate(test)} / {len(test)}")
            else:
                print(f"Epoch {epoch} complete")


__all__ = ["Network", "sigmoid", "sigmoid_prime"]
