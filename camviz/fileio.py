"""Atomic file writes: readers see the old file or the whole new one, never a part.

Data goes to a temporary file beside the target, is flushed to disk, then renamed
over the target with ``os.replace``; on any failure the temporary is removed and
the error propagates (callers turn ``OSError`` into a message for the user).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["write_atomic", "write_bytes_atomic"]


def _finish(tmp: Path, target: Path, mode: int | None) -> None:
    if mode is not None:
        os.chmod(tmp, mode)  # mkstemp makes files private (0600)
    os.replace(tmp, target)


def write_bytes_atomic(path: str | Path, data: bytes, *, mode: int | None = None) -> Path:
    """Write ``data`` to ``path`` atomically (and durably: fsync before the rename)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        _finish(tmp, target, mode)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def write_atomic(
    path: str | Path, write: Callable[[Path], object], *, mode: int | None = None
) -> Path:
    """Call ``write(tmp)`` for a writer that needs a file name, then rename ``tmp`` to ``path``.

    ``tmp`` keeps ``path``'s suffix, for writers that pick the format from it.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        with tmp.open("rb") as handle:
            os.fsync(handle.fileno())
        _finish(tmp, target, mode)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target
