"""Reading users' files safely, and writing camviz's files atomically.

Reading (:func:`read_regular_file`, :func:`check_regular_file`): only regular
files are read as files. A FIFO, a device (``/dev/zero``, a tty), a socket or a
symlink to one is refused with a clear error *before* anything could block or
stream forever; the file is opened non-blocking and checked again on the open
descriptor (so it cannot be swapped for a FIFO in between), and at most
``limit`` bytes are read.

Writing (:func:`write_bytes_atomic`, :func:`write_atomic`): readers see the old
file or the whole new one, never a part. Data goes to a temporary file beside
the target, is flushed to disk, then renamed over the target with ``os.replace``;
on any failure the temporary (and only it: camviz never removes a file it did
not create) is removed and the error propagates (callers turn ``OSError`` into
a message for the user). A symlink is written through (its final target is
replaced, the link stays); a target that exists but is not a regular file (a
device, a FIFO, a folder) is refused with :class:`~camviz.errors.WriteRefusedError`.
New files get the user's umask (``0o666 & ~umask``); a replaced file keeps its mode.

The user's home (:func:`home_dir`): ``$HOME`` when it is set to an absolute folder,
else the password database's entry for this user (``pwd.getpwuid``), never ``/``
by accident of an empty ``HOME``.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import stat
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

from camviz.errors import CamvizError, WriteRefusedError

__all__ = [
    "PendingFile",
    "home_dir",
    "home_is_set",
    "check_regular_file",
    "describe_kind",
    "read_regular_file",
    "write_atomic",
    "write_bytes_atomic",
]

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def describe_kind(mode: int) -> str:
    """``"a FIFO (named pipe)"``, ``"a character device"``, ... for an ``st_mode``."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return "a regular file" if stat.S_ISREG(mode) else "a special file"


def _not_regular(path: Path, mode: int, error: type[CamvizError], what: str) -> CamvizError:
    via = ""
    if path.is_symlink():
        via = f" (a symlink to {os.path.realpath(path)})"
    return error(
        f"{path}{via} is {describe_kind(mode)}, not a regular file; camviz reads {what} "
        "only from regular files"
    )


def check_regular_file(path: str | Path, error: type[CamvizError], what: str = "files") -> Path:
    """``path`` if it is (or links to) a regular file; else raise ``error`` saying what it is.

    ``FileNotFoundError`` and other ``OSError`` of ``stat`` propagate.
    """
    path = Path(path)
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        raise _not_regular(path, mode, error, what)
    return path


def read_regular_file(
    path: str | Path,
    limit: int,
    error: type[CamvizError],
    what: str = "files",
    hint: str = "",
    too_big: type[CamvizError] | None = None,
) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them.

    Raises ``error`` if ``path`` is not a regular file (checked on the open,
    non-blocking descriptor, so a FIFO never blocks) or holds more than
    ``limit`` bytes (``hint``, e.g. the environment variable that raises the
    limit, ends that message), ``too_big`` instead of ``error`` for the latter if
    given. ``FileNotFoundError`` and other ``OSError`` propagate.
    """
    path = Path(path)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _not_regular(path, info.st_mode, error, what)
        over = (too_big or error)(
            f"{path} holds more than {limit:,} bytes, camviz's limit for {what}"
            + (f"; {hint}" if hint else "")
        )
        if info.st_size > limit:
            raise over
        chunks: list[bytes] = []
        left = limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        if left <= 0:
            raise over
        return b"".join(chunks)
    finally:
        os.close(fd)


def home_is_set(environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``$HOME`` names an absolute folder other than ``/`` (else it is unset or empty)."""
    home = (os.environ if environ is None else environ).get("HOME", "")
    return bool(home) and os.path.isabs(home) and os.path.realpath(home) != "/"


def home_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The user's home: ``$HOME`` if :func:`home_is_set`, else the password database's
    (else, for a uid with no entry, the current folder)."""
    env = os.environ if environ is None else environ
    if home_is_set(env):
        return Path(env["HOME"])
    try:
        return Path(pwd.getpwuid(os.getuid()).pw_dir)
    except KeyError:  # no entry for this uid (a container's arbitrary user)
        return Path(os.path.realpath(os.curdir))


def _umask() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    current = os.umask(0o022)  # no /proc: read it the racy way, and put it back
    os.umask(current)
    return current


def _resolve_target(path: str | Path) -> Path:
    """Where a write to ``path`` lands: through symlinks; refused if not a regular file."""
    target = Path(path)
    if target.is_symlink():
        real = Path(os.path.realpath(target))
        if real.is_symlink():
            raise WriteRefusedError(f"cannot write {target}: its symlinks form a loop")
        target = real
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return target
    if not stat.S_ISREG(mode):
        raise WriteRefusedError(
            f"cannot write {path}: it is {describe_kind(mode)}, not a regular file; "
            "camviz replaces only regular files, give a file path"
        )
    return target


def _mode_for(target: Path, mode: int | None) -> int:
    if mode is not None:
        return mode
    try:
        return stat.S_IMODE(os.stat(target).st_mode)  # a replaced file keeps its mode
    except FileNotFoundError:
        return 0o666 & ~_umask()


def _finish(tmp: Path, target: Path, mode: int | None) -> None:
    os.chmod(tmp, _mode_for(target, mode))  # mkstemp makes files private (0600)
    os.replace(tmp, target)


class PendingFile:
    """A text file written beside ``path`` and put in place only by :meth:`commit`.

    For writers that stream (a CSV recording): rows go to :attr:`handle`; ``commit()``
    fsyncs and renames the file onto ``path`` (through symlinks, with the user's
    umask, never over a device), ``discard()`` removes it. Until then ``path`` is
    untouched, so nothing half-written is ever left there.
    """

    def __init__(
        self, path: str | Path, *, newline: str | None = None, mode: int | None = None
    ) -> None:
        self.target = _resolve_target(path)
        self.target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(
            prefix=f".{self.target.name}.", suffix=".part", dir=self.target.parent
        )
        self._tmp = Path(name)
        self._mode = mode
        self.handle: IO[str] = os.fdopen(fd, "w", newline=newline, encoding="utf-8")

    def commit(self) -> Path:
        """Flush, fsync and rename into place; the path written (``path``'s final target)."""
        try:
            self.handle.flush()
            os.fsync(self.handle.fileno())
            self.handle.close()
            _finish(self._tmp, self.target, self._mode)
        except BaseException:
            self.discard()
            raise
        return self.target

    def discard(self) -> None:
        """Close and remove the pending file; ``path`` stays as it was."""
        with contextlib.suppress(OSError):
            self.handle.close()
        self._tmp.unlink(missing_ok=True)


def write_bytes_atomic(path: str | Path, data: bytes, *, mode: int | None = None) -> Path:
    """Write ``data`` to ``path`` atomically (and durably: fsync before the rename).

    Returns the path written: ``path``'s final target if it is a symlink.
    """
    target = _resolve_target(path)
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
    target = _resolve_target(path)
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
