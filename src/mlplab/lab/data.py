"""Data for the lab: Fashion-MNIST when installed (else synthetic images of its shape), in lab sizes."""

from __future__ import annotations

from dataclasses import dataclass

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
    """
    if find_dataset_dir("fashion-mnist") is not None:
        data = fashion_mnist()
        name = "fashion-mnist"
        x_train, y_train = data.x_train[:n_train], data.y_train[:n_train]
        x_test, y_test = data.x_test[:n_test], data.y_test[:n_test]
    else:
        x, y = synthetic_images(n_train + n_test, np.random.default_rng(seed))
        name = "synthetic"
        x_train, y_train, x_test, y_test = x[:n_train], y[:n_train], x[n_train:], y[n_train:]
    if standardize:
        scaler = Standardizer().fit(x_train)
        x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)
    return ImageData(name, x_train, y_train, x_test, y_test)
