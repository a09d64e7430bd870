"""mlplab's side of the benchmark: training through the public ``Trainer.fit``, as a user would."""

from __future__ import annotations

import tracemalloc

import numpy as np

from ..datasets import Dataset
from ..model import MLP
from ..training import Trainer
from .configs import INFERENCE_BATCH, BenchConfig
from .result import RunResult, samples_per_second


def build_trainer(config: BenchConfig, seed: int, verbose: int = 1) -> Trainer:
    """An :class:`~mlplab.MLP` and its :class:`~mlplab.training.Trainer` for ``config``, defaults elsewhere."""
    model = MLP(config.sizes, activation="relu", dropout=config.dropout, batch_norm=config.batch_norm, rng=seed)
    options = {"momentum": config.momentum} if config.optimizer == "sgd" else {}
    return Trainer(
        model,
        optimizer=config.optimizer,
        lr=config.lr,
        batch_size=config.batch_size,
        optimizer_options=options,
        rng=seed,
        verbose=verbose,
    )


def run_mlplab(config: BenchConfig, data: Dataset, seed: int = 0) -> RunResult:
    """Train ``config.epochs`` epochs with ``fit`` (default progress output), then test and time inference.

    Training uses the configuration's ``n_train`` subset of ``data``.
    """
    data = config.training_data(data)
    trainer = build_trainer(config, seed)
    history = trainer.fit(data.x_train, data.y_train, epochs=config.epochs)
    accuracy = trainer.evaluate(data.x_test, data.y_test)["accuracy"]
    speed = samples_per_second(lambda: trainer.predict(data.x_test, batch_size=INFERENCE_BATCH), len(data.x_test))
    times = list(history.history["epoch_time"])
    return RunResult("mlplab", config.name, len(data.x_train), times, accuracy, speed, path=trainer.epoch_path)


def peak_training_memory(config: BenchConfig, data: Dataset, seed: int = 0) -> float:
    """Peak bytes NumPy and Python allocate while training one epoch, beyond the data itself.

    Measured with :mod:`tracemalloc` (which NumPy reports its arrays to); the
    data arrays exist before tracing starts, so they are not counted. A short
    warm-up run first loads the compiled kernels, a one-off cost of the process.
    """
    data = config.training_data(data)
    x, y = np.ascontiguousarray(data.x_train), np.ascontiguousarray(data.y_train)
    build_trainer(config, seed, verbose=0).fit(x[:256], y[:256], epochs=1)
    tracemalloc.start()
    try:
        trainer = build_trainer(config, seed, verbose=0)
        trainer.fit(x, y, epochs=1)
        return float(tracemalloc.get_traced_memory()[1])
    finally:
        tracemalloc.stop()
