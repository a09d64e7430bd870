"""Callbacks: the behaviour around the training loop (history, early stopping, schedules, logging).

A callback overrides any of the no-op hooks of :class:`Callback`. The trainer
calls them with ``logs``, a dict of the metrics known so far (``loss``,
``accuracy``, ``val_loss``, ``val_accuracy``, ``lr``, ``epoch_time``); a callback
stops training by setting ``trainer.stop_training = True``.

A callback's state is part of the training state: ``state_dict`` returns what it
needs to continue (arrays included, such as :class:`EarlyStopping`'s best weights),
the trainer's checkpoints hold it, and ``reset`` forgets it when a new fit begins.
The trainer also keeps the state of each epoch's start, to roll an interrupted
epoch back to; a callback whose files follow its state (the loggers, the model
checkpoints) makes them agree with the state it is given in ``load_state_dict``.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .._atomic import atomic_write
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

    def on_batches_end(self, batch: int, count: int, logs: dict[str, Any]) -> None:
        """After the compiled fast path trained ``count`` batches in one run, the last one ``batch``.

        The fast path (:mod:`mlplab.training.fast`) calls this instead of the two batch hooks.
        A callback that overrides ``on_batch_begin`` or ``on_batch_end`` but not this one needs
        each batch, and so keeps training on the general path.
        """

    def reset(self) -> None:
        """Forget what an earlier fit left: called when a fit begins at epoch 0 (not when one resumes)."""

    def state_dict(self) -> dict[str, Any]:
        """What a checkpoint must keep for an exact resume: JSON-able values and NumPy arrays, nested in dicts.

        The trainer keeps it in memory too, to roll an epoch back to: return what the callback will
        not change in place afterwards (copies of the lists it appends to, arrays it replaces).
        """
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
        return {"history": {k: list(v) for k, v in self.history.items()}, "epochs": list(self.epochs)}

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
    batch-norm statistics) of its best epoch, not of its last; a fit cut short
    (Ctrl-C, divergence) keeps the weights it was rolled back to, so that it can go on. The best weights
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
        # only when training is over: after Ctrl-C or divergence the model stays as the checkpoint has it
        over = self.stopped_epoch is not None or self.trainer.epoch >= self.trainer.epochs
        if self.restore_best_weights and self.best_weights is not None and over:
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


_UNKNOWN = object()  # what a ModelCheckpoint's file holds when it cannot know


class ModelCheckpoint(Callback):
    """Save the model (architecture and weights, see :func:`mlplab.persistence.save`) after each epoch.

    With ``save_best_only`` the file is written only when ``monitor`` improves,
    so it always holds the best model so far. Writes are atomic.

    The weights in the file are part of the state (``state_dict()["weights"]``,
    ``None`` before the first write), so that the file agrees with a checkpoint:
    restoring a state rewrites the file with its weights (removes it for ``None``)
    unless it holds them already. A run resumed after an interruption thus finds
    the best model of the epochs its checkpoint had finished, never a later one.
    ``info`` is saved with the model (see :func:`mlplab.persistence.load_info`).
    """

    def __init__(
        self,
        path: str | Path,
        monitor: str = "val_loss",
        save_best_only: bool = False,
        mode: str = "auto",
        info: dict[str, Any] | None = None,
    ):
        self.path = Path(path)
        self.info = info
        self.monitor, self.save_best_only = monitor, save_best_only
        self.mode = _mode_for(monitor, mode)
        self._on_disk: object = _UNKNOWN  # the weights dict the file holds, as far as this object knows
        self.reset()

    def reset(self) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf
        self.weights: dict[str, np.ndarray] | None = None
        self._on_disk = None  # a new fit: nothing at the path is this fit's

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        if self.save_best_only:
            value = logs.get(self.monitor)
            if value is None or not _better(self.mode, float(value), self.best, 0.0):
                return
            self.best = float(value)
        self.weights = snapshot_weights(self.trainer.model)
        self._save(self.weights)

    def _save(self, weights: dict[str, np.ndarray]) -> None:
        """Save the model, which holds ``weights``, and remember that the file holds them."""
        from ..persistence import save

        self._on_disk = _UNKNOWN  # an interrupted write may or may not have replaced the file
        save(self.trainer.model, self.path, info=self.info)
        self._on_disk = weights

    def _restore_file(self, weights: dict[str, np.ndarray] | None) -> None:
        """Make the file hold ``weights`` (the model's own are put back afterwards), or remove it for ``None``."""
        if weights is None:
            self._on_disk = _UNKNOWN
            self.path.unlink(missing_ok=True)
            self._on_disk = None
            return
        model = self.trainer.model
        current = snapshot_weights(model)
        try:
            restore_weights(model, weights)
            self._save(weights)
        finally:
            restore_weights(model, current)

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "weights": self.weights}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best = state["best"]
        if "weights" not in state:  # an older checkpoint: the file is left as it is
            return
        self.weights = state["weights"]
        if self.weights is not self._on_disk:
            self._restore_file(self.weights)


class _LineLogger(Callback):
    """Writes one line of text per epoch to ``path``; the file always agrees with the logger's state.

    Each epoch the file is replaced atomically by the lines written so far plus the new one,
    so it only ever holds whole lines. The state records the file's length: restoring a
    state (resuming from a checkpoint, rolling an interrupted epoch back) cuts off what was
    written after it, so that a resumed run's file neither repeats nor skips an epoch.
    A new fit starts the file afresh.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.reset()

    def reset(self) -> None:
        self.size = 0

    def line(self, epoch: int, logs: dict[str, Any], first: bool) -> str:
        """The text for epoch ``epoch`` (0-based), ending with a newline; ``first`` for the file's first."""
        raise NotImplementedError

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        kept = self._kept()
        self._write(kept + self.line(epoch, logs, not kept).encode("utf-8"))

    def _kept(self) -> bytes:
        """The first ``size`` bytes of the file: what this logger wrote (less if the file was cut or removed)."""
        if self.size == 0:
            return b""
        try:
            with self.path.open("rb") as f:
                return f.read(self.size)
        except FileNotFoundError:
            return b""

    def _write(self, data: bytes) -> None:
        with atomic_write(self.path) as f:
            f.write(data)
        self.size = len(data)

    def state_dict(self) -> dict[str, Any]:
        return {"size": self.size}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.size = int(state["size"])
        try:
            written = self.path.stat().st_size
        except FileNotFoundError:
            return
        if self.size == 0:
            self.path.unlink(missing_ok=True)
        elif written > self.size:
            self._write(self._kept())


class CSVLogger(_LineLogger):
    """One row per epoch (``epoch`` and every log key, under a header row) in a CSV file.

    Each epoch replaces the file atomically; ``state_dict()["size"]`` is its length, and
    restoring a state (a resumed or rolled-back run) cuts off the rows written after it.
    A new fit starts the file afresh.
    """

    def line(self, epoch: int, logs: dict[str, Any], first: bool) -> str:
        text = io.StringIO()
        writer = csv.writer(text)
        if first:
            writer.writerow(["epoch", *logs])
        writer.writerow([epoch + 1, *logs.values()])
        return text.getvalue()


class JSONLLogger(_LineLogger):
    """One JSON object per epoch (``{"epoch": 1, "loss": ..., ...}``) per line of a file.

    Kept like :class:`CSVLogger`'s file: replaced atomically each epoch, cut back to the
    state's ``size`` when a state is restored, started afresh by a new fit.
    """

    def line(self, epoch: int, logs: dict[str, Any], first: bool) -> str:
        return json.dumps({"epoch": epoch + 1, **logs}) + "\n"
