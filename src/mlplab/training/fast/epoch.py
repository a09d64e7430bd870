"""An epoch on the compiled loop: the shuffle, the dropout draws and the optimizer state around it.

The random streams are the general path's: the epoch's order is the trainer generator's
``permutation(n)`` (as :func:`mlplab.datasets.preprocessing.minibatches` draws it), and each
dropout layer's mask for each batch comes from the same raw 64-bit draws, in the same order,
that :class:`~mlplab.layers.Dropout` makes; they are drawn for a run of batches at a time.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ..callbacks import overrides
from . import parts
from .plan import Plan

if TYPE_CHECKING:
    from ..trainer import Trainer


def run_epoch(trainer: Trainer, plan: Plan, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Train one epoch of ``trainer`` on the compiled loop; return its ``loss`` (and ``accuracy``).

    Raises the trainer's :class:`~mlplab.training.TrainingDiverged` when a batch's loss is not
    finite. Between runs of batches the callbacks that take them (``on_batches_end``, such as the
    progress bar) hear of them, and Ctrl-C is taken.
    """
    from . import loop  # compiles (or loads from the cache) on first use
    from .sync import STRIDE, slots

    n, d = x.shape
    size = n if trainer.batch_size is None else min(trainer.batch_size, n)
    whole = size == n
    order = trainer.rng.permutation(n) if trainer.shuffle else np.arange(n)
    dtype = plan.theta.dtype
    mean, std = plan.input_mean, plan.input_std
    if whole and mean.size:  # every row in one batch, used in place: standardized once, as the layer does
        x = np.subtract(x, mean, dtype=dtype)
        x /= std
        mean = std = np.empty(0, dtype=dtype)
    if plan.labels:
        labels, targets = np.ascontiguousarray(y, dtype=np.intp), np.empty((0, 0), dtype=dtype)
    else:
        labels, targets = np.empty(0, dtype=np.intp), np.ascontiguousarray(y.reshape(n, -1), dtype=dtype)
    work = np.empty(plan.work_size(size, d, whole), dtype=dtype)
    state = _gather_state(plan)
    steps = np.array([flat.state["step"] for flat in plan.flats], dtype=np.int64)
    listeners = [cb for cb in trainer.callbacks if overrides(cb, "on_batches_end")]
    n_batches = math.ceil(n / size)
    per_call = plan.batches_per_call(size)
    total_loss, correct, seen = 0.0, 0, 0
    with parts.blas_for_parts(size) as n_parts:
        spans = plan.spans(n_parts)
        shortest = n - (n_batches - 1) * size  # the last batch
        split_inputs = n_parts > 1 and min(size, shortest) <= d  # as the loop decides for some batch
        partials = np.empty((n_parts if split_inputs else 0, size * int(plan.layers[0, 3])), dtype=dtype)
        try:
            for first in range(0, n_batches, per_call):
                count = min(per_call, n_batches - first)
                draws, offsets = _dropout_draws(plan, first, count, size, n)
                sync = slots(n_parts)
                args = (
                    x, labels, targets, order, first, count, size,
                    plan.theta, plan.grad, plan.layers, plan.layer_values, work, draws, offsets,
                    plan.loss, plan.reduction, trainer.classification, plan.count_threshold, plan.consts,
                    plan.optimizer, plan.groups, plan.hyper, plan.hyper64, steps, state,
                    plan.clip_value, plan.clip_norm, mean, std,
                    spans, partials, np.zeros(STRIDE * n_parts), sync,
                )  # fmt: skip
                results = parts.run_in_parts(loop.train_batches, args, n_parts, sync)
                done, loss_sum, _, bad = results[0]
                total_loss += loss_sum
                correct += sum(result[2] for result in results)
                seen += min(n, (first + done) * size) - first * size
                trainer._running = (total_loss, correct, seen)
                if done < count:
                    epoch, batch = trainer.epoch + 1, first + done + 1
                    raise trainer._diverged("loss", f"loss became {bad} at epoch {epoch}, batch {batch}")
                for cb in listeners:
                    cb.on_batches_end(first + count - 1, count, {})
        finally:
            _scatter_state(plan, state, steps)
    logs = {"loss": total_loss / seen}
    if trainer.classification:
        logs["accuracy"] = correct / seen
    return logs


