"""Tests of mlplab.datasets.idx: IDX round trips, the header layout, and every kind of bad file."""

from __future__ import annotations

import gzip
import struct
import tracemalloc

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from mlplab.datasets import idx as idx_module
from mlplab.datasets.idx import read_idx, write_idx
from mlplab.untrusted import InvalidFileError

RNG = np.random.default_rng(2024)

ARRAYS = {
    "uint8_3d": RNG.integers(0, 256, size=(5, 4, 3)).astype(np.uint8),
    "int8_1d": RNG.integers(-128, 128, size=17).astype(np.int8),
    "int16_2d": RNG.integers(-30000, 30000, size=(6, 7)).astype(np.int16),
    "int32_4d": RNG.integers(-(2**31), 2**31 - 1, size=(2, 3, 2, 2)).astype(np.int32),
    "float32_2d": RNG.standard_normal((3, 8)).astype(np.float32),
    "float64_1d": RNG.standard_normal(9),
    "empty_uint8": np.zeros((0, 28, 28), dtype=np.uint8),
}


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("key", sorted(ARRAYS))
def test_round_trip_keeps_values_dtype_and_shape(tmp_path, key, suffix):
    array = ARRAYS[key]
    path = write_idx(tmp_path / f"{key}.idx{suffix}", array)
    back = read_idx(path)
    assert back.dtype == array.dtype
    assert back.shape == array.shape
    assert_array_equal(back, array)
    assert back.flags.writeable and back.dtype.isnative


def test_big_endian_input_is_written_like_native(tmp_path):
    array = np.arange(6, dtype=">i4").reshape(2, 3)
    assert_array_equal(read_idx(write_idx(tmp_path / "a.idx", array)), array)
    assert (tmp_path / "a.idx").read_bytes() == (write_idx(tmp_path / "b.idx", array.astype("<i4"))).read_bytes()


def test_header_layout_matches_the_mnist_format(tmp_path):
    images = np.arange(2 * 28 * 28, dtype=np.uint32).astype(np.uint8).reshape(2, 28, 28)
    raw = write_idx(tmp_path / "x-idx3-ubyte", images).read_bytes()
    assert raw[:16] == bytes.fromhex("00000803000000020000001C0000001C")
    assert raw[16:] == images.tobytes()
    floats = write_idx(tmp_path / "f", np.array([1.0], dtype=np.float32)).read_bytes()
    assert floats == bytes.fromhex("00000D01000000013F800000")  # 1.0f big-endian


def test_gz_file_is_really_gzip_and_deterministic(tmp_path):
    a = write_idx(tmp_path / "a.gz", ARRAYS["uint8_3d"]).read_bytes()
    b = write_idx(tmp_path / "b.gz", ARRAYS["uint8_3d"]).read_bytes()
    assert a[:2] == b"\x1f\x8b" and a == b
    assert gzip.decompress(a)[:4] == bytes([0, 0, 0x08, 3])


def test_gzip_content_without_gz_name_is_read(tmp_path):
    path = tmp_path / "plain-name"
    path.write_bytes(gzip.compress((write_idx(tmp_path / "src", ARRAYS["int16_2d"])).read_bytes()))
    assert_array_equal(read_idx(path), ARRAYS["int16_2d"])


def test_write_leaves_no_temporary_files(tmp_path):
    write_idx(tmp_path / "a.idx", ARRAYS["uint8_3d"])
    write_idx(tmp_path / "a.idx", ARRAYS["int8_1d"])  # overwrite in place
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.idx"]
    assert_array_equal(read_idx(tmp_path / "a.idx"), ARRAYS["int8_1d"])


@pytest.mark.parametrize("dtype", [np.int64, np.uint16, np.float16, np.bool_, np.complex64])
def test_write_rejects_dtypes_idx_cannot_hold(tmp_path, dtype):
    with pytest.raises(ValueError, match="cannot store dtype"):
        write_idx(tmp_path / "a.idx", np.zeros(3, dtype=dtype))
    assert list(tmp_path.iterdir()) == []


def test_missing_file_names_the_path(tmp_path):
    path = tmp_path / "nope-idx1-ubyte.gz"
    with pytest.raises(FileNotFoundError, match=r"nope-idx1-ubyte\.gz"):
        read_idx(path)


def _valid_bytes(tmp_path, array=None):
    return write_idx(tmp_path / "valid", ARRAYS["uint8_3d"] if array is None else array).read_bytes()


