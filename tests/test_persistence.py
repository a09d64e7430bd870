"""Tests of model files: layer configs, save/load round trips, safe loading, corrupt files, atomic writes."""

from __future__ import annotations

import json
import os
import pickle
import stat

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import mlplab
from mlplab import (
    ACTIVATIONS,
    MLP,
    SGD,
    BatchNorm,
    Dense,
    Dropout,
    Identity,
    Layer,
    LeakyReLU,
    PReLU,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    SoftmaxCrossEntropy,
    Standardize,
    Step,
    Tanh,
)
from mlplab.architecture import LAYER_TYPES, declared_arrays, model_from_config, model_to_config
from mlplab.archive import read_arrays, write_arrays
from mlplab.persistence import load, load_info, save
from mlplab.untrusted import InvalidFileError

DTYPES = [np.float32, np.float64]


def batch(n=16, d=5, seed=1, dtype=np.float64):
    return np.random.default_rng(seed).normal(size=(n, d)).astype(dtype)


def assert_same_model(a: Layer, b: Layer) -> None:
    """Same parameter names, values (bit for bit), dtypes and buffers."""
    names_a = [n for n, _ in a.named_parameters()]
    names_b = [n for n, _ in b.named_parameters()]
    assert names_a == names_b
    for (name, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        assert p.dtype == q.dtype, name
        assert_array_equal(p.value, q.value, err_msg=name)
    assert a.buffers().keys() == b.buffers().keys()
    for name, buf in a.buffers().items():
        assert buf.dtype == b.buffers()[name].dtype, name
        assert_array_equal(buf, b.buffers()[name], err_msg=name)


def train_batch_norm(model: Layer, n_passes: int = 3, d: int = 5) -> None:
    """Move the running statistics away from (0, 1) with a few training passes on shifted data."""
    for seed in range(n_passes):
        model.forward(batch(32, d, seed=10 + seed) * 3.0 + 2.0, training=True)


def list_folder(folder) -> list[str]:
    return sorted(os.listdir(folder))


class MarkerBomb:
    """Unpickling this object creates a file: proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def make_bomb_npz(path, marker, **extra):
    """An .npz whose entry ``param/0.W`` is an object array holding a MarkerBomb."""
    bomb = np.empty(1, dtype=object)
    bomb[0] = MarkerBomb(marker)
    np.savez(path, **{"param/0.W": bomb}, **extra)


# ---------------------------------------------------------------- get_config


@pytest.mark.parametrize(
    ("layer", "expected"),
    [
        (
            Dense(3, 4, bias=False, dtype=np.float64),
            {"in_features": 3, "out_features": 4, "bias": False, "dtype": "float64"},
        ),
        (Dense(2, 5), {"in_features": 2, "out_features": 5, "bias": True, "dtype": "float32"}),
        (LeakyReLU(0.3), {"slope": 0.3}),
        (PReLU(6, dtype=np.float64), {"features": 6, "dtype": "float64"}),
        (Dropout(0.25), {"p": 0.25}),
        (BatchNorm(4, momentum=0.2, eps=1e-3), {"features": 4, "momentum": 0.2, "eps": 1e-3, "dtype": "float32"}),
        (ReLU(), {}),
        (Sigmoid(), {}),
        (Tanh(), {}),
        (Softmax(), {}),
        (Identity(), {}),
        (Step(), {}),
    ],
    ids=repr,
)
def test_get_config_gives_json_able_constructor_arguments(layer, expected):
    config = layer.get_config()
    assert config == expected
    assert json.loads(json.dumps(config)) == config
    rebuilt = type(layer)(**config)
    assert rebuilt.get_config() == config
    assert [(n, p.shape, p.dtype) for n, p in rebuilt.named_parameters()] == [
        (n, p.shape, p.dtype) for n, p in layer.named_parameters()
    ]


def test_every_registered_activation_is_a_known_layer_type():
    for name in ACTIVATIONS.names():
        assert ACTIVATIONS.get(name) in LAYER_TYPES.values(), name


# ---------------------------------------------------------------- architecture config


def test_model_to_config_describes_an_mlp_layer_by_layer():
    model = MLP([4, 6, 3], activation="tanh", batch_norm=True, dropout=0.5, rng=0)
    config = model_to_config(model)
    assert config["format"] == "mlplab-model" and config["version"] == 1
    assert [entry["type"] for entry in config["layers"]] == ["Dense", "BatchNorm", "Tanh", "Dropout", "Dense"]
    assert config["layers"][0]["config"] == {"in_features": 4, "out_features": 6, "bias": True, "dtype": "float32"}
    assert config["layers"][3]["config"] == {"p": 0.5}
    assert json.loads(json.dumps(config)) == config


def test_model_from_config_rebuilds_the_same_architecture():
    model = MLP([4, 6, 5, 2], activation=["prelu", "sigmoid"], batch_norm=True, dtype=np.float64, rng=0)
    rebuilt = model_from_config(model_to_config(model))
    assert type(rebuilt) is Sequential
    assert [type(layer) for layer in rebuilt.layers] == [type(layer) for layer in model.layers]
    assert [(n, p.shape, p.dtype) for n, p in rebuilt.named_parameters()] == [
        (n, p.shape, p.dtype) for n, p in model.named_parameters()
    ]
    assert model_to_config(rebuilt) == model_to_config(model)


def test_model_to_config_of_a_bare_layer_is_a_one_layer_stack():
    config = model_to_config(LeakyReLU(0.2))
    assert config["layers"] == [{"type": "LeakyReLU", "config": {"slope": 0.2}}]


def test_model_to_config_refuses_an_unknown_layer_class():
    class Custom(Layer):
        pass

    with pytest.raises(TypeError, match=r"layers\[1\].*Custom"):
        model_to_config(Sequential([Dense(2, 2), Custom()]))


def test_model_to_config_refuses_subclasses_of_known_layers():
    class MyDense(Dense):
        pass

    with pytest.raises(TypeError, match="MyDense"):
        model_to_config(Sequential([MyDense(2, 2)]))


@pytest.mark.parametrize("bad_type", ["Conv2D", "dense", "__import__", "eval", "Layer", "MLP"])
def test_model_from_config_refuses_unknown_layer_types_by_name(bad_type):
    config = model_to_config(MLP([3, 4, 2], rng=0))
    config["layers"][1]["type"] = bad_type
    with pytest.raises(ValueError, match=rf"layers\[1\].*unknown layer type '{bad_type}'"):
        model_from_config(config)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda c: c.update(format="something-else"), "format 'something-else'"),
        (lambda c: c.update(version=2), "version 2"),
        (lambda c: c.update(version="1"), "invalid version"),
        (lambda c: c.update(layers={"0": {}}), "must be a list"),
        (lambda c: c["layers"].__setitem__(0, ["Dense"]), r"layers\[0\] must be an object"),
        (lambda c: c["layers"][0]["config"].update(in_features=-3), r"layers\[0\] \(Dense\).*in_features"),
        (lambda c: c["layers"][0]["config"].update(in_features=3.0), r"layers\[0\] \(Dense\).*in_features"),
        (lambda c: c["layers"][0]["config"].update(colour="red"), r"layers\[0\] \(Dense\).*colour"),
        (lambda c: c["layers"][0]["config"].update(dtype="object"), r"layers\[0\] has dtype 'object'"),
        (lambda c: c["layers"][0]["config"].update(dtype="int64"), r"layers\[0\] has dtype 'int64'"),
        (lambda c: c["layers"][0]["config"].update(rng=3), r"layers\[0\] \(Dense\).*'rng'"),
        (lambda c: c["layers"][2]["config"].update(p=1.5), r"layers\[2\] \(Dropout\).*p"),
    ],
)
def test_model_from_config_refuses_bad_configs_with_the_place(edit, message):
    config = model_to_config(MLP([3, 4, 2], dropout=0.5, rng=0))
    edit(config)
    with pytest.raises(ValueError, match=message):
        model_from_config(config)


def test_model_from_config_rng_makes_dropout_reproducible():
    config = model_to_config(MLP([5, 8, 2], dropout=0.5, rng=0))
    x = batch()
    a = model_from_config(config, rng=7)
    b = model_from_config(config, rng=7)
    assert_same_model(a, b)
    assert_array_equal(a.forward(x, training=True), b.forward(x, training=True))


# ---------------------------------------------------------------- save / load round trips


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize(
    "activation", ["identity", "step", "sigmoid", "tanh", "relu", "leaky_relu", "prelu", "softmax"]
)
def test_round_trip_of_an_mlp_with_every_activation(tmp_path, activation, dtype):
    model = MLP([5, 7, 6, 3], activation=activation, output_activation="softmax", rng=3, dtype=dtype)
    if activation == "prelu":  # make the slopes differ from their initial 0.25
        for name, p in model.named_parameters():
            if name.endswith("alpha"):
                p.value[...] = np.linspace(0.05, 0.6, p.size)
    path = save(model, tmp_path / "model")
    loaded = load(path)
    assert type(loaded) is Sequential
    assert_same_model(model, loaded)
    x = batch(dtype=dtype)
    out, out_loaded = model.forward(x), loaded.forward(x)
    assert out_loaded.dtype == np.dtype(dtype)
    assert_array_equal(out, out_loaded)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_round_trip_keeps_batch_norm_running_statistics(tmp_path, dtype):
    model = MLP([5, 8, 8, 3], activation="relu", batch_norm=True, dropout=0.3, rng=0, dtype=dtype)
    train_batch_norm(model)
    bn = model.layers[1]
    assert isinstance(bn, BatchNorm)
    assert not np.allclose(bn.running_mean, 0) and not np.allclose(bn.running_var, 1)
    loaded = load(save(model, tmp_path / "bn.npz"))
    assert_same_model(model, loaded)
    loaded_bn = loaded.layers[1]
    assert_array_equal(loaded_bn.running_mean, bn.running_mean)
    assert_array_equal(loaded_bn.running_var, bn.running_var)
    assert loaded_bn.running_mean.dtype == np.dtype(dtype)
    x = batch(dtype=dtype)
    assert_array_equal(model.forward(x), loaded.forward(x))


def test_round_trip_keeps_hyper_parameters(tmp_path):
    model = Sequential(
        [
            Dense(4, 6, bias=False, rng=0, dtype=np.float64),
            BatchNorm(6, momentum=0.3, eps=1e-3, dtype=np.float64),
            LeakyReLU(0.2),
            Dropout(0.4),
            Dense(6, 2, rng=1, dtype=np.float64),
        ]
    )
    train_batch_norm(model, d=4)
    loaded = load(save(model, tmp_path / "m.npz"))
    assert model_to_config(loaded) == model_to_config(model)
    assert loaded.layers[0].b is None
    assert (loaded.layers[1].momentum, loaded.layers[1].eps, loaded.layers[2].slope, loaded.layers[3].p) == (
        0.3,
        1e-3,
        0.2,
        0.4,
    )
    x = batch(d=4)
    assert_array_equal(model.forward(x), loaded.forward(x))


def test_loaded_model_trains_exactly_like_the_original(tmp_path):
    model = MLP([5, 8, 3], activation="tanh", batch_norm=True, rng=0, dtype=np.float64)
    train_batch_norm(model)
    loaded = load(save(model, tmp_path / "m.npz"))
    x, y = batch(), np.arange(16) % 3
    for net in (model, loaded):
        opt, loss = SGD(net.parameters(), lr=0.1, momentum=0.9), SoftmaxCrossEntropy()
        for _ in range(3):
            opt.zero_grad()
            loss.forward(net.forward(x, training=True), y)
            net.backward(loss.backward(), input_grad=False)
            opt.step()
    assert_same_model(model, loaded)


def test_round_trip_of_a_bare_layer_gives_a_one_layer_sequential(tmp_path):
    dense = Dense(3, 2, rng=0, dtype=np.float64)
    dense.b.value[...] = [0.5, -1.0]
    loaded = load(save(dense, tmp_path / "dense"))
    assert type(loaded) is Sequential and len(loaded) == 1 and type(loaded[0]) is Dense
    assert [n for n, _ in loaded.named_parameters()] == ["0.W", "0.b"]
    assert_array_equal(loaded[0].W.value, dense.W.value)
    x = batch(d=3)
    assert_array_equal(loaded.forward(x), dense.forward(x))


def test_round_trip_of_nested_sequentials(tmp_path):
    inner = MLP([4, 5, 3], batch_norm=True, rng=0)
    train_batch_norm(inner, d=4)
    model = Sequential([inner, Softmax()])
    loaded = load(save(model, tmp_path / "nested"))
    assert type(loaded[0]) is Sequential
    assert_same_model(model, loaded)
    x = batch(d=4)
    assert_array_equal(model.forward(x), loaded.forward(x))


def test_save_appends_npz_only_when_missing(tmp_path):
    model = MLP([2, 2], rng=0)
    assert save(model, tmp_path / "a") == tmp_path / "a.npz"
    assert save(model, str(tmp_path / "b.npz")) == tmp_path / "b.npz"
    assert save(model, tmp_path / "c.v1") == tmp_path / "c.v1.npz"
    assert list_folder(tmp_path) == ["a.npz", "b.npz", "c.v1.npz"]


def test_saved_file_opens_with_plain_numpy_without_pickle(tmp_path):
    model = MLP([3, 4, 2], batch_norm=True, rng=0)
    train_batch_norm(model, d=3)
    path = save(model, tmp_path / "m")
    with np.load(path, allow_pickle=False) as archive:
        files = set(archive.files)
        assert files == {
            "__meta__",
            "param/0.W",
            "param/0.b",
            "param/1.gamma",
            "param/1.beta",
            "param/3.W",
            "param/3.b",
            "buffer/1.running_mean",
            "buffer/1.running_var",
        }
        assert_array_equal(archive["param/0.W"], model.layers[0].W.value)
        assert_array_equal(archive["buffer/1.running_var"], model.layers[1].running_var)
        meta = json.loads(archive["__meta__"].tobytes().decode("utf-8"))
    assert meta == model_to_config(model)


def test_overwriting_a_model_file_replaces_it(tmp_path):
    first, second = MLP([3, 2], rng=0), MLP([3, 4, 2], rng=1)
    save(first, tmp_path / "m")
    loaded = load(save(second, tmp_path / "m"))
    assert_same_model(second, loaded)
    assert list_folder(tmp_path) == ["m.npz"]


# ---------------------------------------------------------------- hand-edited files


def edit_file(path, edit):
    meta, arrays = read_arrays(path)
    edit(meta, arrays)
    write_arrays(path, arrays, meta)


@pytest.fixture
def saved(tmp_path):
    model = MLP([3, 4, 2], batch_norm=True, rng=0)
    train_batch_norm(model, d=3)
    return save(model, tmp_path / "m")


def test_missing_parameter_is_named(saved):
    edit_file(saved, lambda meta, arrays: arrays.pop("param/0.b"))
    with pytest.raises(ValueError, match=r"'param/0\.b' is missing \(expected shape \(4,\), dtype float32\)"):
        load(saved)


def test_missing_buffer_is_named(saved):
    edit_file(saved, lambda meta, arrays: arrays.pop("buffer/1.running_var"))
    with pytest.raises(ValueError, match=r"'buffer/1\.running_var' is missing"):
        load(saved)


def test_wrong_shape_is_named_with_both_shapes(saved):
    edit_file(saved, lambda meta, arrays: arrays.update({"param/0.W": np.zeros((4, 3), np.float32)}))
    with pytest.raises(ValueError, match=r"'param/0\.W' has shape \(4, 3\), expected \(3, 4\)"):
        load(saved)


def test_wrong_dtype_is_named(saved):
    edit_file(saved, lambda meta, arrays: arrays.update({"param/3.b": np.zeros(2, np.float64)}))
    with pytest.raises(ValueError, match=r"'param/3\.b' has dtype float64, expected float32"):
        load(saved)


def test_unexpected_entry_is_named(saved):
    edit_file(saved, lambda meta, arrays: arrays.update({"param/7.W": np.zeros((2, 2), np.float32)}))
    with pytest.raises(ValueError, match=r"param/7\.W"):
        load(saved)


def test_unknown_layer_type_in_a_file_is_named(saved):
    edit_file(saved, lambda meta, arrays: meta["layers"][2].update(type="Conv2D"))
    with pytest.raises(ValueError, match=r"m\.npz.*unknown layer type 'Conv2D'"):
        load(saved)


def test_checkpoint_like_meta_is_not_a_model(tmp_path):
    path = tmp_path / "ckpt.npz"
    write_arrays(path, {"x": np.zeros(2)}, {"format": "mlplab-checkpoint", "version": 1})
    with pytest.raises(ValueError, match="format 'mlplab-checkpoint'"):
        load(path)


# ---------------------------------------------------------------- unsafe and broken files


def test_pickle_bomb_control_really_runs_code_when_pickle_is_allowed(tmp_path):
    """The crafted file is a real threat: plain NumPy with allow_pickle=True creates the marker."""
    marker = tmp_path / "pwned"
    make_bomb_npz(tmp_path / "bomb.npz", marker)
    with np.load(tmp_path / "bomb.npz", allow_pickle=True) as archive:
        archive["param/0.W"]
    assert marker.exists()


def test_object_array_is_refused_without_unpickling(tmp_path):
    path, marker = tmp_path / "bomb.npz", tmp_path / "pwned"
    meta = np.frombuffer(json.dumps(model_to_config(Dense(3, 4))).encode(), dtype=np.uint8)
    make_bomb_npz(path, marker, __meta__=meta)
    with pytest.raises(ValueError, match=r"bomb\.npz is not a valid mlplab file: entry 'param/0\.W'.*pickle"):
        read_arrays(path)
    with pytest.raises(ValueError, match="pickle"):
        load(path)
    assert not marker.exists()


def test_object_array_from_plain_savez_is_refused(tmp_path):
    path = tmp_path / "objects.npz"
    np.savez(path, a=np.array([{"x": 1}], dtype=object))
    with pytest.raises(ValueError, match="pickle"):
        read_arrays(path)


def test_raw_pickle_file_is_refused_without_unpickling(tmp_path):
    path, marker = tmp_path / "model.npz", tmp_path / "pwned"
    path.write_bytes(pickle.dumps(MarkerBomb(marker)))
    with pytest.raises(ValueError, match="not a valid mlplab file: not a zip"):
        load(path)
    assert not marker.exists()


def test_bare_npy_file_is_refused(tmp_path):
    path = tmp_path / "array.npz"
    with open(path, "wb") as f:
        np.save(f, np.zeros(3))
    with pytest.raises(ValueError, match="not a valid mlplab file"):
        read_arrays(path)


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9, 0.999])
def test_truncated_file_is_refused(saved, fraction):
    data = saved.read_bytes()
    saved.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(ValueError, match=rf"{saved.name} is not a valid mlplab file"):
        load(saved)


def test_flipped_byte_in_array_data_is_refused(saved):
    with np.load(saved, allow_pickle=False) as archive:
        w = archive["param/0.W"]
    data = bytearray(saved.read_bytes())
    at = bytes(data).index(w.tobytes())
    data[at] ^= 0xFF
    saved.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="not a valid mlplab file"):
        load(saved)


@pytest.mark.parametrize("prefix", [b"", b"PK\x03\x04"], ids=["random", "zip-magic-then-random"])
def test_random_bytes_are_refused(tmp_path, prefix):
    path = tmp_path / "noise.npz"
    path.write_bytes(prefix + np.random.default_rng(0).bytes(4096))
    with pytest.raises(ValueError, match=r"noise\.npz is not a valid mlplab file"):
        load(path)


def test_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.npz"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="not a valid mlplab file"):
        read_arrays(path)


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.npz"):
        load(tmp_path / "nowhere.npz")


def test_npz_without_meta_is_refused(tmp_path):
    path = tmp_path / "plain.npz"
    np.savez(path, a=np.zeros(3))
    with pytest.raises(ValueError, match="no '__meta__' entry"):
        read_arrays(path)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (np.frombuffer(b"{not json", np.uint8), "not valid UTF-8 JSON"),
        (np.frombuffer(b"\xff\xfe{}", np.uint8), "not valid UTF-8 JSON"),
        (np.frombuffer(b"[1, 2]", np.uint8), "must be a JSON object"),
        (np.zeros(3, np.float32), "1-D uint8"),
    ],
)
def test_bad_meta_is_refused(tmp_path, raw, message):
    path = tmp_path / "bad.npz"
    np.savez(path, __meta__=raw, a=np.zeros(3))
    with pytest.raises(ValueError, match=message):
        read_arrays(path)


# ---------------------------------------------------------------- generic arrays and atomic writes


def test_write_and_read_arrays_round_trip_any_numeric_array(tmp_path):
    arrays = {
        "step": np.array(12, dtype=np.int64),
        "mask": np.array([True, False, True]),
        "half": np.arange(6, dtype=np.float16).reshape(2, 3),
        "cube": np.random.default_rng(0).normal(size=(2, 3, 4)),
        "empty": np.zeros((0, 5), np.float32),
        "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
        "file": np.ones(2),  # names that np.savez would take as its own keyword arguments
        "allow_pickle": np.ones(3),
    }
    meta = {"format": "mlplab-checkpoint", "epoch": 3, "history": {"loss": [1.5, 0.75]}, "note": "café ✓"}
    path = tmp_path / "state.bin"
    write_arrays(path, arrays, meta)
    assert list_folder(tmp_path) == ["state.bin"]
    meta_back, arrays_back = read_arrays(path)
    assert meta_back == meta
    assert arrays_back.keys() == arrays.keys()
    for name, value in arrays.items():
        assert arrays_back[name].dtype == value.dtype and arrays_back[name].shape == value.shape, name
        assert_array_equal(arrays_back[name], value, err_msg=name)


@pytest.mark.parametrize(
    ("arrays", "meta", "error", "message"),
    [
        ({"__meta__": np.zeros(1)}, {}, ValueError, "reserved"),
        ({"": np.zeros(1)}, {}, ValueError, "non-empty"),
        ({"a": np.array([{"x": 1}], dtype=object)}, {}, ValueError, "pickle"),
        ({"a": np.zeros(1)}, {"x": np.float32(1)}, TypeError, "JSON"),
        ({"a": np.zeros(1)}, [1, 2], TypeError, "mapping"),
    ],
)
def test_write_arrays_refuses_what_it_cannot_store(tmp_path, arrays, meta, error, message):
    with pytest.raises(error, match=message):
        write_arrays(tmp_path / "x.npz", arrays, meta)
    assert list_folder(tmp_path) == []


def test_write_into_a_missing_folder_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_arrays(tmp_path / "no" / "x.npz", {"a": np.zeros(1)}, {})


def fail_midway(monkeypatch, exc=OSError("disk full")):
    """Make the second array written to any archive write half its bytes and then raise."""
    real = np.lib.format.write_array
    calls = []

    def write_array(fp, array, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            fp.write(b"\x93NUMPY half-written")
            raise exc
        return real(fp, array, *args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", write_array)
    return calls


@pytest.mark.parametrize("exc", [OSError("disk full"), KeyboardInterrupt()], ids=["OSError", "KeyboardInterrupt"])
def test_failed_write_leaves_previous_file_intact_and_no_temp_files(tmp_path, monkeypatch, exc):
    old = MLP([3, 4, 2], rng=0)
    path = save(old, tmp_path / "m")
    before = path.read_bytes()
    calls = fail_midway(monkeypatch, exc)
    with pytest.raises(type(exc)):
        save(MLP([3, 8, 2], rng=1), path)
    assert len(calls) == 2  # it really failed in the middle of the archive
    monkeypatch.undo()
    assert list_folder(tmp_path) == ["m.npz"]
    assert path.read_bytes() == before
    assert_same_model(old, load(path))


def test_failed_first_write_leaves_nothing(tmp_path, monkeypatch):
    fail_midway(monkeypatch)
    with pytest.raises(OSError, match="disk full"):
        save(MLP([3, 4, 2], rng=0), tmp_path / "m")
    assert list_folder(tmp_path) == []


def test_failed_rename_leaves_previous_file_intact_and_no_temp_files(tmp_path, monkeypatch):
    path = tmp_path / "state.npz"
    write_arrays(path, {"a": np.zeros(2)}, {"n": 1})
    before = path.read_bytes()

    def refuse(src, dst):
        raise PermissionError(f"cannot replace {dst}")

    monkeypatch.setattr("mlplab.persistence.os.replace", refuse)
    with pytest.raises(PermissionError):
        write_arrays(path, {"a": np.ones(2)}, {"n": 2})
    assert list_folder(tmp_path) == ["state.npz"]
    assert path.read_bytes() == before


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_written_file_has_the_permissions_of_a_plain_open(tmp_path):
    umask = os.umask(0o022)
    try:
        path = save(MLP([2, 2], rng=0), tmp_path / "m")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


# ---------------------------------------------------------------- what each layer type allocates


@pytest.mark.parametrize(
    "layer",
    [
        Dense(3, 4),
        Dense(2, 5, bias=False, dtype=np.float64),
        BatchNorm(4, dtype=np.float64),
        Standardize(6),
        PReLU(3),
        LeakyReLU(0.1),
        Dropout(0.3),
        *(cls() for cls in (ReLU, Sigmoid, Tanh, Softmax, Identity, Step)),
    ],
    ids=repr,
)
def test_declared_arrays_are_what_the_layer_allocates(layer):
    """load checks sizes against this table before building a layer: it must agree with the layer exactly."""
    actual = {f"param/{n}": (p.shape, p.dtype) for n, p in layer.named_parameters()}
    actual.update({f"buffer/{n}": (b.shape, b.dtype) for n, b in layer.buffers().items()})
    assert declared_arrays(type(layer).__name__, layer.get_config()) == actual


def test_every_layer_type_is_covered_by_the_declared_arrays_test():
    covered = {"Dense", "BatchNorm", "Standardize", "PReLU", "LeakyReLU", "Dropout"}
    covered |= {"ReLU", "Sigmoid", "Tanh", "Softmax", "Identity", "Step", "Sequential"}
    assert set(LAYER_TYPES) == covered


# ---------------------------------------------------------------- non-finite models are not saved


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        (lambda m: m.layers[0].W.value, np.nan, r"parameter '0\.W' holds nan at index \(1, 2\)"),
        (lambda m: m.layers[3].b.value, np.inf, r"parameter '3\.b' holds inf at index \(1,\)"),
        (lambda m: m.layers[1].running_var, -np.inf, r"buffer '1\.running_var' holds -inf at index \(1,\)"),
    ],
    ids=["nan-weight", "inf-bias", "inf-buffer"],
)
def test_save_refuses_non_finite_values_and_leaves_the_old_file(tmp_path, where, value, message):
    path = save(MLP([3, 4, 2], batch_norm=True, rng=0), tmp_path / "m")
    before = path.read_bytes()
    model = MLP([3, 4, 2], batch_norm=True, rng=1)
    array = where(model)
    array[(1, 2)[: array.ndim]] = value
    with pytest.raises(ValueError, match=rf"cannot save {path}: {message}"):
        save(model, path)
    assert path.read_bytes() == before
    assert list_folder(tmp_path) == ["m.npz"]


def test_load_refuses_a_file_holding_non_finite_values(saved):
    edit_file(saved, lambda meta, arrays: arrays["param/0.W"].__setitem__((0, 1), np.nan))
    with pytest.raises(InvalidFileError, match=r"m\.npz is not a valid mlplab file: entry 'param/0\.W' holds nan"):
        load(saved)


# ---------------------------------------------------------------- user info


def test_info_round_trips_and_is_empty_when_absent(tmp_path):
    model = MLP([3, 4, 2], rng=0)
    info = {"integer_input_scale": 1 / 255, "labels": ["cat", "dog"], "note": {"by": "café ✓", "n": 3}}
    path = save(model, tmp_path / "m", info=info)
    assert load_info(path) == info
    assert mlplab.load_info(path) == info
    assert_same_model(model, load(path))
    assert load_info(save(model, tmp_path / "plain")) == {}


def test_info_comes_back_as_json_makes_it(tmp_path):
    path = save(MLP([2, 2], rng=0), tmp_path / "m", info={"shape": (28, 28), "scale": np.float64(0.5).item()})
    assert load_info(path) == {"shape": [28, 28], "scale": 0.5}


@pytest.mark.parametrize(
    ("info", "error", "message"),
    [
        ([("a", 1)], TypeError, "mapping"),
        ({"x": object()}, TypeError, "not JSON-serializable"),
        ({"x": np.float32(1)}, TypeError, "not JSON-serializable"),
        ({"x": float("nan")}, ValueError, "NaN"),
        ({"x": [float("inf")]}, ValueError, "NaN or infinities"),
        ({"x": "y" * 70_000}, ValueError, "more than the limit of 65536"),
        ({"x": [[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]}, ValueError, "'info' nests 19 levels deep"),
    ],
    ids=["list", "object", "numpy-scalar", "nan", "inf", "large", "deep"],
)
def test_save_refuses_info_it_could_not_read_back(tmp_path, info, error, message):
    with pytest.raises(error, match=message):
        save(MLP([2, 2], rng=0), tmp_path / "m", info=info)
    assert list_folder(tmp_path) == []
