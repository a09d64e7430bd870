"""A generic archive: named NumPy arrays plus a JSON ``meta`` dict in one ``.npz`` file, written atomically.

A file is one uncompressed NumPy ``.npz`` archive (a zip of ``.npy`` arrays)
holding each named array as ``<name>.npy`` and the metadata as UTF-8 JSON
bytes in a 1-D ``uint8`` array under the reserved name :data:`META_KEY`
(``"__meta__"``). Any ``.npz`` reader opens it: ``np.load(path, allow_pickle=False)``.

Every file read is untrusted, as with ``torch.load(weights_only=True)`` or
safetensors. :func:`read_arrays` never unpickles (an object entry is refused
from its header), and it checks every size a file declares before it
allocates anything for it:

* the zip directory: at most :data:`MAX_ENTRIES` entries, each a ``<name>.npy``
  stored or deflated (no encryption), its compressed sizes within the file,
  its uncompressed size at most ``1032 x`` its compressed size (deflate's
  ceiling) and all of them together at most :data:`MAX_TOTAL_BYTES`;
* each ``.npy`` header, read alone (``numpy.lib.format.read_magic`` and
  ``read_array_header_1_0``/``2_0``): a numeric dtype and a shape whose bytes
  are exactly the data the zip directory says the entry holds;
* the metadata: at most :data:`MAX_META_BYTES` of JSON, nested at most
  :data:`MAX_JSON_DEPTH` deep.

A file that fails any check is refused with :class:`InvalidFileError`, a
``ValueError`` whose message names the file and the reason.

Writes are atomic (see :mod:`mlplab._atomic`): the archive goes to a
temporary file in the target's folder, which then replaces the target in one
``os.replace``, so the path holds either the old file or the complete new
one, never half of one. :func:`write_arrays` refuses what :func:`read_arrays`
would refuse (too much metadata, too many bytes), so every file it writes reads back.

This module knows nothing about models: :mod:`mlplab.persistence` stores a
model's architecture in ``meta`` and its weights as the arrays, and training
checkpoints (:mod:`mlplab.training.state`) store a ``meta`` dict of their own.
"""

from __future__ import annotations

import json
import math
import os
import struct
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from ._atomic import atomic_write
from .untrusted import InvalidFileError, json_depth

__all__ = [
    "MAX_ENTRIES",
    "MAX_JSON_DEPTH",
    "MAX_META_BYTES",
    "MAX_TOTAL_BYTES",
    "META_KEY",
    "InvalidFileError",
    "json_depth",
    "read_arrays",
    "read_meta",
    "write_arrays",
]

META_KEY = "__meta__"
"""Reserved entry holding the JSON metadata."""

MAX_TOTAL_BYTES = 16 * 2**30
"""Most bytes of array data (all entries together, uncompressed) a file may hold: 16 GiB."""

MAX_META_BYTES = 2**20
"""Most bytes of JSON metadata: 1 MiB (a model's architecture takes a few KiB)."""

MAX_JSON_DEPTH = 64
"""Deepest nesting of JSON objects and lists in the metadata (well below Python's recursion limit)."""

MAX_ENTRIES = 65_536
"""Most entries (arrays) in one file."""

MAX_COMPRESSION_RATIO = 1032
"""Deflate never expands data more than this: a deflated entry claiming more is lying about its size."""

_MAX_NPY_HEADER = 10_000  # NumPy's own default bound on a .npy header's length
_CHUNK = 2**20  # bytes read from an entry at a time

# What a damaged zip raises while it is opened or read.
_CORRUPT = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    EOFError,
    ValueError,
    KeyError,
    IndexError,
    OverflowError,
    zlib.error,
    struct.error,
    NotImplementedError,
)


