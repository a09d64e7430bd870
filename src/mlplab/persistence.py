"""Saving and loading models as plain ``.npz`` files that load without executing code.

A model file is one uncompressed NumPy ``.npz`` archive (a zip of ``.npy`` arrays):

==================== =========================================================================
entry                content
==================== =========================================================================
``__meta__``         the architecture as UTF-8 JSON bytes, in a 1-D ``uint8`` array
``param/<name>``     each parameter value, ``<name>`` from ``model.named_parameters()`` ("0.W")
``buffer/<name>``    each buffer from ``model.buffers()`` ("1.running_mean")
==================== =========================================================================

The architecture (see :func:`model_to_config`) reads::

    {"format": "mlplab-model", "version": 1,
     "layers": [{"type": "Dense", "config": {"in_features": 4, "out_features": 8,
                                             "bias": true, "dtype": "float32"}},
                {"type": "ReLU", "config": {}}, ...]}

Safety: arrays are read with ``np.load(..., allow_pickle=False)``, so an
object (pickle-bearing) entry is refused before anything is unpickled; layer
types resolve through the explicit table :data:`LAYER_TYPES`, never by
looking a name up on a module. Any ``.npz`` reader can open a model file:
``np.load(path, allow_pickle=False)``.

Writes are atomic: the archive goes to a temporary file in the target's folder,
which then replaces the target in one ``os.replace``, so the path holds either
the old file or the complete new one, never half of one.

:func:`write_arrays` and :func:`read_arrays` know nothing about models; training
checkpoints use them too, with a ``meta`` dict of their own.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import struct
import zipfile
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

import numpy as np

from .layers import (
    BatchNorm,
    Dense,
    Dropout,
    Identity,
    Layer,
    LeakyReLU,
    PReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Standardize,
    Step,
    Tanh,
)
from .model import MLP, Sequential
from .rng import as_generator

FORMAT = "mlplab-model"
"""Value of ``"format"`` in a model file's metadata."""

VERSION = 1
"""Version of the model file layout written by this code; files with a higher version are refused."""

META_KEY = "__meta__"
"""Reserved entry holding the JSON metadata."""

PARAM_PREFIX = "param/"
BUFFER_PREFIX = "buffer/"

LAYER_TYPES: dict[str, type[Layer]] = {
    "Sequential": Sequential,
    "Dense": Dense,
    "Standardize": Standardize,
    "BatchNorm": BatchNorm,
    "Dropout": Dropout,
    "Identity": Identity,
    "Step": Step,
    "Sigmoid": Sigmoid,
    "Tanh": Tanh,
    "ReLU": ReLU,
    "LeakyReLU": LeakyReLU,
    "PReLU": PReLU,
    "Softmax": Softmax,
}
"""Every layer type a model file may name, by the name it is written under."""

# Exact classes only: a subclass may compute something else. An MLP is saved as the Sequential it is.
_TYPE_NAMES: dict[type[Layer], str] = {cls: name for name, cls in LAYER_TYPES.items()} | {MLP: "Sequential"}
_TAKES_RNG = (Dense, Dropout)

# What a damaged archive raises while being opened or read (ValueError covers bad .npy headers).
_CORRUPT = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, KeyError, zlib.error, struct.error,
            NotImplementedError)


# ---------------------------------------------------------------- architecture


def model_to_config(model: Layer) -> dict[str, Any]:
    """Describe a model's architecture as a JSON-able dict (no parameter values).

    Parameters
    ----------
    model : Sequential, MLP or Layer
        An :class:`~mlplab.MLP` is described as the :class:`~mlplab.Sequential` of
        its layers; a bare layer as a one-layer stack. Nested ``Sequential``
        layers are described recursively.

    Returns
    -------
    dict
        ``{"format": "mlplab-model", "version": 1, "layers": [{"type": ..., "config": ...}, ...]}``
        where each ``config`` is the layer's ``get_config()``.

    Raises
    ------
    TypeError
        If a layer is not one of :data:`LAYER_TYPES` (exact class; subclasses
        other than ``MLP`` are refused because they may compute something else).
    """
    layers = model.layers if _TYPE_NAMES.get(type(model)) == "Sequential" else [model]
    return {
        "format": FORMAT,
        "version": VERSION,
        "layers": [_layer_entry(layer, f"layers[{i}]") for i, layer in enumerate(layers)],
    }


