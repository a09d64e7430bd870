"""What every reader of an untrusted file shares: the error that refuses it, and a safe measure of JSON.

Model files and checkpoints (:mod:`mlplab.archive`, :mod:`mlplab.persistence`) and IDX files
(:mod:`mlplab.datasets.idx`) are read as hostile: a refusal is an :class:`InvalidFileError`
naming the file and the reason, and JSON nesting is measured without recursion before use.
"""

from __future__ import annotations

import os
from typing import Any


class InvalidFileError(ValueError):
    """A file that mlplab refuses to read: damaged, of another kind, or declaring sizes over a limit.

    ``str(error)`` names the file and the reason (``"<path> is not a valid
    mlplab file: <reason>"`` unless ``message`` gives the whole text); the
    attributes ``path`` and ``reason`` hold them apart.
    """

    def __init__(self, path: str | os.PathLike[str], reason: str, message: str | None = None) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(message if message is not None else f"{path} is not a valid mlplab file: {reason}")


def json_depth(value: Any) -> int:
    """How deeply JSON objects and lists nest in ``value`` (``0`` for a scalar, ``1`` for ``{"a": 1}``).

    Iterative, so it never meets Python's recursion limit.
    """
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest
