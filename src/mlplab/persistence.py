"""Saving and loading models as plain ``.npz`` files that load without executing code.

A model file is one uncompressed NumPy ``.npz`` archive (a zip of ``.npy`` arrays):

==================== =========================================================================
entry                content
==================== =========================================================================
``__meta__``         the architecture as UTF-8 JSON bytes, in a 1-D ``uint8`` array
``param/<name>``     each parameter value, ``<name>`` from ``model.named_parameters()`` ("0.W")
``buffer/<name>``    each buffer from ``model.buffers()`` ("1.running_mean")
==================== =========================================================================

The architecture (see :func:`~mlplab.architecture.model_to_config`) reads::

    {"format": "mlplab-model", "version": 1,
     "layers": [{"type": "Dense", "config": {"in_features": 4, "out_features": 8,
                                             "bias": true, "dtype": "float32"}},
                {"type": "ReLU", "config": {}}, ...]}

An optional ``"info"`` entry of the metadata holds the user's JSON object
(``save(model, path, info={...})``, read back by :func:`load_info`), such as
how the command line scales raw integer inputs.

Safety: every file is untrusted, as with ``torch.load(weights_only=True)``.
Nothing is unpickled (an object entry is refused from its ``.npy`` header);
layer types resolve through the explicit table
:data:`~mlplab.architecture.LAYER_TYPES`, never by looking a name up on a
module; and no size a file declares is believed before it is checked.
:func:`~mlplab.archive.read_arrays` checks each array's header against the
zip directory and the limits of :mod:`mlplab.archive`; then :func:`load`
compares every size in the architecture (``in_features``, ``features`` ...)
with the stored arrays before it builds the layer that would allocate them,
builds each ``Dense`` with zero weights (no random draws) and copies the
stored values in. Sequentials nest at most
:data:`~mlplab.architecture.MAX_NESTING` deep, a model has at most
:data:`~mlplab.architecture.MAX_LAYERS` layers, and ``info`` is at most
:data:`MAX_INFO_BYTES` of JSON. Every refusal is an
:class:`~mlplab.untrusted.InvalidFileError` (a ``ValueError``) naming the file
and the reason. :func:`save` refuses to write a model whose parameters or
buffers hold NaN or infinities.

Any ``.npz`` reader can open a model file: ``np.load(path, allow_pickle=False)``.

Writes are atomic: the archive goes to a temporary file in the target's folder,
which then replaces the target in one ``os.replace``, so the path holds either
the old file or the complete new one, never half of one.

The file itself is written and read by the generic archive of
:mod:`mlplab.archive` (:func:`~mlplab.archive.write_arrays`,
:func:`~mlplab.archive.read_arrays`); training checkpoints use it too, with a
``meta`` dict of their own.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .architecture import as_sequential, check_entry, check_format, model_for_arrays, model_to_config, short_repr
from .archive import read_arrays, read_meta, write_arrays
from .layers import Layer
from .model import Sequential
from .untrusted import InvalidFileError, json_depth

PARAM_PREFIX = "param/"
BUFFER_PREFIX = "buffer/"

MAX_INFO_BYTES = 64 * 2**10
"""Most bytes of JSON in a model file's ``info``: 64 KiB."""

MAX_INFO_DEPTH = 16
"""Deepest nesting of objects and lists in ``info``."""

# ---------------------------------------------------------------- user info


def _info_json(info: Any) -> dict[str, Any]:
    """``info`` as the JSON object that will be stored: ``ValueError``/``TypeError`` if it cannot be."""
    if not isinstance(info, Mapping):
        raise TypeError(f"info must be a mapping (a JSON object), got {type(info).__name__}")
    try:
        text = json.dumps(dict(info), allow_nan=False)
    except TypeError as exc:
        raise TypeError(f"info is not JSON-serializable: {exc}") from exc
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"info is not JSON-serializable (no NaN or infinities): {exc}") from exc
    return _check_info(json.loads(text), len(text.encode("utf-8")))


def _check_info(info: Any, size: int) -> dict[str, Any]:
    if not isinstance(info, dict):
        raise ValueError(f"'info' must be a JSON object, got {type(info).__name__}")
    if size > MAX_INFO_BYTES:
        raise ValueError(f"'info' is {size} bytes of JSON, more than the limit of {MAX_INFO_BYTES}")
    depth = json_depth(info)
    if depth > MAX_INFO_DEPTH:
        raise ValueError(f"'info' nests {depth} levels deep, more than the limit of {MAX_INFO_DEPTH}")
    return info


def _info_from_meta(meta: Mapping[str, Any]) -> dict[str, Any]:
    """The ``info`` of a file's metadata (``{}`` when absent), checked as :func:`save` checks it."""
    info = meta.get("info", {})
    if not isinstance(info, dict):
        raise ValueError(f"'info' must be a JSON object, got {type(info).__name__}")
    try:
        text = json.dumps(info, allow_nan=False)
    except ValueError as exc:
        raise ValueError("'info' holds NaN or an infinity") from exc
    return _check_info(info, len(text.encode("utf-8")))


