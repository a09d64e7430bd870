"""Data for the lab: Fashion-MNIST when installed (else synthetic images of its shape), in lab sizes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..bench.data import synthetic_images
from ..datasets.images import fashion_mnist, find_dataset_dir
from ..datasets.preprocessing import Standardizer


@dataclass(frozen=True)
class ImageData:
    """Float32 images ``(n, 784)`` and int64 labels; ``name`` says whether they are real."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def fashion(n_train: int, n_test: int, *, standardize: bool = False, seed: int = 0) -> ImageData:
    """The first ``n_train`` training and ``n_test`` test images of Fashion-MNIST (pixels in [0, 1]).

    Without the data set installed, synthetic images of the same shape stand
    in (``name`` is then ``"synthetic"``). With ``standardize`` every pixel is
    shifted and scaled to mean 0 and variance 1 over the training images.
    The real images are read once per process and are read-only: copy them to change them.
    """
    if find_dataset_dir("fashion-mnist") is not None:
        full = _fashion_mnist_once()
        name = "fashion-mnist"
        x_train, y_train = full[0][:n_train], full[1][:n_train]
        x_test, y_test = full[2][:n_test], full[3][:n_test]
    else:
        x, y = synthetic_images(n_train + n_test, np.random.default_rng(seed))
        name = "synthetic"
        x_train, y_train, x_test, y_test = x[:n_train], y[:n_train], x[n_train:], y[n_train:]
    if standardize:
        scaler = Standardizer().fit(x_train)
        x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)
    return ImageData(name, x_train, y_train, x_test, y_test)


@lru_cache(maxsize=1)
def _fashion_mnist_once() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fashion-MNIST read once per process (1-2 s), as read-only arrays shared by the experiments."""
    data = fashion_mnist()
    arrays = (data.x_train, data.y_train, data.x_test, data.y_test)
    for array in arrays:
        array.setflags(write=False)
    return arrays
