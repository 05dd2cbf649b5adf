"""Teach mode: new classes from the live frames, trained in seconds, classified live.

Like Teachable Machine inside the window: add classes, *hold* a class's capture
button while pointing the camera (up to :attr:`TeachPanel.capture_hz` frames a
second are taken from the live view), press **Train**, and the running pipeline
switches to the taught model, so the results panel shows the new labels.
**Back to** restores the model that ran before; **Save…** / **Load…** write and
read ``*.head.npz`` files (atomic, through :mod:`camviz.teach`).

Threading (the choice, and why)
-------------------------------
:class:`~camviz.teach.TeachSession` extracts features inside ``add_sample`` with
its own interpreter, which belongs to the thread that created it, and its
sample lists are not locked. So one worker thread (:class:`TeachWorker`,
``camviz-teach``) creates the session and does *everything* with it, in order,
from a command queue: add/remove a class, add a sample (feature extraction),
train (numpy only), write the temporary head. Nothing else touches the session,
so no lock is needed and the pipeline's interpreter is never shared.

* The GUI thread only **copies** frames: a :class:`QTimer` reads the newest frame
  of the live view's one-frame slot (filled by the pipeline's ``on_frame`` hook on
  the capture thread), skips frames it has already taken, and queues a copy.
  Each press of a capture button is one ``recording`` id, so the session's
  split by time holds out the end of every recording for validation. When the
  worker falls behind by :data:`MAX_BACKLOG` frames, new frames are skipped
  (counted), so memory stays bounded.
* Results come back as Qt signals emitted on the worker thread; the receiver
  lives in the GUI thread, so they are queued and slots may touch widgets.
* Training runs on the same worker after every frame queued before it, so
  the model is trained on everything captured up to the click. Progress is the
  feature backlog (determinate), then a busy bar while L-BFGS fits.
* Stopping: an :class:`threading.Event` plus a wake-up item; the worker checks it
  between commands and drops queued frames; :meth:`TeachWorker.stop` joins with a
  timeout (a fit of a few hundred samples takes well under a second). Never
  ``QThread.terminate()``.

The taught model is saved by the worker to a temporary ``taught-N.head.npz``
and handed to ``switch_model`` (the pipeline loads it on its inference thread
like any model). Temporary heads are removed on shutdown, and the window then
remembers the model to go back to instead of a deleted file.
"""

from __future__ import annotations

import contextlib
import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QObject, Qt, QTimer, Signal, SignalInstance
from PySide6.QtGui import QFont, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from camviz.classifier import ModelInfo
from camviz.errors import CamvizError, format_error
from camviz.pipeline import EventKind, PipelineEvent
from camviz.qt.frame_view import LatestFrame
from camviz.teach import HEAD_SUFFIX, Head, TeachSession, TrainOptions, TrainReport, is_head_path

__all__ = ["MAX_BACKLOG", "TeachPanel", "TeachWorker", "Trained"]

MAX_BACKLOG = 24  # frames waiting for feature extraction before capture skips frames
_HEAD_FILTER = f"Taught models (*{HEAD_SUFFIX})"


@dataclass(frozen=True, slots=True)
class Trained:
    """What one training produced (emitted by :attr:`TeachWorker.trained`)."""

    report: TrainReport
    head: Head
    path: Path  # the temporary *.head.npz the pipeline loads
    wall_seconds: float  # click to result, features of the backlog included


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


