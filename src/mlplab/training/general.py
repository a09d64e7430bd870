"""The general training loop: the readable reference, one batch at a time in NumPy.

Every model, loss, optimizer and callback trains here; :mod:`mlplab.training.fast` is the
compiled loop that repeats this one's arithmetic for the stacks it supports, and the trainer
picks between them each epoch (:attr:`~mlplab.training.Trainer.epoch_path`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ..clipping import clip_grad_norm, clip_grad_value
from ..datasets.preprocessing import minibatches
from . import evaluation
from .callbacks import overrides

if TYPE_CHECKING:
    from .trainer import Trainer


def run_epoch(trainer: Trainer, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """One epoch of ``trainer``: per batch, gather, forward, loss, backward, clip and step; its ``loss``
    (and ``accuracy``).

    Batch hooks run around each batch. A batch whose loss is not finite raises the trainer's
    :class:`~mlplab.training.TrainingDiverged` before its backward pass.
    """
    model, loss, optimizer = trainer.model, trainer.loss, trainer.optimizer
    forward = getattr(model, "forward_unchecked", model.forward)
    params = model.parameters()
    begin = [cb for cb in trainer.callbacks if overrides(cb, "on_batch_begin")]
    end = [cb for cb in trainer.callbacks if overrides(cb, "on_batch_end")]
    total_loss, correct, seen = 0.0, 0, 0
    n = x.shape[0]
    size = n if trainer.batch_size is None else min(trainer.batch_size, n)
    if size < n:
        x_buffer = np.empty((size, *x.shape[1:]), dtype=x.dtype)
        y_buffer = np.empty((size, *y.shape[1:]), dtype=y.dtype)
    for batch, idx in enumerate(minibatches(n, trainer.batch_size, trainer.rng, trainer.shuffle)):
        for cb in begin:
            cb.on_batch_begin(batch, {})
        if len(idx) == n:  # the whole set: its order does not change the mean gradient
            xb, yb = x, y
        else:  # copy the rows into reused buffers (indices are in range: "clip" skips the check)
            xb = np.take(x, idx, axis=0, out=x_buffer[: len(idx)], mode="clip")
            yb = np.take(y, idx, axis=0, out=y_buffer[: len(idx)], mode="clip")
        optimizer.zero_grad()
        out = forward(xb, training=True)
        value = loss.forward(out, yb)
        if not math.isfinite(value):
            raise trainer._diverged("loss", f"loss became {value} at epoch {trainer.epoch + 1}, batch {batch + 1}")
        model.backward(loss.backward(), input_grad=False)
        if trainer.clip_value is not None:
            clip_grad_value(params, trainer.clip_value)
        if trainer.clip_norm is not None:
            clip_grad_norm(params, trainer.clip_norm)
        optimizer.step()
        total_loss += value * len(idx)
        seen += len(idx)
        if trainer.classification:
            correct += evaluation.count_correct(out, yb, from_logits=loss.from_logits)
        trainer._running = (total_loss, correct, seen)
        for cb in end:
            cb.on_batch_end(batch, {})
    logs = {"loss": total_loss / seen}
    if trainer.classification:
        logs["accuracy"] = correct / seen
    return logs
