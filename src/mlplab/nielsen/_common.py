"""What ``network`` and ``network2`` share: the book's data layout, its costs, and a network on the engine.

The book keeps one sample as a column: ``x`` is ``(784, 1)``, a training label
``y`` a one-hot ``(10, 1)`` column, a test label an ``int``. Its
``update_mini_batch`` loops over the samples of a mini-batch. Here the
samples of a mini-batch are stacked as rows and go through an mlplab
:class:`~mlplab.MLP` (sigmoid hidden layers, logits out) in one pass; the
update is the book's

.. math:: w \\leftarrow \\Bigl(1 - \\frac{\\eta\\lambda}{n}\\Bigr) w - \\frac{\\eta}{m}\\sum_x \\nabla_w C_x,
   \\qquad b \\leftarrow b - \\frac{\\eta}{m}\\sum_x \\nabla_b C_x,

which is mlplab's :class:`~mlplab.SGD` with ``lr = eta`` on the mean gradient and
``weight_decay = lmbda / n`` on the weights. ``weights[l]`` is ``(n_out, n_in)``
as in the book: a transposed view of the layer's ``W``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ..functional import sigmoid, sigmoid_derivative
from ..layers import Dense
from ..losses import Loss
from ..model import MLP
from ..optimizers import SGD
from ..parameter import Parameter
from ..rng import as_generator


class QuadraticCost:
    """:math:`C_x = \\tfrac12\\lVert a - y\\rVert^2`, output error :math:`\\delta = (a - y)\\,\\sigma'(z)` (chapter 1)."""

    @staticmethod
    def fn(a: np.ndarray, y: np.ndarray) -> float:
        return 0.5 * float(np.linalg.norm(a - y)) ** 2

    @staticmethod
    def delta(z: np.ndarray, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        return (a - y) * sigmoid_derivative(z)


class CrossEntropyCost:
    """:math:`C_x = -\\sum_j [y_j \\ln a_j + (1 - y_j)\\ln(1 - a_j)]`, output error :math:`\\delta = a - y` (chapter 3)."""

    @staticmethod
    def fn(a: np.ndarray, y: np.ndarray) -> float:
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(np.sum(np.nan_to_num(-y * np.log(a) - (1 - y) * np.log(1 - a))))

    @staticmethod
    def delta(z: np.ndarray, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        return a - y


COSTS = {"QuadraticCost": QuadraticCost, "CrossEntropyCost": CrossEntropyCost}
"""The costs a saved network may name (looked up here, never by ``getattr`` on a module)."""


class BookCost(Loss):
    """A book cost as an mlplab loss on the logits :math:`z` of a batch of rows: the mean of :math:`C_x`.

    Its gradient is the book's :math:`\\delta` divided by the batch size :math:`m`; the backward
    pass then sums :math:`\\delta\\,x^T` over the rows, giving :math:`\\frac1m\\sum_x \\nabla C_x`.
    """

    def __init__(self, cost: Any) -> None:
        super().__init__()
        self.cost = cost

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        a = sigmoid(pred)
        m = pred.shape[0]
        self._grad = self.cost.delta(pred, a, target) / m
        return self.cost.fn(a, target) / m


def stack_inputs(data: Sequence[tuple[Any, Any]]) -> np.ndarray:
    """The book's ``(x, y)`` pairs' inputs as rows of one float64 array ``(n, n_in)``."""
    return np.stack([np.asarray(x, dtype=np.float64).reshape(-1) for x, _ in data])


def stack_targets(data: Sequence[tuple[Any, Any]], n_out: int) -> np.ndarray:
    """Targets as one-hot rows ``(n, n_out)``, whether the pairs hold one-hot columns or ``int`` labels."""
    ys = [y for _, y in data]
    if np.ndim(ys[0]) == 0:
        return np.eye(n_out)[np.asarray(ys, dtype=np.int64)]
    return np.stack([np.asarray(y, dtype=np.float64).reshape(-1) for y in ys])


def vectorized_result(j: int, n: int = 10) -> np.ndarray:
    """The book's one-hot column ``(n, 1)`` with a 1.0 in row ``j``."""
    e = np.zeros((n, 1))
    e[j] = 1.0
    return e


def _bias(layer: Dense) -> Parameter:
    """``layer.b``, which every Dense layer of a :class:`BookNetwork` has (its MLP keeps the default ``bias=True``)."""
    assert layer.b is not None
    return layer.b


