"""The fast path: whole runs of batches trained by one compiled loop (numba), through the same ``fit``.

Small batches are dominated by the cost of calling NumPy, not by arithmetic: at batch 10 a
step of the general loop spends about four times as long in Python as in its matrix
products, and at batch 1 far more. The compiled loop gathers each batch, runs the forward
pass, the loss, the backward pass, the clipping and the optimizer's update for many batches
without returning to Python, on every core the process was given: each batch is split between
threads (:mod:`mlplab.training.fast.parts`).

It is a fast path, not a second definition: the readable NumPy layers, losses and optimizers
stay the reference, the loop repeats their arithmetic in the model's dtype with the same random
streams (the shuffle, every dropout mask), and the tests hold it to them for every supported
combination. :func:`plan_epoch` says what it supports; anything else, a callback that needs
each batch (one that overrides ``on_batch_begin`` or ``on_batch_end`` without
``on_batches_end``), a model that is not packed, or numba missing, trains on the general path
by itself. ``Trainer(fast_path=False)`` forces the general path, ``fast_path=True`` refuses to
train where the fast path does not apply; :attr:`Trainer.epoch_path` tells which path the last
epoch took and why. The default of ``Trainer(fast_path=None)`` is :func:`enabled`: on, unless
the environment variable ``MLPLAB_FAST_PATH=0`` or :func:`set_enabled` switched it off.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import Iterator

from .epoch import run_epoch
from .plan import Plan, plan_epoch

__all__ = ["Plan", "enabled", "plan_epoch", "run_epoch", "set_enabled", "subnormals_flushed"]

_enabled = os.environ.get("MLPLAB_FAST_PATH", "1") != "0"


def enabled() -> bool:
    """Whether trainers use the fast path where it applies (when not told with ``fast_path``)."""
    return _enabled


def set_enabled(flag: bool) -> bool:
    """Make the fast path the trainers' default (``True``) or not; returns the previous setting."""
    global _enabled
    previous, _enabled = _enabled, bool(flag)
    return previous


@contextlib.contextmanager
def subnormals_flushed() -> Iterator[None]:
    """Flush subnormal numbers to zero on this thread meanwhile (x86-64, with numba); elsewhere nothing.

    The trainer's general loop runs inside it, as the compiled loop does: at batch 1 with momentum,
    subnormal velocities made the general loop's epoch 3.3x slower (12.95 s against 3.99 s for
    784-100-10 on 20,000 images), for changes below 1.2e-38 (see :mod:`.denormals`).
    """
    if importlib.util.find_spec("numba") is None:
        yield
        return
    from .denormals import flush_denormals, restore_denormals

    previous = flush_denormals()
    try:
        yield
    finally:
        restore_denormals(previous)
