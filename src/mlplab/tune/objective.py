"""One trial of ``mlplab tune``: train the configuration a trial draws and return its best validation metric.

Each epoch's validation metric is reported to the trial, so the pruner can stop
a trial that trails the others at the same epoch. The value of a finished trial
is the best epoch's metric, since training keeps the best epoch. The test set
is never touched here.
"""

from __future__ import annotations

import math
import os
import socket
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import optuna

from ..datasets import Dataset
from ..recipe import Config, Split, build_model, build_trainer, load_data, split_data
from ..training import Callback, EarlyStopping
from .space import SearchSpace
from .study import FAIL_REASON, caused_by_interrupt

METRICS = {"val_accuracy": "maximize", "val_loss": "minimize"}
"""What a search may optimize (validation only), and in which direction."""

_DATA: dict[tuple[Any, ...], tuple[Dataset, Split]] = {}


def direction_of(metric: str) -> str:
    """``"maximize"`` or ``"minimize"``; any metric other than validation accuracy or loss is refused."""
    if metric not in METRICS:
        raise ValueError(
            f"metric must be one of {', '.join(METRICS)} (the test set is never used to choose), got {metric!r}"
        )
    return METRICS[metric]


def training_data(config: Config) -> tuple[Dataset, Split]:
    """The dataset and its training/validation split, loaded once per process and shared by its trials."""
    key = tuple(
        getattr(config, k)
        for k in ("dataset", "data_dir", "seed", "val_fraction", "expand", "points", "noise", "test_fraction")
    )
    if key not in _DATA:
        data = load_data(config)
        _DATA[key] = (data, split_data(config, data))
    return _DATA[key]


def forget_training_data() -> None:
    """Drop this process's loaded datasets."""
    _DATA.clear()


class PruneOnPlateau(Callback):
    """Report each epoch's ``monitor`` to the Optuna trial and stop the trial when the pruner says so.

    Never after the last of ``epochs`` epochs: the trial is trained by then, pruning it saves nothing.
    """

    def __init__(self, trial: optuna.Trial, monitor: str, epochs: int) -> None:
        self.trial, self.monitor, self.epochs = trial, monitor, epochs

    def on_epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        value = float(logs[self.monitor])
        if not math.isfinite(value):
            raise FloatingPointError(f"{self.monitor} is {value} after epoch {epoch + 1}")
        self.trial.report(value, epoch)
        if epoch + 1 < self.epochs and self.trial.should_prune():
            raise optuna.TrialPruned(f"{self.monitor} {value:.4f} after epoch {epoch + 1}")


@dataclass
class TrainObjective:
    """The objective of a training search: configuration from the trial, train, best validation ``metric``.

    Parameters
    ----------
    space : SearchSpace
        Fixed options and searched dimensions.
    metric : {"val_accuracy", "val_loss"}
        Validation metric to optimize.
    """

    space: SearchSpace
    metric: str = "val_accuracy"

    def __call__(self, trial: optuna.Trial) -> float:
        try:
            trial.set_user_attr("worker", f"{socket.gethostname()}:{os.getpid()}")
            with np.errstate(all="ignore"):  # a diverging trial fails with its reason; no overflow warnings
                return self.train(self.space.suggest(trial), trial)
        except optuna.TrialPruned:
            raise
        except Exception as error:
            if caused_by_interrupt(error):  # a clean-up that failed while Ctrl-C was handled: interrupted
                raise KeyboardInterrupt from error
            trial.set_user_attr(FAIL_REASON, f"{type(error).__name__}: {error}")
            raise

    def train(self, config: Config, trial: optuna.Trial) -> float:
        """Train one configuration; record its epochs and time on the trial; return the best epoch's metric."""
        data, (x, y, x_val, y_val) = training_data(config)
        model = build_model(config, data.n_classes, x)
        callbacks: list[Callback] = [PruneOnPlateau(trial, self.metric, config.epochs)]
        if config.patience:
            callbacks.insert(0, EarlyStopping(self.metric, patience=config.patience, restore_best_weights=False))
        trainer = build_trainer(config, model, callbacks)
        start = time.perf_counter()
        history = trainer.fit(x, y, epochs=config.epochs, validation_data=(x_val, y_val)).history
        values = history[self.metric]
        best = int(np.argmax(values) if direction_of(self.metric) == "maximize" else np.argmin(values))
        trial.set_user_attr("epochs", len(values))
        trial.set_user_attr("best_epoch", best + 1)
        trial.set_user_attr("seconds", round(time.perf_counter() - start, 2))
        other = "val_loss" if self.metric == "val_accuracy" else "val_accuracy"
        if other in history:
            trial.set_user_attr(other, float(history[other][best]))
        return float(values[best])