def _layer_entry(layer: Layer, where: str) -> dict[str, Any]:
    name = _TYPE_NAMES.get(type(layer))
    if name is None:
        raise TypeError(
            f"cannot save {where}: {type(layer).__name__} is not a savable layer type; "
            f"savable types: {', '.join(LAYER_TYPES)}"
        )
    if name == "Sequential":
        config: dict[str, Any] = {
            "layers": [_layer_entry(inner, f"{where}.layers[{i}]") for i, inner in enumerate(layer.layers)]
        }
    else:
        config = layer.get_config()
    return {"type": name, "config": config}


def model_from_config(config: Mapping[str, Any], *, rng: np.random.Generator | int | None = None) -> Sequential:
    """Build a fresh model from an architecture dict written by :func:`model_to_config`.

    Layer types resolve through :data:`LAYER_TYPES` only. The new model has
    freshly initialized weights (each ``Dense`` its default initializer);
    :func:`load` then overwrites them with saved values.

    Parameters
    ----------
    config : dict
        ``{"format": "mlplab-model", "version": 1, "layers": [...]}``.
    rng : numpy.random.Generator or int, optional
        One generator for every ``Dense`` initializer and ``Dropout`` mask, as
        in :class:`~mlplab.MLP`. Generator state is not part of a model file.

    Returns
    -------
    Sequential

    Raises
    ------
    ValueError
        For a wrong format or version, an unknown layer type (named in the
        message), or a layer config its constructor refuses.
    """
    if not isinstance(config, Mapping):
        raise ValueError(f"model config must be a JSON object (dict), got {type(config).__name__}")
    if config.get("format") != FORMAT:
        raise ValueError(f"model config has format {config.get('format')!r}, expected {FORMAT!r}")
    version = config.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"model config has invalid version {version!r} (expected a positive integer)")
    if version > VERSION:
        raise ValueError(f"model config has version {version}, newer than this mlplab reads ({VERSION})")
    return Sequential(_build_layers(config.get("layers"), "layers", as_generator(rng)))


def _build_layers(entries: Any, where: str, rng: np.random.Generator) -> list[Layer]:
    if not isinstance(entries, list):
        raise ValueError(f"model config {where!r} must be a list of layers, got {type(entries).__name__}")
    return [_build_layer(entry, f"{where}[{i}]", rng) for i, entry in enumerate(entries)]


def _build_layer(entry: Any, where: str, rng: np.random.Generator) -> Layer:
    if not isinstance(entry, Mapping) or not isinstance(entry.get("type"), str) or not isinstance(
        entry.get("config"), Mapping
    ):
        raise ValueError(f"{where} must be an object with a string 'type' and an object 'config', got {entry!r}")
    type_name, config = entry["type"], dict(entry["config"])
    cls = LAYER_TYPES.get(type_name)
    if cls is None:
        raise ValueError(f"{where} has unknown layer type {type_name!r}; known types: {', '.join(LAYER_TYPES)}")
    if cls is Sequential:
        if set(config) != {"layers"}:
            raise ValueError(f"{where} (Sequential) config must hold exactly 'layers', got keys {sorted(config)}")
        return Sequential(_build_layers(config["layers"], f"{where}.layers", rng))
    if "rng" in config:
        raise ValueError(f"{where} ({type_name}) config has an 'rng' entry; generators are not part of a config")
    if "dtype" in config:
        config["dtype"] = _float_dtype(config["dtype"], where)
    if cls in _TAKES_RNG:
        config["rng"] = rng
    try:
        return cls(**config)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where} ({type_name}) has an invalid config {entry['config']!r}: {exc}") from exc


def _float_dtype(name: Any, where: str) -> np.dtype:
    """The floating-point dtype called ``name`` ("float32"), or ``ValueError``."""
    try:
        dtype = np.dtype(name) if isinstance(name, str) else None
    except TypeError:
        dtype = None
    if dtype is None or dtype.kind != "f":
        raise ValueError(f"{where} has dtype {name!r}; expected the name of a floating-point dtype such as 'float32'")
    return dtype


