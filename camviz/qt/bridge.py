"""Pipeline callbacks (worker threads) -> Qt signals (GUI thread).

:class:`PipelineBridge` is a ``QObject`` living in the GUI thread. The pipeline
calls :meth:`PipelineBridge.on_result` / :meth:`PipelineBridge.on_event` on its
own threads; those only store data and emit *internal* signals connected with
``Qt.QueuedConnection``, so the public signals ``result`` and ``pipelineEvent`` are
always emitted on the GUI thread and slots may touch widgets.

Results are coalesced: if the GUI has not yet taken the previous result when
a new one arrives, the new one replaces it and no second notification is queued.
A slow GUI therefore never builds a backlog and never slows inference down.
Events are never coalesced.

The pipeline's ``on_frame`` hook lets the live view show every captured frame
(camera rate) while the overlay follows the slower classification rate, like a
phone's camera preview. It writes into a ``LatestFrame`` slot the view polls;
nothing is queued per frame.

:class:`PipelineController` owns one pipeline at a time (start / stop / switch)
and :class:`CsvRecorder` writes one row of metrics per classified frame.
"""

from __future__ import annotations

import contextlib
import csv
import os
import tempfile
import threading
from pathlib import Path
from typing import IO, Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from camviz.classifier import ClassifierOptions
from camviz.pipeline import EventKind, FrameResult, Pipeline, PipelineEvent, PipelineOptions
from camviz.qt.frame_view import LatestFrame
from camviz.sources import Source, SourceState

__all__ = ["CsvRecorder", "PipelineBridge", "PipelineController"]


class CsvRecorder:
    """Per-frame metrics to CSV, written on the inference thread (thread-safe).

    Rows go to a temporary file beside ``path`` (``.NAME.*.part``) that replaces
    ``path`` atomically in :meth:`close`, so ``path`` never holds a half-written
    CSV. The constructor raises ``OSError`` if the folder cannot take the file. A
    write error later (disk full) stops the recording, removes the temporary file
    and is kept in :attr:`error`; ``close()`` then returns False. It never raises.
    """

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

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self.error: OSError | None = None
        self.rows = 0
        folder = self.path.parent if str(self.path.parent) else Path(".")
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".part", dir=folder)
        self._tmp = Path(tmp)
        self._file: IO[str] | None = os.fdopen(fd, "w", newline="", encoding="utf-8")
        self._writer = csv.writer(self._file)
        self._writer.writerow(self.COLUMNS)  # buffered: cannot fail here

    @property
    def recording(self) -> bool:
        return self._file is not None

    def write(self, fr: FrameResult) -> None:
        top = fr.result.top
        times = fr.result.times
        row = (
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
        with self._lock:
            if self._file is None:
                return
            try:
                self._writer.writerow(row)
            except OSError as exc:
                self.error = exc
                self._discard_locked()
                return
            self.rows += 1

    def _discard_locked(self) -> None:
        handle, self._file = self._file, None
        if handle is not None:
            with contextlib.suppress(OSError):
                handle.close()
        self._tmp.unlink(missing_ok=True)

    def close(self) -> bool:
        """Finish the CSV at :attr:`path`; False (see :attr:`error`) if it could not be saved."""
        with self._lock:
            handle = self._file
            if handle is None:
                return self.error is None
            try:
                handle.flush()
                os.fsync(handle.fileno())
                handle.close()
                self._file = None
                os.replace(self._tmp, self.path)
            except OSError as exc:
                self.error = exc
                self._discard_locked()
                return False
            return True


class PipelineBridge(QObject):
    """Re-emits pipeline callbacks as GUI-thread signals (see the module docstring)."""

    result = Signal(object)  # FrameResult, latest only
    # named pipelineEvent, not event: QObject.event() is the Qt event handler
    pipelineEvent = Signal(object)  # PipelineEvent, every one
    _result_ready = Signal()
    _event_ready = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._latest: FrameResult | None = None
        self._pending = False
        self.results_received = 0  # callbacks (worker side)
        self.results_delivered = 0  # signals emitted (GUI side)
        self.recorder: CsvRecorder | None = None
        self._result_ready.connect(self._deliver_result, Qt.ConnectionType.QueuedConnection)
        self._event_ready.connect(self._deliver_event, Qt.ConnectionType.QueuedConnection)

    # -- worker threads
    def on_result(self, fr: FrameResult) -> None:
        recorder = self.recorder
        if recorder is not None:
            recorder.write(fr)
        with self._lock:
            self._latest = fr
            self.results_received += 1
            notify = not self._pending
            self._pending = True
        if notify:
            self._result_ready.emit()

    def on_event(self, ev: PipelineEvent) -> None:
        self._event_ready.emit(ev)

    # -- GUI thread
    @Slot()
    def _deliver_result(self) -> None:
        with self._lock:
            fr, self._latest = self._latest, None
            self._pending = False
        if fr is not None:
            self.results_delivered += 1
            self.result.emit(fr)

    @Slot(object)
    def _deliver_event(self, ev: PipelineEvent) -> None:
        self.pipelineEvent.emit(ev)


class PipelineController(QObject):
    """Owns the running :class:`Pipeline` (one at a time) and its bridge.

    ``start`` passes every captured frame to ``frames`` (the live view's slot)
    through the pipeline's ``on_frame`` hook, so the preview runs at capture rate.
    ``stop`` joins the pipeline's threads; it is called before widgets are destroyed.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bridge = PipelineBridge(self)
        self.frames = LatestFrame()
        self.pipeline: Pipeline | None = None
        self.source: Source | None = None

    def start(self, source: Source, options: PipelineOptions) -> Pipeline:
        self.stop()
        self.frames.clear()
        pipeline = Pipeline(
            source,
            options,
            on_result=self.bridge.on_result,
            on_event=self.bridge.on_event,
            on_frame=lambda frame: self.frames.put(frame.image),
        )
        self.pipeline = pipeline
        self.source = source
        pipeline.start()
        return pipeline

    def stop(self, timeout: float = 3.0) -> None:
        pipeline, self.pipeline = self.pipeline, None
        if pipeline is not None:
            pipeline.stop(timeout)

    @property
    def running(self) -> bool:
        return self.pipeline is not None and self.pipeline.running

    def switch_model(self, options: ClassifierOptions) -> None:
        if self.pipeline is not None:
            self.pipeline.switch_model(options)

    def update(self, **changes: Any) -> None:
        if self.pipeline is not None:
            self.pipeline.update(**changes)

    def set_paused(self, paused: bool) -> None:
        if self.pipeline is not None:
            if paused:
                self.pipeline.pause()
            else:
                self.pipeline.resume()


def is_terminal(ev: PipelineEvent) -> bool:
    """True for events after which the pipeline produces nothing more."""
    if ev.kind in (EventKind.STOPPED, EventKind.ENDED):
        return True
    state = ev.data.get("state")
    return ev.kind is EventKind.SOURCE_STATE and state in (SourceState.FAILED,)
