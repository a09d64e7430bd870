"""The one stand-in for a missing image set: synthetic images of its shape, and a line that says so.

Every part of mlplab that wants Fashion-MNIST or MNIST (``mlplab train``, the tuner, the lab,
the benchmark) asks :func:`image_set`. When the files are not installed it prints, once per
process and set, where it looked and how to get them, and returns :func:`synthetic_dataset`:
images of the same shape and classes, named ``"synthetic"`` so no result can pass for real.
"""

from __future__ import annotations

import os
import sys

import numpy as np

from .images import Dataset, fashion_mnist, mnist

_LOADERS = {"fashion-mnist": fashion_mnist, "mnist": mnist}
_ANNOUNCED: set[str] = set()


def synthetic_images(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    r"""``n`` noisy copies of ten random prototype images, one per class.

    :math:`x = 0.6\,p_y + 0.4\,u` with :math:`p_y` the prototype of class :math:`y`
    and :math:`u` uniform noise on [0, 1): float32 pixels in [0, 1) of shape ``(n, 784)``,
    int64 labels; learnable, but not in one step.
    """
    prototypes = rng.random((10, 784), dtype=np.float32)
    y = rng.integers(0, 10, size=n)
    x = prototypes[y] * np.float32(0.6) + rng.random((n, 784), dtype=np.float32) * np.float32(0.4)
    return x, y.astype(np.int64)


def synthetic_dataset(n_train: int = 60_000, n_test: int = 10_000, seed: int = 0) -> Dataset:
    """A :class:`Dataset` named ``"synthetic"`` of :func:`synthetic_images`, in Fashion-MNIST's sizes by default."""
    x, y = synthetic_images(n_train + n_test, np.random.default_rng(seed))
    names = tuple(str(k) for k in range(10))
    return Dataset("synthetic", x[:n_train], y[:n_train], x[n_train:], y[n_train:], names, (28, 28), 1.0 / 255.0)


def image_set(
    name: str, path: str | os.PathLike[str] | None = None, *, download: bool = False, seed: int = 0
) -> Dataset:
    """Fashion-MNIST or MNIST (``name``) from its IDX files, or the synthetic stand-in when they are missing.

    Parameters
    ----------
    name : {"fashion-mnist", "mnist"}
    path, download
        As :func:`~mlplab.datasets.fashion_mnist` takes them.
    seed : int
        Seed of the stand-in's images.

    Returns
    -------
    Dataset
        The real set, or :func:`synthetic_dataset` after a message on stderr (once per process)
        naming the folders searched and how to get the files.
    """
    if name not in _LOADERS:
        raise ValueError(f"image_set takes fashion-mnist or mnist, got {name!r}")
    try:
        return _LOADERS[name](path, download=download)
    except FileNotFoundError as error:
        if name not in _ANNOUNCED:
            _ANNOUNCED.add(name)
            print(
                f"{error}\nUsing synthetic images of the same shape instead (results named 'synthetic').",
                file=sys.stderr,
            )
        return synthetic_dataset(seed=seed)
