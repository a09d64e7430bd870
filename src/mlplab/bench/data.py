"""The benchmark's data: Fashion-MNIST when installed, else synthetic images of the same shape."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_positive_int
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

    :math:`x = 0.6\,p_y + 0.4\,u` with :math:`p_y` the prototype of class :math:`y`
    and :math:`u` uniform noise on [0, 1): pixels in [0, 1), learnable but not in one step.
    """
    prototypes = rng.random((10, 784), dtype=np.float32)
    y = rng.integers(0, 10, size=n)
    x = prototypes[y] * np.float32(0.6) + rng.random((n, 784), dtype=np.float32) * np.float32(0.4)
    return x, y.astype(np.int64)


def load_bench_data(n_train: int | None = None, n_test: int | None = None, seed: int = 0) -> BenchData:
    """Fashion-MNIST (first ``n_train`` / ``n_test`` samples) or, when absent, synthetic data.

    The synthetic set has Fashion-MNIST's sizes (60,000 + 10,000) unless others are asked for.
    """
    for name, size in (("n_train", n_train), ("n_test", n_test)):
        if size is not None:
            check_positive_int(name, size)
    if find_dataset_dir("fashion-mnist") is not None:
        data = fashion_mnist()
        return BenchData(
            "fashion-mnist",
            data.x_train[:n_train],
            data.y_train[:n_train],
            data.x_test[:n_test],
            data.y_test[:n_test],
        )
    n_train = 60_000 if n_train is None else check_positive_int("n_train", n_train)
    n_test = 10_000 if n_test is None else check_positive_int("n_test", n_test)
    x, y = synthetic_images(n_train + n_test, np.random.default_rng(seed))
    return BenchData("synthetic", x[:n_train], y[:n_train], x[n_train:], y[n_train:])