# ---------------------------------------------------------------- generic archive


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
    """
    path = Path(path)
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
    _atomic_write(path, lambda f: _write_npz(f, entries))


def _write_npz(f: IO[bytes], entries: Mapping[str, np.ndarray]) -> None:
    """Write an uncompressed ``.npz`` archive, as ``np.savez`` does, without its keyword-name clashes."""
    with zipfile.ZipFile(f, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in entries.items():
            with archive.open(name + ".npy", mode="w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


def _atomic_write(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Call ``write`` on a temporary file next to ``path``, then move it onto ``path``."""
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot write {path}: folder {folder} does not exist")
    fd, tmp = _create_temp(folder, path.name)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_folder(folder)


def _create_temp(folder: Path, name: str) -> tuple[int, Path]:
    """Create ``folder/.<name>.<random>.tmp`` exclusively, with the permissions a plain ``open`` would give."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = folder / f".{name}.{secrets.token_hex(6)}.tmp"
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a temporary file in {folder}")


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable where the platform allows syncing a directory (POSIX)."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


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


# ---------------------------------------------------------------- models


def save(model: Layer, path: str | os.PathLike[str]) -> Path:
    """Save a model's architecture, parameters and buffers to one ``.npz`` file, atomically.

    Parameters
    ----------
    model : Sequential, MLP or Layer
        A bare layer is saved as a one-layer ``Sequential`` (its entries are
        named ``param/0.W`` ...), which is what :func:`load` returns.
    path : str or PathLike
        ``".npz"`` is appended if the name does not end with it.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    TypeError
        If a layer type cannot be saved (see :func:`model_to_config`).
    """
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    stack = model if _TYPE_NAMES.get(type(model)) == "Sequential" else Sequential([model])
    config = model_to_config(stack)
    arrays = {PARAM_PREFIX + name: p.value for name, p in stack.named_parameters()}
    arrays.update({BUFFER_PREFIX + name: value for name, value in stack.buffers().items()})
    write_arrays(path, arrays, config)
    return path


def load(path: str | os.PathLike[str], *, rng: np.random.Generator | int | None = None) -> Sequential:
    """Load a model saved by :func:`save`; no code in the file is executed.

    The architecture is rebuilt with :func:`model_from_config`; then every
    expected ``param/<name>`` and ``buffer/<name>`` entry is checked (present,
    same shape, same dtype, nothing extra) before any value is copied in with
    ``p.value[...] = array``.

    Parameters
    ----------
    path : str or PathLike
    rng : numpy.random.Generator or int, optional
        Generator for the rebuilt ``Dropout`` masks (and the throw-away initial weights).

    Returns
    -------
    Sequential
        Computes the same outputs as the saved model and has the same
        ``named_parameters()`` names. A saved ``MLP`` comes back as a ``Sequential``.

    Raises
    ------
    FileNotFoundError, ValueError
        See :func:`read_arrays`; also ``ValueError`` naming the entry for a
        missing, extra, mis-shaped or mis-typed array, or a bad architecture.
    """
    path = Path(path)
    meta, arrays = read_arrays(path)
    try:
        model = model_from_config(meta, rng=rng)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc
    targets = {PARAM_PREFIX + name: p.value for name, p in model.named_parameters()}
    targets.update({BUFFER_PREFIX + name: value for name, value in model.buffers().items()})
    extra = sorted(set(arrays) - set(targets))
    if extra:
        raise ValueError(f"{path}: entries {extra} do not belong to the saved architecture")
    for key, target in targets.items():
        array = arrays.get(key)
        if array is None:
            raise ValueError(f"{path}: entry {key!r} is missing (expected shape {target.shape}, dtype {target.dtype})")
        if array.shape != target.shape:
            raise ValueError(f"{path}: entry {key!r} has shape {array.shape}, expected {target.shape}")
        if array.dtype != target.dtype:
            raise ValueError(f"{path}: entry {key!r} has dtype {array.dtype}, expected {target.dtype}")
    for key, target in targets.items():
        target[...] = arrays[key]
    return model
