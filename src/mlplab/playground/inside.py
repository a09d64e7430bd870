"""What happens inside the network, for the page: each neuron's output over the plane, and one step opened up.

:func:`diagram` gives the numbers of the network diagram (a map per neuron, the weights);
:func:`explain_step` opens up one optimizer step on a single sample, as the lectures write
backpropagation. Both read the model as it is and leave it so.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from ..clipping import clip_grad_norm, clip_grad_value
from ..functional import softmax
from ..layers import BatchNorm, Dense, Dropout
from ..layers.activations import ACTIVATIONS
from ..model import Sequential
from ..training import Trainer
from ..training.state import restore_weights, snapshot_weights

NEURON_GRID = 16
"""Cells per side of each neuron's heat map in the network diagram."""
SHOWN_UNITS = 16
"""Neurons of a layer the page shows (a wider layer is shown by its first ones, and says so)."""


def _dense(model: Sequential) -> list[Dense]:
    return [layer for layer in model.layers if isinstance(layer, Dense)]


def diagram(model: Sequential, grid: np.ndarray) -> dict[str, Any]:
    """The network diagram's numbers: each neuron's output at the points ``grid``, and the weights.

    ``columns`` holds, from the inputs to the outputs, each neuron's values at the grid's points
    (``grid`` is ``NEURON_GRID`` x ``NEURON_GRID`` points, row by row): the inputs themselves, each
    hidden layer's output after its activation (in inference mode: what the next layer receives),
    and the output's class probabilities. ``weights[k]`` is dense layer ``k``'s matrix (rows: its
    inputs). At most ``SHOWN_UNITS`` neurons of a layer are given; ``sizes`` says how many it has.
    """
    out = grid
    columns, seen_dense = [out], False
    layers = model.layers
    with np.errstate(all="ignore"):
        for i, layer in enumerate(layers):
            out = layer.forward(out)
            seen_dense = seen_dense or isinstance(layer, Dense)
            if seen_dense and (i + 1 == len(layers) or isinstance(layers[i + 1], Dense)):
                columns.append(out)
        columns[-1] = softmax(columns[-1].astype(np.float64), axis=1)
    listed = lambda values: np.round(np.nan_to_num(values, posinf=1e6, neginf=-1e6), 4).tolist()  # noqa: E731
    return {
        "grid": NEURON_GRID,
        "sizes": [int(column.shape[1]) for column in columns],
        "columns": [[listed(column[:, j]) for j in range(min(SHOWN_UNITS, column.shape[1]))] for column in columns],
        "weights": [listed(layer.W.value[:SHOWN_UNITS, :SHOWN_UNITS]) for layer in _dense(model)],
    }


def explain_step(trainer: Trainer, x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    r"""One optimizer step of ``trainer`` on the single sample ``(x, y)``, opened up; the network is left as it was.

    For each dense layer :math:`k` (inference mode: dropout off), the neurons' pre-activations
    :math:`z_k = W_k^\top a_{k-1} + b_k`, outputs :math:`a_k = f(z_k)` (the last layer's are its
    class probabilities) and :math:`\delta_k = \partial L / \partial z_k` from backpropagation
    (:math:`\delta_K = p - t` at a softmax cross-entropy output, :math:`\delta_k = f'(z_k) \odot
    W_{k+1}\delta_{k+1}` below it); each weight's :math:`\partial L / \partial W_k = a_{k-1}
    \delta_k^\top` and the change :math:`\Delta W_k` the optimizer makes from it (clipping,
    penalties and its state included), as the trainer would for a batch of this one sample.
    Matrices are cut to ``SHOWN_UNITS`` rows and columns. ``ValueError`` for a network with batch
    norm (one sample has no batch statistics).
    """
    model = trainer.model
    assert isinstance(model, Sequential)  # the recipe's models are
    layers = [layer for layer in model.layers if not isinstance(layer, Dropout)]  # inference mode: identity
    if any(isinstance(layer, BatchNorm) for layer in layers):
        raise ValueError("explain: not for a network with batch norm (one sample has no batch statistics)")
    dense = _dense(model)
    with np.errstate(all="ignore"):
        weights, optimizer_state = snapshot_weights(model), copy.deepcopy(trainer.optimizer.state_dict())
        try:
            trainer.optimizer.zero_grad()
            out, z, a = x, [], []
            for i, layer in enumerate(layers):
                out = layer.forward(out)
                if isinstance(layer, Dense):
                    z.append(out.copy())
                if z and (i + 1 == len(layers) or isinstance(layers[i + 1], Dense)):
                    a.append(out.copy())
            loss = trainer.loss.forward(out, y)
            grad: np.ndarray | None = trainer.loss.backward()
            deltas: list[np.ndarray] = []
            for i in range(len(layers) - 1, -1, -1):
                assert grad is not None  # only the first layer returns none
                if isinstance(layers[i], Dense):
                    deltas.insert(0, grad.copy())
                grad = layers[i].backward(grad, input_grad=i > 0)
            params = model.parameters()
            if trainer.clip_value is not None:
                clip_grad_value(params, trainer.clip_value)
            if trainer.clip_norm is not None:
                clip_grad_norm(params, trainer.clip_norm)
            gradients = [(layer.W.grad.copy(), None if layer.b is None else layer.b.grad.copy()) for layer in dense]
            before = [(layer.W.value.copy(), None if layer.b is None else layer.b.value.copy()) for layer in dense]
            trainer.optimizer.step()
            changes = [
                (layer.W.value - w, None if b is None or layer.b is None else layer.b.value - b)
                for layer, (w, b) in zip(dense, before)
            ]
        finally:  # nothing of this step stays: the weights and the optimizer's state are as they were
            restore_weights(model, weights)
            trainer.optimizer.load_state_dict(optimizer_state)
            trainer.optimizer.zero_grad()
    cut = lambda values: np.round(np.asarray(values, dtype=np.float64)[:SHOWN_UNITS, :SHOWN_UNITS], 6).tolist()  # noqa: E731
    row = lambda values: np.round(np.asarray(values, dtype=np.float64).ravel()[:SHOWN_UNITS], 6).tolist()  # noqa: E731
    probabilities = softmax(a[-1].astype(np.float64), axis=1) if trainer.loss.from_logits else a[-1]
    last = len(dense) - 1
    return {
        "x": row(x),
        "loss": float(loss),
        "optimizer": type(trainer.optimizer).__name__,
        "lr": float(trainer.optimizer.lr),
        "layers": [
            {
                "z": row(z[k]),
                "a": row(probabilities if k == last else a[k]),
                "delta": row(deltas[k]),
                "activation": "softmax" if k == last else _activation_after(model, dense[k]),
                "grad": cut(gradients[k][0]),
                "bias_grad": None if gradients[k][1] is None else row(gradients[k][1]),
                "change": cut(changes[k][0]),
                "bias_change": None if changes[k][1] is None else row(changes[k][1]),
            }
            for k in range(len(dense))
        ],
    }


def _activation_after(model: Sequential, layer: Dense) -> str:
    """The name of the activation that follows the dense ``layer`` (``identity`` if none)."""
    activation_types = tuple(ACTIVATIONS.get(name) for name in ACTIVATIONS.names())
    layers = model.layers
    for following in layers[layers.index(layer) + 1 :]:
        if isinstance(following, Dense):
            break
        if isinstance(following, activation_types):
            return type(following).__name__.lower()
    return "identity"