class TeachWorker(QObject):
    """Owns the :class:`TeachSession` on its own thread; see the module docstring.

    Methods are called on the GUI thread and only enqueue; signals are emitted on
    the worker thread and reach GUI-thread slots queued.
    """

    ready = Signal(str)  # backbone name, once the session is loaded
    countsChanged = Signal(object)  # dict[str, int]: original samples per class
    progress = Signal(str, int, int)  # phase ("features" | "fitting"), done, total
    trained = Signal(object)  # Trained
    # what failed ("start" | "sample" | "class" | "train"), dialog title, message
    failed = Signal(str, str, str)

    def __init__(
        self,
        backbone: str = "",
        *,
        threads: int = 1,
        options: TrainOptions | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.backbone = backbone
        self.threads = threads
        self.options = options or TrainOptions()
        self._queue: queue.Queue[_Sample | _Command | None] = queue.Queue()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._pending = 0  # samples queued, not yet extracted
        self._backlog_total = 0  # samples queued before the current training
        self._thread: threading.Thread | None = None
        self.extracted = 0
        self.extract_seconds = 0.0
        self.error: str | None = None  # set when the session could not be created

    # ------------------------------------------------------------ GUI thread
    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def pending(self) -> int:
        with self._lock:
            return self._pending

    def start(self) -> None:
        if self._thread is not None:
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
    def _emit(self, signal: Any, *args: Any) -> None:
        if self._stop.is_set():
            return
        with contextlib.suppress(RuntimeError):  # the QObject is gone (window closed)
            signal.emit(*args)

    def _run(self) -> None:
        try:
            session = TeachSession(self.backbone, options=self.options, threads=self.threads)
        except Exception as exc:
            self.error = format_error(exc)
            self._emit(self.failed, "start", "Teach mode is not available", self.error)
            return
        try:
            self._emit(self.ready, session.extractor.name)
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
                self._emit(self.countsChanged, session.counts())
            elif item.name == "remove_class":
                session.remove_class(item.label)
                self._emit(self.countsChanged, session.counts())
            elif item.name == "train":
                self._train(session, item)
        except CamvizError as exc:
            title = {"train": "Cannot train", "sample": "Cannot add the frame"}.get(
                what, "Teach mode"
            )
            self._emit(self.failed, what, title, format_error(exc))
        except Exception as exc:  # never let the worker die silently
            self._emit(self.failed, what, "Teach mode failed", format_error(exc))

    def _add(self, session: TeachSession, sample: _Sample) -> None:
        try:
            if sample.label not in session.labels:
                return  # the class was removed while this frame waited
            start = time.perf_counter()
            session.add_sample(
                sample.label, sample.image, recording=sample.recording, order=sample.order
            )
            self.extract_seconds += time.perf_counter() - start
            self.extracted += 1
        finally:
            with self._lock:
                self._pending -= 1
                left, total = self._pending, self._backlog_total
        self._emit(self.countsChanged, session.counts())
        if total:
            self._emit(self.progress, "features", max(0, total - left), total)

    def _train(self, session: TeachSession, command: _Command) -> None:
        with self._lock:
            self._backlog_total = 0
        self._emit(self.progress, "fitting", 0, 0)
        report = session.train()
        head = session.head
        assert head is not None and command.path is not None
        path = head.save(command.path)
        wall = time.monotonic() - command.started
        self._emit(self.trained, Trained(report, head, path, wall))


class _ClassRow:
    """Widgets of one class: name, live count, hold-to-capture button, remove."""

    def __init__(self, label: str, panel: TeachPanel) -> None:
        self.label = label
        self.widget = QWidget()
        row = QHBoxLayout(self.widget)
        row.setContentsMargins(0, 0, 0, 0)
        self.name = QLabel(label)
        self.name.setToolTip(label)
        self.name.setMinimumWidth(60)
        self.count = QLabel("0")
        self.count.setMinimumWidth(40)
        self.count.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.capture = QPushButton("Hold to capture")
        self.capture.setToolTip(
            f"Hold down to capture frames of {label!r} from the live view "
            f"(up to {panel.capture_hz:g} a second); each press is one recording"
        )
        self.capture.pressed.connect(lambda: panel.start_capture(label))
        self.capture.released.connect(panel.stop_capture)
        self.remove = QToolButton()
        self.remove.setText("✕")
        self.remove.setToolTip(f"Remove {label!r} and its samples")
        self.remove.clicked.connect(lambda: panel.remove_class(label))
        row.addWidget(self.name, 1)
        row.addWidget(self.count)
        row.addWidget(self.capture)
        row.addWidget(self.remove)


class TeachPanel(QWidget):
    """The Teach dock: classes, hold-to-capture, train, classify live, save/load.

    ``frames`` is the live view's slot (the pipeline's ``on_frame`` output),
    ``events`` the bridge's ``pipelineEvent`` signal (to know which model runs),
    ``switch_model`` the window's (zoo name, .tflite or .head.npz path).
    Tests call the methods (``add_class``, ``start_capture``/``stop_capture``,
    ``train``, ``save_model``/``load_model``) with paths: no modal dialog but the
    error box, which they monkeypatch.
    """

    trainingFinished = Signal(object)  # Trained
    trainingFailed = Signal(str)  # message
    countsChanged = Signal(object)  # dict[str, int]

    def __init__(
        self,
        frames: LatestFrame,
        switch_model: Callable[[str], None],
        events: SignalInstance | None = None,
        *,
        backbone: str = "",
        capture_hz: float = 10.0,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._frames = frames
        self._switch_model = switch_model
        self.backbone = backbone
        self.capture_hz = capture_hz
        self.worker = TeachWorker(backbone, threads=1, parent=self)
        self.worker.countsChanged.connect(self._counts_changed)
        self.worker.progress.connect(self._progress)
        self.worker.trained.connect(self._trained)
        self.worker.failed.connect(self._failed)
        self.worker.ready.connect(self._ready)
        if events is not None:
            events.connect(self._on_event)
        self.counts: dict[str, int] = {}
        self.rows: dict[str, _ClassRow] = {}
        self.capturing: str | None = None
        self.captured = 0  # frames queued by capture, all classes
        self.skipped = 0  # frames skipped because the worker was behind
        self.recordings = 0
        self.last: Trained | None = None  # the latest training
        self.head: Head | None = None  # the latest trained or loaded head: Use, Save
        self.head_path: str | None = None  # its file (a temporary one when trained)
        self.training = False
        self.running_model: str | None = None  # what the pipeline runs (name or path)
        self.previous_model: str | None = None  # the last non-taught model that ran
        self._recording = ""
        self.recorded = 0
        self._last_serial = -1
        self._temp_dir: Path | None = None
        self._temp_heads: set[str] = set()
        self._train_count = 0
        self._shut = False
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._capture_tick)
        self._build_ui()

    # ================================================================ UI
    def _build_ui(self) -> None:
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("class name, e.g. mug")
        self.name_edit.returnPressed.connect(self._add_clicked)
        self.add_button = QPushButton("Add class")
        self.add_button.clicked.connect(self._add_clicked)
        add_row = QHBoxLayout()
        add_row.addWidget(self.name_edit, 1)
        add_row.addWidget(self.add_button)

        self.rows_box = QVBoxLayout()
        self.rows_box.setContentsMargins(0, 0, 0, 0)
        self.empty_label = QLabel("No classes yet: add two or more (e.g. 'mug' and 'background').")
        self.empty_label.setWordWrap(True)
        self.rows_box.addWidget(self.empty_label)
        self.capture_label = QLabel("")
        self.capture_label.setWordWrap(True)
        classes = QGroupBox("Classes (hold a button to capture)")
        classes_layout = QVBoxLayout(classes)
        classes_layout.addLayout(add_row)
        classes_layout.addLayout(self.rows_box)
        classes_layout.addWidget(self.capture_label)

        self.train_button = QPushButton("Train")
        self.train_button.clicked.connect(lambda: self.train())
        self.live_check = QCheckBox("Classify live after training")
        self.live_check.setChecked(True)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.progress_bar.setTextVisible(True)
        self.progress_bar.setFormat("")
        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)
        self.error_label = QLabel("")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #c0392b;")
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        self.report_text = QPlainTextEdit()
        self.report_text.setReadOnly(True)
        self.report_text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        self.report_text.setFont(font)
        self.report_text.setPlaceholderText("The training report appears here.")
        self.report_text.setMinimumHeight(140)

        self.use_button = QPushButton("Use taught model")
        self.use_button.clicked.connect(self.use_taught)
        self.back_button = QPushButton("Back to the zoo model")
        self.back_button.clicked.connect(self.back_to_previous)
        self.save_button = QPushButton("Save…")
        self.save_button.clicked.connect(self._save_clicked)
        self.load_button = QPushButton("Load…")
        self.load_button.clicked.connect(self._load_clicked)
        model_row = QHBoxLayout()
        model_row.addWidget(self.use_button)
        model_row.addWidget(self.back_button)
        file_row = QHBoxLayout()
        file_row.addWidget(self.save_button)
        file_row.addWidget(self.load_button)

        train_box = QGroupBox("Train")
        train_layout = QVBoxLayout(train_box)
        train_layout.addWidget(self.train_button)
        train_layout.addWidget(self.live_check)
        train_layout.addWidget(self.progress_bar)
        train_layout.addWidget(self.status_label)
        train_layout.addWidget(self.error_label)
        train_layout.addWidget(self.report_text, 1)
        train_layout.addLayout(model_row)
        train_layout.addLayout(file_row)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(classes)
        layout.addWidget(train_box, 1)
        self._update_buttons()

    def _update_buttons(self) -> None:
        has_model = self.head_path is not None
        self.train_button.setEnabled(not self.training and not self._shut)
        self.use_button.setEnabled(has_model)
        self.save_button.setEnabled(self.head is not None)
        self.back_button.setEnabled(self.previous_model is not None and self.running_is_taught())
        if self.previous_model:
            self.back_button.setText(f"Back to {Path(self.previous_model).name}")

    def showEvent(self, event: QShowEvent) -> None:
        # load the backbone while the user types class names, not at the first capture
        if not self._shut and self.worker.error is None:
            self.worker.start()
        super().showEvent(event)

    # ================================================================ classes
    def add_class(self, label: str) -> bool:
        """Add a class (and start the worker on first use); False with an inline error."""
        label = label.strip()
        if not label:
            self.show_error("A class needs a name.")
            return False
        if label in self.rows:
            self.show_error(f"There is a class {label!r} already.")
            return False
        if self.worker.error is not None:
            self.show_error(self.worker.error)
            return False
        self.clear_error()
        self.worker.start()
        self.worker.add_class(label)
        row = _ClassRow(label, self)
        self.rows[label] = row
        self.counts.setdefault(label, 0)
        self.empty_label.hide()
        self.rows_box.addWidget(row.widget)
        return True

    def remove_class(self, label: str) -> None:
        if self.capturing == label:
            self.stop_capture()
        row = self.rows.pop(label, None)
        if row is None:
            return
        self.rows_box.removeWidget(row.widget)
        row.widget.deleteLater()
        self.counts.pop(label, None)
        self.worker.remove_class(label)
        self.empty_label.setVisible(not self.rows)

    def class_names(self) -> list[str]:
        return list(self.rows)

    def _add_clicked(self) -> None:
        if self.add_class(self.name_edit.text()):
            self.name_edit.clear()

    # ================================================================ capture
    def start_capture(self, label: str) -> None:
        """Begin one recording of ``label``: frames are taken while it lasts."""
        if label not in self.rows or self._shut:
            return
        if self.capturing is not None:
            self.stop_capture()
        self.recordings += 1
        self.capturing = label
        self._recording = f"{label}#{self.recordings}"
        self.recorded = 0
        self.capture_label.setText(f"Capturing {label!r}…")
        self.rows[label].capture.setText("Capturing…")
        self._timer.start(max(1, round(1000.0 / self.capture_hz)))
        self._capture_tick()  # a tap takes one frame

    def stop_capture(self) -> None:
        if self.capturing is None:
            return
        label, self.capturing = self.capturing, None
        self._timer.stop()
        row = self.rows.get(label)
        if row is not None:
            row.capture.setText("Hold to capture")
        skipped = f", {self.skipped} skipped (extraction behind)" if self.skipped else ""
        self.capture_label.setText(f"Recorded {self.recorded} frames of {label!r}{skipped}")

    def _capture_tick(self) -> None:
        label = self.capturing
        if label is None:
            return
        serial, image = self._frames.get()
        if image is None or serial == self._last_serial:
            return  # no new frame since the last tick (paused, slow source)
        self._last_serial = serial
        if self.worker.pending >= MAX_BACKLOG:
            self.skipped += 1
            return
        self.worker.add_sample(label, np.array(image, copy=True), self._recording, self.recorded)
        self.recorded += 1
        self.captured += 1
        self.capture_label.setText(
            f"Capturing {label!r}: {self.recorded} frames "
            f"({self.worker.pending} waiting for features)"
        )

    def _counts_changed(self, counts: dict[str, int]) -> None:
        for label, n in counts.items():
            if label in self.rows:
                self.counts[label] = n
                self.rows[label].count.setText(str(n))
        self.countsChanged.emit(dict(self.counts))

    # ================================================================ training
    def train(self) -> bool:
        """Train in the background on everything captured so far; False if not started."""
        if self.training or self._shut:
            return False
        self.stop_capture()
        if self.worker.error is not None:
            self._failed("start", "Teach mode is not available", self.worker.error)
            return False
        self.clear_error()
        self.worker.start()
        self.training = True
        self._train_count += 1
        path = self._temp_folder() / f"taught-{self._train_count}{HEAD_SUFFIX}"
        self.worker.train(path)
        self.status_label.setText("Training…")
        self.progress_bar.setRange(0, 0)
        self._update_buttons()
        return True

    def _progress(self, phase: str, done: int, total: int) -> None:
        if not self.training:
            return
        if phase == "features":
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(done)
            self.progress_bar.setFormat("features %v/%m")
            self.status_label.setText(f"Extracting features of the last frames: {done}/{total}")
        else:
            self.progress_bar.setRange(0, 0)  # busy
            self.status_label.setText("Fitting the new classes…")

    def _trained(self, trained: Trained) -> None:
        self.training = False
        self.last = trained
        self.head, self.head_path = trained.head, str(trained.path)
        self._temp_heads.add(str(trained.path))
        report = trained.report
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(1)
        self.progress_bar.setFormat("done")
        acc = report.val_accuracy
        acc_text = "–" if acc is None else f"{acc * 100:.1f}%"
        per_class = " × ".join(str(self.counts.get(label, 0)) for label in report.labels)
        self.status_label.setText(
            f"Validation accuracy {acc_text} (training {report.train_accuracy * 100:.0f}%) on "
            f"{len(report.labels)} classes ({per_class} samples); fit "
            f"{report.train_seconds * 1000:.0f} ms, {trained.wall_seconds:.1f} s in all"
        )
        self.report_text.setPlainText(report.format())
        self._update_buttons()
        if self.live_check.isChecked():
            self.use_taught()
        self.trainingFinished.emit(trained)

    def _failed(self, what: str, title: str, message: str) -> None:
        ends_training = self.training and what in ("train", "start")
        if ends_training:
            self.training = False
            self.progress_bar.setRange(0, 1)
            self.progress_bar.setValue(0)
            self.progress_bar.setFormat("")
            self.status_label.setText("")
        self.show_error(message)
        self._update_buttons()
        if what == "sample":  # could repeat for every frame: stop, say it inline only
            self.stop_capture()
        elif not self._shut:
            QMessageBox.warning(self, title, message)
        if ends_training:
            self.trainingFailed.emit(message)

    def show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()

    def clear_error(self) -> None:
        self.error_label.setText("")
        self.error_label.hide()

    def error_text(self) -> str:
        return self.error_label.text() if not self.error_label.isHidden() else ""

    def _ready(self, backbone: str) -> None:
        self.status_label.setText(f"Features from {backbone}")

    # ================================================================ models
    def use_taught(self) -> None:
        """Switch the running pipeline to the latest taught (or loaded) model."""
        if self.head_path is not None:
            self._switch_model(self.head_path)

    def back_to_previous(self) -> None:
        """Switch the pipeline back to the model that ran before the taught one."""
        if self.previous_model:
            self._switch_model(self.previous_model)

    def running_is_taught(self) -> bool:
        return self.running_model is not None and is_head_path(self.running_model)

    def save_model(self, path: str | Path) -> Path:
        """Write the latest taught model to ``path`` (``*.head.npz``, atomically)."""
        if self.head is None:
            raise ValueError("nothing taught yet")
        target = Path(path)
        if not is_head_path(target):
            target = target.with_name(target.name.split(".")[0] + HEAD_SUFFIX)
        saved = self.head.save(target)
        self.status_label.setText(f"Saved {saved}")
        return saved

    def load_model(self, path: str | Path) -> bool:
        """Check a ``*.head.npz`` and switch the pipeline to it; False (shown) if bad."""
        from camviz.teach import load_head

        try:
            head = load_head(path)
        except CamvizError as exc:
            self._failed("load", "Cannot load the taught model", format_error(exc))
            return False
        self.clear_error()
        self.head, self.head_path = head, str(path)
        self.status_label.setText(f"Loaded {Path(path).name}: {', '.join(head.labels)}")
        acc = head.training.get("val_accuracy")
        if isinstance(acc, float):
            self.status_label.setText(
                self.status_label.text() + f" (validation accuracy {acc * 100:.1f}%)"
            )
        self._update_buttons()
        self._switch_model(str(path))
        return True

    def _save_clicked(self) -> None:
        if self.head is None:
            return
        path, _ = QFileDialog.getSaveFileName(
            self, "Save taught model", f"my-classes{HEAD_SUFFIX}", _HEAD_FILTER
        )
        if not path:
            return
        try:
            self.save_model(path)
        except (CamvizError, ValueError) as exc:
            self._failed("save", "Cannot save the taught model", format_error(exc))

    def _load_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load taught model", "", _HEAD_FILTER)
        if path:
            self.load_model(path)

    def _on_event(self, ev: PipelineEvent) -> None:
        if self._shut or ev.kind is not EventKind.MODEL_LOADED:
            return
        info = ev.data.get("info")
        if not isinstance(info, ModelInfo):
            return
        model = info.name if info.spec is not None else str(info.path)
        self.running_model = model
        if not is_head_path(model):
            self.previous_model = model
        self._update_buttons()

    # ================================================================ lifecycle
    def is_temporary(self, model: str | None) -> bool:
        """Whether ``model`` is a temporary head (deleted at shutdown)."""
        return model is not None and model in self._temp_heads

    def persistent_model(self, model: str) -> str:
        """``model``, unless it is a temporary head: then the model to go back to."""
        return (self.previous_model or "") if self.is_temporary(model) else model

    def _temp_folder(self) -> Path:
        if self._temp_dir is None:
            self._temp_dir = Path(tempfile.mkdtemp(prefix="camviz-teach-"))
        return self._temp_dir

    def shutdown(self, timeout: float = 2.0) -> bool:
        """Stop capture and the worker (joined within ``timeout``); remove temporaries."""
        self._shut = True
        self._timer.stop()
        self.capturing = None
        stopped = self.worker.stop(timeout)
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None
        return stopped