@dataclass(frozen=True)
class _Entry:
    """One ``.npy`` entry, as its zip directory record and its header describe it."""

    info: zipfile.ZipInfo
    data_offset: int
    dtype: np.dtype
    shape: tuple[int, ...]
    fortran_order: bool


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
        For a reserved or empty name, a non-numeric array (an object array
        would need pickle), more than :data:`MAX_ENTRIES` arrays or
        :data:`MAX_TOTAL_BYTES` bytes, or metadata over :data:`MAX_META_BYTES`
        or nested deeper than :data:`MAX_JSON_DEPTH`: what :func:`read_arrays` would refuse.
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
        if not _numeric(array.dtype):
            raise ValueError(f"array {name!r} has dtype {array.dtype}; mlplab files hold numeric arrays only")
        entries[name] = array
    if len(entries) + 1 > MAX_ENTRIES:
        raise ValueError(f"{len(entries)} arrays are more than an mlplab file holds ({MAX_ENTRIES - 1})")
    total = sum(array.nbytes for array in entries.values())
    if total > MAX_TOTAL_BYTES:
        raise ValueError(f"the arrays hold {total} bytes, more than an mlplab file holds ({MAX_TOTAL_BYTES})")
    if not isinstance(meta, Mapping):
        raise TypeError(f"meta must be a mapping (a JSON object), got {type(meta).__name__}")
    try:
        meta_bytes = json.dumps(dict(meta)).encode("utf-8")
    except (TypeError, ValueError, RecursionError) as exc:
        raise TypeError(f"meta is not JSON-serializable: {exc}") from exc
    if len(meta_bytes) > MAX_META_BYTES:
        raise ValueError(f"meta is {len(meta_bytes)} bytes of JSON, more than an mlplab file holds ({MAX_META_BYTES})")
    depth = json_depth(json.loads(meta_bytes))
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"meta nests {depth} levels deep, more than an mlplab file holds ({MAX_JSON_DEPTH})")
    entries[META_KEY] = np.frombuffer(meta_bytes, dtype=np.uint8)
    with atomic_write(path) as f:
        _write_npz(f, entries)


def _numeric(dtype: np.dtype) -> bool:
    """Booleans, integers, floats and complex numbers; no structures, strings, dates or objects."""
    return dtype.kind in "biufc" and dtype.fields is None and dtype.subdtype is None


