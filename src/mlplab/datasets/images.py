"""Image classification sets: Fashion-MNIST and MNIST from IDX files, scikit-learn's 8x8 digits.

Fashion-MNIST and MNIST come as four IDX files (see :mod:`mlplab.datasets.idx`)::

    train-images-idx3-ubyte.gz   60000 x 28 x 28 uint8 pixels, 0 = background
    train-labels-idx1-ubyte.gz   60000 uint8 labels 0..9
    t10k-images-idx3-ubyte.gz    10000 x 28 x 28
    t10k-labels-idx1-ubyte.gz    10000

(the same names without ``.gz`` are read too). :func:`find_dataset_dir`
looks for a folder holding them in this order:

1. the ``path`` argument, if given (and then only there);
2. ``$MLPLAB_DATA/<name>``;
3. ``~/.cache/mlplab/<name>`` (where ``download=True`` puts them);
4. ``/usr/share/datasets/<name>`` (where Debian's ``dataset-fashion-mnist``
   package installs Fashion-MNIST).

``<name>`` is ``fashion-mnist`` or ``mnist``. Downloads (:mod:`.download`,
whose names are re-exported here) use ``urllib`` through
:func:`mlplab.datasets.download.urlopen` (replaceable, e.g. by tests), are
checked against the published MD5 sums in :data:`CHECKSUMS` and land atomically.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._validation import check_fraction
from ..rng import as_generator
from .download import (
    _TITLES,
    CHECKSUMS,
    IDX_FILES,
    MIRRORS,
    DownloadError,
    _canonical,
    _find_file,
    cache_dir,
    download_dataset,
)
from .idx import read_idx
from .preprocessing import _split_indices

__all__ = [
    "CHECKSUMS",
    "CLASS_NAMES",
    "DATA_ENV_VAR",
    "IDX_FILES",
    "MIRRORS",
    "Dataset",
    "DownloadError",
    "digits",
    "download_dataset",
    "fashion_mnist",
    "find_dataset_dir",
    "load_idx_dataset",
    "mnist",
]

DATA_ENV_VAR = "MLPLAB_DATA"
SYSTEM_DATA_DIR = Path("/usr/share/datasets")
"""Where Debian's ``dataset-*`` packages install data sets."""

CLASS_NAMES: dict[str, tuple[str, ...]] = {
    "fashion-mnist": (
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ),
    "mnist": tuple(str(d) for d in range(10)),
}

_HOW_TO_GET = {"fashion-mnist": "on Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist"}
_IMAGE_SHAPE = (28, 28)


