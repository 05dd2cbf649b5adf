"""Teach mode's worker thread (:class:`TeachWorker`) and the events it emits.

See :mod:`camviz.app.teaching` for the threading: the worker creates the
:class:`~camviz.teach.TeachSession` and does everything with it, in order, from
a command queue; its events are emitted on the worker thread.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from camviz.app.events import Emitter
from camviz.errors import CamvizError, format_error
from camviz.teach import Head, TeachSession, TrainOptions, TrainReport

__all__ = ["TeachProgress", "TeachEvents", "TeachFailure", "TeachWorker", "Trained"]


@dataclass(frozen=True, slots=True)
class Trained:
    """What one training produced."""

    report: TrainReport
    head: Head
    path: Path  # the temporary *.head.npz the pipeline loads
    wall_seconds: float  # request to result, features of the backlog included


@dataclass(frozen=True, slots=True)
class TeachProgress:
    phase: str  # "features" | "fitting"
    done: int
    total: int


@dataclass(frozen=True, slots=True)
class TeachFailure:
    """What failed ("start" | "sample" | "class" | "train" | "load" | "save"), a title, why."""

    what: str
    title: str
    message: str
    ends_training: bool = False  # the training in progress is over (failed)


class TeachEvents:
    """Events of teach mode (emitted on the worker thread, or the caller's)."""

    def __init__(self) -> None:
        self.ready: Emitter[str] = Emitter("ready")  # backbone name, once loaded
        self.counts: Emitter[dict[str, int]] = Emitter("counts")  # samples per class
        self.progress: Emitter[TeachProgress] = Emitter("progress")
        self.trained: Emitter[Trained] = Emitter("trained")
        self.failed: Emitter[TeachFailure] = Emitter("failed")
        self.models: Emitter[str] = Emitter("models")  # the model the pipeline now runs


@dataclass(frozen=True, slots=True)
class _Sample:
    label: str
    image: npt.NDArray[np.uint8]
    recording: str
    order: int


@dataclass(frozen=True, slots=True)
class _Command:
    name: str  # "add_class", "remove_class", "train"
    label: str = ""
    path: Path | None = None
    started: float = 0.0


class TeachWorker:
    """Owns the :class:`TeachSession` on its own thread; see the module docstring.

    Methods may be called from any thread and only enqueue; :attr:`events` are
    emitted on the worker thread.
    """

    def __init__(
        self, backbone: str = "", *, threads: int = 1, options: TrainOptions | None = None
    ) -> None:
        self.backbone = backbone
        self.threads = threads
        self.options = options or TrainOptions()
        self.events = TeachEvents()
        self._queue: queue.Queue[_Sample | _Command | None] = queue.Queue()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._pending = 0  # samples queued, not yet extracted
        self._backlog_total = 0  # samples queued before the current training
        self._thread: threading.Thread | None = None
        self.extracted = 0
        self.extract_seconds = 0.0
        self.error: str | None = None  # set when the session could not be created

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def pending(self) -> int:
        with self._lock:
            return self._pending

    def start(self) -> None:
        with self._lock:
            if self._thread is not None or self._stop.is_set():
                return
            self._thread = threading.Thread(target=self._run, name="camviz-teach", daemon=True)
        self._thread.start()

    def add_class(self, label: str) -> None:
        self._queue.put(_Command("add_class", label))

    def remove_class(self, label: str) -> None:
        self._queue.put(_Command("remove_class", label))

    def add_sample(
        self, label: str, image: npt.NDArray[np.uint8], recording: str, order: int
    ) -> None:
        """Queue a frame (the caller hands over a copy it never writes again)."""
        with self._lock:
            self._pending += 1
        self._queue.put(_Sample(label, image, recording, order))

    def train(self, head_path: Path) -> None:
        """Train after every queued sample; the head is written to ``head_path``."""
        with self._lock:
            self._backlog_total = self._pending
        self._queue.put(_Command("train", path=head_path, started=time.monotonic()))

    def stop(self, timeout: float = 2.0) -> bool:
        """Ask the worker to finish and join it; True if it has stopped."""
        self._stop.set()
        self._queue.put(None)  # wake it up
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    # ------------------------------------------------------------ worker thread
    def _fail(self, failure: TeachFailure) -> None:
        if not self._stop.is_set():
            self.events.failed.emit(failure)

    def _run(self) -> None:
        try:
            session = TeachSession(self.backbone, options=self.options, threads=self.threads)
        except Exception as exc:
            self.error = format_error(exc)
            self._fail(TeachFailure("start", "Teach mode is not available", self.error))
            return
        try:
            if not self._stop.is_set():
                self.events.ready.emit(session.extractor.name)
            while not self._stop.is_set():
                try:
                    item = self._queue.get(timeout=0.2)
                except queue.Empty:
                    continue
                if item is None or self._stop.is_set():
                    break
                self._handle(session, item)
        finally:
            session.close()

    def _handle(self, session: TeachSession, item: _Sample | _Command) -> None:
        what = "sample" if isinstance(item, _Sample) else item.name
        what = "class" if what in ("add_class", "remove_class") else what
        try:
            if isinstance(item, _Sample):
                self._add(session, item)
            elif item.name == "add_class":
                session.add_class(item.label)
                self.events.counts.emit(session.counts())
            elif item.name == "remove_class":
                session.remove_class(item.label)
                self.events.counts.emit(session.counts())
            elif item.name == "train":
                self._train(session, item)
        except CamvizError as exc:
            title = {"train": "Cannot train", "sample": "Cannot add the frame"}.get(
                what, "Teach mode"
            )
            self._fail(TeachFailure(what, title, format_error(exc)))
        except Exception as exc:  # never let the worker die silently
            self._fail(TeachFailure(what, "Teach mode failed", format_error(exc)))

    def _add(self, session: TeachSession, sample: _Sample) -> None:
        try:
            if sample.label not in session.labels:
                return  # the class was removed while this frame waited
            start = time.perf_counter()
            session.add_sample(
                sample.label,
                sample.image,
                recording=sample.recording,
                order=sample.order,
                burst=True,  # a camera burst: it trains or validates whole
            )
            self.extract_seconds += time.perf_counter() - start
            self.extracted += 1
        finally:
            with self._lock:
                self._pending -= 1
                left, total = self._pending, self._backlog_total
        self.events.counts.emit(session.counts())
        if total:
            self.events.progress.emit(TeachProgress("features", max(0, total - left), total))

    def _train(self, session: TeachSession, command: _Command) -> None:
        with self._lock:
            self._backlog_total = 0
        self.events.progress.emit(TeachProgress("fitting", 0, 0))
        report = session.train()
        head = session.head
        assert head is not None and command.path is not None
        path = head.save(command.path)
        wall = time.monotonic() - command.started
        if not self._stop.is_set():
            self.events.trained.emit(Trained(report, head, path, wall))
