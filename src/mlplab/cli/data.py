"""Data for the command line: a named set as a :class:`~mlplab.datasets.Dataset` with train and test parts."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from .. import datasets
from ..datasets import Dataset

_TOY = {"xor": datasets.xor, "moons": datasets.moons, "circles": datasets.circles, "spirals": datasets.spirals}


def load_dataset(config: dict[str, Any]) -> Dataset:
    """The dataset named by ``config["dataset"]``; without Fashion-MNIST files, say how to get them and use digits."""
    name = config["dataset"]
    if name in ("fashion-mnist", "mnist"):
        loader = datasets.fashion_mnist if name == "fashion-mnist" else datasets.mnist
        try:
            return loader(config.get("data_dir"), download=bool(config.get("download")))
        except FileNotFoundError as error:
            print(f"{error}\nFalling back to the 8x8 digits set.", file=sys.stderr)
            config["dataset"] = "digits"
            return datasets.digits(seed=config["seed"])
    if name == "digits":
        return datasets.digits(seed=config["seed"])
    if name == "xor":
        x, y = datasets.xor()
        return Dataset("xor", x, y, x, y, ("0", "1"), None)
    x, y = _TOY[name](n=1000, rng=config["seed"])
    split = 800
    names = tuple(str(k) for k in range(int(y.max()) + 1))
    return Dataset(name, x[:split], y[:split], x[split:], y[split:], names, None)


def read_inputs(path: str) -> np.ndarray:
    """Inputs to predict on, one sample per row: ``.npy`` (no pickle), ``.csv``/``.txt``, or an IDX image file."""
    if path.endswith(".npy"):
        x = np.load(path, allow_pickle=False)
    elif path.endswith((".csv", ".txt")):
        x = np.loadtxt(path, delimiter="," if path.endswith(".csv") else None, ndmin=2)
    elif "idx" in path:
        x = datasets.read_idx(path).astype(np.float32) / 255.0
    else:
        raise ValueError(f"cannot read inputs from {path}: use .npy, .csv, .txt or an IDX file")
    return x.reshape(x.shape[0], -1)
