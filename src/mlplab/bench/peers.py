"""The peers: a PyTorch loop written the way a careful user writes it, and scikit-learn's MLPClassifier.

Both are optional: where one is not installed its rows say so
(``pip install "mlplab[bench]"`` installs them). JAX, the third peer, is in
:mod:`mlplab.bench.jax_peer`. Every peer trains on the configuration's
``n_train`` subset (:meth:`~mlplab.bench.configs.BenchConfig.training_data`).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ..datasets import Dataset
from .configs import INFERENCE_BATCH, BenchConfig
from .result import RunResult, samples_per_second


def _torch_model(config: BenchConfig, nn: Any) -> Any:
    """``Linear -> [BatchNorm1d] -> ReLU -> [Dropout]`` per hidden layer, then ``Linear``: mlplab's MLP."""
    layers: list[Any] = []
    sizes = config.sizes
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            if config.batch_norm:
                layers.append(nn.BatchNorm1d(n_out))
            layers.append(nn.ReLU())
            if config.dropout > 0:
                layers.append(nn.Dropout(config.dropout))
    return nn.Sequential(*layers)


def run_torch(config: BenchConfig, data: Dataset, threads: int, seed: int = 0) -> RunResult:
    """Train with a plain PyTorch loop: tensors shared with NumPy, a new permutation per epoch.

    ``torch.set_num_threads(threads)`` matches mlplab's BLAS threads. Epoch
    time covers shuffling, batching, forward, backward and the update.
    """
    try:
        import torch
        from torch import nn
        from torch.nn import functional as F
    except ImportError:
        return RunResult("pytorch", config.name, note="PyTorch is not installed")
    except OSError as error:  # an installed but broken build (missing shared libraries)
        return RunResult("pytorch", config.name, note=f"PyTorch failed to load: {error}")
    data = config.training_data(data)
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    model = _torch_model(config, nn)
    if config.optimizer == "sgd":
        optimizer: torch.optim.Optimizer = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum)
    else:
        optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    x, y = torch.from_numpy(data.x_train), torch.from_numpy(data.y_train)
    n = x.shape[0]
    batch = n if config.batch_size is None else config.batch_size
    generator = torch.Generator().manual_seed(seed)
    times = []
    for _ in range(config.epochs):
        start = time.perf_counter()
        model.train()
        order = torch.randperm(n, generator=generator) if batch < n else None
        for i in range(0, n, batch):
            if order is None:
                xb, yb = x, y
            else:
                idx = order[i : i + batch]
                xb, yb = x[idx], y[idx]
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
        times.append(time.perf_counter() - start)
    model.eval()
    x_test = torch.from_numpy(data.x_test)

    def predict() -> Any:
        with torch.inference_mode():
            return torch.cat([model(x_test[i : i + INFERENCE_BATCH]) for i in range(0, len(x_test), INFERENCE_BATCH)])

    accuracy = float((predict().argmax(dim=1).numpy() == data.y_test).mean())
    speed = samples_per_second(predict, len(x_test))
    return RunResult("pytorch", config.name, n, times, accuracy, speed)


def run_sklearn(config: BenchConfig, data: Dataset, seed: int = 0) -> RunResult:
    """Train scikit-learn's ``MLPClassifier`` one epoch per ``partial_fit`` call, on float32 input.

    Same network, optimizer, learning rate and batch size; ``alpha=0`` (no L2 penalty).
    """
    try:
        from sklearn.neural_network import MLPClassifier
    except ImportError:
        return RunResult("scikit-learn", config.name, note="scikit-learn is not installed")
    if config.dropout > 0 or config.batch_norm:
        return RunResult("scikit-learn", config.name, note="MLPClassifier has no dropout or batch norm")
    data = config.training_data(data)
    n = data.x_train.shape[0]
    classifier = MLPClassifier(
        hidden_layer_sizes=config.hidden,
        activation="relu",
        solver=config.optimizer,
        alpha=0.0,
        batch_size=n if config.batch_size is None else min(config.batch_size, n),
        learning_rate_init=config.lr,
        momentum=config.momentum,
        nesterovs_momentum=False,
        shuffle=True,
        random_state=seed,
    )
    classes = np.arange(10)
    times = []
    for _ in range(config.epochs):
        start = time.perf_counter()
        classifier.partial_fit(data.x_train, data.y_train, classes=classes)
        times.append(time.perf_counter() - start)
    x_test = data.x_test

    def predict() -> np.ndarray:
        return np.concatenate(
            [classifier.predict_proba(x_test[i : i + INFERENCE_BATCH]) for i in range(0, len(x_test), INFERENCE_BATCH)]
        )

    accuracy = float(classifier.score(x_test, data.y_test))
    speed = samples_per_second(predict, len(x_test))
    return RunResult("scikit-learn", config.name, n, times, accuracy, speed)