@dataclass(frozen=True, eq=False)
class Dataset:
    r"""A labelled image set, split into training and test parts.

    Attributes
    ----------
    name : str
        ``"fashion-mnist"``, ``"mnist"``, ``"digits"``, a 2-D set's name, or ``"synthetic"``
        (the stand-in for a missing image set, see :func:`~mlplab.datasets.image_set`).
    x_train, x_test : numpy.ndarray
        ``float32`` pixels in ``[0, 1]``, one flattened image per row:
        shape ``(n, h*w)`` (``(n, 784)`` for the 28x28 sets).
    y_train, y_test : numpy.ndarray
        ``int64`` labels ``(n,)`` in ``[0, len(class_names))``.
    class_names : tuple of str
        Name of each label.
    image_shape : tuple of int or None
        ``(h, w)`` to view a row as an image, e.g. ``x_train[0].reshape(image_shape)``.
    integer_scale : float or None
        How the set's raw integer samples (pixels as stored: 0..255, or 0..16 for digits)
        become rows of ``x``: :math:`x = p \cdot s`; ``None`` for sets with no integer form.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    image_shape: tuple[int, int] | None
    integer_scale: float | None = None

    @property
    def n_classes(self) -> int:
        """Number of classes, ``len(class_names)``."""
        return len(self.class_names)

    def head(self, n_train: int | None = None, n_test: int | None = None) -> Dataset:
        """The first ``n_train`` training and ``n_test`` test samples (all where ``None``), as views."""
        return dataclasses.replace(
            self,
            x_train=self.x_train[:n_train],
            y_train=self.y_train[:n_train],
            x_test=self.x_test[:n_test],
            y_test=self.y_test[:n_test],
        )

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}, train={self.x_train.shape} {self.x_train.dtype}, "
            f"test={self.x_test.shape}, classes={self.n_classes}, image_shape={self.image_shape})"
        )


# -- finding the files --------------------------------------------------------------------------


def _search_dirs(name: str, path: str | os.PathLike[str] | None) -> list[tuple[Path, str]]:
    """The folders to look in, in order, each with where it came from."""
    if path is not None:
        return [(Path(path).expanduser(), "path argument")]
    name = _canonical(name)
    dirs = []
    env = os.environ.get(DATA_ENV_VAR)
    if env:
        dirs.append((Path(env).expanduser() / name, f"${DATA_ENV_VAR}"))
    dirs.append((cache_dir(name), "download cache"))
    dirs.append((SYSTEM_DATA_DIR / name, "system data sets"))
    return dirs


def _missing(folder: Path) -> list[str]:
    return [base for base in IDX_FILES if _find_file(folder, base) is None]


def find_dataset_dir(name: str, path: str | os.PathLike[str] | None = None) -> Path | None:
    """Return the first folder that holds all four IDX files of ``name``, or ``None``.

    Parameters
    ----------
    name
        Folder name of the set, e.g. ``"fashion-mnist"`` or ``"mnist"``.
    path
        If given, only this folder is considered.
    """
    for folder, _ in _search_dirs(name, path):
        if folder.is_dir() and not _missing(folder):
            return folder
    return None


def _not_found_message(name: str, path: str | os.PathLike[str] | None) -> str:
    title = _TITLES.get(name, name)
    lines = [f"{title} data not found. Folders searched:"]
    for folder, origin in _search_dirs(name, path):
        if not folder.is_dir():
            state = "no such folder"
        else:
            state = "lacks " + ", ".join(_missing(folder))
        lines.append(f"  {folder} ({origin}): {state}")
    lines.append("Each folder needs " + ", ".join(f"{b}.gz" for b in IDX_FILES) + " (or the same names without .gz).")
    lines.append("To get the data:")
    if name in _HOW_TO_GET:
        lines.append(f"  - {_HOW_TO_GET[name]}")
    func = name.replace("-", "_")
    dest = Path(path).expanduser() if path is not None else cache_dir(name)
    lines.append(f"  - {func}(download=True) fetches it into {dest} (needs internet)")
    lines.append("  - or put the files in a folder and pass path=...,")
    lines.append(f"    or set {DATA_ENV_VAR}=DIR with the files in DIR/{name}")
    return "\n".join(lines)


# -- loading -------------------------------------------------------------------------------------


def _read_split(folder: Path, split: str, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Read ``<split>-images`` and ``<split>-labels``; return ``(x float32 (n, 784), y int64 (n,))``."""
    img_file = _find_file(folder, f"{split}-images-idx3-ubyte")
    lab_file = _find_file(folder, f"{split}-labels-idx1-ubyte")
    if img_file is None or lab_file is None:
        raise FileNotFoundError(f"{folder} lacks the {split} images or labels")
    images, labels = read_idx(img_file), read_idx(lab_file)
    if images.ndim != 3 or images.shape[1:] != _IMAGE_SHAPE or images.dtype != np.uint8:
        raise ValueError(f"{img_file} must hold uint8 images of shape (n, 28, 28), got {images.dtype} {images.shape}")
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise ValueError(f"{lab_file} must hold a 1-D uint8 array of labels, got {labels.dtype} {labels.shape}")
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"{img_file} holds {images.shape[0]} images but {lab_file} holds {labels.shape[0]} labels")
    if labels.size and int(labels.max()) >= n_classes:
        raise ValueError(f"{lab_file} has label {int(labels.max())} outside 0..{n_classes - 1}")
    x = images.reshape(images.shape[0], -1).astype(np.float32)
    x *= np.float32(1.0 / 255.0)
    return x, labels.astype(np.int64)


