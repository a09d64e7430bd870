"""Data for the command line: a named set as a :class:`~mlplab.datasets.Dataset` with train and test parts."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from .. import datasets
from ..datasets import Dataset

_TOY = {"moons": datasets.moons, "circles": datasets.circles, "spirals": datasets.spirals, "blobs": datasets.blobs}


def load_dataset(config: dict[str, Any]) -> Dataset:
    """The dataset named by ``config["dataset"]``; without Fashion-MNIST files, say how to get them and use digits.

    The 2-D sets have ``points`` points (``noise`` as given, or each set's default), of which
    ``test_fraction`` test; ``xor`` without ``noise`` is the four XOR points (training and test set alike),
    with ``noise`` four noisy clouds around the corners.
    """
    name = config["dataset"]
    if name in ("fashion-mnist", "mnist"):
        loader = datasets.fashion_mnist if name == "fashion-mnist" else datasets.mnist
        try:
            return loader(config.get("data_dir"), download=bool(config.get("download")))
        except FileNotFoundError as error:
            print(f"{error}\nFalling back to the 8x8 digits set.", file=sys.stderr)
            config["dataset"] = "digits"
            return datasets.digits(test_fraction=config.get("test_fraction", 0.2), seed=config["seed"])
    if name == "digits":
        return datasets.digits(test_fraction=config.get("test_fraction", 0.2), seed=config["seed"])
    noise = {} if config.get("noise") is None else {"noise": float(config["noise"])}
    if name == "xor" and not noise:
        x, y = datasets.xor()
        return Dataset("xor", x, y, x, y, ("0", "1"), None)
    make = datasets.noisy_xor if name == "xor" else _TOY[name]
    x, y = make(n=int(config.get("points", 1000)), rng=config["seed"], **noise)
    split = len(y) - max(1, round(len(y) * float(config.get("test_fraction", 0.2))))
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
