"""Whether a trainer's epoch can run on the compiled loop, and the tables the loop runs from.

:func:`plan_epoch` looks at the model, the loss, the optimizer, the clipping and the callbacks
and returns a :class:`Plan`, or a sentence saying why the epoch stays on the general NumPy
path. Supported: a stack of ``Dense`` layers, each optionally followed by one element-wise
activation (identity, ReLU, leaky ReLU, sigmoid, tanh, step) and a ``Dropout``; softmax
cross-entropy with integer labels, MSE, half squared error, the quadratic cost, binary
cross-entropy (on logits or on probabilities); SGD (momentum, dampening, Nesterov), Adam
(AMSGrad), AdamW, RMSprop (centered, momentum), AdaGrad and Adadelta with their L1/L2
penalties; clipping by value and by norm.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ... import kernels
from ...layers import Dense, Dropout, Identity, LeakyReLU, ReLU, Sigmoid, Standardize, Step, Tanh
from ...layers.dropout import _RAW_64_BIT
from ...losses import MSE, BinaryCrossEntropy, HalfSquaredError, QuadraticCost, SoftmaxCrossEntropy
from ...optimizers import SGD, Adadelta, Adagrad, Adam, AdamW, Optimizer, RMSprop
from ...packing import contiguous_span
from ..callbacks import overrides

if TYPE_CHECKING:
    from ..trainer import Trainer

# the codes of mlplab.training.fast.loop and .elementwise (kept here so that planning does not import numba)
_ACTIVATIONS = {Identity: 0, ReLU: 1, LeakyReLU: 2, Sigmoid: 3, Tanh: 4, Step: 5}
_SOFTMAX_CE, _MSE, _HALF_MSE, _QUADRATIC, _BCE_LOGITS, _BCE_PROBS = range(6)
_SUM, _PER_ROW, _PER_ELEMENT = range(3)
_OPTIMIZERS = {SGD: 0, Adam: 1, AdamW: 2, RMSprop: 3, Adagrad: 4, Adadelta: 5}
_STATE_SLOTS: dict[type[Optimizer], tuple[str, ...]] = {
    SGD: ("velocity",),
    Adam: ("m", "v", "v_max"),
    AdamW: ("m", "v", "v_max"),
    RMSprop: ("square_avg", "grad_avg", "momentum_buffer"),
    Adagrad: ("sum",),
    Adadelta: ("square_avg", "acc_delta"),
}
"""Which optimizer state array each of the loop's three state rows holds."""
_N_LAYER_COLUMNS = 10
_CHUNK_SAMPLES = 8192
"""At most about this many samples per call of the compiled loop: between calls, Ctrl-C and the progress bar."""
_CHUNK_DRAWS = 2**18
"""At most about this many dropout draws (uint32, 1 MB) per call: they are made before the call."""


