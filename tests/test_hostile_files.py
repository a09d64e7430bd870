"""Model files and checkpoints written by someone hostile: every size is checked before it is believed.

Each test builds a file by hand (a zip of ``.npy`` entries whose headers or
JSON say what an attacker likes) and checks that reading it fails with
:class:`~mlplab.untrusted.InvalidFileError`, a ``ValueError`` naming the file
and the reason, without allocating what the file declares, recursing without
bound or running code. The Hypothesis tests tamper with a saved model at
random and hold every reader to the same rules.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import struct
import tempfile
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

import mlplab
from mlplab import MLP, Dense, ReLU, Sequential
from mlplab import archive as archive_module
from mlplab.architecture import LAYER_TYPES, MAX_NESTING, model_to_config
from mlplab.archive import read_arrays, read_meta, write_arrays
from mlplab.cli import main
from mlplab.persistence import load, load_info, save
from mlplab.training import read_checkpoint, write_checkpoint
from mlplab.untrusted import InvalidFileError

SMALL = 2**20  # 1 MiB: the most a tampered file of a few KB may make a reader allocate, with slack


# ---------------------------------------------------------------- crafting files


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=True)
    return buffer.getvalue()


def npy_with_header(descr, shape: tuple, data: bytes = b"", fortran_order: bool = False) -> bytes:
    """A version 1.0 ``.npy`` whose header says whatever it is told, followed by ``data``."""
    header = repr({"descr": descr, "fortran_order": fortran_order, "shape": shape}).encode("latin1")
    header += b" " * (-(10 + len(header) + 1) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + data


def meta_bytes(meta) -> bytes:
    return npy_bytes(np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))


def write_zip(path: Path, members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> Path:
    """A zip holding exactly ``members`` (names as given), with none of write_arrays' checks."""
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def members_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def saved_model(folder: Path, **kwargs) -> Path:
    model = MLP([3, 4, 2], batch_norm=True, rng=0)
    model.forward(np.random.default_rng(1).normal(size=(8, 3)), training=True)
    return save(model, folder / "model", **kwargs)


def peak_bytes(call) -> tuple[int, BaseException | None]:
    """Peak traced allocation while ``call()`` runs, and what it raised (``None`` if nothing)."""
    tracemalloc.start()
    try:
        call()
        error = None
    except BaseException as exc:  # checked by the caller
        error = exc
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak, error


def assert_refused(path: Path, call, match: str) -> InvalidFileError:
    """``call()`` raises InvalidFileError naming ``path`` and matching ``match``, allocating under SMALL."""
    peak, error = peak_bytes(call)
    assert isinstance(error, InvalidFileError), repr(error)
    assert str(path) in str(error)
    assert pytest.raises(InvalidFileError, call).match(match)
    assert peak < SMALL, f"peak {peak} bytes"
    return error


# ---------------------------------------------------------------- sizes in the JSON


@pytest.mark.parametrize("size", [10**12, 3 * 10**5], ids=["terabytes", "megabytes"])
def test_tampered_size_in_the_json_is_refused_before_the_layer_allocates(tmp_path, size):
    """The 2 KB file says in_features is huge; its W is still (3, 4). Nothing near the size is allocated."""
    path = saved_model(tmp_path)
    members = members_of(path)
    meta = json.loads(np.load(io.BytesIO(members["__meta__.npy"])).tobytes())
    meta["layers"][0]["config"]["in_features"] = size
    members["__meta__.npy"] = meta_bytes(meta)
    write_zip(path, members)
    assert path.stat().st_size < 4096
    assert_refused(path, lambda: load(path), rf"'param/0\.W' has shape \(3, 4\), expected \({size}, 4\)")


def test_tampered_size_with_matching_tampered_header_is_refused_by_the_zip_sizes(tmp_path):
    """Both the JSON and the W header say 10**9 rows; the entry holds 48 bytes, so the header is a lie."""
    path = saved_model(tmp_path)
    members = members_of(path)
    meta = json.loads(np.load(io.BytesIO(members["__meta__.npy"])).tobytes())
    meta["layers"][0]["config"]["in_features"] = 10**9
    members["__meta__.npy"] = meta_bytes(meta)
    members["param/0.W.npy"] = npy_with_header("<f4", (10**9, 4), b"\x00" * 48)
    write_zip(path, members)
    assert_refused(path, lambda: load(path), r"'param/0\.W' declares shape \(1000000000, 4\)")


