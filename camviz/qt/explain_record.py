"""The window's "where the model looks" and video recording: a box of controls and its glue.

:class:`ExplainRecordBox` holds an *Explain* button (E), a progress bar and a *Record
video…* check box (R). :class:`ExplainRecord` binds it to two headless components:
:class:`~camviz.app.explaining.Explaining` (occlusion maps on a worker thread) and
:class:`~camviz.app.video_recording.VideoRecording` (the view with its overlay to a video
file, encoded on its own thread). Their events reach the GUI thread through
:class:`~camviz.qt.bridge.Relay`.

Explain pauses the video first when it runs, maps the frame shown and draws the map over
the crop the model sees (:class:`camviz.annotate.HeatMap`; the view draws the box) until
the frame moves on; E again, or Esc, cancels a map under way.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from camviz.annotate import HeatMap
from camviz.app.explaining import (
    ExplainCancelled,
    ExplainDone,
    ExplainFailed,
    Explaining,
    ExplainProgress,
)
from camviz.app.session import LiveSession
from camviz.app.video_recording import RecordingStarted, VideoRecording
from camviz.errors import CamvizError, format_error
from camviz.explain import Explanation
from camviz.qt.bridge import Relay
from camviz.qt.frame_view import FrameView
from camviz.qt.settings import recording_path
from camviz.results import short_label
from camviz.videoout import RecorderStats

__all__ = ["VIDEO_BADGE", "ExplainRecord", "ExplainRecordBox"]

#: The badge on the video while it is being recorded to a file.
VIDEO_BADGE = "REC VIDEO"


class ExplainRecordBox(QGroupBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Explain · record the view", parent)
        self.explain_button = QPushButton("Explain")
        self.explain_button.setToolTip(
            "Where the model looks on the paused frame: grey squares slide over the crop it "
            "sees and the map shows how much each one lowers the top label (E; again or Esc "
            "cancels)"
        )
        self.video_check = QCheckBox("Record the view…")
        self.video_check.setToolTip(
            "Record the video with its labels as shown to an MP4 or AVI file, at the "
            "source's rate (R starts and stops)"
        )
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setTextVisible(True)
        self.progress.hide()
        row = QHBoxLayout()
        row.addWidget(self.explain_button)
        row.addWidget(self.video_check)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.progress)


class _Window(Protocol):
    """What the glue needs of the main window."""

    session: LiveSession
    view: FrameView
    interactive: bool

    def is_paused(self) -> bool: ...
    def set_paused(self, paused: bool) -> None: ...
    def say(self, message: str, timeout_ms: int = 0) -> None: ...
    def reveal(self, widget: QWidget) -> None: ...


class ExplainRecord(QObject):
    """The box's behaviour (GUI thread); ``explained`` and ``videoStopped`` for tests."""

    explained = Signal(object)  # Explanation, once drawn
    explainEnded = Signal(str)  # "done", "cancelled" or "failed"
    videoStopped = Signal(object)  # RecorderStats

    def __init__(self, window: _Window, box: ExplainRecordBox, parent: QObject | None) -> None:
        super().__init__(parent)
        self.window = window
        self.box = box
        session = window.session
        self.explaining = Explaining(session.classifier_options)
        self.recording = VideoRecording(
            session.frames,
            last_result=lambda: session.last_result,
            model_info=lambda: session.model_info,
            source_fps=self._source_fps,
            second_view=session.comparing.second_view,
        )
        #: asks where to record (None: not now); a dialog unless a test sets it
        self.choose_video_path: Callable[[], Path | None] = self._ask_path
        self.last_explanation: Explanation | None = None
        self.last_video: RecorderStats | None = None
        ev = self.explaining.events
        self._relays: list[Relay[object]] = [
            Relay(ev.progress, self._progress, self),  # type: ignore[arg-type]
            Relay(ev.done, self._done, self),  # type: ignore[arg-type]
            Relay(ev.cancelled, self._cancelled, self),  # type: ignore[arg-type]
            Relay(ev.failed, self._failed, self),  # type: ignore[arg-type]
            Relay(self.recording.started, self._video_started, self),  # type: ignore[arg-type]
            Relay(self.recording.stopped, self._video_stopped, self),  # type: ignore[arg-type]
        ]
        box.explain_button.clicked.connect(self.explain)
        box.video_check.toggled.connect(self._video_toggled)
        window.view.mirroredChanged.connect(self._mirrored)
        self._frame: object = None  # the frame the map under way is of
        self._request: int | None = None  # the id of the map this window asked for last

    # ------------------------------------------------------------------ explain
    def explain(self) -> bool:
        """E: map the frame shown (pausing first), or cancel the map under way."""
        if self.explaining.busy:
            return self.cancel()
        window = self.window
        if not window.is_paused():
            window.set_paused(True)
        frame = window.view.frame()
        if frame is None or window.session.model_info is None:
            window.say("Nothing to explain yet: no frame or no model", 5000)
            return False
        self._frame = frame
        self._request = self.explaining.request(frame)
        self._show_progress(0, 0)
        window.reveal(self.box)  # E from the keyboard: its progress bar in view
        self.box.explain_button.setText("Cancel")
        window.say("Explaining the paused frame… (E or Esc cancels)")
        return True

    def cancel(self) -> bool:
        """Esc: cancel a map under way (False when none runs)."""
        return self.explaining.cancel()

    def _show_progress(self, done: int, total: int) -> None:
        bar = self.box.progress
        bar.show()
        if total == 0:
            bar.setValue(0)
            bar.setFormat("loading the model…")
        else:
            bar.setValue(round(100 * done / total))
            bar.setFormat(f"explaining: {done} of {total} squares")

    def _progress(self, event: ExplainProgress) -> None:
        # the id this window asked for, not the component's current one: the worker ends the
        # job before the GUI thread sees its last progress (which would be dropped, at 99%)
        if event.request_id == self._request:
            self._show_progress(event.done, event.total)

    def _ended(self, how: str, message: str) -> None:
        if self.explaining.busy:
            return  # a newer map runs: its own events will end it
        self.box.progress.hide()
        self.box.explain_button.setText("Explain")
        self.window.say(message, 15000)
        self.explainEnded.emit(how)

    def _done(self, event: ExplainDone) -> None:
        ex = event.explanation
        view, frame = self.window.view, self._frame
        if self.window.is_paused() and isinstance(frame, np.ndarray):
            # the frame explained, with its map, until the video moves on (a frame that was
            # on its way when E paused it shows under the map's frame meanwhile)
            view.set_frame(frame)
            drawn = np.array(frame, np.uint8, copy=True)  # the view draws the crop box itself
            view.set_heat(frame, HeatMap().annotate(drawn, ex.heat, ex.region))
        self.last_explanation = ex
        row, col = ex.hottest
        batched = "batched" if ex.batched else "one by one"
        self._ended(
            "done",
            f"Where {ex.model} looks for '{short_label(ex.label)}' ({ex.probability * 100:.0f}% "
            "on this frame alone, unsmoothed): red lowers it "
            f"most when hidden; hottest cell row {row + 1}, column {col + 1}; "
            f"{ex.invokes} invokes {batched} in {ex.seconds:.1f} s",
        )
        self.explained.emit(ex)

    def _cancelled(self, event: ExplainCancelled) -> None:
        self._ended("cancelled", "Explain cancelled")

    def _failed(self, event: ExplainFailed) -> None:
        self._ended("failed", f"Cannot explain this frame: {event.message}")

    # ------------------------------------------------------------------ video
    def toggle_video(self) -> None:
        """R: start or stop recording the video."""
        self.box.video_check.setChecked(not self.box.video_check.isChecked())

    def start_video(self, path: Path) -> bool:
        """Record the view to ``path`` (.mp4, .avi); False (said) when it cannot."""
        try:
            self.recording.start(path)
        except CamvizError as exc:
            self.window.say(f"Cannot record: {format_error(exc)}", 15000)
            self._check(False)
            return False
        return True

    def stop_video(self) -> RecorderStats | None:
        return self.recording.stop()

    def _video_toggled(self, on: bool) -> None:
        if on == self.recording.recording:
            return
        if not on:
            self.stop_video()
            return
        path = self.choose_video_path()
        if path is None:
            self._check(False)
            return
        self.start_video(path)

    def _ask_path(self) -> Path | None:
        if not self.window.interactive:
            return None
        proposed = recording_path()
        with contextlib.suppress(OSError):  # a folder that cannot be made: the dialog says so
            proposed.parent.mkdir(parents=True, exist_ok=True)
        path, _ = QFileDialog.getSaveFileName(
            self.box, "Record the video", str(proposed), "Video (*.mp4 *.avi)"
        )
        return Path(path) if path else None

    def _check(self, on: bool) -> None:
        check = self.box.video_check
        check.blockSignals(True)
        check.setChecked(on)
        check.blockSignals(False)

    def _source_fps(self) -> float | None:
        pipeline = self.window.session.pipeline
        return None if pipeline is None else pipeline.source.nominal_fps

    def _mirrored(self, mirrored: bool) -> None:
        self.recording.mirrored = mirrored

    def _video_started(self, started: RecordingStarted) -> None:
        self._check(True)
        self.recording.mirrored = self.window.view.is_mirrored()
        self.window.view.set_badge(VIDEO_BADGE, True)
        self.window.say(f"Recording the video to {started.path} at {started.fps:g} fps (R stops)")

    def _video_stopped(self, stats: RecorderStats) -> None:
        self._check(False)
        self.window.view.set_badge(VIDEO_BADGE, False)
        self.last_video = stats
        if stats.error:
            said = f"The recording to {stats.path} failed: {stats.error}"
        else:
            said = (
                f"Recorded {stats.written} frames ({stats.written / stats.fps:.1f} s at "
                f"{stats.fps:g} fps, {stats.codec}) to {stats.path}; "
                f"{stats.dropped} dropped by the encoder"
            )
        self.window.say(said, 30000)
        self.videoStopped.emit(stats)

    # ------------------------------------------------------------------ lifecycle
    def shutdown(self) -> None:
        """Stop the recording (the file is finished) and the explain worker."""
        self.recording.stop()
        self.explaining.shutdown()
        for relay in self._relays:
            relay.detach()
