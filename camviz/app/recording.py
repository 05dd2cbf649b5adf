"""Per-frame metrics to CSV, safe against a full or vanishing disk.

:class:`CsvRecorder` streams rows to a temporary file beside the target
(``.NAME.*.part``) and, when the recording is finished, flushes it to disk and
renames it over the target (``os.replace``), the same rule as
:mod:`camviz.fileio`: the target holds the old file or the whole new CSV, never
a part of one. Any error removes the temporary file.
"""

from __future__ import annotations

import csv
import threading
from pathlib import Path
from typing import IO

from camviz.fileio import PendingFile
from camviz.pipeline import FrameResult

__all__ = ["CsvRecorder", "csv_row"]

COLUMNS = (
    "frame_id",
    "frame_index",
    "captured",
    "model",
    "top_label",
    "top_score",
    "uncertain",
    "queue_ms",
    "preprocess_ms",
    "invoke_ms",
    "postprocess_ms",
    "e2e_ms",
)


def csv_row(fr: FrameResult) -> tuple[object, ...]:
    """The CSV row of one result, in :data:`COLUMNS` order."""
    top = fr.result.top
    times = fr.result.times
    return (
        fr.frame_id,
        fr.frame.index,
        f"{fr.stamps.captured:.6f}",
        fr.model,
        top.label if top else "",
        f"{top.score:.6f}" if top else "",
        int(fr.result.uncertain),
        f"{(fr.stamps.dequeued - fr.stamps.captured) * 1000:.3f}",
        f"{times.preprocess_ms:.3f}",
        f"{times.invoke_ms:.3f}",
        f"{times.postprocess_ms:.3f}",
        f"{fr.stamps.e2e_ms:.3f}",
    )


class CsvRecorder:
    """One CSV row per classified frame; :meth:`write` may be called from any thread.

    The constructor raises ``OSError`` if the folder cannot take the file. A
    write error later (disk full) stops the recording, removes the temporary
    file and is kept in :attr:`error`; :meth:`close` then returns False.
    Neither :meth:`write` nor :meth:`close` raises.
    """

    COLUMNS = COLUMNS

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self.error: Exception | None = None
        self.rows = 0
        self._pending = PendingFile(self.path, newline="")  # the one atomic-write rule
        self._file: IO[str] | None = self._pending.handle
        self._writer = csv.writer(self._file)
        self._writer.writerow(self.COLUMNS)  # buffered: cannot fail here

    @property
    def recording(self) -> bool:
        return self._file is not None

    def write(self, fr: FrameResult) -> bool:
        """Append ``fr``'s row; False once the recording has stopped (see :attr:`error`)."""
        row = csv_row(fr)
        with self._lock:
            if self._file is None:
                return False
            try:
                self._writer.writerow(row)
            except Exception as exc:  # OSError mostly (ENOSPC); never raise on a worker
                self.error = exc
                self._discard_locked()
                return False
            self.rows += 1
            return True

    def _discard_locked(self) -> None:
        self._file = None
        self._pending.discard()

    def close(self) -> bool:
        """Finish the CSV at :attr:`path`; False (see :attr:`error`) if it could not be saved."""
        with self._lock:
            if self._file is None:
                return self.error is None
            self._file = None
            try:
                self._pending.commit()
            except OSError as exc:  # commit() has removed the pending file
                self.error = exc
                return False
            return True
