"""The output files of batch runs: JSON lines or CSV rows, appended whole, resumable.

``camviz classify --out FILE`` appends one JSON line (or CSV row) per photo or
video frame; ``--resume`` first reads FILE and skips every photo that already has
a result there (photos whose line is an error are tried again).

Nothing is lost (:class:`ResultsFile`): FILE must be a regular file (a FIFO or a
device is refused at once, before anything could block; ``-`` or ``/dev/stdout``
means standard output); one writer at a time (an exclusive ``flock`` on
``FILE.lock`` beside it while the run lasts, a second run is refused with
:class:`OutputError`); each
line goes out in one ``write`` of its own, and a write that fails or stops short
(a full disk, ``ulimit -f``, a quota) is cut back to the last whole line before the
one-line error naming the file and the cause. A torn last line left by a killed
run or a crash is cut off before anything is appended, so the file always holds
whole lines only, one valid line per input once a ``--resume`` run completes.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import fcntl
import io
import json
import os
import stat
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from camviz.errors import OutputError, WriteRefusedError
from camviz.fileio import describe_kind

__all__ = [
    "CSV_FIELDS",
    "STDOUT_NAMES",
    "CsvWriter",
    "ResultsFile",
    "check_layout",
    "csv_line",
    "csv_row",
    "done_paths",
    "is_done",
    "open_append",
]

#: ``--out`` names that mean standard output rather than a file.
STDOUT_NAMES = frozenset({"-", "/dev/stdout"})

#: Columns of ``--csv``: one row per photo or video frame (the top-1 label).
CSV_FIELDS = (
    "path",
    "frame",
    "timestamp_s",
    "clock",
    "index",
    "label",
    "score",
    "uncertain",
    "latency_ms",
    "model",
    "runtime",
    "device",
    "error",
)


def _keys(path: str) -> set[str]:
    """``path`` as written and with its folder resolved (``./a.jpg``, ``/abs/a.jpg`` and a
    symlinked folder's ``alias/a.jpg`` are one photo). The name itself is kept: two
    symlinks of one folder naming the same photo are two inputs, each with its own line
    (resolving the whole path skipped every link whose target was done)."""
    keys = {path}
    with contextlib.suppress(OSError, RuntimeError, ValueError):
        given = Path(path)
        keys.add(str(given.parent.resolve() / given.name))
    return keys


def done_paths(out: Path) -> set[str]:
    """Every path (as written, and resolved) with a result in ``out``; empty if no file.

    Reads JSON lines, or CSV rows (a header with ``path``) when the file's first line
    is :data:`CSV_FIELDS`' header. For video frames the key is ``path#frame``.
    """
    done: set[str] = set()
    if str(out) in STDOUT_NAMES or not out.exists():
        return done
    with out.open(encoding="utf-8", errors="replace", newline="") as handle:
        first = handle.readline()
        handle.seek(0)
        if first.rstrip("\r\n") == ",".join(CSV_FIELDS):
            for row in csv.DictReader(handle):
                if row.get("error") or not row.get("path"):
                    continue
                key = row["path"] + (f"#{row['frame']}" if row.get("frame") else "")
                done |= _keys(key)
            return done
        for line in handle:
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a line cut short by an interrupted run
            if not isinstance(record, dict) or "error" in record or "path" not in record:
                continue
            key = str(record["path"])
            if "frame" in record:
                key = f"{key}#{record['frame']}"
            done |= _keys(key)
    return done


def _layout_of(first: str) -> str:
    """What a file's first line says it holds: ``csv`` (this camviz's header), ``json`` (a
    JSON object), ``other-csv`` (another header), or ``text`` (a text listing)."""
    if first == ",".join(CSV_FIELDS):
        return "csv"
    if first.startswith("{"):
        try:
            if isinstance(json.loads(first), dict):
                return "json"
        except ValueError:
            pass
        return "text"
    return "other-csv" if "," in first and " " not in first.split(",")[0] else "text"


_FOUND = {
    "json": "JSON lines",
    "csv": "CSV rows",
    "other-csv": "CSV rows under another header",
    "text": "a text listing",
}


def check_layout(out: Path, fmt: str) -> None:
    """Refuse to append ``fmt`` records to an ``out`` that holds another layout.

    A CSV file must start with :data:`CSV_FIELDS`' header (an older camviz wrote
    other columns: rows appended under that header would be misread), a JSON-lines
    file with a JSON object, and a text listing with neither (text appended to JSON
    lines or CSV rows would break a later ``--resume``); an empty or missing file and
    standard output take anything. Raises :class:`OutputError` naming the file and the
    way out.
    """
    if str(out) in STDOUT_NAMES:
        return
    try:
        with out.open(encoding="utf-8", errors="replace", newline="") as handle:
            first = handle.readline().rstrip("\r\n")
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OutputError(f"cannot read {out} to append to it: {_cause(exc)}") from exc
    if not first:
        return
    found = _layout_of(first)
    header = ",".join(CSV_FIELDS)
    if fmt == "csv":
        if found == "csv":
            return
        what = {
            "json": "JSON lines and no CSV header",
            "other-csv": f"the header {first[:120]!r}",
        }.get(found, "no CSV header")
        raise OutputError(
            f"{out} holds {what}, not this camviz's CSV columns ({header}); appending "
            "would mix two layouts. Give another --out, or move the old file aside"
        )
    if fmt == "json":
        if found == "json":
            return
        kind = "CSV rows" if found in ("csv", "other-csv") else "no JSON lines"
        raise OutputError(
            f"{out} holds {kind}, not JSON lines; appending JSON would mix two formats. "
            "Give --format csv for a CSV file, another --out, or move the old file aside"
        )
    if found != "text":
        hint = f"Give --format {found} for that file, a" if found != "other-csv" else "Give a"
        raise OutputError(
            f"{out} holds {_FOUND[found]}, not a text listing; appending text would mix two "
            f"layouts (and break a later --resume). {hint}nother --out, or move the old "
            "file aside"
        )


def is_done(path: str, done: set[str]) -> bool:
    """Whether ``path`` (a photo) is among :func:`done_paths`."""
    return bool(done) and not _keys(path).isdisjoint(done)


def open_append(out: Path) -> IO[str]:
    """``out`` opened for appending (a plain handle), its torn last line cut off first."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists() and out.stat().st_size > 0:
        fd = os.open(out, os.O_RDWR | os.O_CLOEXEC)
        try:
            _cut_torn_tail(fd)
        finally:
            os.close(fd)
    return out.open("a", encoding="utf-8")