@pytest.mark.parametrize("features", [0, -3, 2.0, True, "4", None])
def test_declared_size_that_is_not_a_positive_integer_is_refused(tmp_path, features):
    path = saved_model(tmp_path)
    members = members_of(path)
    meta = json.loads(np.load(io.BytesIO(members["__meta__.npy"])).tobytes())
    meta["layers"][1]["config"]["features"] = features
    members["__meta__.npy"] = meta_bytes(meta)
    write_zip(path, members)
    assert_refused(path, lambda: load(path), r"layers\[1\] \(BatchNorm\) has an invalid config.*features")


def test_load_builds_dense_layers_without_random_initial_weights(tmp_path):
    """A loaded Dense starts from zeros and gets the stored values: the generator is never drawn from."""
    model = MLP([3, 5, 2], rng=0)
    path = save(model, tmp_path / "m")
    rng = np.random.default_rng(0)
    state = rng.bit_generator.state
    loaded = load(path, rng=rng)
    assert rng.bit_generator.state == state
    x = np.random.default_rng(0).normal(size=(4, 3))
    assert_array_equal(loaded.forward(x), model.forward(x))


# ---------------------------------------------------------------- .npy headers


@pytest.mark.parametrize("reader", [read_arrays, read_meta, load, read_checkpoint])
def test_npy_header_declaring_1e13_rows_is_refused_without_allocating(tmp_path, reader):
    path = saved_model(tmp_path)
    members = members_of(path)
    members["param/0.W.npy"] = npy_with_header("<f4", (10**13, 4), b"\x00" * 48)
    write_zip(path, members)
    assert_refused(path, lambda: reader(path), r"'param/0\.W' declares shape \(10000000000000, 4\) of float32")


def test_checkpoint_with_a_lying_header_is_refused(tmp_path):
    path = write_checkpoint(tmp_path / "ckpt.npz", {"epoch": 2, "weights": {"w": np.ones((2, 3))}})
    members = members_of(path)
    (name,) = [n for n in members if n != "__meta__.npy"]
    members[name] = npy_with_header("<f8", (2**40,), members[name][128:])
    write_zip(path, members)
    assert_refused(path, lambda: read_checkpoint(path), "declares shape")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (npy_with_header("<f4", (-1, 4), b"\x00" * 48), "negative size"),
        (npy_with_header("<f4", (3, 4), b"\x00" * 40), r"\(48 bytes\) but holds 40 bytes"),
        (npy_with_header("<f4", (3, 4), b"\x00" * 56), r"\(48 bytes\) but holds 56 bytes"),
        (npy_with_header("<U3", (4,), b"\x00" * 48), "numeric arrays only"),
        (npy_with_header([("a", "<f4")], (12,), b"\x00" * 48), "numeric arrays only"),
        (npy_with_header("|V4", (12,), b"\x00" * 48), "numeric arrays only"),
        (npy_with_header("<M8[s]", (6,), b"\x00" * 48), "numeric arrays only"),
        (npy_with_header("<f4", "nonsense", b"\x00" * 48), "bad .npy header"),
        (b"\x93NUMPY\x03\x00" + b"\x00" * 60, "format version"),
        (b"\x93NUMPY\x01\x00\xff\xff" + b"(" * 60, "bad .npy header"),
        (b"not an npy file at all", "bad .npy header"),
        (b"", "bad .npy header"),
    ],
    ids=[
        "negative",
        "short",
        "long",
        "strings",
        "structured",
        "void",
        "datetime",
        "bad-shape",
        "version-3",
        "short-header",
        "no-magic",
        "empty",
    ],
)
def test_bad_npy_entry_is_refused_naming_it(tmp_path, entry, message):
    path = saved_model(tmp_path)
    members = members_of(path)
    members["param/0.W.npy"] = entry
    write_zip(path, members)
    error = assert_refused(path, lambda: read_arrays(path), message)
    assert "param/0.W" in str(error)


def test_object_entry_is_refused_from_its_header_without_unpickling(tmp_path):
    marker = tmp_path / "pwned"
    bomb = np.empty(1, dtype=object)
    bomb[0] = Marker(marker)
    path = saved_model(tmp_path)
    members = members_of(path)
    members["param/0.W.npy"] = npy_bytes(bomb)
    write_zip(path, members)
    assert_refused(path, lambda: load(path), "pickle")
    assert not marker.exists()