def load_idx_dataset(name: str, folder: str | os.PathLike[str], class_names: Sequence[str]) -> Dataset:
    """Read an MNIST-style folder of four IDX files into a :class:`Dataset`.

    Pixels become ``x = p / 255`` in float32, shape ``(n, 784)``; labels int64.

    Raises
    ------
    ValueError
        If a file is corrupt, images are not 28x28 uint8, image and label
        counts differ, or a label is outside ``0 .. len(class_names)-1``.
    """
    folder = Path(folder)
    x_train, y_train = _read_split(folder, "train", len(class_names))
    x_test, y_test = _read_split(folder, "t10k", len(class_names))
    return Dataset(name, x_train, y_train, x_test, y_test, tuple(class_names), _IMAGE_SHAPE, 1.0 / 255.0)


def _load_named(name: str, path: str | os.PathLike[str] | None, download: bool) -> Dataset:
    folder = find_dataset_dir(name, path)
    if folder is None:
        if not download:
            raise FileNotFoundError(_not_found_message(name, path))
        folder = download_dataset(name, path)
    return load_idx_dataset(name, folder, CLASS_NAMES[name])


def fashion_mnist(path: str | os.PathLike[str] | None = None, *, download: bool = False) -> Dataset:
    """Fashion-MNIST (Xiao et al., 2017): 60000 + 10000 grey 28x28 images of 10 kinds of clothing.

    Parameters
    ----------
    path
        Folder holding the four IDX files; default: search ``$MLPLAB_DATA/fashion-mnist``,
        ``~/.cache/mlplab/fashion-mnist``, ``/usr/share/datasets/fashion-mnist``.
    download
        If the files are not found, download them (into ``path`` if given,
        else ``~/.cache/mlplab/fashion-mnist``), checking their MD5 sums.

    Returns
    -------
    Dataset
        ``x_train (60000, 784)``, ``x_test (10000, 784)`` float32 in [0, 1];
        labels int64; ``class_names`` T-shirt/top, Trouser, Pullover, Dress,
        Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot; ``image_shape (28, 28)``.

    Raises
    ------
    FileNotFoundError
        If the files are not found and ``download`` is false; the message lists
        the folders searched and how to get the data
        (``sudo apt-get install dataset-fashion-mnist`` on Debian/Ubuntu).
    """
    return _load_named("fashion-mnist", path, download)


def mnist(path: str | os.PathLike[str] | None = None, *, download: bool = False) -> Dataset:
    """MNIST (LeCun et al., 1998): 60000 + 10000 grey 28x28 handwritten digits.

    Same search, download and layout as :func:`fashion_mnist`, with the folder
    name ``mnist`` and class names ``"0" .. "9"``.
    """
    return _load_named("mnist", path, download)


def digits(test_fraction: float = 0.2, seed: np.random.Generator | int | None = 0) -> Dataset:
    """scikit-learn's bundled 8x8 digits (1797 images, no download), split stratified.

    Pixels are 0..16 in the source; here :math:`x = p / 16` in float32,
    shape ``(n, 64)``. Each digit class is split in proportion
    ``test_fraction`` (:func:`mlplab.datasets.train_val_split`'s rule), so
    train and test have the same class balance; ``seed`` fixes the split.
    """
    try:
        from sklearn.datasets import load_digits  # the data ship with scikit-learn
    except ImportError as error:
        raise ImportError('the digits data set comes with scikit-learn: pip install "mlplab[sklearn]"') from error

    f = check_fraction("test_fraction", test_fraction, low_open=True)
    bunch = load_digits()
    x = (np.asarray(bunch.data, dtype=np.float32) / np.float32(16.0)).astype(np.float32)
    y = np.asarray(bunch.target, dtype=np.int64)
    train_idx, test_idx = _split_indices(y, y.shape[0], f, as_generator(seed))
    names = tuple(str(d) for d in range(10))
    return Dataset("digits", x[train_idx], y[train_idx], x[test_idx], y[test_idx], names, (8, 8), 1.0 / 16.0)
