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

The file itself is written and read by the generic archive of
:mod:`mlplab.archive` (:func:`~mlplab.archive.write_arrays`,
:func:`~mlplab.archive.read_arrays`); training checkpoints use it too, with a
``meta`` dict of their own.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, cast

import numpy as np

from .archive import read_arrays, write_arrays
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


class _Configurable(Protocol):
    """A layer type other than ``Sequential`` in :data:`LAYER_TYPES`: it describes its constructor arguments."""

    def get_config(self) -> dict[str, Any]: ...


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
    # exactly a Sequential or an MLP (a subclass is refused by _layer_entry)
    if isinstance(model, Sequential) and _TYPE_NAMES.get(type(model)) == "Sequential":
        layers = model.layers
    else:
        layers = [model]
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
    if isinstance(layer, Sequential):  # name == "Sequential": exactly a Sequential or an MLP
        config: dict[str, Any] = {
            "layers": [_layer_entry(inner, f"{where}.layers[{i}]") for i, inner in enumerate(layer.layers)]
        }
    else:
        # every other type in LAYER_TYPES defines get_config()
        config = cast(_Configurable, layer).get_config()
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
    if (
        not isinstance(entry, Mapping)
        or not isinstance(entry.get("type"), str)
        or not isinstance(entry.get("config"), Mapping)
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
