"""Read and write the IDX format of MNIST and Fashion-MNIST, plain or gzipped.

An IDX file is a header followed by the array's elements in C order,
everything big-endian::

    offset  size     content
    0       2        0x00 0x00
    2       1        type code (below)
    3       1        number of dimensions d
    4       4 * d    the size of each dimension, big-endian int32
    4 + 4d  ...      prod(sizes) elements of the given type, big-endian

========= ========= ================
type code NumPy     meaning
========= ========= ================
0x08      uint8     unsigned byte
0x09      int8      signed byte
0x0B      >i2       short (2 bytes)
0x0C      >i4       int (4 bytes)
0x0D      >f4       float (4 bytes)
0x0E      >f8       double (8 bytes)
========= ========= ================

MNIST's ``train-images-idx3-ubyte`` starts ``00 00 08 03 | 00 00 EA 60 |
00 00 00 1C | 00 00 00 1C``: unsigned bytes, 3 dimensions, 60000 x 28 x 28.

A file is untrusted: the sizes its header declares are checked before
anything is allocated for them, against the bytes that really follow (for a
gzipped file, against what its compressed size can hold, and the stream is
decompressed in bounded chunks, never past the declared size) and against
:data:`MAX_IDX_BYTES`. Every refusal is an
:class:`~mlplab.untrusted.InvalidFileError` (a ``ValueError``) naming the file.
"""

from __future__ import annotations

import gzip
import io
import math
import os
import zlib
from pathlib import Path

import numpy as np

from .._atomic import atomic_write
from ..untrusted import InvalidFileError

__all__ = ["IDX_DTYPES", "atomic_write", "read_idx", "write_idx"]

IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
"""IDX type code -> big-endian NumPy dtype of the stored elements."""

MAX_IDX_BYTES = 16 * 2**30
"""Most bytes of data an IDX file may declare (16 GiB; MNIST's largest file holds 47 MB)."""

_MAX_DEFLATE_RATIO = 1032  # deflate never expands data more than this
_CHUNK = 2**20  # bytes decompressed at a time

