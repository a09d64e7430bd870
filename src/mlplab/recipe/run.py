"""A run folder: train a :class:`~mlplab.recipe.Config`, test the chosen model once, write the report.

``mlplab train`` writes one with :func:`train_run`; the tuner's final retraining writes one with
:func:`test_and_report`. Both hold ``config.yaml``, the metric logs, the model files and
``report.md`` with its figures, and ``mlplab evaluate``/``predict`` take either.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from .. import metrics
from ..datasets import Dataset
from ..layers.base import Layer
from ..model import Sequential
from ..persistence import load
from ..report import write_report
from ..training import Trainer
from ..training.state import restore_weights, snapshot_weights
from .build import build_model, build_trainer, run_callbacks
from .data import load_data, split_data
from .options import Config, write_config


def summary(model: Layer) -> str:
    """The model's :meth:`~mlplab.Sequential.summary`, or its ``repr`` for a single layer."""
    return model.summary() if isinstance(model, Sequential) else repr(model)


def test_and_report(
    run_dir: Path, title: str, config: Config, trainer: Trainer, data: Dataset, results: dict[str, Any]
) -> dict[str, Any]:
    """Test ``trainer``'s model on ``data``'s test set once; write ``report.md``; return ``results`` with the test metrics.

    ``results`` (what the caller measured: epochs, seconds ...) comes first in the report, after
    ``dataset``, ``test_accuracy`` and ``test_loss``; ``run_dir`` and ``report`` are added last.
    """
    test = trainer.evaluate(data.x_test, data.y_test)
    predicted = trainer.predict(data.x_test).argmax(axis=1)
    results = {
        "dataset": data.name,
        "test_accuracy": test["accuracy"],
        "test_loss": test["loss"],
        **results,
        "run_dir": str(run_dir),
    }
    misclassified = None if data.image_shape is None else (data.x_test, data.y_test, predicted, data.image_shape)
    report = write_report(
        run_dir,
        title=title,
        config=config.to_dict(),
        summary=summary(trainer.model),
        history={k: v for k, v in trainer.history.history.items() if k != "lr"},
        results=results,
        confusion=metrics.confusion_matrix(data.y_test, predicted, data.n_classes),
        class_names=data.class_names,
        misclassified=misclassified,
    )
    return {**results, "report": str(report)}


def train_run(config: Config, run_dir: Path, *, resume: bool = False, verbose: int = 1) -> dict[str, Any]:
    """Train ``config`` with validation, keep the best epoch's model, test it, and write the run folder.

    With ``resume`` the run continues from ``run_dir/checkpoint.npz`` exactly where it stopped.
    Returns the final metrics (``test_accuracy``, ``test_loss``, ``best_val_accuracy``, ``epochs`` ...).
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    data = load_data(config)
    x, y, x_val, y_val = split_data(config, data)
    write_config(config, run_dir / "config.yaml")
    model = build_model(config, data.n_classes, x)
    trainer = build_trainer(
        config, model, run_callbacks(config, run_dir), verbose=verbose, checkpoint_path=run_dir / "checkpoint.npz"
    )
    if resume:
        trainer.resume()
    start = time.perf_counter()
    trainer.fit(x, y, epochs=config.epochs, validation_data=(x_val, y_val))
    seconds = time.perf_counter() - start
    restore_weights(model, snapshot_weights(load(run_dir / "best.npz")))  # the model chosen on validation
    measured = {
        "best_val_accuracy": max(trainer.history.history["val_accuracy"]),
        "epochs": trainer.epoch,
        "train_seconds": round(seconds, 2),
    }
    return test_and_report(run_dir, f"mlplab run: {data.name}", config, trainer, data, measured)
