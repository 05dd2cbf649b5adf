"""The output files of batch runs: JSON lines (append, resume) and CSV rows.

``camviz classify --out FILE`` appends one JSON line per photo (or video frame);
``--resume`` first reads FILE and skips every photo that already has a result
line there (photos whose line is an error are tried again). A line cut short by
a killed run is ignored, and the next line starts on a fresh one.
"""

from __future__ import annotations

import contextlib
import csv
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any

__all__ = ["CSV_FIELDS", "done_paths", "open_append", "csv_row", "CsvWriter"]

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
    "error",
)


def _keys(path: str) -> set[str]:
    keys = {path}
    with contextlib.suppress(OSError, RuntimeError):
        keys.add(str(Path(path).resolve()))
    return keys


def done_paths(out: Path) -> set[str]:
    """Every path (as written, and resolved) with a result line in ``out``; empty if no file.

    For video frames the key is ``path#frame``.
    """
    done: set[str] = set()
    if not out.exists():
        return done
    with out.open(encoding="utf-8", errors="replace") as handle:
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


def is_done(path: str, done: set[str]) -> bool:
    """Whether ``path`` (a photo) is among :func:`done_paths`."""
    return bool(done) and not _keys(path).isdisjoint(done)


def open_append(out: Path) -> IO[str]:
    """``out`` opened for appending, on a fresh line if its last line was cut short."""
    out.parent.mkdir(parents=True, exist_ok=True)
    needs_newline = False
    if out.exists() and out.stat().st_size > 0:
        with out.open("rb") as tail:
            tail.seek(-1, 2)
            needs_newline = tail.read(1) != b"\n"
    handle = out.open("a", encoding="utf-8")
    if needs_newline:
        handle.write("\n")
    return handle


def csv_row(record: Mapping[str, Any]) -> dict[str, Any]:
    """The CSV row of a JSON record (a photo or a video frame): its top-1 or its error."""
    top = (record.get("top") or [{}])[0]
    error = record.get("error")
    return {
        "path": record.get("path", ""),
        "frame": record.get("frame", ""),
        "timestamp_s": record.get("timestamp_s", ""),
        "clock": record.get("clock", ""),
        "index": top.get("index", ""),
        "label": top.get("label", ""),
        "score": top.get("score", ""),
        "uncertain": record.get("uncertain", ""),
        "latency_ms": record.get("latency_ms", ""),
        "error": f"{error['type']}: {error['message']}" if error else "",
    }


class CsvWriter:
    """Rows of :data:`CSV_FIELDS` to a text stream; the header unless appending to a file."""

    def __init__(self, stream: IO[str], *, header: bool = True) -> None:
        self._writer = csv.DictWriter(stream, CSV_FIELDS, lineterminator="\n")
        if header:
            self._writer.writeheader()

    def write(self, record: Mapping[str, Any]) -> None:
        self._writer.writerow(csv_row(record))

    def write_all(self, records: Iterable[Mapping[str, Any]]) -> None:
        for record in records:
            self.write(record)
