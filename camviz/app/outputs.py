"""The session's outputs: snapshots and the CSV recording (a mixin of ``LiveSession``).

Every file that cannot be written is said on ``events.notice`` (titled, so a
window may warn) and listed in ``write_errors``; nothing partial is left.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from camviz.app.events import Notice
from camviz.app.recording import CsvRecorder
from camviz.app.snapshot import Render, SnapshotError, describe_write_error, save_snapshot

if TYPE_CHECKING:
    from camviz.app.session import SessionEvents
    from camviz.pipeline import FrameResult

__all__ = ["OutputsMixin"]


class OutputsMixin:
    """Snapshot and recording methods of :class:`~camviz.app.session.LiveSession`."""

    events: SessionEvents
    snapshot_dir: Path
    source_spec: str | None
    write_errors: list[str]
    _control: threading.RLock
    _lock: threading.Lock
    _recorder: CsvRecorder | None

    @property
    def last_result(self) -> FrameResult | None:  # LiveSession's
        raise NotImplementedError

    def _notice(self, message: str, *, title: str | None = None) -> Any:  # LiveSession's
        raise NotImplementedError

    # ================================================================ recording
    def set_recording(self, path: str | Path | None) -> bool:
        """Record one CSV row per classified frame to ``path`` (None stops).

        The CSV appears at ``path`` (atomically) when the recording stops. If it
        cannot be written the user is told (``events.notice``) and no partial
        file is left; returns False then.
        """
        with self._control:
            with self._lock:
                old, self._recorder = self._recorder, None
            ok = True
            if old is not None:
                if old.close():
                    self._notice(f"Recorded {old.rows} frames to {old.path}")
                else:
                    ok = False
                    self._write_failed("Recording not saved", old.path, old.error)
            recorder = None
            if path is not None:
                try:
                    recorder = CsvRecorder(Path(path))
                except OSError as exc:
                    ok = False
                    self._write_failed("Cannot record", Path(path), exc)
                else:
                    with self._lock:
                        self._recorder = recorder
                    self._notice(f"Recording to {path}")
            self.events.recording.emit(recorder.path if recorder is not None else None)
            return ok

    def _recording_failed(self, recorder: CsvRecorder) -> None:
        with self._lock:
            if self._recorder is not recorder:
                return
            self._recorder = None
        recorder.close()
        self._write_failed("Recording not saved", recorder.path, recorder.error)
        self.events.recording.emit(None)

    # ================================================================ snapshot
    def snapshot(
        self, folder: Path | None = None, *, mirrored: bool = False, render: Render | None = None
    ) -> tuple[Path, Path] | None:
        """Save the last classified frame (PNG, drawn by ``render``) and its result (JSON)."""
        fr = self.last_result
        if fr is None:
            self._notice("Nothing to snapshot yet")
            return None
        try:
            png, js = save_snapshot(
                fr,
                Path(folder) if folder is not None else self.snapshot_dir,
                source=self.source_spec,
                mirrored=mirrored,
                render=render,
            )
        except SnapshotError as exc:
            self._write_failed("Snapshot not saved", exc.path, exc.error)
            return None
        self._notice(f"Snapshot saved: {png}")
        self.events.snapshot.emit((png, js))
        return png, js

    def _write_failed(self, what: str, path: Path, error: BaseException | None) -> None:
        message = f"{what}: {describe_write_error(path, error)}"
        self.write_errors.append(message)
        self.events.notice.emit(Notice(message, title=what))