class Marker:
    """Unpickling this creates a file: proof that code ran."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


# ---------------------------------------------------------------- the zip directory


def test_deflated_entry_claiming_more_than_deflate_can_produce_is_refused(tmp_path):
    path = saved_model(tmp_path)
    write_zip(path, members_of(path), zipfile.ZIP_DEFLATED)
    data = bytearray(path.read_bytes())
    # central directory record of the first entry: uncompressed size is at offset 24 (zip64: in the extra field)
    at = data.index(b"PK\x01\x02")
    (compressed,) = struct.unpack_from("<I", data, at + 20)
    struct.pack_into("<I", data, at + 24, 2000 * compressed)
    path.write_bytes(bytes(data))
    assert_refused(path, lambda: read_arrays(path), "more than deflate can produce")


def test_deflated_file_from_savez_compressed_is_read(tmp_path):
    path = tmp_path / "c.npz"
    meta = np.frombuffer(b'{"n": 1}', dtype=np.uint8)
    np.savez_compressed(path, __meta__=meta, a=np.zeros((100, 100)), b=np.arange(5))
    meta_back, arrays = read_arrays(path)
    assert meta_back == {"n": 1}
    assert_array_equal(arrays["a"], np.zeros((100, 100)))
    assert_array_equal(arrays["b"], np.arange(5))


def test_stored_entry_whose_sizes_disagree_is_refused(tmp_path):
    path = saved_model(tmp_path)
    data = bytearray(path.read_bytes())
    at = data.index(b"PK\x01\x02")  # the first central directory record: uncompressed size at offset 24
    struct.pack_into("<I", data, at + 24, 10**9)
    path.write_bytes(bytes(data))
    assert_refused(path, lambda: read_arrays(path), "sizes disagree")


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ({"a.txt": b"hello"}, r"'a\.txt' is not a \.npy array"),
        ({"__meta__.npy": meta_bytes({}), "x.npy": npy_bytes(np.zeros(2)), "x.npy ": b""}, "not a .npy"),
        ({"__meta__.npy": npy_with_header("|u1", (2**30,), b"{}")}, "declares shape"),
        ({"__meta__.npy": npy_bytes(np.frombuffer(b"[" * 70 + b"]" * 70, np.uint8))}, "must be a JSON object"),
        ({"__meta__.npy": npy_bytes(np.frombuffer(b'{"a":' + b"[" * 65 + b"]" * 65 + b"}", np.uint8))}, "nests 66"),
        ({"__meta__.npy": npy_bytes(np.frombuffer(b'{"a":' + b"[" * 5000 + b"]" * 5000 + b"}", np.uint8))}, "JSON"),
    ],
    ids=["not-npy", "odd-name", "meta-header-lies", "meta-list", "meta-65-deep", "meta-5000-deep"],
)
def test_bad_archives_are_refused(tmp_path, members, message):
    path = write_zip(tmp_path / "bad.npz", members)
    assert_refused(path, lambda: read_arrays(path), message)


def test_duplicate_entries_are_refused(tmp_path):
    path = tmp_path / "dup.npz"
    with zipfile.ZipFile(path, "w") as archive, pytest.warns(UserWarning, match="Duplicate"):
        archive.writestr("__meta__.npy", meta_bytes({}))
        archive.writestr("x.npy", npy_bytes(np.zeros(2)))
        archive.writestr("x.npy", npy_bytes(np.zeros(3)))
    assert_refused(path, lambda: read_arrays(path), "'x' appears twice")


def test_encrypted_entry_is_refused(tmp_path):
    path = saved_model(tmp_path)
    data = bytearray(path.read_bytes())
    at = data.index(b"PK\x01\x02")
    data[at + 8] |= 0x01  # general purpose flag bit 0: encrypted
    path.write_bytes(bytes(data))
    assert_refused(path, lambda: read_arrays(path), "encrypted")


def test_limits_are_read_when_a_file_is_read(tmp_path, monkeypatch):
    path = tmp_path / "a.npz"
    write_arrays(path, {"x": np.zeros(1000)}, {"note": "x" * 100})
    monkeypatch.setattr(archive_module, "MAX_TOTAL_BYTES", 4000)
    assert_refused(path, lambda: read_arrays(path), "more than the limit of 4000")
    monkeypatch.undo()
    monkeypatch.setattr(archive_module, "MAX_META_BYTES", 50)
    assert_refused(path, lambda: read_arrays(path), "more than the limit of 50")
    monkeypatch.undo()
    monkeypatch.setattr(archive_module, "MAX_ENTRIES", 1)
    assert_refused(path, lambda: read_arrays(path), "2 entries, more than the 1 allowed")


def test_write_arrays_refuses_what_read_arrays_would_refuse(tmp_path, monkeypatch):
    deep: list = []
    for _ in range(70):
        deep = [deep]
    with pytest.raises(ValueError, match="nests 72 levels"):
        write_arrays(tmp_path / "a.npz", {}, {"deep": deep})
    with pytest.raises(ValueError, match="numeric arrays only"):
        write_arrays(tmp_path / "a.npz", {"s": np.array(["text"])}, {})
    monkeypatch.setattr(archive_module, "MAX_TOTAL_BYTES", 100)
    with pytest.raises(ValueError, match="more than an mlplab file holds"):
        write_arrays(tmp_path / "a.npz", {"x": np.zeros(100)}, {})
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- nesting


def nested_relu(depth: int) -> dict:
    entry: dict = {"type": "ReLU", "config": {}}
    for _ in range(depth):
        entry = {"type": "Sequential", "config": {"layers": [entry]}}
    return {"format": "mlplab-model", "version": 1, "layers": [entry]}


def write_nested(path: Path, depth: int) -> Path:
    text = json.dumps(nested_relu(0)).replace('{"type": "ReLU", "config": {}}', "{}")
    inner = '{"type": "ReLU", "config": {}}'
    for _ in range(depth):
        inner = '{"type": "Sequential", "config": {"layers": [' + inner + "]}}"
    text = text.replace("{}", inner, 1)
    return write_zip(path, {"__meta__.npy": npy_bytes(np.frombuffer(text.encode(), np.uint8))})


def test_250_nested_layers_are_refused_by_info_without_a_recursion_error(tmp_path, capsys):
    path = write_nested(tmp_path / "deep.npz", 250)
    assert main(["info", str(path)]) == 2
    err = capsys.readouterr().err
    assert "deep.npz is not a valid mlplab file" in err and "levels deep" in err
    assert_refused(path, lambda: load(path), "nests 754 levels deep, more than the limit of 64")


def test_nesting_within_the_json_limit_is_refused_by_the_model_limit(tmp_path):
    path = write_nested(tmp_path / "deep.npz", MAX_NESTING + 1)
    assert_refused(path, lambda: load(path), f"Sequential layers nest deeper than {MAX_NESTING}")


def test_nesting_at_the_limit_round_trips_and_deeper_is_not_saved(tmp_path):
    model: mlplab.Layer = Dense(2, 3, rng=0)
    for _ in range(MAX_NESTING):
        model = Sequential([model, ReLU()])
    loaded = load(save(Sequential([model]), tmp_path / "ok"))
    x = np.ones((1, 2))
    assert_array_equal(loaded.forward(x), model.forward(x))
    with pytest.raises(ValueError, match=f"nest deeper than {MAX_NESTING}"):
        save(Sequential([Sequential([model])]), tmp_path / "too-deep")
    assert not (tmp_path / "too-deep.npz").exists()


def test_too_many_layers_are_refused(tmp_path):
    meta = {"format": "mlplab-model", "version": 1, "layers": [{"type": "ReLU", "config": {}}] * 10_001}
    path = write_zip(tmp_path / "wide.npz", {"__meta__.npy": meta_bytes(meta)})
    with pytest.raises(InvalidFileError, match="more than 10000 layers"):
        load(path)


# ---------------------------------------------------------------- info from a hostile file


@pytest.mark.parametrize(
    ("info", "message"),
    [
        ([1, 2], "'info' must be a JSON object, got list"),
        ({"x": float("nan")}, "NaN or an infinity"),
        ({"x": "y" * 70_000}, "more than the limit of 65536"),
        ({"x": [[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]}, "'info' nests 19 levels deep"),
    ],
    ids=["list", "nan", "large", "deep"],
)
def test_bad_info_in_a_file_is_refused_by_load_info_and_load(tmp_path, info, message):
    path = saved_model(tmp_path)
    members = members_of(path)
    meta = json.loads(np.load(io.BytesIO(members["__meta__.npy"])).tobytes())
    meta["info"] = info
    members["__meta__.npy"] = meta_bytes(meta)
    write_zip(path, members)
    assert_refused(path, lambda: load_info(path), message)
    with pytest.raises(InvalidFileError, match=message):
        load(path)


def test_load_info_of_a_checkpoint_is_refused(tmp_path):
    path = write_checkpoint(tmp_path / "ckpt.npz", {"epoch": 1})
    with pytest.raises(InvalidFileError, match="format 'mlplab-checkpoint'"):
        load_info(path)


# ---------------------------------------------------------------- property-based: round trips

ACTIVATIONS = ["identity", "step", "sigmoid", "tanh", "relu", "leaky_relu", "prelu", "softmax"]


@st.composite
def mlps(draw):
    sizes = draw(st.lists(st.integers(1, 7), min_size=2, max_size=5))
    hidden = len(sizes) - 2
    model = MLP(
        sizes,
        activation=draw(st.lists(st.sampled_from(ACTIVATIONS), min_size=hidden, max_size=hidden)) or "relu",
        output_activation=draw(st.sampled_from(["identity", "softmax", "sigmoid"])),
        dropout=draw(st.sampled_from([0.0, 0.25, 0.5])),
        batch_norm=draw(st.booleans()),
        dtype=draw(st.sampled_from([np.float32, np.float64])),
        rng=draw(st.integers(0, 2**16)),
    )
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    for p in model.parameters():  # every parameter away from its initial value (PReLU slopes, BatchNorm scales)
        p.value[...] = rng.normal(size=p.shape)
    if any(isinstance(layer, mlplab.BatchNorm) for layer in model.layers):
        model.forward(rng.normal(2.0, 3.0, size=(16, sizes[0])), training=True)
    return model


@settings(max_examples=40, derandomize=True, deadline=None, database=None)
@given(
    model=mlps(),
    info=st.dictionaries(
        st.text(max_size=8),
        st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
        max_size=4,
    ),
)
def test_random_mlps_round_trip_with_identical_outputs(model, info):
    with tempfile.TemporaryDirectory() as folder:
        path = save(model, Path(folder) / "m", info=info)
        loaded = load(path)
        assert load_info(path) == info
    assert model_to_config(loaded) == model_to_config(model)
    x = np.random.default_rng(0).normal(size=(5, model.in_features))
    assert_array_equal(loaded.forward(x), model.forward(x))
    for (name, p), (name_back, q) in zip(model.named_parameters(), loaded.named_parameters()):
        assert name == name_back and p.dtype == q.dtype
        assert_array_equal(p.value, q.value)


# ---------------------------------------------------------------- property-based: tampering

_BASE: dict[str, bytes] = {}


def base_file() -> bytes:
    """One saved model (Dense, BatchNorm, PReLU, Dropout; info), about 3 KB: what the tampering starts from."""
    if not _BASE:
        with tempfile.TemporaryDirectory() as folder:
            model = MLP([3, 4, 2], activation="prelu", batch_norm=True, dropout=0.2, rng=0)
            path = save(model, Path(folder) / "m", info={"integer_input_scale": 1 / 255, "labels": ["a", "b"]})
            _BASE["file"] = path.read_bytes()
    return _BASE["file"]


def members_from(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def zip_bytes(members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@st.composite
def byte_edits(draw):
    data = bytearray(base_file())
    kind = draw(st.sampled_from(["flip", "truncate", "insert", "overwrite"]))
    if kind == "flip":
        for at, mask in draw(
            st.lists(st.tuples(st.integers(0, len(data) - 1), st.integers(1, 255)), min_size=1, max_size=8)
        ):
            data[at] ^= mask
    elif kind == "truncate":
        del data[draw(st.integers(0, len(data) - 1)) :]
    elif kind == "insert":
        at = draw(st.integers(0, len(data)))
        data[at:at] = draw(st.binary(min_size=1, max_size=64))
    else:
        at = draw(st.integers(0, len(data) - 1))
        chunk = draw(st.binary(min_size=1, max_size=16))
        data[at : at + len(chunk)] = chunk
    return bytes(data)


SIZES = st.sampled_from([0, 1, -1, 2, 3, 4, 2**31, 2**63, 10**13, 10**30])
JSON_LEAVES = (
    st.none()
    | st.booleans()
    | SIZES
    | st.integers()
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from([*LAYER_TYPES, "float32", "float64", "object", "f16", "<U3", "Conv2D", "__import__"])
)
JSON_VALUES = st.recursive(
    JSON_LEAVES, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
)


def json_paths(node, path=()):
    """Every path into a JSON tree, as key/index tuples, the root's children first."""
    found, stack = [], [(node, path)]
    while stack:
        node, path = stack.pop()
        children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, child in children:
            found.append((*path, key))
            stack.append((child, (*path, key)))
    return found


