"""Callbacks: the behaviour around the training loop (history, early stopping, schedules, logging).

A callback overrides any of the no-op hooks of :class:`Callback`. The trainer
calls them with ``logs``, a dict of the metrics known so far (``loss``,
``accuracy``, ``val_loss``, ``val_accuracy``, ``lr``, ``epoch_time``); a callback
stops training by setting ``trainer.stop_training = True``.

A callback's state is part of the training state: ``state_dict`` returns what it
needs to continue (arrays included, such as :class:`EarlyStopping`'s best weights),
the trainer's checkpoints hold it, and ``reset`` forgets it when a new fit begins.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..schedules import ReduceOnPlateau, Schedule
from .state import restore_weights, snapshot_weights

if TYPE_CHECKING:
    from .trainer import Trainer


class Callback:
    """Base class with no-op hooks; ``self.trainer`` is set before ``on_train_begin``."""

    trainer: Trainer

    def on_train_begin(self, logs: dict[str, Any]) -> None: ...

    def on_train_end(self, logs: dict[str, Any]) -> None: ...

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any]) -> None: ...

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None: ...

    def on_batch_begin(self, batch: int, logs: dict[str, Any]) -> None: ...

    def on_batch_end(self, batch: int, logs: dict[str, Any]) -> None: ...

    def reset(self) -> None:
        """Forget what an earlier fit left: called when a fit begins at epoch 0 (not when one resumes)."""

    def state_dict(self) -> dict[str, Any]:
        """What a checkpoint must keep for an exact resume: JSON-able values and NumPy arrays, nested in dicts."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned."""


def overrides(callback: Callback, hook: str) -> bool:
    """Whether ``callback`` implements ``hook`` (batch hooks are dispatched only to those that do)."""
    return getattr(type(callback), hook) is not getattr(Callback, hook)


class History(Callback):
    """Records every epoch's logs: ``history.history["val_loss"][e]`` and ``history.epochs``."""

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epochs: list[int] = []

    def reset(self) -> None:
        self.history, self.epochs = {}, []

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        self.epochs.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)

    def state_dict(self) -> dict[str, Any]:
        return {"history": self.history, "epochs": self.epochs}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.history = {k: list(v) for k, v in state["history"].items()}
        self.epochs = list(state["epochs"])

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]


def _better(mode: str, value: float, best: float, min_delta: float) -> bool:
    return value < best - min_delta if mode == "min" else value > best + min_delta


def _mode_for(monitor: str, mode: str) -> str:
    if mode == "auto":
        return "max" if "acc" in monitor else "min"
    if mode not in ("min", "max"):
        raise ValueError(f"Invalid mode: {mode!r} (valid: auto, min, max)")
    return mode


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    With ``restore_best_weights`` the model ends training with the weights (and
    batch-norm statistics) of its best epoch, not of its last. The best weights
    are part of its state, so a checkpoint keeps them and a resumed run restores
    the same epoch's weights as an uninterrupted one.

    Parameters
    ----------
    monitor : str, default "val_loss"
    patience : int, default 5
    min_delta : float, default 0
    mode : {"auto", "min", "max"}
        ``"auto"`` maximizes metrics whose name contains "acc", minimizes the rest.
    restore_best_weights : bool, default True
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 5,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best_weights: bool = True,
    ) -> None:
        if int(patience) < 0:
            raise ValueError(f"Invalid patience: {patience!r} (must be >= 0)")
        self.monitor, self.patience, self.min_delta = monitor, int(patience), abs(float(min_delta))
        self.mode = _mode_for(monitor, mode)
        self.restore_best_weights = restore_best_weights
        self.reset()

    def reset(self) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = -1
        self.wait = 0
        self.stopped_epoch: int | None = None
        self.best_weights: dict[str, np.ndarray] | None = None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        if self.monitor not in logs:
            raise KeyError(f"EarlyStopping monitors {self.monitor!r}, but the logs have only {sorted(logs)}")
        value = float(logs[self.monitor])
        if _better(self.mode, value, self.best, self.min_delta):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = snapshot_weights(self.trainer.model)
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = epoch
                self.trainer.stop_training = True

    def on_train_end(self, logs: dict[str, Any]) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            restore_weights(self.trainer.model, self.best_weights)

    def state_dict(self) -> dict[str, Any]:
        return {
            "best": self.best,
            "best_epoch": self.best_epoch,
            "wait": self.wait,
            "stopped_epoch": self.stopped_epoch,
            "best_weights": self.best_weights,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best, self.best_epoch, self.wait = state["best"], state["best_epoch"], state["wait"]
        self.stopped_epoch = state["stopped_epoch"]
        self.best_weights = None if state["best_weights"] is None else dict(state["best_weights"])


class LearningRateScheduler(Callback):
    """Set the optimizer's rate at the start of each epoch from a closed-form schedule ``lr(epoch)``;
    a :class:`~mlplab.schedules.ReduceOnPlateau` is instead fed ``monitor`` at each epoch's end."""

    def __init__(self, schedule: Schedule, monitor: str = "val_loss") -> None:
        self.schedule = schedule
        self.monitor = monitor

    def reset(self) -> None:
        if isinstance(self.schedule, ReduceOnPlateau):
            self.schedule.reset()

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any]) -> None:
        self.schedule.apply(self.trainer.optimizer, epoch)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        if isinstance(self.schedule, ReduceOnPlateau):
            key = self.monitor if self.monitor in logs else "loss"
            self.schedule.update(logs[key])

    def state_dict(self) -> dict[str, Any]:
        if isinstance(self.schedule, ReduceOnPlateau):
            s = self.schedule
            return {
                "current": s.current,
                "best": s.best,
                "bad_updates": s.bad_updates,
                "cooldown_left": s.cooldown_left,
            }
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for key, value in state.items():
            setattr(self.schedule, key, value)


class ModelCheckpoint(Callback):
    """Save the model (architecture and weights, see :func:`mlplab.persistence.save`) after each epoch.

    With ``save_best_only`` the file is written only when ``monitor`` improves,
    so it always holds the best model so far. Writes are atomic.
    """

    def __init__(self, path: str | Path, monitor: str = "val_loss", save_best_only: bool = False, mode: str = "auto"):
        self.path = Path(path)
        self.monitor, self.save_best_only = monitor, save_best_only
        self.mode = _mode_for(monitor, mode)
        self.reset()

    def reset(self) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        from ..persistence import save

        if self.save_best_only:
            value = logs.get(self.monitor)
            if value is None or not _better(self.mode, float(value), self.best, 0.0):
                return
            self.best = float(value)
        save(self.trainer.model, self.path)

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best = state["best"]


class CSVLogger(Callback):
    """Append one row per epoch (``epoch`` and every log key) to a CSV file, flushed each epoch."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        keys = ["epoch", *logs]
        new_file = not self.path.exists() or self.path.stat().st_size == 0
        with self.path.open("a", newline="") as f:
            writer = csv.writer(f)
            if new_file:
                writer.writerow(keys)
            writer.writerow([epoch + 1, *(logs[k] for k in keys[1:])])


class JSONLLogger(Callback):
    """Append one JSON object per epoch (``{"epoch": 1, "loss": ..., ...}``) to a file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        with self.path.open("a") as f:
            f.write(json.dumps({"epoch": epoch + 1, **logs}) + "\n")