@dataclass
class Plan:
    """Everything the compiled loop needs besides the data: the network, loss and optimizer as tables."""

    theta: np.ndarray
    grad: np.ndarray
    layers: np.ndarray
    layer_values: np.ndarray
    dropouts: list[tuple[int, Dropout]]
    loss: int
    reduction: int
    labels: bool
    count_threshold: float
    consts: np.ndarray
    optimizer: int
    groups: np.ndarray
    hyper: np.ndarray
    hyper64: np.ndarray
    flats: list[Any]
    state_keys: list[tuple[int, str, float]]
    clip_value: float
    clip_norm: float
    input_mean: np.ndarray
    """A leading :class:`~mlplab.layers.Standardize`'s :math:`\\mu` (empty without one): the gather standardizes."""
    input_std: np.ndarray

    def batches_per_call(self, batch_size: int) -> int:
        """How many batches one call of the compiled loop trains: about 8,192 samples, fewer with wide dropout."""
        dropped_units = sum(int(self.layers[layer, 3]) for layer, _ in self.dropouts)
        samples = min(_CHUNK_SAMPLES, _CHUNK_DRAWS // max(1, dropped_units))
        return max(1, samples // batch_size)

    def spans(self, n_parts: int) -> np.ndarray:
        """Where each of ``n_parts`` threads' shares of the packed parameters start, and the end.

        The shares are about equal and made of whole weight rows and biases: a thread computes
        the gradient of its share as rows of a product (see :mod:`mlplab.training.fast.blas`).
        """
        size = self.theta.size
        starts = [np.array([size])]
        for w_off, b_off, n_in, n_out in self.layers[:, :4]:
            starts.append(np.arange(w_off, w_off + n_in * n_out, n_out))
            starts.append(np.array([b_off] if b_off >= 0 else [], dtype=np.int64))
        cuts = np.unique(np.concatenate(starts))
        ideal = size * np.arange(n_parts + 1) // n_parts
        nearest = np.clip(np.searchsorted(cuts, ideal), 0, cuts.size - 1)
        below = cuts[np.maximum(nearest - 1, 0)]
        bounds = np.where(np.abs(below - ideal) < np.abs(cuts[nearest] - ideal), below, cuts[nearest])
        bounds[0], bounds[-1] = 0, size
        return np.maximum.accumulate(bounds).astype(np.int64)

    def work_size(self, batch_size: int, n_features: int, whole: bool) -> int:
        """Elements of the scratch array for batches of ``batch_size``; sets the offsets in ``layers``."""
        offset = 0 if whole else batch_size * n_features
        for row in self.layers:
            n_out = int(row[3])
            row[8] = offset  # activation output
            offset += batch_size * n_out
            row[7] = offset if row[5] else row[8]  # dropout output
            offset += batch_size * n_out if row[5] else 0
            row[9] = offset  # gradient
            offset += batch_size * n_out
        return offset


def _leading_standardize(model: Any, theta: np.ndarray) -> tuple[tuple[np.ndarray, np.ndarray] | str, Any]:
    """A first :class:`~mlplab.layers.Standardize`'s :math:`\\mu` and :math:`\\sigma` (empty without one), and the layers after it.

    The loop standardizes each row as it gathers it, as the layer would, so no standardized copy of
    the data is made; ``mlplab train``'s recipe puts one first by default.
    """
    layers = getattr(model, "layers", None)
    empty = np.empty(0, dtype=theta.dtype)
    if not isinstance(layers, list) or not layers or not isinstance(layers[0], Standardize):
        return (empty, empty), layers
    first = layers[0]
    if first.dtype != theta.dtype:
        return f"layers[0] ({first!r}) is not in the model's dtype", layers
    return (first.mean, first.std), layers[1:]


def _layer_table(
    layers: Any, model_name: str, theta: np.ndarray, first_index: int = 0
) -> tuple[np.ndarray, np.ndarray, list[tuple[int, Dropout]]] | str:
    """The rows of ``Dense [activation] [Dropout]`` blocks, or why the model is not such a stack.

    ``first_index`` is where ``layers`` start in the model (for the messages).
    """
    if not isinstance(layers, list) or not layers:
        return f"the model is a {model_name}, not a stack of layers"
    rows: list[list[int]] = []
    values: list[list[float]] = []
    dropouts: list[tuple[int, Dropout]] = []
    dtype = theta.dtype.type
    for i, layer in enumerate(layers, start=first_index):
        kind = type(layer)
        if kind is Dense:
            b_off = -1 if layer.b is None else _offset(layer.b.value, theta)
            rows.append([_offset(layer.W.value, theta), b_off, layer.in_features, layer.out_features, 0, 0, 0, 0, 0, 0])
            values.append([0.0, 0.0])
            continue
        if not rows:
            return f"layers[{i}] ({layer!r}) comes before the first Dense layer"
        row = rows[-1]
        if kind in _ACTIVATIONS and row[4] == 0 and not row[5]:
            row[4] = _ACTIVATIONS[kind]
            values[-1][0] = dtype(getattr(layer, "slope", 0.0))
        elif kind is Dropout and not row[5]:
            if layer.p == 0.0:
                continue
            if not isinstance(layer.rng.bit_generator, _RAW_64_BIT):
                return f"layers[{i}]'s generator ({type(layer.rng.bit_generator).__name__}) is not a 64-bit one"
            row[5], row[6] = 1, min(round(layer.p * 2**32), 2**32 - 1)
            values[-1][1] = dtype(1.0 / (1.0 - layer.p))
            dropouts.append((len(rows) - 1, layer))
        else:
            return f"layers[{i}] ({layer!r}) is not a Dense layer, an element-wise activation or dropout"
    for i in range(1, len(rows)):
        if rows[i][2] != rows[i - 1][3]:
            return f"Dense layer {i} takes {rows[i][2]} inputs but the layer before gives {rows[i - 1][3]}"
    return np.array(rows, dtype=np.int64), np.array(values, dtype=theta.dtype), dropouts


def _offset(array: np.ndarray, base: np.ndarray) -> int:
    """Where ``array`` (a view into ``base``) starts in ``base``, in elements."""
    start = array.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    return int(start // base.itemsize)


def _loss_code(loss: Any, y: np.ndarray) -> tuple[int, int, bool, float] | str:
    """``(loss, reduction, labels?, count threshold)`` for the loop, or why the loss is not supported."""
    kind = type(loss)
    per_element = _SUM if loss.reduction == "sum" else _PER_ELEMENT
    if kind is SoftmaxCrossEntropy:
        if y.ndim != 1:
            return "softmax cross-entropy runs compiled on integer labels, not on target rows"
        return _SOFTMAX_CE, (_SUM if loss.reduction == "sum" else _PER_ROW), True, 0.0
    codes = {MSE: _MSE, HalfSquaredError: _HALF_MSE}
    if kind in codes:
        return codes[kind], per_element, False, 0.0
    if kind is QuadraticCost:
        return _QUADRATIC, (_SUM if loss.reduction == "sum" else _PER_ROW), False, 0.0
    if kind is BinaryCrossEntropy:
        return (_BCE_LOGITS if loss.from_logits else _BCE_PROBS), per_element, False, (0.0 if loss.from_logits else 0.5)
    return f"the loss {loss!r} has no compiled form"


def _hyper(optimizer: Optimizer, group: dict[str, Any]) -> tuple[list[float], list[int]]:
    """A group's floats (``LR, WD, L1, DECAY, H1 .. H5`` of the loop) and its two switches."""
    lr, wd, l1 = group["lr"], group.get("weight_decay", 0.0), group.get("l1", 0.0)
    head = [lr, wd, l1, 1 - lr * wd]
    if isinstance(optimizer, SGD):
        mu = group["momentum"]
        return head + [mu, 1 - group["dampening"], 0, 0, 0], [int(group["nesterov"]), int(mu != 0)]
    if isinstance(optimizer, Adam):
        beta1, beta2 = group["betas"]
        return head + [beta1, 1 - beta1, beta2, 1 - beta2, group["eps"]], [int(group["amsgrad"]), 0]
    if isinstance(optimizer, RMSprop):
        alpha, mu = group["alpha"], group["momentum"]
        return head + [alpha, 1 - alpha, group["eps"], mu, 0], [int(group["centered"]), int(mu > 0)]
    if isinstance(optimizer, Adagrad):
        return head + [group["lr_decay"], group["eps"], 0, 0, 0], [0, 0]
    rho = group["rho"]
    return head + [rho, 1 - rho, group["eps"], 0, 0], [0, 0]


def _state_keys(optimizer: Optimizer, group: dict[str, Any]) -> list[tuple[int, str, float]]:
    """``(row, key, initial value)`` of each state array the optimizer keeps for ``group``."""
    names = _STATE_SLOTS[type(optimizer)]
    if isinstance(optimizer, SGD):
        return [(0, names[0], 0.0)] if group["momentum"] != 0 else []
    if isinstance(optimizer, Adam):
        return [(0, "m", 0.0), (1, "v", 0.0)] + ([(2, "v_max", 0.0)] if group["amsgrad"] else [])
    if isinstance(optimizer, RMSprop):
        keys = [(0, "square_avg", 0.0)]
        keys += [(1, "grad_avg", 0.0)] if group["centered"] else []
        return keys + ([(2, "momentum_buffer", 0.0)] if group["momentum"] > 0 else [])
    if isinstance(optimizer, Adagrad):
        return [(0, "sum", float(group["initial_accumulator_value"]))]
    return [(0, "square_avg", 0.0), (1, "acc_delta", 0.0)]


def _optimizer_tables(
    optimizer: Optimizer, theta: np.ndarray
) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, list[Any], list[tuple[int, str, float]]] | str:
    """The optimizer's code, its groups' spans and hyper-parameters, and its state keys; or why it has none."""
    kind = type(optimizer)
    if kind not in _OPTIMIZERS:
        return f"the optimizer {kind.__name__} has no compiled form"
    flats = optimizer.flat_groups()
    if flats is None:
        return "the optimizer's parameter groups are not each one span of the model's packed parameters"
    groups, hyper = [], []
    keys = None
    for group, flat in zip(optimizer.param_groups, flats):
        if flat.param.value.base is not theta:
            return "the optimizer updates parameters that are not the model's"
        lo = _offset(flat.param.value, theta)
        values, flags = _hyper(optimizer, group)
        group_keys = _state_keys(optimizer, group)
        if keys is not None and group_keys != keys:
            return "the optimizer's groups keep different state"
        keys = group_keys
        groups.append([lo, lo + flat.param.size, *flags])
        hyper.append(values)
    return (
        _OPTIMIZERS[kind],
        np.array(groups, dtype=np.int64),
        np.array(hyper, dtype=theta.dtype),
        np.array(hyper, dtype=np.float64),
        flats,
        keys or [],
    )


def plan_epoch(trainer: Trainer, x: np.ndarray, y: np.ndarray) -> Plan | str:
    """The compiled loop's tables for an epoch of ``trainer`` on ``(x, y)``, or why it cannot (or should not) run it.

    Left to choose (``fast_path=None``), a trainer whose batch is the whole set keeps the general
    path: with one step per epoch there is no per-step cost to remove, and NumPy's vectorized
    ``exp`` and comparisons are faster over 60,000 rows than the loop's (0.129 against 0.140 s
    per epoch for 784-100-10 on Fashion-MNIST).
    """
    if importlib.util.find_spec("numba") is None or importlib.util.find_spec("scipy") is None:
        return 'numba or SciPy is not installed (pip install "mlplab[fast]")'
    if not kernels.enabled():
        return "the compiled kernels are switched off (MLPLAB_NUMBA=0 or kernels.set_enabled(False))"
    if trainer.fast_path is None and (trainer.batch_size is None or trainer.batch_size >= len(x)):
        return "one batch per epoch: nothing to gain from compiling the loop"  # measured: NumPy's ufuncs win there
    for cb in trainer.callbacks:
        if (overrides(cb, "on_batch_begin") or overrides(cb, "on_batch_end")) and not overrides(cb, "on_batches_end"):
            return f"the callback {type(cb).__name__} needs each batch"
    model = trainer.model
    params = model.parameters()
    span = contiguous_span(params) if len(params) > 1 else None
    if span is None or span[0].value.base is None:
        return "the model's parameters are not packed into one array"
    theta, grad = span[0].value.base, span[0].grad.base
    if grad is None or theta.dtype not in (np.float32, np.float64) or theta.size != span[0].value.size:
        return "the model's parameters are not one float32 or float64 array"
    if x.dtype != theta.dtype or not x.flags.c_contiguous:
        return "the samples are not a C-contiguous array of the model's dtype"
    standardize, model_layers = _leading_standardize(model, theta)
    if isinstance(standardize, str):
        return standardize
    table = _layer_table(model_layers, type(model).__name__, theta, first_index=1 if standardize[0].size else 0)
    if isinstance(table, str):
        return table
    layers, layer_values, dropouts = table
    loss = _loss_code(trainer.loss, y)
    if isinstance(loss, str):
        return loss
    optimizer = _optimizer_tables(trainer.optimizer, theta)
    if isinstance(optimizer, str):
        return optimizer
    code, reduction, labels, threshold = loss
    if not labels and (y.ndim > 2 or y.reshape(len(y), -1).shape[1] != layers[-1, 3]):
        return f"targets of shape {y.shape} do not match the {layers[-1, 3]} outputs"
    if code == _BCE_PROBS and (layers[-1, 4] != _ACTIVATIONS[Sigmoid] or layers[-1, 5]):
        return "binary cross-entropy on probabilities runs compiled only after a sigmoid output layer"
    optimizer_code, groups, hyper, hyper64, flats, state_keys = optimizer
    return Plan(
        theta=theta,
        grad=grad,
        layers=layers,
        layer_values=layer_values,
        dropouts=dropouts,
        loss=code,
        reduction=reduction,
        labels=labels,
        count_threshold=threshold,
        consts=np.array([1.0, 0.0, 0.5, -100.0, 1e-12], dtype=theta.dtype),
        optimizer=optimizer_code,
        groups=groups,
        hyper=hyper,
        hyper64=hyper64,
        flats=flats,
        state_keys=state_keys,
        clip_value=float(trainer.clip_value or 0.0),
        clip_norm=float(trainer.clip_norm or 0.0),
        input_mean=standardize[0],
        input_std=standardize[1],
    )