# ---------------------------------------------------------------- models


def save(model: Layer, path: str | os.PathLike[str], *, info: Mapping[str, Any] | None = None) -> Path:
    """Save a model's architecture, parameters and buffers to one ``.npz`` file, atomically.

    Parameters
    ----------
    model : Sequential, MLP or Layer
        A bare layer is saved as a one-layer ``Sequential`` (its entries are
        named ``param/0.W`` ...), which is what :func:`load` returns.
    path : str or PathLike
        ``".npz"`` is appended if the name does not end with it.
    info : mapping, optional
        A JSON object of the caller's own (``{"integer_input_scale": 1/255}``),
        read back by :func:`load_info`: at most :data:`MAX_INFO_BYTES` of JSON,
        no NaN or infinities. It comes back as JSON makes it (tuples become lists).

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    TypeError
        If a layer type cannot be saved (see :func:`~mlplab.architecture.model_to_config`), or
        ``info`` is not a JSON-able mapping.
    ValueError
        Naming the file and the first bad parameter or buffer, if one holds
        NaN or an infinity; or for an ``info`` too large, too deep or not
        finite. Nothing is written then: a file already at ``path`` is untouched.
    """
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    stack = as_sequential(model)
    config = model_to_config(stack)
    if info is not None:
        config["info"] = _info_json(info)
    arrays = {PARAM_PREFIX + name: p.value for name, p in stack.named_parameters()}
    arrays.update({BUFFER_PREFIX + name: value for name, value in stack.buffers().items()})
    for key, value in arrays.items():
        bad = _first_non_finite(value)
        if bad is not None:
            kind, name = key.split("/", 1)
            what = "parameter" if kind == "param" else "buffer"
            raise ValueError(f"cannot save {path}: {what} {name!r} holds {bad}; nothing was written")
    write_arrays(path, arrays, config)
    return path


def _first_non_finite(array: np.ndarray) -> str | None:
    """``"nan at index (1, 2)"`` for the first NaN or infinity in ``array``, else ``None``."""
    if array.dtype.kind not in "fc" or np.isfinite(array).all():
        return None
    index = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
    return f"{array[index]} at index {index}"


def load(path: str | os.PathLike[str], *, rng: np.random.Generator | int | None = None) -> Sequential:
    """Load a model saved by :func:`save`; no code in the file is executed.

    :func:`~mlplab.archive.read_arrays` checks the file (every array's header
    against the zip directory and the limits); then, layer by layer, the sizes
    in the architecture are compared with the stored arrays (present, same
    shape, same dtype) *before* the layer is built, so a file cannot make
    this allocate more than it stores. Each ``Dense`` is built with zero
    weights; the stored values are then copied in (``p.value[...] = array``)
    once every entry is checked (nothing extra, everything finite).

    Parameters
    ----------
    path : str or PathLike
    rng : numpy.random.Generator or int, optional
        Generator for the rebuilt ``Dropout`` masks.

    Returns
    -------
    Sequential
        Computes the same outputs as the saved model and has the same
        ``named_parameters()`` names. A saved ``MLP`` comes back as a ``Sequential``.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    InvalidFileError
        A ``ValueError`` naming the file and the reason: see
        :func:`~mlplab.archive.read_arrays`; also a missing, extra, mis-shaped,
        mis-typed or non-finite array, a bad architecture or ``info``.
    """
    path = Path(path)
    meta, arrays = read_arrays(path)
    try:
        model = model_for_arrays(meta, arrays, rng=rng)
        _info_from_meta(meta)
        targets = {PARAM_PREFIX + name: p.value for name, p in model.named_parameters()}
        targets.update({BUFFER_PREFIX + name: value for name, value in model.buffers().items()})
        extra = sorted(set(arrays) - set(targets))
        if extra:
            raise ValueError(f"entries {short_repr(extra)} do not belong to the saved architecture")
        for key, target in targets.items():
            check_entry(arrays, key, target.shape, target.dtype)
            bad = _first_non_finite(arrays[key])
            if bad is not None:
                raise ValueError(f"entry {key!r} holds {bad}")
    except ValueError as exc:
        raise InvalidFileError(path, str(exc)) from exc
    for key, target in targets.items():
        target[...] = arrays[key]
    return model


def load_info(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``info`` stored by ``save(model, path, info=...)``; ``{}`` if none was.

    Only the metadata is read, with the checks of :func:`~mlplab.archive.read_meta`
    (every entry's header and the limits), and it must describe a model.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    InvalidFileError
        A ``ValueError`` naming the file and the reason, for a file
        :func:`~mlplab.archive.read_meta` refuses, one that is not a model
        file, or an ``info`` that is not a JSON object within the limits.
    """
    path = Path(path)
    meta = read_meta(path)
    try:
        check_format(meta)
        return _info_from_meta(meta)
    except ValueError as exc:
        raise InvalidFileError(path, str(exc)) from exc