def _cut_torn_tail(fd: int) -> int:
    """Truncate the file after its last newline; the bytes removed (0 if it ends whole)."""
    size = os.fstat(fd).st_size
    end = size
    while end > 0:
        start = max(0, end - (1 << 16))
        chunk = os.pread(fd, end - start, start)
        newline = chunk.rfind(b"\n")
        if newline >= 0:
            keep = start + newline + 1
            break
        end = start
    else:
        keep = 0
    if keep < size:
        os.ftruncate(fd, keep)
    return size - keep


def _cause(exc: OSError) -> str:
    known = {
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "the disk quota is used up",
        errno.EFBIG: "the file size limit is reached (ulimit -f)",
        errno.EROFS: "the file system is read-only",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.EIO: "an input/output error",
    }
    return known.get(exc.errno or 0, exc.strerror or str(exc))


_LOCK_TRIES = 20


def _same_file(fd: int, path: Path) -> bool:
    """Whether ``path`` names the file open as ``fd``."""
    try:
        named = os.stat(path)
    except OSError:
        return False
    held = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)


class ResultsFile:
    """The output of a batch run: whole lines appended to a regular file, one writer at a time.

    A context manager. :meth:`write` takes complete lines. See the module docstring
    for what is refused and what survives a full disk, a size limit or a kill.
    ``truncate=True`` empties the file once it is locked (a file rewritten per run).
    ``torn`` is how many bytes of a torn last line were cut off on opening.
    """

    def __init__(self, path: Path, *, truncate: bool = False) -> None:
        self.path = path
        self.truncate = truncate  # start empty (a fresh --predictions file), once locked
        self.to_stdout = str(path) in STDOUT_NAMES
        self.torn = 0
        self.lines = 0
        self.new_file = True
        self._fd = -1
        self._lock_fd = -1
        self._lock_path: Path | None = None

    def __enter__(self) -> ResultsFile:
        if self.to_stdout:
            return self
        path = self.path
        with contextlib.suppress(FileNotFoundError):
            mode = os.stat(path).st_mode
            if not stat.S_ISREG(mode):
                raise WriteRefusedError(
                    f"cannot write results to {path}: it is {describe_kind(mode)}, not a "
                    "regular file; give a file path (or - for standard output)"
                )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._lock(path)
            flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK | os.O_CLOEXEC
            fd = os.open(path, flags, 0o666)
        except OSError as exc:
            self._unlock()
            if isinstance(exc, WriteRefusedError):
                raise
            raise OutputError(f"cannot open {path} for results: {_cause(exc)}") from exc
        self._fd = fd
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):  # swapped for a FIFO or device meanwhile
                raise WriteRefusedError(
                    f"cannot write results to {path}: it is {describe_kind(info.st_mode)}, "
                    "not a regular file"
                )
            os.set_blocking(fd, True)
            if self.truncate:
                os.ftruncate(fd, 0)
            self.torn = _cut_torn_tail(fd)
            self.new_file = os.fstat(fd).st_size == 0
        except BaseException:
            self.close()
            raise
        return self

    def _lock(self, path: Path) -> None:
        """Hold an exclusive ``flock`` on ``FILE.lock``, the very file at that name.

        The run that ends removes its lock file while it still holds it (:meth:`_unlock`),
        so a run that opened the old one meanwhile can get a lock on a file no longer
        there: after locking, the file at the name must be the one locked, else it is
        opened again. Two runs never hold locks on two different files for one FILE.
        """
        lock = path.with_name(path.name + ".lock")
        for _ in range(_LOCK_TRIES):
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise OutputError(
                    f"another camviz run is writing {path} (it holds {lock}); wait for it to "
                    "finish, or give another --out"
                ) from None
            except BaseException:
                os.close(fd)
                raise
            if _same_file(fd, lock):
                self._lock_fd, self._lock_path = fd, lock
                return
            os.close(fd)  # removed (or replaced) by the run that just ended: again
        raise OutputError(f"cannot lock {lock}: it keeps being removed; give another --out")

    def _unlock(self) -> None:
        if self._lock_fd >= 0:
            lock, self._lock_path = self._lock_path, None
            if lock is not None and _same_file(self._lock_fd, lock):
                with contextlib.suppress(OSError):
                    os.unlink(lock)  # while held: see _lock
            os.close(self._lock_fd)  # closing releases the flock
            self._lock_fd = -1

    def write(self, text: str) -> None:
        """Append ``text`` (whole lines, ending in a newline) in one write, or nothing of it."""
        if self.to_stdout:
            sys.stdout.write(text)
            sys.stdout.flush()
            return
        data = text.encode("utf-8", "surrogateescape")
        before = os.fstat(self._fd).st_size
        written = 0
        try:
            while written < len(data):
                n = os.write(self._fd, data[written:])
                if n <= 0:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                written += n
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, before)  # no torn line left behind
            raise OutputError(
                f"cannot write results to {self.path}: {_cause(exc)}; it holds "
                f"{self.lines} whole new lines from this run and nothing torn "
                "(run again with --resume to finish)"
            ) from exc
        self.lines += text.count("\n")

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        self._unlock()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _csv_value(value: Any) -> Any:
    """As CSV readers expect it: ``true``/``false`` for booleans, empty for none."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def csv_row(record: Mapping[str, Any]) -> dict[str, Any]:
    """The CSV row of a JSON record (a photo or a video frame): its top-1 or its error."""
    top = (record.get("top") or [{}])[0]
    error = record.get("error")
    row = {
        "path": record.get("path"),
        "frame": record.get("frame"),
        "timestamp_s": record.get("timestamp_s"),
        "clock": record.get("clock"),
        "index": top.get("index"),
        "label": top.get("label"),
        "score": top.get("score"),
        "uncertain": record.get("uncertain"),
        "latency_ms": record.get("latency_ms"),
        "model": record.get("model"),
        "runtime": record.get("runtime"),
        "device": record.get("device"),
        "error": f"{error['type']}: {error['message']}" if error else None,
    }
    return {key: _csv_value(value) for key, value in row.items()}


def csv_line(record: Mapping[str, Any] | None = None) -> str:
    """One CSV line (the header if ``record`` is None), ending in a newline."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, CSV_FIELDS, lineterminator="\n")
    if record is None:
        writer.writeheader()
    else:
        writer.writerow(csv_row(record))
    return buffer.getvalue()


class CsvWriter:
    """Rows of :data:`CSV_FIELDS` to a text stream; the header unless appending to a file."""

    def __init__(self, stream: IO[str], *, header: bool = True) -> None:
        self._stream = stream
        if header:
            stream.write(csv_line())

    def write(self, record: Mapping[str, Any]) -> None:
        self._stream.write(csv_line(record))

    def write_all(self, records: Iterable[Mapping[str, Any]]) -> None:
        for record in records:
            self.write(record)
