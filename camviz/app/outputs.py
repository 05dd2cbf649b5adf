"""The session's outputs: snapshots (PNG + JSON) and the CSV recording, with their events.

:class:`Outputs` is a component of :class:`~camviz.app.session.LiveSession`
(``session.outputs``). It owns the recorder, the snapshot folder and the list of
files that could not be written, and announces on its own emitters:
``recording`` (the CSV's path, None: stopped) and ``snapshot`` ((png, json)).
What it needs of the session comes in as two callables (the last result and the
current source spec), so it imports nothing of the session.

Threads: :meth:`Outputs.write` runs on the pipeline's inference thread (one CSV
row per result); the other methods on any thread, serialised by a lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from camviz.annotate import SecondView
from camviz.app.events import Emitter, Notice
from camviz.app.recording import CsvRecorder
from camviz.app.snapshot import Render, SnapshotError, describe_write_error, save_snapshot
from camviz.pipeline import FrameResult

__all__ = ["Outputs"]


class Outputs:
    """Snapshots and the CSV recording of the live session."""

    def __init__(
        self,
        snapshot_dir: Path,
        *,
        notice: Emitter[Notice],
        last_result: Callable[[], FrameResult | None],
        source_spec: Callable[[], str | None],
        second_view: Callable[[int, int], SecondView | None] | None = None,
    ) -> None:
        self.snapshot_dir = Path(snapshot_dir)
        self.write_errors: list[str] = []  # files that could not be saved, as told
        self.recording: Emitter[Path | None] = Emitter("recording")  # the CSV, None: stopped
        self.snapshots: Emitter[tuple[Path, Path]] = Emitter("snapshot")  # png, json
        self._notice = notice
        self._last_result = last_result
        self._source_spec = source_spec
        self._second_view = second_view  # the A/B second model's view of a frame this size
        self._control = threading.RLock()
        self._lock = threading.Lock()
        self._recorder: CsvRecorder | None = None

    @property
    def recorder(self) -> CsvRecorder | None:
        """The recording in progress (None: not recording)."""
        with self._lock:
            return self._recorder

    # ================================================================ recording
    def set_recording(self, path: str | Path | None) -> bool:
        """Record one CSV row per classified frame to ``path`` (None stops).

        The CSV appears at ``path`` (atomically) when the recording stops. If it
        cannot be written the user is told (``notice``) and no partial file is
        left; returns False then.
        """
        with self._control:
            with self._lock:
                old, self._recorder = self._recorder, None
            ok = True
            if old is not None:
                if old.close():
                    self._say(f"Recorded {old.rows} frames to {old.path}")
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
                    self._say(f"Recording to {path}")
            self.recording.emit(recorder.path if recorder is not None else None)
            return ok

    def write(self, fr: FrameResult) -> None:
        """One CSV row for ``fr`` if recording (the pipeline's thread); a failed write
        stops the recording and says so."""
        recorder = self.recorder
        if recorder is None or recorder.write(fr):
            return
        with self._lock:
            if self._recorder is not recorder:
                return
            self._recorder = None
        recorder.close()
        self._write_failed("Recording not saved", recorder.path, recorder.error)
        self.recording.emit(None)

    # ================================================================ snapshot
    def snapshot(
        self, folder: Path | None = None, *, mirrored: bool = False, render: Render | None = None
    ) -> tuple[Path, Path] | None:
        """Save the last classified frame (PNG, drawn by ``render``) and its result (JSON),
        with the second model's of the same view when A/B runs."""
        fr = self._last_result()
        if fr is None:
            self._say("Nothing to snapshot yet")
            return None
        second = None
        if self._second_view is not None:
            height, width = fr.frame.pixels.shape[:2]
            second = self._second_view(width, height)
        try:
            png, js = save_snapshot(
                fr,
                Path(folder) if folder is not None else self.snapshot_dir,
                source=self._source_spec(),
                mirrored=mirrored,
                render=render,
                second=second,
            )
        except SnapshotError as exc:
            self._write_failed("Snapshot not saved", exc.path, exc.error)
            return None
        self._say(f"Snapshot saved: {png}")
        self.snapshots.emit((png, js))
        return png, js

    def close(self) -> None:
        """Stop the recording (saving it)."""
        self.set_recording(None)

    def _say(self, message: str) -> None:
        self._notice.emit(Notice(message))

    def _write_failed(self, what: str, path: Path, error: BaseException | None) -> None:
        message = f"{what}: {describe_write_error(path, error)}"
        self.write_errors.append(message)
        self._notice.emit(Notice(message, title=what))
