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

``<name>`` is ``fashion-mnist`` or ``mnist``. Downloads use ``urllib`` through
the module-level :func:`urlopen` (replaceable, e.g. by tests), are checked
against the published MD5 sums in :data:`CHECKSUMS` and land atomically.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from .._validation import check_fraction
from ..rng import as_generator
from .idx import atomic_write, read_idx
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

log = logging.getLogger(__name__)

IDX_FILES: tuple[str, ...] = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
"""The four standard file names, without ``.gz``."""

DATA_ENV_VAR = "MLPLAB_DATA"
SYSTEM_DATA_DIR = Path("/usr/share/datasets")
"""Where Debian's ``dataset-*`` packages install data sets."""

MIRRORS: dict[str, tuple[str, ...]] = {
    "fashion-mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
    "mnist": ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"),
}
"""Base URLs tried in order; a file's URL is ``base + file name``."""

CHECKSUMS: dict[str, dict[str, str]] = {
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    },
    "mnist": {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    },
}
"""MD5 of each published ``.gz`` file, checked after download (files found on disk are not hashed:
Debian's package, for one, recompresses them)."""

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

_TITLES = {"fashion-mnist": "Fashion-MNIST", "mnist": "MNIST"}
_HOW_TO_GET = {"fashion-mnist": "on Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist"}
_IMAGE_SHAPE = (28, 28)
_CHUNK = 1 << 20

Opener = Callable[[str], Any]
"""``opener(url)`` returns a binary file-like object (``read(size)``, optionally ``close()``)."""


class DownloadError(OSError):
    """Every mirror failed for a file: network error or checksum mismatch (each reason listed)."""


def urlopen(url: str) -> IO[bytes]:
    """Default opener for downloads: ``urllib.request.urlopen`` with a 60 s timeout.

    Tests and offline users replace it (``monkeypatch.setattr(images, "urlopen", fake)``)
    or pass ``opener=`` to :func:`download_dataset`.
    """
    return urllib.request.urlopen(url, timeout=60)


@dataclass(frozen=True, eq=False)
class Dataset:
    """A labelled image set, split into training and test parts.

    Attributes
    ----------
    name : str
        ``"fashion-mnist"``, ``"mnist"`` or ``"digits"``.
    x_train, x_test : numpy.ndarray
        ``float32`` pixels in ``[0, 1]``, one flattened image per row:
        shape ``(n, h*w)`` (``(n, 784)`` for the 28x28 sets).
    y_train, y_test : numpy.ndarray
        ``int64`` labels ``(n,)`` in ``[0, len(class_names))``.
    class_names : tuple of str
        Name of each label.
    image_shape : tuple of int or None
        ``(h, w)`` to view a row as an image, e.g. ``x_train[0].reshape(image_shape)``.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    image_shape: tuple[int, int] | None

    @property
    def n_classes(self) -> int:
        """Number of classes, ``len(class_names)``."""
        return len(self.class_names)

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}, train={self.x_train.shape} {self.x_train.dtype}, "
            f"test={self.x_test.shape}, classes={self.n_classes}, image_shape={self.image_shape})"
        )


# -- finding the files --------------------------------------------------------------------------


def _canonical(name: str) -> str:
    return name.strip().lower().replace("_", "-")


def cache_dir(name: str) -> Path:
    """``~/.cache/mlplab/<name>``: where downloads go."""
    return Path.home() / ".cache" / "mlplab" / _canonical(name)


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


def _find_file(folder: Path, base: str) -> Path | None:
    for candidate in (folder / f"{base}.gz", folder / base):
        if candidate.is_file():
            return candidate
    return None


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


# -- downloading ---------------------------------------------------------------------------------


class _ChecksumError(ValueError):
    pass


def _fetch(url: str, dest: Path, md5: str, opener: Opener) -> None:
    """Stream ``url`` into a temporary file beside ``dest``; rename it to ``dest`` if the MD5 matches."""
    response = opener(url)
    try:
        digest = hashlib.md5(usedforsecurity=False)
        with atomic_write(dest) as f:
            while chunk := response.read(_CHUNK):
                digest.update(chunk)
                f.write(chunk)
            if digest.hexdigest() != md5.lower():
                raise _ChecksumError(f"MD5 mismatch: got {digest.hexdigest()}, expected {md5.lower()}")
    finally:
        close = getattr(response, "close", None)
        if close is not None:
            close()


def download_dataset(
    name: str,
    folder: str | os.PathLike[str] | None = None,
    *,
    opener: Opener | None = None,
    mirrors: Sequence[str] | None = None,
) -> Path:
    """Download the four IDX files of ``name`` into ``folder``; return the folder.

    Each file is fetched from the first mirror that answers with the expected
    MD5 (:data:`CHECKSUMS`), written to a temporary file in ``folder`` and
    renamed into place only when its checksum matches; a file that fails is
    deleted. Files already in ``folder`` are kept.

    Parameters
    ----------
    name
        ``"fashion-mnist"`` or ``"mnist"``.
    folder
        Destination; default ``~/.cache/mlplab/<name>``. Created if needed.
    opener
        ``opener(url) -> binary file-like``; default the module's :func:`urlopen`.
    mirrors
        Base URLs to try in order; default :data:`MIRRORS` ``[name]``.

    Raises
    ------
    DownloadError
        If every mirror fails for some file, listing each mirror's error.
    """
    name = _canonical(name)
    if name not in CHECKSUMS:
        raise ValueError(f"no download known for data set {name!r} (known: {', '.join(sorted(CHECKSUMS))})")
    folder = cache_dir(name) if folder is None else Path(folder).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    opener = opener if opener is not None else urlopen
    bases = tuple(MIRRORS[name] if mirrors is None else mirrors)
    for base in IDX_FILES:
        if _find_file(folder, base) is not None:
            continue
        fname = f"{base}.gz"
        errors = []
        for mirror in bases:
            url = mirror.rstrip("/") + "/" + fname
            log.info("downloading %s", url)
            try:
                _fetch(url, folder / fname, CHECKSUMS[name][fname], opener)
                break
            except (OSError, ValueError, http.client.HTTPException) as exc:
                errors.append(f"  {url}: {exc}")
        else:
            raise DownloadError(f"could not download {fname} for {_TITLES[name]}:\n" + "\n".join(errors))
    return folder


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
    return Dataset(name, x_train, y_train, x_test, y_test, tuple(class_names), _IMAGE_SHAPE)


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
    from sklearn.datasets import load_digits  # optional heavy import, only here

    f = check_fraction("test_fraction", test_fraction, low_open=True)
    bunch = load_digits()
    x = (np.asarray(bunch.data, dtype=np.float32) / np.float32(16.0)).astype(np.float32)
    y = np.asarray(bunch.target, dtype=np.int64)
    train_idx, test_idx = _split_indices(y, y.shape[0], f, as_generator(seed))
    return Dataset(
        "digits", x[train_idx], y[train_idx], x[test_idx], y[test_idx], tuple(str(d) for d in range(10)), (8, 8)
    )