@st.composite
def json_edits(draw):
    members = members_from(base_file())
    meta = json.loads(np.load(io.BytesIO(members["__meta__.npy"])).tobytes())
    paths = json_paths(meta)
    target = draw(st.sampled_from(paths))
    parent = meta
    for key in target[:-1]:
        parent = parent[key]
    nesting = draw(st.sampled_from([0, 0, 0, 10, 70, 300, 3000]))
    parent[target[-1]] = "__NEST__" if nesting else draw(JSON_VALUES)
    text = json.dumps(meta)
    if nesting:
        text = text.replace('"__NEST__"', "[" * nesting + "]" * nesting)
    members["__meta__.npy"] = npy_bytes(np.frombuffer(text.encode(), np.uint8))
    return zip_bytes(members)


@st.composite
def header_edits(draw):
    """Replace one entry's header: another dtype and shape, with the old data or as much as the header says."""
    members = members_from(base_file())
    name = draw(st.sampled_from(sorted(members)))
    shape = tuple(draw(st.lists(SIZES | st.integers(0, 8), max_size=3)))
    descr = draw(
        st.sampled_from(["<f4", "<f8", ">f4", "|u1", "|b1", "<c8", "|O", "<U3", "|V8", "<M8[s]", "[('a', '<f4')]"])
    )
    old = members[name]
    data = old[np.lib.format.MAGIC_LEN + 2 + struct.unpack_from("<H", old, np.lib.format.MAGIC_LEN)[0] :]
    if draw(st.booleans()):  # as many data bytes as the header declares, when that is small
        with contextlib.suppress(TypeError, ValueError):
            size = math.prod(shape) * np.dtype(descr).itemsize
            if size <= 512:
                data = draw(st.binary(min_size=size, max_size=size))
    if descr == "|O":
        members[name] = npy_bytes(np.array([Marker(MARKER)], dtype=object))
    else:
        members[name] = npy_with_header(descr, shape, data, draw(st.booleans()))
    return zip_bytes(members, draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])))


