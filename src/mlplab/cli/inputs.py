"""Inputs for ``mlplab predict``: samples from a ``.npy``, ``.csv``/``.txt`` or IDX file, prepared one way for all.

Every file is untrusted: a ``.npy`` header's declared size is checked against the file before
the array is read and nothing is ever unpickled; an IDX file is recognized by its header, not its
name. Whatever the format, integer samples are raw values (pixels 0..255) and become the model's
inputs by the model's own factor, saved with it; floating-point samples are taken as they are.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

from .. import datasets


def read_inputs(path: str) -> np.ndarray:
    """The array stored in ``path`` (``.npy``, ``.csv``, ``.txt``, or an IDX file), as stored."""
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    if file.suffix == ".npy":
        return _read_npy(file)
    if file.suffix in (".csv", ".txt"):
        try:
            return np.loadtxt(file, delimiter="," if file.suffix == ".csv" else None, ndmin=2)
        except ValueError as error:
            raise ValueError(f"{path}: not a table of numbers ({error})") from None
    try:
        return datasets.read_idx(file)
    except (ValueError, OSError, EOFError) as error:
        raise ValueError(
            f"{path}: not an input file mlplab reads (.npy, .csv, .txt, or an IDX file such as "
            f"t10k-images-idx3-ubyte.gz): {error}"
        ) from None


def _read_npy(file: Path) -> np.ndarray:
    """A ``.npy`` array, its header checked against the file size first; object arrays are refused."""
    with file.open("rb") as f:
        try:
            major, _ = npy_format.read_magic(f)
            read_header = npy_format.read_array_header_1_0 if major == 1 else npy_format.read_array_header_2_0
            shape, _, dtype = read_header(f)  # the header only, no data
        except (ValueError, EOFError) as error:
            raise ValueError(f"{file}: not a NumPy .npy array file ({error})") from None
        data_bytes = file.stat().st_size - f.tell()
    if dtype.hasobject:
        raise ValueError(f"{file}: holds Python objects; mlplab reads only numeric arrays and never unpickles")
    if math.prod(shape) * dtype.itemsize > data_bytes:
        raise ValueError(f"{file}: its header declares shape {shape} of {dtype}, more than the file holds")
    return np.load(file, allow_pickle=False)


def model_inputs(raw: np.ndarray, integer_scale: float | None, path: str) -> np.ndarray:
    """One sample per row, as the model takes them: integers times ``integer_scale``, floats as they are.

    A model without an integer scale (trained on data that has no integer form) takes integer
    samples as numbers. Empty arrays, single numbers and non-numeric arrays are refused, naming ``path``.
    """
    if raw.ndim == 0 or raw.shape[0] == 0 or raw.size == 0:
        raise ValueError(f"{path}: no samples (shape {raw.shape}); give one sample per row")
    if raw.dtype.kind in "biu":
        x = raw.astype(np.float64)
        if integer_scale is not None:
            x *= integer_scale
    elif raw.dtype.kind == "f":
        x = raw
    else:
        raise ValueError(f"{path}: holds {raw.dtype} values, not numbers")
    return x.reshape(x.shape[0], -1)
