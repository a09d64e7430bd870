"""Downloading Fashion-MNIST and MNIST: the published files, their mirrors and MD5 sums.

Each set is published as four gzipped IDX files (:data:`IDX_FILES` plus
``.gz``). :func:`download_dataset` fetches the missing ones into a folder,
``~/.cache/mlplab/<name>`` (:func:`cache_dir`) by default, trying the base
URLs of :data:`MIRRORS` in order. Every file streams into a temporary file
beside its destination and is renamed into place only if its MD5 matches
:data:`CHECKSUMS` (see :mod:`mlplab._atomic`), so a folder never holds a
partial or corrupt download.

Requests go through ``urllib`` by way of the module-level :func:`urlopen`,
which tests and offline users can replace, or through an ``opener=`` passed
to :func:`download_dataset`.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from .._atomic import atomic_write

__all__ = ["CHECKSUMS", "IDX_FILES", "MIRRORS", "DownloadError", "cache_dir", "download_dataset", "urlopen"]

log = logging.getLogger(__name__)

IDX_FILES: tuple[str, ...] = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
"""The four standard file names, without ``.gz``."""

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

_TITLES = {"fashion-mnist": "Fashion-MNIST", "mnist": "MNIST"}
_CHUNK = 1 << 20

Opener = Callable[[str], Any]
"""``opener(url)`` returns a binary file-like object (``read(size)``, optionally ``close()``)."""


class DownloadError(OSError):
    """Every mirror failed for a file: network error or checksum mismatch (each reason listed)."""


def urlopen(url: str) -> IO[bytes]:
    """Default opener for downloads: ``urllib.request.urlopen`` with a 60 s timeout.

    Tests and offline users replace it (``monkeypatch.setattr(download, "urlopen", fake)``)
    or pass ``opener=`` to :func:`download_dataset`.
    """
    return urllib.request.urlopen(url, timeout=60)


# -- names and folders ---------------------------------------------------------------------------


def _canonical(name: str) -> str:
    """A data set's folder name: ``" Fashion_MNIST"`` -> ``"fashion-mnist"``."""
    return name.strip().lower().replace("_", "-")


def cache_dir(name: str) -> Path:
    """``~/.cache/mlplab/<name>``: where downloads go."""
    return Path.home() / ".cache" / "mlplab" / _canonical(name)


def _find_file(folder: Path, base: str) -> Path | None:
    """The first of ``folder/<base>.gz`` and ``folder/<base>`` that is a file, or ``None``."""
    for candidate in (folder / f"{base}.gz", folder / base):
        if candidate.is_file():
            return candidate
    return None


# -- fetching ------------------------------------------------------------------------------------


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
