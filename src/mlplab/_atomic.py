"""Atomic file writes: write to a temporary file beside the target, then ``os.replace`` it.

A reader of the target path sees either the old file or the complete new
one, never part of one; a write that fails (or is interrupted) leaves the
old file as it was and no temporary file behind. Model files, checkpoints
(:mod:`mlplab.archive`), IDX files and downloads (:mod:`mlplab.datasets`)
are all written this way.

A process killed outright (``kill -9``, a power cut) between creating the
temporary file and renaming it leaves the temporary behind;
:func:`remove_stale_temporaries` removes those of a folder, and a resumed
training run calls it for its checkpoint's folder.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO

__all__ = ["atomic_write", "write_bytes", "write_text", "remove_stale_temporaries"]

_TEMPORARY = re.compile(r"\..+\.[0-9a-f]{12}\.tmp")
"""The name of a temporary file of :func:`atomic_write`: ``.<name>.<12 hex digits>.tmp``."""
_TOKEN_BYTES = 6  # secrets.token_hex(6): the 12 hex digits above


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
        tmp = folder / f".{name}.{secrets.token_hex(_TOKEN_BYTES)}.tmp"
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


def remove_stale_temporaries(folder: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary files that interrupted :func:`atomic_write` calls left in ``folder``.

    Only regular files named exactly as :func:`atomic_write` names its
    temporaries (``.<name>.<12 lowercase hex digits>.tmp``) are removed;
    anything else, and sub-folders, are left alone. Call it only where no
    other process is writing into ``folder`` at the same time (a run folder
    being resumed): a write in progress would lose its temporary file.

    Parameters
    ----------
    folder : str or PathLike
        A folder; a missing one holds nothing to remove.

    Returns
    -------
    list of pathlib.Path
        The files removed, sorted.
    """
    folder = Path(folder)
    removed = []
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return []
    for entry in entries:
        if _TEMPORARY.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return sorted(removed)


def write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`)."""
    with atomic_write(path) as f:
        f.write(data)


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically (see :func:`atomic_write`)."""
    write_bytes(path, text.encode("utf-8"))
