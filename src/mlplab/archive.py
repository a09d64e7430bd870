"""A generic archive: named NumPy arrays plus a JSON ``meta`` dict in one ``.npz`` file, written atomically.

A file is one uncompressed NumPy ``.npz`` archive (a zip of ``.npy`` arrays)
holding each named array as ``<name>.npy`` and the metadata as UTF-8 JSON
bytes in a 1-D ``uint8`` array under the reserved name :data:`META_KEY`
(``"__meta__"``). Any ``.npz`` reader opens it: ``np.load(path, allow_pickle=False)``.

No pickle, either way: :func:`write_arrays` refuses object arrays, and
:func:`read_arrays` loads with ``allow_pickle=False``, so a pickle-bearing
entry is refused before anything is unpickled, and only a zip file ever
reaches ``np.load``.

Writes are atomic (see :mod:`mlplab._atomic`): the archive goes to a
temporary file in the target's folder, which then replaces the target in one
``os.replace``, so the path holds either the old file or the complete new
one, never half of one.

This module knows nothing about models: :mod:`mlplab.persistence` stores a
model's architecture in ``meta`` and its weights as the arrays, and training
checkpoints (:mod:`mlplab.training.state`) store a ``meta`` dict of their own.
"""

from __future__ import annotations

import json
import os
import struct
import zipfile
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

import numpy as np

from ._atomic import atomic_write

__all__ = ["META_KEY", "read_arrays", "write_arrays"]

META_KEY = "__meta__"
"""Reserved entry holding the JSON metadata."""

# What a damaged archive raises while being opened or read (ValueError covers bad .npy headers).
_CORRUPT = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    EOFError,
    ValueError,
    KeyError,
    zlib.error,
    struct.error,
    NotImplementedError,
)


def write_arrays(path: str | os.PathLike[str], arrays: Mapping[str, Any], meta: Mapping[str, Any]) -> None:
    """Atomically write named arrays and a JSON-able ``meta`` dict to one ``.npz`` file at ``path``.

    ``meta`` is stored as UTF-8 JSON bytes in a 1-D ``uint8`` array under
    :data:`META_KEY`. The archive is written to a temporary file in the same
    folder, flushed to disk, and moved onto ``path`` with ``os.replace``; if
    anything fails, the temporary file is removed and any previous file at
    ``path`` is untouched. ``path`` is used exactly as given (no suffix added).

    Parameters
    ----------
    path : str or PathLike
    arrays : mapping of str to array_like
        Numeric (non-object) arrays; names must be non-empty and not ``"__meta__"``.
    meta : mapping
        JSON-able (``json.dumps`` must accept it; NaN and infinities are
        written as JSON's common ``NaN``/``Infinity`` extension).

    Raises
    ------
    ValueError
        For a reserved or empty name, or an object-dtype array (it would need pickle).
    TypeError
        If ``meta`` is not a mapping or not JSON-serializable.
    FileNotFoundError
        If ``path``'s folder does not exist.
    """
    entries: dict[str, np.ndarray] = {}
    for name, value in arrays.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"array names must be non-empty strings, got {name!r}")
        if name == META_KEY:
            raise ValueError(f"array name {META_KEY!r} is reserved for the metadata")
        array = np.asarray(value)
        if array.dtype.hasobject:
            raise ValueError(
                f"array {name!r} has dtype {array.dtype}; mlplab files hold numeric arrays only "
                "(Python objects would need pickle)"
            )
        entries[name] = array
    if not isinstance(meta, Mapping):
        raise TypeError(f"meta must be a mapping (a JSON object), got {type(meta).__name__}")
    try:
        meta_bytes = json.dumps(dict(meta)).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise TypeError(f"meta is not JSON-serializable: {exc}") from exc
    entries[META_KEY] = np.frombuffer(meta_bytes, dtype=np.uint8)
    with atomic_write(path) as f:
        _write_npz(f, entries)


def _write_npz(f: IO[bytes], entries: Mapping[str, np.ndarray]) -> None:
    """Write an uncompressed ``.npz`` archive, as ``np.savez`` does, without its keyword-name clashes."""
    with zipfile.ZipFile(f, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in entries.items():
            with archive.open(name + ".npy", mode="w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


def read_arrays(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read a file written by :func:`write_arrays`: ``(meta, arrays)``, without ever unpickling.

    Parameters
    ----------
    path : str or PathLike

    Returns
    -------
    meta : dict
        The decoded JSON metadata.
    arrays : dict of str to numpy.ndarray
        Every other entry, fully read into memory (the file is closed).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        ``"<path> is not a valid mlplab file: ..."`` for anything that is not a
        zip archive, a truncated or corrupt one, an entry that is not a plain
        ``.npy`` array, an object (pickle-bearing) entry, which is refused
        by ``allow_pickle=False`` before it is unpickled, or a missing or
        non-JSON ``__meta__``.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such mlplab file: {path}")

    def invalid(reason: str) -> ValueError:
        return ValueError(f"{path} is not a valid mlplab file: {reason}")

    arrays: dict[str, Any] = {}
    key = None
    with open(path, "rb") as f:
        # Only a zip goes to np.load: a bare .npy or a pickle never reaches its other readers.
        if f.read(4) not in (b"PK\x03\x04", b"PK\x05\x06"):
            raise invalid("not a zip (.npz) archive")
        f.seek(0)
        try:
            with np.load(f, allow_pickle=False) as archive:
                for key in archive.files:
                    arrays[key] = archive[key]
        except _CORRUPT as exc:
            if isinstance(exc, ValueError) and "allow_pickle" in str(exc):
                raise invalid(
                    f"entry {key!r} holds Python objects, which would need pickle to load; refused without unpickling"
                ) from exc
            raise invalid(f"truncated or corrupt archive ({type(exc).__name__}: {exc})") from exc
    for key, value in arrays.items():
        if not isinstance(value, np.ndarray):
            raise invalid(f"entry {key!r} is not a .npy array")
    return _decode_meta(arrays.pop(META_KEY, None), invalid), arrays


def _decode_meta(raw: np.ndarray | None, invalid: Callable[[str], ValueError]) -> dict[str, Any]:
    if raw is None:
        raise invalid(f"no {META_KEY!r} entry")
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise invalid(f"{META_KEY!r} must be a 1-D uint8 array of JSON bytes, got {raw.dtype} of shape {raw.shape}")
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise invalid(f"{META_KEY!r} is not valid UTF-8 JSON ({exc})") from exc
    if not isinstance(meta, dict):
        raise invalid(f"{META_KEY!r} must be a JSON object, got {type(meta).__name__}")
    return meta