def _bad(tmp_path, raw, name="bad-idx"):
    path = tmp_path / name
    path.write_bytes(raw)
    return path


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda raw: b"\x01\x00" + raw[2:], "wrong magic number 0x01000803"),
        (lambda raw: raw[:2] + b"\x0a" + raw[3:], "unknown type code 0x0A"),
        (lambda raw: raw[:-1], r"the header promises shape \(5, 4, 3\) of uint8 \(60 data bytes\) but only 59 "),
        (lambda raw: raw[:10], "truncated: its header declares 3 dimension"),
        (lambda raw: raw[:3], "truncated: 3 byte"),
        (lambda raw: raw + b"\x00\x01", "2 byte\\(s\\) of trailing garbage"),
        (lambda raw: b"", "truncated: 0 byte"),
    ],
    ids=["magic", "type-code", "short-data", "short-header", "short-magic", "trailing", "empty"],
)
def test_bad_files_raise_value_error_naming_the_file(tmp_path, mutate, message):
    path = _bad(tmp_path, mutate(_valid_bytes(tmp_path)))
    with pytest.raises(ValueError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_truncated_multibyte_data(tmp_path):
    raw = _valid_bytes(tmp_path, np.arange(4, dtype=np.float64))
    with pytest.raises(ValueError, match="32 data bytes"):
        read_idx(_bad(tmp_path, raw[:-3]))


def test_bad_files_inside_gzip_are_caught_too(tmp_path):
    raw = _valid_bytes(tmp_path)
    with pytest.raises(ValueError, match="trailing garbage"):
        read_idx(_bad(tmp_path, gzip.compress(raw + b"xyz"), "bad.gz"))


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda gz: gz[: len(gz) // 2],  # truncated stream
        lambda gz: gz[:-8] + bytes(b ^ 0xFF for b in gz[-8:-4]) + gz[-4:],  # CRC mismatch
        lambda gz: gz[:12] + bytes(b ^ 0x5A for b in gz[12:40]) + gz[40:],  # garbled deflate data
        lambda gz: b"this is not gzip at all",
    ],
    ids=["truncated", "crc", "garbled", "not-gzip"],
)
def test_corrupt_gzip_stream_raises_value_error(tmp_path, corrupt):
    gz = gzip.compress(_valid_bytes(tmp_path, RNG.integers(0, 256, 2000).astype(np.uint8)))
    path = _bad(tmp_path, corrupt(gz), "corrupt-idx1-ubyte.gz")
    with pytest.raises(ValueError, match="not a valid gzip stream") as info:
        read_idx(path)
    assert str(path) in str(info.value)


# ---------------------------------------------------------------- hostile headers: sizes checked before allocating


def _peak_while(call):
    tracemalloc.start()
    try:
        with pytest.raises(ValueError) as info:
            call()
        return tracemalloc.get_traced_memory()[1], info.value
    finally:
        tracemalloc.stop()


def test_dimensions_whose_product_overflows_int64_are_refused_naming_the_file(tmp_path):
    """65536**4 == 2**64: a 64-bit product wraps to 0, which an empty data section would match."""
    path = _bad(tmp_path, bytes([0, 0, 0x08, 4]) + struct.pack(">4i", *[65536] * 4))
    peak, error = _peak_while(lambda: read_idx(path))
    assert isinstance(error, InvalidFileError) and str(path) in str(error)
    assert "more than the limit" in str(error)
    assert peak < 2**20


def test_huge_declared_shape_in_a_small_file_is_refused_without_allocating(tmp_path):
    path = _bad(tmp_path, bytes([0, 0, 0x0E, 2]) + struct.pack(">2i", 2**31 - 1, 2**31 - 1) + bytes(64))
    peak, error = _peak_while(lambda: read_idx(path))
    assert isinstance(error, InvalidFileError) and str(path) in str(error)
    assert peak < 2**20


def test_gzip_declaring_more_than_its_size_can_hold_is_refused_before_decompressing(tmp_path):
    header = bytes([0, 0, 0x08, 1]) + struct.pack(">i", 2**31 - 1)
    path = _bad(tmp_path, gzip.compress(header + bytes(1000)), "bomb-idx1-ubyte.gz")
    peak, error = _peak_while(lambda: read_idx(path))
    assert "more than a gzip stream of" in str(error) and str(path) in str(error)
    assert peak < 2**20


def test_gzip_bomb_after_the_data_is_not_decompressed(tmp_path):
    """16 data bytes, then 64 MB of zeros: the reader stops one byte past the data instead of inflating it all."""
    header = bytes([0, 0, 0x08, 1]) + struct.pack(">i", 16)
    path = _bad(tmp_path, gzip.compress(header + bytes(16) + bytes(64 * 2**20), compresslevel=1), "bomb.gz")
    assert path.stat().st_size < 2**20
    peak, error = _peak_while(lambda: read_idx(path))
    assert "trailing garbage" in str(error) and str(path) in str(error)
    assert peak < 4 * 2**20


def test_file_over_the_limit_is_refused_before_reading(tmp_path, monkeypatch):
    path = write_idx(tmp_path / "a.idx", np.zeros(4096, np.uint8))
    monkeypatch.setattr(idx_module, "MAX_IDX_BYTES", 1000)
    with pytest.raises(InvalidFileError, match=r"is 4104 bytes, more than the limit of 1000"):
        read_idx(path)
    with pytest.raises(InvalidFileError, match=r"declares shape \(4096,\) \(4096 data bytes\), more than the limit"):
        read_idx(write_idx(tmp_path / "a.gz", np.zeros(4096, np.uint8)))
