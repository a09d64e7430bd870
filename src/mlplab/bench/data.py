"""The benchmark's data: Fashion-MNIST when installed, else synthetic images of the same shape."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..datasets.images import fashion_mnist, find_dataset_dir


@dataclass(frozen=True)
class BenchData:
    """Float32 pixels in [0, 1] of shape ``(n, 784)`` and int64 labels 0..9."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def synthetic_images(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    r"""``n`` noisy copies of ten random prototype images, one per class.

    :math:`x = \operatorname{clip}(0.6\,p_y + 0.4\,u,\ 0, 1)` with :math:`p_y` the prototype
    of class :math:`y` and :math:`u` uniform noise: learnable, but not in one step.
    """
    prototypes = rng.random((10, 784), dtype=np.float32)
    y = rng.integers(0, 10, size=n)
    x = prototypes[y] * np.float32(0.6) + rng.random((n, 784), dtype=np.float32) * np.float32(0.4)
    return x, y.astype(np.int64)


def load_bench_data(n_train: int | None = None, n_test: int | None = None, seed: int = 0) -> BenchData:
    """Fashion-MNIST (first ``n_train`` / ``n_test`` samples) or, when absent, synthetic data.

    The synthetic set has Fashion-MNIST's sizes (60,000 + 10,000) unless smaller ones are asked for.
    """
    if find_dataset_dir("fashion-mnist") is not None:
        data = fashion_mnist()
        return BenchData(
            "fashion-mnist",
            data.x_train[:n_train],
            data.y_train[:n_train],
            data.x_test[:n_test],
            data.y_test[:n_test],
        )
    rng = np.random.default_rng(seed)
    x, y = synthetic_images((n_train or 60_000) + (n_test or 10_000), rng)
    split = n_train or 60_000
    return BenchData("synthetic", x[:split], y[:split], x[split:], y[split:])
