"""``mnist_loader.py`` of Nielsen's book: the data in the book's layout, from the MNIST or Fashion-MNIST files.

The book reads ``mnist.pkl.gz`` (a pickle); here the official IDX files are read
through :func:`mlplab.datasets.mnist` / :func:`~mlplab.datasets.fashion_mnist`
(no pickle), split as the book splits them: the first 50,000 training images
train, the last 10,000 validate, the 10,000 test images test.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from .. import datasets
from ._common import vectorized_result

TRAIN = 50_000


def load_data(
    dataset: str = "mnist", data_dir: str | os.PathLike[str] | None = None, download: bool = False
) -> tuple[Any, Any, Any]:
    """``(training_data, validation_data, test_data)``, each ``(images, labels)``: images ``(n, 784)`` float32 in [0, 1]."""
    loaders = {"mnist": datasets.mnist, "fashion-mnist": datasets.fashion_mnist}
    if dataset not in loaders:
        raise ValueError(f"unknown dataset {dataset!r}; valid: {', '.join(loaders)}")
    data = loaders[dataset](data_dir, download=download)
    return (
        (data.x_train[:TRAIN], data.y_train[:TRAIN]),
        (data.x_train[TRAIN:], data.y_train[TRAIN:]),
        (data.x_test, data.y_test),
    )


def load_data_wrapper(
    dataset: str = "mnist", data_dir: str | os.PathLike[str] | None = None, download: bool = False
) -> tuple[list[tuple[np.ndarray, Any]], ...]:
    """The book's layout: lists of ``(x, y)`` with ``x`` a ``(784, 1)`` column.

    ``y`` is a one-hot ``(10, 1)`` column in ``training_data`` and an ``int`` label in
    ``validation_data`` and ``test_data``. The columns are views of one array (no copies).
    Lists rather than the Python 3 ports' ``zip`` objects, so they can be read more than once.
    """
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = load_data(dataset, data_dir, download)
    training = [(x, vectorized_result(int(y))) for x, y in zip(x_train.reshape(-1, 784, 1), y_train)]
    validation = [(x, int(y)) for x, y in zip(x_val.reshape(-1, 784, 1), y_val)]
    test = [(x, int(y)) for x, y in zip(x_test.reshape(-1, 784, 1), y_test)]
    return training, validation, test
