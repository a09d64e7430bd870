"""The training loop: batch, stochastic and mini-batch gradient descent through one ``fit``."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from .._atomic import remove_stale_temporaries
from .._validation import check_batch, check_positive, check_positive_int
from ..layers.base import Layer
from ..losses import Loss, get_loss
from ..optimizers import Optimizer
from ..rng import as_generator, generators_in
from ..schedules import Schedule
from . import evaluation, fast, general
from .callbacks import Callback, History, LearningRateScheduler
from .optimizer_setup import build_optimizer
from .progress import ProgressBar
from .state import read_checkpoint, restore_weights, snapshot_weights, weights_are_finite, write_checkpoint


class TrainingDiverged(RuntimeError):
    """The loss or the weights became NaN or infinite; the weights were restored to the start of that epoch.

    The trainer's checkpoint (if it has a path) was rewritten with that state.

    Attributes
    ----------
    epoch : int
        The epoch that diverged, counted from 1. Epochs ``1 .. epoch - 1`` finished (none when
        ``epoch == 1``), so the model, and any model file a callback wrote, are from those.
    cause : {"loss", "weights", "val_loss"}
        What was not finite: a training batch's loss, the weights after the epoch's last update
        (which no later batch would have seen), or the validation loss.
    """

    def __init__(self, message: str, epoch: int, cause: str = "loss") -> None:
        super().__init__(message)
        self.epoch = epoch
        self.cause = cause

    def __reduce__(self) -> tuple[Any, ...]:  # keep epoch and cause through pickling (worker processes)
        return type(self), (str(self), self.epoch, self.cause)


class Trainer:
    """Trains a model with an optimizer, a schedule, clipping and L1/L2 penalties.

    ``batch_size=None`` is batch gradient descent (the whole set per step),
    ``batch_size=1`` stochastic gradient descent, anything between mini-batch
    gradient descent: the same loop runs all three.

    Parameters
    ----------
    model : Layer
        Usually an :class:`~mlplab.MLP`.
    loss : str or Loss, default "softmax_cross_entropy"
    optimizer : str or Optimizer, default "adam"
        A name is built over the model's parameters with ``lr``, ``l2`` as
        ``weight_decay`` and ``l1`` (both on weight matrices only, not biases)
        and ``optimizer_options``. An :class:`~mlplab.optimizers.Optimizer` object
        is used as it is: it already holds its rate and penalties, so giving
        ``lr``, ``l1``, ``l2`` or ``optimizer_options`` with one is an error.
    lr : float, default 1e-3
    batch_size : int or None, default 128
    schedule : Schedule, optional
        Learning rate per epoch (see :func:`mlplab.schedules.schedule_for` to build one by name).
    clip_value, clip_norm : float, optional
        Clip each gradient element to ``[-clip_value, clip_value]`` / the global norm to ``clip_norm``.
    l1, l2 : float, default 0
    callbacks : iterable of Callback
    verbose : int, default 1
        0 silent; 1 a progress bar on a terminal and a line per epoch.
    rng : numpy.random.Generator or int, optional
        Shuffling order.
    shuffle : bool, default True
        Visit the samples in a new random order each epoch; ``False`` keeps their order.
    checkpoint_path : path, optional
        Where the full training state is written (atomically) when a fit begins,
        after every epoch, and, with the state of the epoch's start, when an
        epoch is cut short (Ctrl-C, divergence, any error); :meth:`resume` reads it back.
    fast_path : bool or None, default None
        Train whole runs of batches in one compiled loop (:mod:`mlplab.training.fast`, with
        numba) where it supports the model, loss, optimizer and callbacks: the same results as
        the general NumPy loop, many times faster for small batches. ``None`` uses it where it
        applies (unless :func:`mlplab.training.fast.set_enabled` or ``MLPLAB_FAST_PATH=0``
        switched that default off), ``False`` never, ``True`` always (an epoch it cannot run is an error).
        :attr:`epoch_path` says which path the last epoch took.

    Notes
    -----
    An epoch is all or nothing. It ends when its checkpoint is written, after
    the ``on_epoch_end`` hooks (so that the files those write, logs and model
    files, are never behind the checkpoint). Anything raised before that, a
    ``KeyboardInterrupt`` in a batch, in validation, in a callback or in the
    checkpoint write included, restores the state of the epoch's start (weights,
    optimizer, random generators, callbacks), writes it as the checkpoint and
    re-raises; restoring a callback's state makes its files agree with it again
    (see :class:`~mlplab.training.CSVLogger` and :class:`~mlplab.training.ModelCheckpoint`).
    A run killed outright is resumed from its last checkpoint the same way.
    """

    def __init__(
        self,
        model: Layer,
        loss: str | Loss = "softmax_cross_entropy",
        optimizer: str | Optimizer = "adam",
        *,
        lr: float | None = None,
        batch_size: int | None = 128,
        schedule: Schedule | None = None,
        clip_value: float | None = None,
        clip_norm: float | None = None,
        l1: float | None = None,
        l2: float | None = None,
        optimizer_options: dict[str, Any] | None = None,
        callbacks: Iterable[Callback] = (),
        verbose: int = 1,
        rng: np.random.Generator | int | None = None,
        shuffle: bool = True,
        checkpoint_path: str | Path | None = None,
        fast_path: bool | None = None,
    ) -> None:
        self.model = model
        self.loss = get_loss(loss)
        self.batch_size = None if batch_size is None else check_positive_int("batch_size", batch_size)
        self.clip_value = None if clip_value is None else check_positive("clip_value", clip_value)
        self.clip_norm = None if clip_norm is None else check_positive("clip_norm", clip_norm)
        self.optimizer = build_optimizer(model, optimizer, lr=lr, l1=l1, l2=l2, options=optimizer_options)
        self.history = History()
        self.callbacks: list[Callback] = [self.history]
        if schedule is not None:
            self.callbacks.append(LearningRateScheduler(schedule))
        self.callbacks += list(callbacks)
        self.callbacks.append(ProgressBar(verbose))
        self.rng = as_generator(rng)
        self.shuffle = bool(shuffle)
        self.checkpoint_path = Path(checkpoint_path) if checkpoint_path is not None else None
        self.fast_path = None if fast_path is None else bool(fast_path)
        self.epoch_path = ""
        self.classification = self.loss.classifies
        self.epoch = 0
        self.epochs = 0
        self.stop_training = False
        self.batches_per_epoch = 0
        self._running = (0.0, 0.0, 0)

    # ------------------------------------------------------------------ fit

    def fit(
        self,
        x: np.ndarray,
        y: np.ndarray,
        *,
        epochs: int,
        validation_data: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> History:
        """Train until ``epochs`` epochs are done in total (a resumed run continues where it stopped).

        A fit from epoch 0 is a new fit: every callback is reset first (an :class:`EarlyStopping`
        used before forgets its best epoch) and the checkpoint of epoch 0 is written. A fit that
        a callback stopped (early stopping), or a checkpoint of one, trains no further. ``on_train_begin`` and ``on_train_end`` frame the
        epochs, which :meth:`train_epochs` runs. Returns the :class:`History`; its ``history``
        dict holds per epoch ``loss``, ``accuracy`` (classification), ``val_loss``,
        ``val_accuracy``, ``lr`` and ``epoch_time``.
        """
        self.epochs = check_positive_int("epochs", epochs)
        self._attach()
        if self.epoch == 0:
            for cb in self.callbacks:
                cb.reset()
            self.stop_training = False
            self._save_checkpoint()  # a run killed in its first epoch resumes from here
        self._call("on_train_begin", {})
        try:
            if self.epoch < self.epochs and not self.stop_training:  # a run resumed after an early stop is done
                self.train_epochs(x, y, self.epochs - self.epoch, validation_data=validation_data)
        finally:
            self._call("on_train_end", {})
        return self.history

    def train_epochs(
        self,
        x: np.ndarray,
        y: np.ndarray,
        epochs: int = 1,
        *,
        validation_data: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> dict[str, float]:
        """Train ``epochs`` more epochs from where training stands; return the last epoch's logs.

        For front ends that step training (one epoch per call, data that may change between
        calls): epoch and batch hooks run, ``on_train_begin``/``on_train_end`` do not, and
        callbacks keep their state. A callback may still stop training early.
        """
        x, y = evaluation.check_data(self.model, self.loss, "x", "y", x, y)
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise TypeError(f"validation_data must be a pair (x, y), got {type(validation_data).__name__}")
            validation_data = evaluation.check_data(
                self.model, self.loss, "validation x", "validation y", *validation_data
            )
        end = self.epoch + check_positive_int("epochs", epochs)
        self.epochs = max(self.epochs, end)
        self.batches_per_epoch = 1 if self.batch_size is None else math.ceil(x.shape[0] / self.batch_size)
        self.stop_training = False
        self._attach()
        logs: dict[str, float] = {}
        while self.epoch < end and not self.stop_training:
            logs = self._run_epoch(x, y, validation_data)
        return logs

    def _run_epoch(
        self, x: np.ndarray, y: np.ndarray, validation_data: tuple[np.ndarray, np.ndarray] | None
    ) -> dict[str, float]:
        """One epoch between its hooks, ending with its checkpoint; anything raised before the checkpoint
        is written (Ctrl-C, divergence, an error) rolls back to the epoch's start (see the class notes)."""
        snapshot = self.state_dict()
        try:
            self._call("on_epoch_begin", self.epoch, {})
            start = time.perf_counter()
            with np.errstate(over="ignore", invalid="ignore"):  # divergence is detected and reported instead
                logs = self._train_epoch(x, y)
                self._check_weights()
                logs["epoch_time"] = time.perf_counter() - start
                if validation_data is not None:
                    logs.update(self._validate(*validation_data))
            logs["lr"] = self.optimizer.lr
            self.epoch += 1
            self._call("on_epoch_end", self.epoch - 1, logs)
            self._save_checkpoint()
        except BaseException:
            self._roll_back(snapshot)
            raise
        return logs

    def _roll_back(self, snapshot: dict[str, Any]) -> None:
        """Make ``snapshot`` the checkpoint, then the trainer's state: the checkpoint goes first, so that
        an interruption in between leaves files ahead of the checkpoint (resuming trims them), never behind."""
        if self.checkpoint_path is not None:
            write_checkpoint(self.checkpoint_path, snapshot)
        self.load_state_dict(snapshot)

    def _diverged(self, cause: str, what: str) -> TrainingDiverged:
        """The error for ``what`` went wrong (``"loss became nan at epoch 3, batch 7"``) in the current epoch."""
        epoch = self.epoch + 1
        return TrainingDiverged(f"{what}; the weights are those from the start of epoch {epoch}", epoch, cause)

    def _check_weights(self) -> None:
        """Divergence no loss has shown yet: the epoch's last update made the weights NaN or infinite."""
        if not weights_are_finite(self.model):
            raise self._diverged("weights", f"weights became NaN or infinite at epoch {self.epoch + 1}")

    def _validate(self, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
        logs = evaluation.evaluate(self.model, self.loss, x, y, classification=self.classification)
        if not math.isfinite(logs["loss"]):
            raise self._diverged("val_loss", f"validation loss became {logs['loss']} at epoch {self.epoch + 1}")
        return {f"val_{k}": v for k, v in logs.items()}

    def _attach(self) -> None:
        for cb in self.callbacks:
            cb.trainer = self

    def _train_epoch(self, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
        """One epoch on the compiled loop where it applies (see ``fast_path``), else on the general one."""
        use = fast.enabled() if self.fast_path is None else self.fast_path
        reason = "fast_path=False" if self.fast_path is False else "the fast path is switched off"
        if use:
            plan = fast.plan_epoch(self, x, y)
            if not isinstance(plan, str):
                self.epoch_path = "compiled"
                return fast.run_epoch(self, plan, x, y)
            if self.fast_path:
                raise ValueError(f"the fast path was required, but it cannot train this: {plan}")
            reason = plan
        self.epoch_path = f"general ({reason})"
        with fast.subnormals_flushed():  # as in the compiled loop: subnormal velocities are slow, not useful
            return general.run_epoch(self, x, y)

    def running_metrics_text(self) -> str:
        """The epoch's running loss (and accuracy) so far, for the progress bar."""
        total, correct, seen = self._running
        if not seen:
            return ""
        text = f"loss {total / seen:.4f}"
        return text + (f" acc {correct / seen:.4f}" if self.classification else "")

    def _call(self, hook: str, *args: Any) -> None:
        for cb in self.callbacks:
            getattr(cb, hook)(*args)

    # ------------------------------------------------------------------ evaluation (see .evaluation)

    def predict(self, x: np.ndarray, batch_size: int = 2048) -> np.ndarray:
        """Model outputs (logits for a softmax classifier) for ``x``, in batches: :func:`.evaluation.predict`."""
        batch_size = check_positive_int("batch_size", batch_size)
        x = check_batch("x", x, self.model.in_features, dtype=self.model.dtype)
        return evaluation.predict(self.model, x, batch_size)

    def predict_proba(self, x: np.ndarray, batch_size: int = 2048) -> np.ndarray:
        """Class probabilities: softmax of the outputs (sigmoid for a single output): see :mod:`.evaluation`."""
        return evaluation.probabilities(self.predict(x, batch_size), from_logits=self.loss.from_logits)

    def evaluate(self, x: np.ndarray, y: np.ndarray, batch_size: int = 2048) -> dict[str, float]:
        """Mean loss (and accuracy for classification) over ``x``, in inference mode: :func:`.evaluation.evaluate`."""
        batch_size = check_positive_int("batch_size", batch_size)
        x, y = evaluation.check_data(self.model, self.loss, "x", "y", x, y)
        return evaluation.evaluate(self.model, self.loss, x, y, batch_size, classification=self.classification)

    # ------------------------------------------------------------------ state

    def state_dict(self) -> dict[str, Any]:
        """Everything a resumed run needs to continue bit for bit (arrays are copies)."""
        return {
            "epoch": self.epoch,
            "weights": snapshot_weights(self.model),
            "optimizer": self.optimizer.state_dict(),
            "rng": self.rng.bit_generator.state,
            "layer_rngs": [g.bit_generator.state for g in generators_in(self.model)],
            "callbacks": [{"type": type(cb).__name__, "state": cb.state_dict()} for cb in self.callbacks],
            "stop_training": self.stop_training,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned, into this trainer's model and optimizer.

        The weights come first: a callback restoring its state may write files from them.
        """
        restore_weights(self.model, state["weights"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.rng.bit_generator.state = state["rng"]
        for generator, saved in zip(generators_in(self.model), state["layer_rngs"]):
            generator.bit_generator.state = saved
        saved_callbacks = state["callbacks"]
        if [c["type"] for c in saved_callbacks] != [type(cb).__name__ for cb in self.callbacks]:
            raise ValueError(
                f"checkpoint callbacks {[c['type'] for c in saved_callbacks]} do not match "
                f"this trainer's {[type(cb).__name__ for cb in self.callbacks]}"
            )
        self._attach()
        for cb, saved in zip(self.callbacks, saved_callbacks):
            cb.load_state_dict(saved["state"])
        self.epoch = int(state["epoch"])
        self.stop_training = bool(state.get("stop_training", False))  # absent from older checkpoints

    def _save_checkpoint(self) -> None:
        if self.checkpoint_path is not None:
            write_checkpoint(self.checkpoint_path, self.state_dict())

    def resume(self, path: str | Path | None = None) -> Trainer:
        """Load a checkpoint (default: ``checkpoint_path``) so that ``fit`` continues from it.

        Temporary files that a killed run's atomic writes left in the checkpoint's folder are removed
        first (see :func:`mlplab._atomic.remove_stale_temporaries`); that folder is the run's own.
        """
        path = Path(path) if path is not None else self.checkpoint_path
        if path is None:
            raise ValueError("resume needs a checkpoint path")
        remove_stale_temporaries(path.parent)
        self.load_state_dict(read_checkpoint(path))
        return self


def fit(model: Layer, x: np.ndarray, y: np.ndarray, *, epochs: int, **options: Any) -> History:
    """Shortcut: ``Trainer(model, **options).fit(x, y, epochs=epochs, validation_data=...)``."""
    validation_data: tuple[np.ndarray, np.ndarray] | None = options.pop("validation_data", None)
    return Trainer(model, **options).fit(x, y, epochs=epochs, validation_data=validation_data)
