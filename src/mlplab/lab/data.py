"""Data for the lab: Fashion-MNIST (or the synthetic stand-in when it is missing), in lab sizes."""

from __future__ import annotations

import dataclasses
from functools import lru_cache

from ..datasets import Dataset, Standardizer, image_set


def fashion(n_train: int, n_test: int, *, standardize: bool = False, seed: int = 0) -> Dataset:
    """The first ``n_train`` training and ``n_test`` test images of Fashion-MNIST (pixels in [0, 1]).

    Without the data set installed, :func:`mlplab.datasets.image_set`'s synthetic images of the
    same shape stand in (``name`` is then ``"synthetic"``). With ``standardize`` every pixel is
    shifted and scaled to mean 0 and variance 1 over the training images. The images are read
    once per process and are read-only: copy them to change them.
    """
    data = _fashion_mnist_once(seed).head(n_train, n_test)
    if standardize:
        scaler = Standardizer().fit(data.x_train)
        data = dataclasses.replace(data, x_train=scaler.transform(data.x_train), x_test=scaler.transform(data.x_test))
    return data


@lru_cache(maxsize=1)
def _fashion_mnist_once(seed: int) -> Dataset:
    """Fashion-MNIST read once per process (1-2 s), as read-only arrays shared by the experiments."""
    data = image_set("fashion-mnist", seed=seed)
    for array in (data.x_train, data.y_train, data.x_test, data.y_test):
        array.setflags(write=False)
    return data
