"""The recipe's model and trainer: what a :class:`~mlplab.recipe.Config` describes, built the same for every front end."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from ..datasets import Dataset
from ..layers import Standardize
from ..model import MLP, Sequential
from ..schedules import schedule_for
from ..training import Callback, CSVLogger, EarlyStopping, JSONLLogger, ModelCheckpoint, Trainer
from .options import Config


def build_model(config: Config, n_classes: int, x_train: np.ndarray) -> Sequential:
    """``[Standardize] -> MLP(features, *hidden, n_classes)``; the standardizer is fitted on ``x_train``."""
    n_features = x_train.shape[1]
    mlp = MLP(
        [n_features, *config.hidden, n_classes],
        activation=config.activation,
        dropout=config.dropout,
        batch_norm=config.batch_norm,
        init=config.init,
        rng=config.seed,
    )
    layers = [Standardize(n_features).fit(x_train)] if config.standardize else []
    return Sequential([*layers, *mlp.layers])


def build_trainer(
    config: Config,
    model: Sequential,
    callbacks: Iterable[Callback] = (),
    *,
    verbose: int = 0,
    checkpoint_path: Path | None = None,
) -> Trainer:
    """The :class:`~mlplab.training.Trainer` of ``config``; its schedule spans ``config.epochs``."""
    schedule = None if config.schedule is None else schedule_for(config.schedule, config.lr, config.epochs)
    return Trainer(
        model,
        loss=config.loss,
        optimizer=config.optimizer,
        lr=config.lr,
        batch_size=config.batch_size,
        schedule=schedule,
        clip_value=config.clip_value,
        clip_norm=config.clip_norm,
        l1=config.l1,
        l2=config.l2,
        callbacks=callbacks,
        verbose=verbose,
        rng=config.seed + 1,
        checkpoint_path=checkpoint_path,
        fast_path={"auto": None, "on": True, "off": False}[config.fast_path],
    )


def model_info(data: Dataset) -> dict[str, Any]:
    """What a model file records about its inputs: the factor of raw integer samples, if the data has one."""
    return {} if data.integer_scale is None else {"integer_input_scale": data.integer_scale}


def run_callbacks(config: Config, run_dir: Path, info: dict[str, Any], monitor: str = "val_accuracy") -> list[Callback]:
    """A run folder's callbacks: early stopping (if ``patience``), CSV and JSONL logs, best and last model files.

    ``info`` (see :func:`model_info`) is saved in both model files.
    """
    callbacks: list[Callback] = [
        CSVLogger(run_dir / "metrics.csv"),
        JSONLLogger(run_dir / "metrics.jsonl"),
        ModelCheckpoint(run_dir / "best.npz", monitor=monitor, save_best_only=True, info=info),
        ModelCheckpoint(run_dir / "last.npz", info=info),
    ]
    if config.patience:
        callbacks.insert(0, EarlyStopping(monitor=monitor, patience=config.patience))
    return callbacks