class BookNetwork:
    """A network of sigmoid layers in the book's interface, computed by an mlplab :class:`~mlplab.MLP`.

    Parameters
    ----------
    sizes : list of int
        Neurons per layer, input first: ``[784, 30, 10]``.
    cost : class
        :class:`QuadraticCost` or :class:`CrossEntropyCost`.
    rng : numpy.random.Generator or int, optional
        Initial weights and the shuffle of every epoch (the book uses the global random state).
    """

    def __init__(
        self, sizes: Sequence[int], cost: Any = QuadraticCost, rng: np.random.Generator | int | None = None
    ) -> None:
        self.num_layers = len(sizes)
        self.sizes = list(sizes)
        self.cost = cost
        self.rng = as_generator(rng)
        self._model = MLP(
            self.sizes, activation="sigmoid", output_activation="identity", dtype=np.float64, rng=self.rng
        )
        self._loss = BookCost(cost)

    # -- the book's attributes: views of the engine's parameters -----------------------------------

    @property
    def _dense(self) -> list[Dense]:
        return [layer for layer in self._model.layers if isinstance(layer, Dense)]

    @property
    def weights(self) -> list[np.ndarray]:
        """``weights[l]`` is ``(sizes[l+1], sizes[l])``; writing into it changes the network."""
        return [layer.W.value.T for layer in self._dense]

    @weights.setter
    def weights(self, values: Iterable[Any]) -> None:
        for layer, w in zip(self._dense, values, strict=True):
            layer.W.value[...] = np.asarray(w, dtype=np.float64).T

    @property
    def biases(self) -> list[np.ndarray]:
        """``biases[l]`` is a column ``(sizes[l+1], 1)``; writing into it changes the network."""
        return [_bias(layer).value.reshape(-1, 1) for layer in self._dense]

    @biases.setter
    def biases(self, values: Iterable[Any]) -> None:
        for layer, b in zip(self._dense, values, strict=True):
            _bias(layer).value[...] = np.asarray(b, dtype=np.float64).reshape(-1)

    def _initialize(self, weight_scale: str) -> None:
        """Biases :math:`N(0, 1)`; weights :math:`N(0, 1)` (``"large"``) or :math:`N(0, 1/n_{in})` (``"default"``)."""
        for layer in self._dense:
            n_in, n_out = layer.W.value.shape
            w = self.rng.standard_normal((n_out, n_in))
            layer.W.value[...] = (w / np.sqrt(n_in) if weight_scale == "default" else w).T
            _bias(layer).value[...] = self.rng.standard_normal(n_out)

    # -- computing ------------------------------------------------------------------------------

    def feedforward(self, a: Any) -> np.ndarray:
        """Output activations for input column ``a`` ``(n_in, 1)`` (or rows ``(n, n_in)``, giving ``(n, n_out)``)."""
        a = np.asarray(a, dtype=np.float64)
        if a.ndim == 2 and a.shape[1] == 1 and a.shape[0] == self.sizes[0]:
            return sigmoid(self._model.forward(a.T)).T
        return sigmoid(self._model.forward(a.reshape(-1, self.sizes[0])))

    def _outputs(self, data: Sequence[tuple[Any, Any]]) -> np.ndarray:
        return sigmoid(self._model.forward(stack_inputs(data)))

    def backprop(self, x: Any, y: Any) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """``(nabla_b, nabla_w)``: the gradient of :math:`C_x` for one sample, in the book's shapes."""
        self._model.zero_grad()
        z = self._model.forward(np.asarray(x, dtype=np.float64).reshape(1, -1), training=True)
        self._loss.forward(z, stack_targets([(x, y)], self.sizes[-1]))
        self._model.backward(self._loss.backward(), input_grad=False)
        return (
            [_bias(layer).grad.reshape(-1, 1).copy() for layer in self._dense],
            [layer.W.grad.T.copy() for layer in self._dense],
        )

    def _optimizer(self, eta: float, lmbda: float, n: int) -> SGD:
        groups = [
            {"params": [layer.W for layer in self._dense], "weight_decay": lmbda / n},
            {"params": [layer.b for layer in self._dense], "weight_decay": 0.0},
        ]
        return SGD(groups, lr=eta)

    def update_mini_batch(
        self, mini_batch: Sequence[tuple[Any, Any]], eta: float, lmbda: float = 0.0, n: int = 1
    ) -> None:
        """One step of the book's rule on ``mini_batch``, all its samples in one matrix pass."""
        self._step(stack_inputs(mini_batch), stack_targets(mini_batch, self.sizes[-1]), self._optimizer(eta, lmbda, n))

    def _step(self, x: np.ndarray, y: np.ndarray, optimizer: SGD) -> None:
        optimizer.zero_grad()
        self._loss.forward(self._model.forward(x, training=True), y)
        self._model.backward(self._loss.backward(), input_grad=False)
        optimizer.step()

    def _epochs(self, training_data: Any, epochs: int, mini_batch_size: int, eta: float, lmbda: float = 0.0):
        """Run ``epochs`` epochs of shuffled mini-batches; yield after each (the caller monitors and prints)."""
        data = list(training_data)
        x, y = stack_inputs(data), stack_targets(data, self.sizes[-1])
        optimizer = self._optimizer(eta, lmbda, len(data))
        for epoch in range(epochs):
            order = self.rng.permutation(len(data))
            for start in range(0, len(data), mini_batch_size):
                idx = order[start : start + mini_batch_size]
                self._step(x[idx], y[idx], optimizer)
            yield epoch, data

    def evaluate(self, test_data: Any) -> int:
        """How many ``(x, label)`` pairs the network classifies right (the output with the highest activation)."""
        data = list(test_data)
        if not data:
            return 0
        return int(
            np.count_nonzero(self._outputs(data).argmax(axis=1) == stack_targets(data, self.sizes[-1]).argmax(axis=1))
        )

    def cost_derivative(self, output_activations: np.ndarray, y: np.ndarray) -> np.ndarray:
        """:math:`\\partial C_x/\\partial a = a - y` for the quadratic cost."""
        return output_activations - y
