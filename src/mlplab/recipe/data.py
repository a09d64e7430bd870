"""The recipe's data: the set a :class:`~mlplab.recipe.Config` names, and its training/validation split."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from .. import datasets
from ..datasets import Dataset, expand_by_shifts, train_val_split
from .options import Config

_TWO_D: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
    "xor": datasets.noisy_xor,
    "moons": datasets.moons,
    "circles": datasets.circles,
    "spirals": datasets.spirals,
    "blobs": datasets.blobs,
}
MIN_VALIDATION_SET = 50
"""Below this many training samples there is no held-out validation set: validation is on the training set."""


def load_data(config: Config) -> Dataset:
    """The data set ``config.dataset`` names, with its training and test parts.

    Fashion-MNIST and MNIST come from their IDX files; a missing file is a ``FileNotFoundError``
    that says how to get it. With no data set named (``None``), Fashion-MNIST, or when it is
    missing synthetic images of its shape, named ``"synthetic"`` (:func:`mlplab.datasets.image_set`
    says so on stderr). ``digits`` holds out ``test_fraction``. The 2-D sets have ``points`` points (``noise`` as given, or each
    set's default), of which ``test_fraction`` are for testing (at least one point each);
    ``xor`` without ``noise`` is the four XOR points (training and test set alike), with
    ``noise`` four noisy clouds around the corners.
    """
    name = config.dataset
    if name is None:
        return datasets.image_set("fashion-mnist", config.data_dir, download=config.download, seed=config.seed_of_data)
    if name in ("fashion-mnist", "mnist"):
        loader = datasets.fashion_mnist if name == "fashion-mnist" else datasets.mnist
        return loader(config.data_dir, download=config.download)
    if name == "digits":
        return datasets.digits(test_fraction=config.test_fraction, seed=config.seed_of_data)
    noise = {} if config.noise is None else {"noise": config.noise}
    if name == "xor" and not noise:
        x, y = datasets.xor()
        return Dataset("xor", x, y, x, y, ("0", "1"), None)
    x, y = _TWO_D[name](n=config.points, rng=config.seed_of_data, **noise)
    n_test = min(len(y) - 1, max(1, round(len(y) * config.test_fraction)))
    split = len(y) - n_test
    names = tuple(str(k) for k in range(int(y.max()) + 1))
    return Dataset(name, x[:split], y[:split], x[split:], y[split:], names, None)


class Split(NamedTuple):
    """Training and validation parts of a data set's training samples."""

    x: np.ndarray
    y: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray


def holds_out_validation(config: Config, data: Dataset) -> bool:
    """Whether :func:`split_data` holds a validation set out (``val_fraction`` > 0 and enough samples)."""
    return len(data.y_train) >= MIN_VALIDATION_SET and config.val_fraction > 0


def split_data(config: Config, data: Dataset) -> Split:
    """Hold out ``val_fraction`` (stratified, seeded), then add shifted copies if ``expand`` (images only).

    With ``val_fraction`` 0, or fewer than :data:`MIN_VALIDATION_SET` samples, the training
    samples are the validation set too.
    """
    x, y = data.x_train, data.y_train
    if holds_out_validation(config, data):
        x, y, x_val, y_val = train_val_split(x, y, config.val_fraction, rng=config.seed_of_data)
    else:
        x_val, y_val = x, y
    if config.expand and data.image_shape is not None:
        x, y = expand_by_shifts(x, y, data.image_shape)
    return Split(x, y, x_val, y_val)
