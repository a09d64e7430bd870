"""Inputs for ``mlplab predict``: one sample per row from a ``.npy`` (no pickle), ``.csv``/``.txt`` or IDX file."""

from __future__ import annotations

import numpy as np

from .. import datasets


def read_inputs(path: str) -> np.ndarray:
    """The samples in ``path`` as a 2-D array ``(n, features)``; IDX pixels are scaled to [0, 1]."""
    if path.endswith(".npy"):
        x = np.load(path, allow_pickle=False)
    elif path.endswith((".csv", ".txt")):
        x = np.loadtxt(path, delimiter="," if path.endswith(".csv") else None, ndmin=2)
    elif "idx" in path:
        x = datasets.read_idx(path).astype(np.float32) / 255.0
    else:
        raise ValueError(f"cannot read inputs from {path}: use .npy, .csv, .txt or an IDX file")
    return x.reshape(x.shape[0], -1)
