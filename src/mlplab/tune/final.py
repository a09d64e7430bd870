"""The last step of a search: retrain the best configuration on training + validation data, test it once.

The search chose the configuration and its number of epochs (the best trial's
best epoch) on the validation set; with both fixed, the validation images can
join the training set. The learning-rate schedule spans the configured
``epochs`` as in the trial, and training stops after the chosen epoch, so the
retrained run follows the trial's schedule. The test set is used here only,
once.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ..datasets import expand_by_shifts
from ..persistence import save
from ..recipe import Config, build_model, build_trainer, load_data, model_info, test_and_report, write_config
from ..training import CSVLogger, JSONLLogger


def retrain_and_test(config: Config, epochs: int, run_dir: Path, verbose: int = 0) -> dict[str, Any]:
    """Train ``config`` on all training images for ``epochs`` epochs; write a run folder; return test metrics.

    The folder holds ``config.yaml``, ``metrics.csv``, ``metrics.jsonl``, the
    model as ``best.npz`` (so ``mlplab evaluate`` and ``predict`` take the
    folder) and ``report.md`` with the test confusion matrix.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    data = load_data(config)
    x, y = data.x_train, data.y_train
    if config.expand and data.image_shape is not None:
        x, y = expand_by_shifts(x, y, data.image_shape)
    write_config(config, run_dir / "config.yaml")
    model = build_model(config, data.n_classes, x)
    logs = [CSVLogger(run_dir / "metrics.csv"), JSONLLogger(run_dir / "metrics.jsonl")]
    trainer = build_trainer(config, model, logs, verbose=verbose)
    start = time.perf_counter()
    trainer.fit(x, y, epochs=min(epochs, config.epochs))
    seconds = time.perf_counter() - start
    save(model, run_dir / "best.npz", info=model_info(data))
    title = f"mlplab tune: best configuration retrained on {data.name} (train + validation)"
    return test_and_report(
        run_dir, title, config, trainer, data, {"epochs": trainer.epoch, "train_seconds": round(seconds, 2)}
    )