def _gather_state(plan: Plan) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The optimizer's state arrays over the packed parameters, as the loop's three (empty where unused).

    A single group over all the parameters lends its own arrays (created here before its first
    step); several groups are copied into arrays over the whole span, and back by :func:`_scatter_state`.
    """
    dtype, size = plan.theta.dtype, plan.theta.size
    state = [np.empty(0, dtype=dtype) for _ in range(3)]
    if _single_group(plan):
        for row, key, initial in plan.state_keys:
            kept = plan.flats[0].state.get(key)
            state[row] = np.full(size, initial, dtype=dtype) if kept is None else kept
        return state[0], state[1], state[2]
    for row, key, initial in plan.state_keys:
        state[row] = np.empty(size, dtype=dtype)
        for (lo, hi), flat in zip(plan.groups[:, :2], plan.flats):
            state[row][lo:hi] = flat.state[key] if key in flat.state else initial
    return state[0], state[1], state[2]


def _scatter_state(plan: Plan, state: tuple[np.ndarray, ...], steps: np.ndarray) -> None:
    """Leave the loop's state in the optimizer's groups: their step counts, and arrays created or copied back."""
    single = _single_group(plan)
    for (lo, hi), flat, step in zip(plan.groups[:, :2], plan.flats, steps):
        if step == 0:  # no step yet: no state, as the optimizer has none before its first step
            continue
        flat.state["step"] = int(step)
        for row, key, _ in plan.state_keys:
            if single:
                flat.state[key] = state[row]
            elif key in flat.state:
                flat.state[key][...] = state[row][lo:hi]
            else:
                flat.state[key] = state[row][lo:hi].copy()


def _single_group(plan: Plan) -> bool:
    """Whether the optimizer has one group, over all the packed parameters."""
    return len(plan.flats) == 1 and plan.groups[0, 0] == 0 and plan.groups[0, 1] == plan.theta.size


def _dropout_draws(plan: Plan, first: int, count: int, size: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The uniform 32-bit draws of every dropout mask of batches ``first .. first + count - 1``.

    Returns the draws and, per batch and layer, where that layer's mask starts in them. Each
    generator makes its raw 64-bit outputs in the order the layers would ask for them batch by
    batch (each mask of ``k`` units takes ``ceil(k / 2)`` outputs, split in halves).
    """
    offsets = np.zeros((count, plan.layers.shape[0]), dtype=np.int64)
    if not plan.dropouts:
        return np.empty(0, dtype=np.uint32), offsets
    starts = np.arange(first, first + count) * size
    rows = np.minimum(size, n - starts)
    words = np.stack([(rows * plan.layers[layer, 3] + 1) // 2 for layer, _ in plan.dropouts], axis=1)
    by_generator: dict[int, list[int]] = {}
    for column, (_, dropout) in enumerate(plan.dropouts):
        by_generator.setdefault(id(dropout.rng), []).append(column)
    buffers, base = [], 0
    for columns in by_generator.values():
        taken = words[:, columns]
        flat = taken.reshape(-1)
        begin = (np.cumsum(flat) - flat).reshape(taken.shape) * 2 + base
        for i, column in enumerate(columns):
            offsets[:, plan.dropouts[column][0]] = begin[:, i]
        generator = plan.dropouts[columns[0]][1].rng
        raw = generator.bit_generator.random_raw(int(flat.sum())).view(np.uint32)
        buffers.append(raw)
        base += raw.size
    return (buffers[0] if len(buffers) == 1 else np.concatenate(buffers)), offsets
