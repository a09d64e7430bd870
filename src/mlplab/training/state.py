"""Training state: in-memory snapshots of weights, and checkpoints that resume a run exactly.

A checkpoint is one ``.npz`` file written atomically (see :mod:`mlplab.archive`):
the arrays (weights, batch-norm statistics, optimizer moments, callback
arrays) plus JSON metadata (epoch, random generator states, optimizer
hyper-parameters, callback counters, the model's architecture).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..archive import read_arrays, write_arrays
from ..layers.base import Layer
from ..packing import contiguous_span


def snapshot_weights(model: Layer) -> dict[str, np.ndarray]:
    """Copies of every parameter value and buffer, keyed ``param/<name>`` and ``buffer/<name>``."""
    arrays = {f"param/{name}": p.value.copy() for name, p in model.named_parameters()}
    arrays.update({f"buffer/{name}": b.copy() for name, b in model.buffers().items()})
    return arrays


def restore_weights(model: Layer, arrays: dict[str, np.ndarray]) -> None:
    """Copy a :func:`snapshot_weights` result back into the model, in place."""
    for name, p in model.named_parameters():
        p.value[...] = arrays[f"param/{name}"]
    for name, b in model.buffers().items():
        b[...] = arrays[f"buffer/{name}"]


def weights_are_finite(model: Layer) -> bool:
    """Whether every parameter value and buffer of ``model`` is finite (no NaN, no infinity).

    The parameters of a packed model (see :mod:`mlplab.packing`) are checked in one pass over
    their flat array; those of any other model one array at a time.
    """
    params = model.parameters()
    span = contiguous_span(params)
    arrays = [span[0].value] if span is not None else [p.value for p in params]
    arrays += model.buffers().values()
    return all(bool(np.isfinite(a).all()) for a in arrays)


def split_arrays(tree: Any, prefix: str = "") -> tuple[Any, dict[str, np.ndarray]]:
    """Replace every array leaf of a nested dict/list by ``{"__array__": key}`` and collect the arrays.

    The result's first part is JSON-able (given JSON-able scalars); :func:`join_arrays` inverts it.
    """
    arrays: dict[str, np.ndarray] = {}

    def walk(node: Any, path: str) -> Any:
        if isinstance(node, np.ndarray):
            arrays[path] = node
            return {"__array__": path}
        if isinstance(node, dict):
            return {str(k): walk(v, f"{path}/{k}") for k, v in node.items()}
        if isinstance(node, (list, tuple)):
            return [walk(v, f"{path}/{i}") for i, v in enumerate(node)]
        if isinstance(node, np.generic):
            return node.item()
        return node

    return walk(tree, prefix), arrays


def join_arrays(tree: Any, arrays: dict[str, np.ndarray]) -> Any:
    """Inverse of :func:`split_arrays`."""
    if isinstance(tree, dict):
        if set(tree) == {"__array__"}:
            key = tree["__array__"]
            if key not in arrays:
                raise ValueError(f"checkpoint is missing the array {key!r}")
            return arrays[key]
        return {k: join_arrays(v, arrays) for k, v in tree.items()}
    if isinstance(tree, list):
        return [join_arrays(v, arrays) for v in tree]
    return tree


def write_checkpoint(path: str | Path, state: dict[str, Any]) -> Path:
    """Write a training state (nested dicts of JSON-able values and arrays) atomically to ``path``."""
    meta, arrays = split_arrays(state, "state")
    path = Path(path)
    write_arrays(path, arrays, {"format": "mlplab-checkpoint", "version": 1, "state": meta})
    return path


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read what :func:`write_checkpoint` wrote; a file of another kind gets a ``ValueError``."""
    meta, arrays = read_arrays(path)
    if meta.get("format") != "mlplab-checkpoint":
        raise ValueError(f"{path} is not an mlplab checkpoint (format {meta.get('format')!r})")
    state: dict[str, Any] = join_arrays(meta["state"], arrays)
    return state