_CODES: dict[str, int] = {dt.newbyteorder("=").str[1:]: code for code, dt in IDX_DTYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"


def _is_gzip_name(path: Path) -> bool:
    return path.name.lower().endswith(".gz")


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file into a native-endian array of the stored type and shape.

    Parameters
    ----------
    path
        The file. A name ending in ``.gz``, or content starting with the gzip
        magic bytes ``1f 8b``, is decompressed transparently.

    Returns
    -------
    numpy.ndarray
        Shape ``(size_1, ..., size_d)`` from the header; dtype ``uint8``,
        ``int8``, ``int16``, ``int32``, ``float32`` or ``float64`` from the
        type code. The array is a fresh, writable copy.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    InvalidFileError
        A ``ValueError`` naming the file, for a corrupt gzip stream, a wrong
        magic number, an unknown type code, a header or data shorter than the
        header promises, bytes left over after the data, or a declared size
        over :data:`MAX_IDX_BYTES` (or more than a gzip stream of this size
        can hold). Sizes are checked before anything is allocated for them.
    """
    path = Path(path)
    if not path.is_file():
        if path.exists():
            raise ValueError(f"IDX path {str(path)!r} is not a regular file")
        raise FileNotFoundError(f"IDX file not found: {str(path)!r}")
    where = str(path)
    size = path.stat().st_size
    if size > MAX_IDX_BYTES + _header_length(255):
        raise _invalid(where, f"is {size} bytes, more than the limit of {MAX_IDX_BYTES} data bytes")
    raw: bytes | bytearray = path.read_bytes()
    if _is_gzip_name(path) or raw[:2] == _GZIP_MAGIC:
        try:
            raw = _gunzip(raw, where)
        except (OSError, EOFError, zlib.error) as exc:
            raise _invalid(where, f"is not a valid gzip stream (corrupt or truncated): {exc}") from exc
    dtype, shape, nbytes = _parse_header(raw, where, len(raw))
    return _parse_data(raw, where, dtype, shape, nbytes)


def _invalid(where: str, reason: str) -> InvalidFileError:
    return InvalidFileError(where, reason, f"IDX file {where!r} {reason}")


def _header_length(ndim: int) -> int:
    return 4 + 4 * ndim


def _gunzip(raw: bytes | bytearray, where: str) -> bytearray:
    """Decompress the header, check the size it declares, then decompress at most one byte past the data."""
    with gzip.GzipFile(fileobj=io.BytesIO(raw)) as stream:
        out = bytearray(stream.read(4))
        if len(out) == 4:
            out += stream.read(4 * out[3])
        _, _, nbytes = _parse_header(bytes(out), where, len(raw), gzipped=True)
        end = _header_length(out[3]) + nbytes
        while len(out) <= end:
            chunk = stream.read(min(_CHUNK, end + 1 - len(out)))
            if not chunk:
                break
            out += chunk
        if len(out) > end:
            raise _invalid(where, f"has trailing garbage after its {nbytes} data bytes")
    return out


def _parse_header(
    raw: bytes | bytearray, where: str, file_size: int, *, gzipped: bool = False
) -> tuple[np.dtype, tuple[int, ...], int]:
    """``(dtype, shape, data bytes)`` from the header at the start of ``raw``, every size checked."""
    if len(raw) < 4:
        raise _invalid(where, f"is truncated: {len(raw)} byte(s), shorter than the 4-byte magic number")
    if raw[0] != 0 or raw[1] != 0:
        raise _invalid(
            where,
            f"has a wrong magic number 0x{bytes(raw[:4]).hex().upper()}: "
            "an IDX file starts with two zero bytes, a type code and the number of dimensions",
        )
    code, ndim = raw[2], raw[3]
    if code not in IDX_DTYPES:
        valid = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise _invalid(where, f"has an unknown type code 0x{code:02X} (valid: {valid})")
    header_len = _header_length(ndim)
    if len(raw) < header_len:
        raise _invalid(
            where,
            f"is truncated: its header declares {ndim} dimension(s) "
            f"({header_len} header bytes) but the file has only {len(raw)} byte(s)",
        )
    shape = tuple(int(s) for s in np.frombuffer(bytes(raw[4:header_len]), dtype=">i4"))
    if any(s < 0 for s in shape):
        raise _invalid(where, f"has a negative dimension size in its header: {shape}")
    dtype = IDX_DTYPES[code]
    nbytes = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
    if nbytes > MAX_IDX_BYTES:
        raise _invalid(where, f"declares shape {shape} ({nbytes} data bytes), more than the limit of {MAX_IDX_BYTES}")
    if gzipped and nbytes > _MAX_DEFLATE_RATIO * file_size:
        raise _invalid(
            where,
            f"declares shape {shape} ({nbytes} data bytes), more than a gzip stream of {file_size} bytes can hold",
        )
    return dtype, shape, nbytes


def _parse_data(
    raw: bytes | bytearray, where: str, dtype: np.dtype, shape: tuple[int, ...], expected: int
) -> np.ndarray:
    header_len = _header_length(len(shape))
    actual = len(raw) - header_len
    if actual < expected:
        raise _invalid(
            where,
            f"is truncated: the header promises shape {shape} of {dtype.newbyteorder('=').name} "
            f"({expected} data bytes) but only {actual} follow",
        )
    if actual > expected:
        raise _invalid(
            where,
            f"has {actual - expected} byte(s) of trailing garbage after the {expected} data bytes of shape {shape}",
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header_len, count=expected // dtype.itemsize)
    return data.astype(dtype.newbyteorder("="), copy=True).reshape(shape)


def write_idx(path: str | os.PathLike[str], array: np.ndarray) -> Path:
    """Write ``array`` as an IDX file, gzipped if the name ends in ``.gz``; return the path.

    The file appears atomically: the bytes go to a temporary file in the same
    folder, which is then renamed over ``path`` (``os.replace``), so a reader
    never sees a half-written file. The gzip header carries no timestamp, so
    the same array always gives the same bytes.

    Parameters
    ----------
    path
        Destination file; its folder must exist.
    array
        Any array of dtype ``uint8``, ``int8``, ``int16``, ``int32``,
        ``float32`` or ``float64`` with at most 255 dimensions, each smaller
        than 2**31.

    Raises
    ------
    ValueError
        For a dtype IDX cannot hold (convert first, e.g. ``astype(np.int32)``)
        or a shape it cannot describe.
    """
    path = Path(path)
    array = np.asarray(array)
    key = array.dtype.newbyteorder("=").str[1:] if array.dtype.kind in "iuf" else None
    if key not in _CODES:
        valid = ", ".join(dt.newbyteorder("=").name for dt in IDX_DTYPES.values())
        raise ValueError(f"write_idx cannot store dtype {array.dtype} (IDX holds: {valid})")
    if array.ndim > 255:
        raise ValueError(f"write_idx: IDX holds at most 255 dimensions, got {array.ndim}")
    if any(s >= 2**31 for s in array.shape):
        raise ValueError(f"write_idx: every dimension must be < 2**31, got shape {array.shape}")
    code = _CODES[key]
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">i4").tobytes()
    payload = header + np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes()
    if _is_gzip_name(path):
        payload = gzip.compress(payload, mtime=0)
    with atomic_write(path) as f:
        f.write(payload)
    return path