MARKER = Path(tempfile.gettempdir()) / "mlplab-test-hostile-files-pwned"


def check_hostile(data: bytes) -> None:
    """Every reader either succeeds or raises InvalidFileError naming the file; none allocates much."""
    MARKER.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hostile.npz"
        path.write_bytes(data)
        for reader in (load, load_info, read_arrays, read_checkpoint):
            peak, error = peak_bytes(lambda reader=reader: reader(path))
            if error is not None and not (reader is read_checkpoint and type(error) is ValueError):
                assert isinstance(error, InvalidFileError), f"{reader.__name__} raised {error!r}"
                assert str(path) in str(error)
            assert peak < 4 * SMALL, f"{reader.__name__}: peak {peak} bytes"
    assert not MARKER.exists(), "a pickle in the file ran"


HOSTILE = settings(derandomize=True, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@settings(HOSTILE, max_examples=60)
@given(data=byte_edits() | json_edits() | header_edits())
def test_random_tampering_is_refused_cleanly(data):
    check_hostile(data)


@pytest.mark.slow
@settings(HOSTILE, max_examples=600)
@given(data=byte_edits() | json_edits() | header_edits())
def test_random_tampering_is_refused_cleanly_at_length(data):
    check_hostile(data)


def test_the_tampering_base_file_is_valid_and_small():
    assert len(base_file()) < 4096
    check_hostile(base_file())
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.npz"
        path.write_bytes(base_file())
        assert load_info(path) == {"integer_input_scale": 1 / 255, "labels": ["a", "b"]}
        assert isinstance(load(path), Sequential)
