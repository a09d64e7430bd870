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
from .build import build_model, build_trainer, model_info, run_callbacks
from .data import holds_out_validation, load_data, split_data
from .options import Config, write_config

STAND_IN = "synthetic images of Fashion-MNIST's shape: Fashion-MNIST was not found, these numbers are not about it"
"""What a run's results and report say when the synthetic stand-in was trained on."""


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
        **({"stand_in": STAND_IN} if data.name == "synthetic" else {}),
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


def create_run_folder(parent: Path, name: str | None, stem: str) -> Path:
    """A new, empty run folder ``parent/name``; never one that exists already.

    A ``name`` the user chose that is taken is a ``FileExistsError`` (continue that run with
    ``--resume``); without a name the folder is ``stem-<date>-<time>``, with ``-2``, ``-3`` ...
    added when two runs start in the same second.
    """
    parent.mkdir(parents=True, exist_ok=True)
    if name is not None:
        folder = parent / name
        try:
            folder.mkdir()
        except FileExistsError:
            raise FileExistsError(
                f"run folder {folder} exists already; give another --name, or continue it with --resume {folder}"
            ) from None
        return folder
    base = f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}"
    for k in range(1, 10_000):
        folder = parent / (base if k == 1 else f"{base}-{k}")
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            continue
    raise FileExistsError(f"no free run folder name for {parent / base}")


def train_run(
    config: Config, run_dir: Path, *, data: Dataset | None = None, resume: bool = False, verbose: int = 1
) -> dict[str, Any]:
    """Train ``config`` with validation, keep the best epoch's model, test it, and write the run folder.

    Without a held-out validation set (``val_fraction`` 0, or too few samples: the training set
    stands in for it) the last epoch's model is tested: choosing an epoch on the training data
    would choose an early, over-fitted or merely lucky model, and a run repeated from the
    playground would score another model than the page showed. ``tested_model`` says which.

    ``run_dir`` must be empty (see :func:`create_run_folder`), or, with ``resume``, the folder of
    the run to continue from its ``checkpoint.npz``, exactly where it stopped (a run stopped
    before its first checkpoint was written starts afresh). ``data`` is
    ``load_data(config)`` when the caller has loaded it already. Returns the final metrics
    (``test_accuracy``, ``test_loss``, ``best_val_accuracy``, ``epochs`` ...).
    """
    if not resume and run_dir.exists() and any(run_dir.iterdir()):
        raise FileExistsError(
            f"run folder {run_dir} is not empty; continue that run with resume, or use another folder"
        )
    data = load_data(config) if data is None else data
    run_dir.mkdir(parents=True, exist_ok=True)
    x, y, x_val, y_val = split_data(config, data)
    write_config(config, run_dir / "config.yaml")
    model = build_model(config, data.n_classes, x)
    trainer = build_trainer(
        config,
        model,
        run_callbacks(config, run_dir, model_info(data)),
        verbose=verbose,
        checkpoint_path=run_dir / "checkpoint.npz",
    )
    if resume and (run_dir / "checkpoint.npz").exists():
        trainer.resume()  # else it was stopped before its first checkpoint: it starts afresh
    start = time.perf_counter()
    trainer.fit(x, y, epochs=config.epochs, validation_data=(x_val, y_val))
    seconds = time.perf_counter() - start
    held_out = holds_out_validation(config, data)
    if held_out:  # the model chosen on validation; without a held-out set, the last epoch's
        restore_weights(model, snapshot_weights(load(run_dir / "best.npz")))
    measured = {
        "tested_model": "best epoch on validation" if held_out else "last epoch (no validation set held out)",
        "best_val_accuracy": max(trainer.history.history["val_accuracy"]),
        "epochs": trainer.epoch,
        "train_seconds": round(seconds, 2),
    }
    return test_and_report(run_dir, f"mlplab run: {data.name}", config, trainer, data, measured)
