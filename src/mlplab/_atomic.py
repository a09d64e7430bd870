"""Atomic file writes: write to a temporary file beside the target, then ``os.replace`` it.

A reader of the target path sees either the old file or the complete new
one, never part of one; a write that fails (or is interrupted) leaves the
old file as it was and no temporary file behind. Model files, checkpoints
(:mod:`mlplab.archive`), IDX files and downloads (:mod:`mlplab.datasets`)
are all written this way.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO

__all__ = ["atomic_write"]


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """Open a temporary binary file beside ``path``; when the block succeeds, move it onto ``path``.

    The temporary file ``.<name>.<random>.tmp`` is created exclusively in
    ``path``'s folder with the permissions a plain ``open`` would give. When
    the ``with`` block ends normally the file is flushed, synced to disk and
    renamed onto ``path`` with ``os.replace``; on POSIX the folder is then
    synced too, so the rename survives a crash. If anything raises (any
    ``BaseException``, ``KeyboardInterrupt`` included), the temporary file is
    deleted and whatever was at ``path`` is left untouched.

    Parameters
    ----------
    path : str or PathLike
        The file to write, used exactly as given; its folder must exist.

    Yields
    ------
    IO[bytes]
        The open temporary file, for writing.

    Raises
    ------
    FileNotFoundError
        Naming ``path`` and its folder, if the folder does not exist.
    """
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot write {path}: folder {folder} does not exist")
    fd, tmp = _create_temp(folder, path.name)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
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
