"""Architecture configs: a model described as a JSON-able dict, and rebuilt from one.

A config names each layer's type and constructor arguments, never a parameter value::

    {"format": "mlplab-model", "version": 1,
     "layers": [{"type": "Dense", "config": {"in_features": 4, "out_features": 8,
                                             "bias": true, "dtype": "float32"}},
                {"type": "ReLU", "config": {}}, ...]}

Layer types resolve through the explicit table :data:`LAYER_TYPES` (exact
classes), never by looking a name up on a module. A config is untrusted:
``Sequential`` layers nest at most :data:`MAX_NESTING` deep, a model has at
most :data:`MAX_LAYERS` layers, and :func:`model_for_arrays` compares every
size a config declares (:func:`declared_arrays`) with the stored arrays
before the layer that would allocate them is built.

See Also
--------
mlplab.persistence : model files, whose metadata is such a config.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, cast

import numpy as np

from ._validation import check_positive_int
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

MAX_NESTING = 16
"""Deepest nesting of ``Sequential`` layers inside a model (a plain MLP has none)."""

MAX_LAYERS = 10_000
"""Most layers in one model, nested ones included."""

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

_Shapes = dict[str, tuple[tuple[int, ...], np.dtype]]


class _Configurable(Protocol):
    """A layer type other than ``Sequential`` in :data:`LAYER_TYPES`: it describes its constructor arguments."""

    def get_config(self) -> dict[str, Any]: ...


# ---------------------------------------------------------------- what a layer allocates


def _features(*names: str) -> Callable[[Mapping[str, Any], np.dtype], _Shapes]:
    def shapes(config: Mapping[str, Any], dtype: np.dtype) -> _Shapes:
        n = check_positive_int("features", config.get("features"))
        return dict.fromkeys(names, ((n,), dtype))

    return shapes


def _dense(config: Mapping[str, Any], dtype: np.dtype) -> _Shapes:
    n_in = check_positive_int("in_features", config.get("in_features"))
    n_out = check_positive_int("out_features", config.get("out_features"))
    shapes: _Shapes = {"param/W": ((n_in, n_out), dtype)}
    if config.get("bias", True):
        shapes["param/b"] = ((n_out,), dtype)
    return shapes


_ARRAYS_OF: dict[str, Callable[[Mapping[str, Any], np.dtype], _Shapes]] = {
    "Dense": _dense,
    "BatchNorm": _features("param/gamma", "param/beta", "buffer/running_mean", "buffer/running_var"),
    "Standardize": _features("buffer/mean", "buffer/std"),
    "PReLU": _features("param/alpha"),
}
"""Layer type -> the parameters and buffers (``"param/W"`` -> shape, dtype) its config makes it allocate.

Types not listed allocate nothing that their config sizes. :func:`model_for_arrays` reads
this table, before building a layer, to compare every size its config
declares with the stored arrays; a test checks it against every layer type.
"""


def declared_arrays(type_name: str, config: Mapping[str, Any]) -> _Shapes:
    """The parameters and buffers a layer of type ``type_name`` built from ``config`` will hold.

    Returns
    -------
    dict
        ``"param/<name>"`` or ``"buffer/<name>"`` (names as in the layer's
        ``named_parameters()`` and ``buffers()``) -> ``(shape, dtype)``.

    Raises
    ------
    ValueError
        If a size in ``config`` is not a positive integer.
    """
    shapes = _ARRAYS_OF.get(type_name)
    if shapes is None:
        return {}
    return shapes(config, np.dtype(config.get("dtype", np.float32)))


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
    ValueError
        If ``Sequential`` layers nest deeper than :data:`MAX_NESTING` (a file
        :func:`~mlplab.persistence.load` would refuse).
    """
    # exactly a Sequential or an MLP (a subclass is refused by _layer_entry)
    if isinstance(model, Sequential) and _TYPE_NAMES.get(type(model)) == "Sequential":
        layers = model.layers
    else:
        layers = [model]
    return {
        "format": FORMAT,
        "version": VERSION,
        "layers": [_layer_entry(layer, f"layers[{i}]", 0) for i, layer in enumerate(layers)],
    }


def _layer_entry(layer: Layer, where: str, depth: int) -> dict[str, Any]:
    name = _TYPE_NAMES.get(type(layer))
    if name is None:
        raise TypeError(
            f"cannot save {where}: {type(layer).__name__} is not a savable layer type; "
            f"savable types: {', '.join(LAYER_TYPES)}"
        )
    if isinstance(layer, Sequential):  # name == "Sequential": exactly a Sequential or an MLP
        if depth >= MAX_NESTING:
            raise ValueError(f"cannot save {where}: Sequential layers nest deeper than {MAX_NESTING}")
        config: dict[str, Any] = {
            "layers": [_layer_entry(inner, f"{where}.layers[{i}]", depth + 1) for i, inner in enumerate(layer.layers)]
        }
    else:
        # every other type in LAYER_TYPES defines get_config()
        config = cast(_Configurable, layer).get_config()
    return {"type": name, "config": config}


def model_from_config(config: Mapping[str, Any], *, rng: np.random.Generator | int | None = None) -> Sequential:
    """Build a fresh model from an architecture dict written by :func:`model_to_config`.

    Layer types resolve through :data:`LAYER_TYPES` only. The new model has
    freshly initialized weights (each ``Dense`` its default initializer).
    Its sizes are the config's, checked against nothing: for a file, which
    is untrusted, use :func:`~mlplab.persistence.load`, which checks them against the stored arrays first.

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
        message), a layer config its constructor refuses, ``Sequential``
        layers nested deeper than :data:`MAX_NESTING` or more than
        :data:`MAX_LAYERS` layers.
    """
    return _Builder(as_generator(rng)).model(config)


def model_for_arrays(
    config: Any, arrays: Mapping[str, np.ndarray], *, rng: np.random.Generator | int | None = None
) -> Sequential:
    """:func:`model_from_config` for an untrusted config, each layer's sizes checked against ``arrays`` first.

    Before a layer is built, the arrays it would allocate (:func:`declared_arrays`)
    must be in ``arrays`` (``"param/0.W"`` ...) with the same shape and dtype, or
    ``ValueError``. Each ``Dense`` gets zero weights (no random draws): the caller
    copies the stored values in. Arrays no layer declares are not looked at.
    """
    return _Builder(as_generator(rng), stored=arrays).model(config)


def as_sequential(model: Layer) -> Sequential:
    """The model itself if it is exactly a ``Sequential`` or an ``MLP``, else a one-layer ``Sequential`` of it."""
    if isinstance(model, Sequential) and _TYPE_NAMES.get(type(model)) == "Sequential":
        return model
    return Sequential([model])


def check_format(config: Any) -> None:
    """Refuse (``ValueError``) anything but a JSON object of format :data:`FORMAT` and a version this code reads."""
    if not isinstance(config, Mapping):
        raise ValueError(f"model config must be a JSON object (dict), got {type(config).__name__}")
    if config.get("format") != FORMAT:
        raise ValueError(f"model config has format {config.get('format')!r}, expected {FORMAT!r}")
    version = config.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"model config has invalid version {version!r} (expected a positive integer)")
    if version > VERSION:
        raise ValueError(f"model config has version {version}, newer than this mlplab reads ({VERSION})")