def _write_npz(f: IO[bytes], entries: Mapping[str, np.ndarray]) -> None:
    """Write an uncompressed ``.npz`` archive, as ``np.savez`` does, without its keyword-name clashes."""
    with zipfile.ZipFile(f, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in entries.items():
            with archive.open(name + ".npy", mode="w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


def read_arrays(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read a file written by :func:`write_arrays`: ``(meta, arrays)``, without ever unpickling.

    Every size is checked (see the module's docstring) before the arrays are
    allocated; then each is read in chunks straight into its array.

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
    InvalidFileError
        A ``ValueError``, ``"<path> is not a valid mlplab file: ..."``, for
        anything that is not a zip archive, a truncated or corrupt one, an
        entry that is not a plain numeric ``.npy`` array (an object entry is
        refused from its header, before anything is unpickled), sizes that
        disagree or pass a limit, or a missing, oversized or non-JSON ``__meta__``.
    """
    return _read(path, with_arrays=True)


def read_meta(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The metadata of a file written by :func:`write_arrays`, without reading its arrays' data.

    The file gets the same checks as in :func:`read_arrays` (every entry's
    directory record and ``.npy`` header), and the same errors.
    """
    meta, _ = _read(path, with_arrays=False)
    return meta


def _read(path: str | os.PathLike[str], *, with_arrays: bool) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such mlplab file: {path}")

    def invalid(reason: str) -> InvalidFileError:
        return InvalidFileError(path, reason)

    with open(path, "rb") as f:
        # Only a zip is parsed: a bare .npy or a pickle never reaches a reader.
        if f.read(4) not in (b"PK\x03\x04", b"PK\x05\x06"):
            raise invalid("not a zip (.npz) archive")
        size = os.fstat(f.fileno()).st_size
        f.seek(0)
        try:
            with zipfile.ZipFile(f) as archive:
                entries = _scan(archive, size, invalid)
                meta = _read_meta(archive, entries.pop(META_KEY, None), invalid)
                arrays = {
                    key: _read_entry(archive, key, entry, invalid) for key, entry in entries.items() if with_arrays
                }
        except InvalidFileError:
            raise
        except _CORRUPT as exc:
            raise invalid(f"truncated or corrupt archive ({type(exc).__name__}: {exc})") from exc
    return meta, arrays


def _scan(archive: zipfile.ZipFile, file_size: int, invalid: Callable[[str], InvalidFileError]) -> dict[str, _Entry]:
    """Check the zip directory and every entry's ``.npy`` header; read no array data."""
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise invalid(f"{len(infos)} entries, more than the {MAX_ENTRIES} allowed")
    keys: dict[str, zipfile.ZipInfo] = {}
    compressed = total = 0
    for info in infos:
        name = info.filename
        if not name.endswith(".npy"):
            raise invalid(f"entry {name!r} is not a .npy array")
        key = name[: -len(".npy")]
        if key in keys:
            raise invalid(f"entry {key!r} appears twice")
        keys[key] = info
        if info.flag_bits & 0x1:
            raise invalid(f"entry {key!r} is encrypted")
        if info.compress_type == zipfile.ZIP_STORED:
            if info.compress_size != info.file_size:
                raise invalid(
                    f"entry {key!r} is stored uncompressed but its sizes disagree "
                    f"({info.compress_size} bytes stored, {info.file_size} declared)"
                )
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            if info.file_size > MAX_COMPRESSION_RATIO * info.compress_size:
                raise invalid(
                    f"entry {key!r} declares {info.file_size} bytes from {info.compress_size} deflated bytes, "
                    f"more than deflate can produce ({MAX_COMPRESSION_RATIO}x)"
                )
        else:
            raise invalid(f"entry {key!r} uses zip compression method {info.compress_type} (only stored or deflated)")
        compressed += info.compress_size
        total += info.file_size
    if compressed > file_size:
        raise invalid(f"its entries claim {compressed} bytes but the file has {file_size}")
    if total > MAX_TOTAL_BYTES:
        raise invalid(f"its entries hold {total} bytes, more than the limit of {MAX_TOTAL_BYTES}")
    return {key: _read_header(archive, info, key, invalid) for key, info in keys.items()}


def _read_header(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, key: str, invalid: Callable[[str], InvalidFileError]
) -> _Entry:
    """Read one entry's ``.npy`` header alone and check its shape against the entry's size."""
    fmt = np.lib.format
    with archive.open(info) as member:
        try:
            version = fmt.read_magic(member)
            if version == (1, 0):
                shape, fortran_order, dtype = fmt.read_array_header_1_0(member, max_header_size=_MAX_NPY_HEADER)
            elif version == (2, 0):
                shape, fortran_order, dtype = fmt.read_array_header_2_0(member, max_header_size=_MAX_NPY_HEADER)
            else:
                raise invalid(f"entry {key!r} has .npy format version {version}; 1.0 and 2.0 are read")
        except InvalidFileError:
            raise
        except (ValueError, EOFError, RecursionError, MemoryError, SyntaxError, TypeError) as exc:
            raise invalid(f"entry {key!r} has a bad .npy header ({type(exc).__name__}: {exc})") from exc
        data_offset = member.tell()
    if dtype.hasobject:
        raise invalid(
            f"entry {key!r} holds Python objects, which would need pickle to load; refused without unpickling"
        )
    if not _numeric(dtype):
        raise invalid(f"entry {key!r} has dtype {dtype}; mlplab files hold numeric arrays only")
    if any(n < 0 for n in shape):
        raise invalid(f"entry {key!r} has a negative size in its shape {shape}")
    nbytes = math.prod(shape) * dtype.itemsize
    if data_offset + nbytes != info.file_size:
        raise invalid(
            f"entry {key!r} declares shape {shape} of {dtype} ({nbytes} bytes) "
            f"but holds {info.file_size - data_offset} bytes of data"
        )
    return _Entry(info, data_offset, dtype, tuple(int(n) for n in shape), bool(fortran_order))


def _read_entry(
    archive: zipfile.ZipFile, key: str, entry: _Entry, invalid: Callable[[str], InvalidFileError]
) -> np.ndarray:
    """Read an entry's data, whose size :func:`_read_header` checked, into a new array."""
    flat = np.empty(math.prod(entry.shape), dtype=entry.dtype)
    raw = flat.view(np.uint8)
    with archive.open(entry.info) as member:
        member.read(entry.data_offset)
        done = 0
        while done < raw.size:
            chunk = member.read(min(_CHUNK, raw.size - done))
            if not chunk:
                raise invalid(f"entry {key!r} is truncated")
            raw[done : done + len(chunk)] = np.frombuffer(chunk, dtype=np.uint8)
            done += len(chunk)
        member.read(1)  # reach the end, where zipfile checks the CRC
    if entry.fortran_order:
        return flat.reshape(entry.shape[::-1]).transpose()
    return flat.reshape(entry.shape)


def _read_meta(
    archive: zipfile.ZipFile, entry: _Entry | None, invalid: Callable[[str], InvalidFileError]
) -> dict[str, Any]:
    if entry is None:
        raise invalid(f"no {META_KEY!r} entry")
    if entry.dtype != np.uint8 or len(entry.shape) != 1:
        raise invalid(f"{META_KEY!r} must be a 1-D uint8 array of JSON bytes, got {entry.dtype} of shape {entry.shape}")
    if entry.shape[0] > MAX_META_BYTES:
        raise invalid(f"{META_KEY!r} holds {entry.shape[0]} bytes of JSON, more than the limit of {MAX_META_BYTES}")
    raw = _read_entry(archive, META_KEY, entry, invalid)
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise invalid(f"{META_KEY!r} is not valid UTF-8 JSON ({exc})") from exc
    if not isinstance(meta, dict):
        raise invalid(f"{META_KEY!r} must be a JSON object, got {type(meta).__name__}")
    depth = json_depth(meta)
    if depth > MAX_JSON_DEPTH:
        raise invalid(f"{META_KEY!r} nests {depth} levels deep, more than the limit of {MAX_JSON_DEPTH}")
    return meta
