"""``mlplab train``: build the model from a configuration, train it, evaluate it and write the run folder."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from .. import metrics
from ..datasets import Dataset, expand_by_shifts, train_val_split
from ..layers import Standardize
from ..model import MLP, Sequential
from ..persistence import load
from ..report import write_report
from ..schedules import schedule_for
from ..training import Callback, CSVLogger, EarlyStopping, JSONLLogger, ModelCheckpoint, Trainer
from ..training.state import restore_weights, snapshot_weights
from .config import write_config
from .data import load_dataset


def build_model(config: dict[str, Any], data: Dataset, x_train: np.ndarray) -> Sequential:
    """``[Standardize] -> MLP(features, *hidden, classes)`` as the configuration says."""
    sizes = [x_train.shape[1], *config["hidden"], data.n_classes]
    mlp = MLP(
        sizes,
        activation=config["activation"],
        dropout=config["dropout"],
        batch_norm=config["batch_norm"],
        init=config["init"],
        rng=config["seed"],
    )
    layers = [Standardize(x_train.shape[1]).fit(x_train)] if config["standardize"] else []
    return Sequential([*layers, *mlp.layers])


def run_callbacks(config: dict[str, Any], run_dir: Path, monitor: str) -> list[Callback]:
    """A run folder's callbacks: early stopping (if ``patience``), CSV and JSONL logs, best and last model files."""
    callbacks: list[Callback] = [
        CSVLogger(run_dir / "metrics.csv"),
        JSONLLogger(run_dir / "metrics.jsonl"),
        ModelCheckpoint(run_dir / "best.npz", monitor=monitor, save_best_only=True),
        ModelCheckpoint(run_dir / "last.npz"),
    ]
    if config["patience"]:
        callbacks.insert(0, EarlyStopping(monitor=monitor, patience=config["patience"]))
    return callbacks


def build_trainer(
    config: dict[str, Any],
    model: Sequential,
    callbacks: list[Callback],
    verbose: int,
    checkpoint_path: Path | None = None,
) -> Trainer:
    """The :class:`Trainer` a configuration describes; the schedule spans ``config["epochs"]``."""
    schedule = None
    if config["schedule"] and config["schedule"] != "none":
        schedule = schedule_for(config["schedule"], config["lr"], config["epochs"])
    return Trainer(
        model,
        loss=config["loss"],
        optimizer=config["optimizer"],
        lr=config["lr"],
        batch_size=config["batch_size"],
        schedule=schedule,
        clip_value=config["clip_value"],
        clip_norm=config["clip_norm"],
        l1=config["l1"],
        l2=config["l2"],
        callbacks=callbacks,
        verbose=verbose,
        rng=config["seed"] + 1,
        checkpoint_path=checkpoint_path,
    )


def split_data(config: dict[str, Any], data: Dataset) -> tuple[np.ndarray, ...]:
    """Training and validation parts (stratified, seeded), expanded by image shifts if asked."""
    x, y = data.x_train, data.y_train
    if len(y) >= 50 and config["val_fraction"] > 0:
        x, y, x_val, y_val = train_val_split(x, y, config["val_fraction"], rng=config["seed"])
    else:
        x_val, y_val = x, y
    if config["expand"] and data.image_shape is not None:
        x, y = expand_by_shifts(x, y, data.image_shape)
    return x, y, x_val, y_val


def train(config: dict[str, Any], run_dir: Path, *, resume: bool = False, verbose: int = 1) -> dict[str, Any]:
    """Train, evaluate on the test set and write the run folder; returns the final metrics."""
    run_dir.mkdir(parents=True, exist_ok=True)
    data = load_dataset(config)
    x, y, x_val, y_val = split_data(config, data)
    write_config(config, run_dir / "config.yaml")
    model = build_model(config, data, x)
    monitor = "val_accuracy"
    trainer = build_trainer(config, model, run_callbacks(config, run_dir, monitor), verbose, run_dir / "checkpoint.npz")
    if resume:
        trainer.resume()
    start = time.perf_counter()
    trainer.fit(x, y, epochs=config["epochs"], validation_data=(x_val, y_val))
    seconds = time.perf_counter() - start
    restore_weights(model, snapshot_weights(load(run_dir / "best.npz")))  # evaluate the model chosen on validation

    test = trainer.evaluate(data.x_test, data.y_test)
    predicted = trainer.predict(data.x_test).argmax(axis=1)
    confusion = metrics.confusion_matrix(data.y_test, predicted, data.n_classes)
    history = trainer.history.history
    results = {
        "dataset": data.name,
        "test_accuracy": test["accuracy"],
        "test_loss": test["loss"],
        "best_val_accuracy": max(history["val_accuracy"]),
        "epochs": trainer.epoch,
        "train_seconds": round(seconds, 2),
        "run_dir": str(run_dir),
    }
    misclassified = None
    if data.image_shape is not None:
        misclassified = (data.x_test, data.y_test, predicted, data.image_shape)
    report = write_report(
        run_dir,
        title=f"mlplab run: {data.name}",
        config=config,
        summary=model.summary(),
        history={k: v for k, v in history.items() if k != "lr"},
        results=results,
        confusion=confusion,
        class_names=data.class_names,
        misclassified=misclassified,
    )
    results["report"] = str(report)
    return results