class _Builder:
    """Builds layers from a config; given the stored arrays, checks every declared size against them first."""

    def __init__(self, rng: np.random.Generator, stored: Mapping[str, np.ndarray] | None = None) -> None:
        self.rng = rng
        self.stored = stored
        self.count = 0

    def model(self, config: Any) -> Sequential:
        check_format(config)
        return Sequential(self.layers(config.get("layers"), "layers", "", 0))

    def layers(self, entries: Any, where: str, prefix: str, depth: int) -> list[Layer]:
        if not isinstance(entries, list):
            raise ValueError(f"model config {where!r} must be a list of layers, got {type(entries).__name__}")
        self.count += len(entries)
        if self.count > MAX_LAYERS:
            raise ValueError(f"model config has more than {MAX_LAYERS} layers")
        return [self.layer(entry, f"{where}[{i}]", f"{prefix}{i}.", depth) for i, entry in enumerate(entries)]

    def layer(self, entry: Any, where: str, prefix: str, depth: int) -> Layer:
        if (
            not isinstance(entry, Mapping)
            or not isinstance(entry.get("type"), str)
            or not isinstance(entry.get("config"), Mapping)
        ):
            raise ValueError(
                f"{where} must be an object with a string 'type' and an object 'config', got {short_repr(entry)}"
            )
        type_name, config = entry["type"], dict(entry["config"])
        cls = LAYER_TYPES.get(type_name)
        if cls is None:
            raise ValueError(
                f"{where} has unknown layer type {short_repr(type_name)}; known types: {', '.join(LAYER_TYPES)}"
            )
        if cls is Sequential:
            if set(config) != {"layers"}:
                raise ValueError(f"{where} (Sequential) config must hold exactly 'layers', got keys {sorted(config)}")
            if depth >= MAX_NESTING:
                raise ValueError(f"{where}: Sequential layers nest deeper than {MAX_NESTING}")
            return Sequential(self.layers(config["layers"], f"{where}.layers", prefix, depth + 1))
        if "rng" in config:
            raise ValueError(f"{where} ({type_name}) config has an 'rng' entry; generators are not part of a config")
        if "dtype" in config:
            config["dtype"] = _float_dtype(config["dtype"], where)
        if cls in _TAKES_RNG:
            config["rng"] = self.rng
        try:
            shapes = declared_arrays(type_name, config) if self.stored is not None else {}
        except ValueError as exc:
            raise ValueError(
                f"{where} ({type_name}) has an invalid config {short_repr(entry['config'])}: {exc}"
            ) from exc
        self.check_stored(shapes, prefix)
        if self.stored is not None and cls is Dense:
            config["init"] = "zeros"  # the stored weights replace them: no random draws
        try:
            return cls(**config)
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise ValueError(
                f"{where} ({type_name}) has an invalid config {short_repr(entry['config'])}: {exc}"
            ) from exc

    def check_stored(self, shapes: _Shapes, prefix: str) -> None:
        """Compare the arrays a layer will allocate with the stored ones, before it allocates them."""
        for name, (shape, dtype) in shapes.items():
            kind, _, attribute = name.partition("/")
            check_entry(self.stored, f"{kind}/{prefix}{attribute}", shape, dtype)


def check_entry(stored: Any, key: str, shape: tuple[int, ...], dtype: np.dtype) -> None:
    """Refuse (``ValueError``) unless ``stored[key]`` is present with this shape and dtype."""
    array = stored.get(key)
    if array is None:
        raise ValueError(f"entry {key!r} is missing (expected shape {shape}, dtype {dtype})")
    if array.shape != shape:
        raise ValueError(f"entry {key!r} has shape {array.shape}, expected {shape}")
    if array.dtype != dtype:
        raise ValueError(f"entry {key!r} has dtype {array.dtype}, expected {dtype}")


def short_repr(value: Any, limit: int = 200) -> str:
    """``repr(value)``, cut to ``limit`` characters (a file's values can be long)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _float_dtype(name: Any, where: str) -> np.dtype:
    """The floating-point dtype called ``name`` ("float32"), or ``ValueError``."""
    try:
        dtype = np.dtype(name) if isinstance(name, str) else None
    except (TypeError, ValueError, SyntaxError):
        dtype = None
    if dtype is None or dtype.kind != "f":
        raise ValueError(
            f"{where} has dtype {short_repr(name)}; expected the name of a floating-point dtype such as 'float32'"
        )
    return dtype
