"""Teach mode's dock: new classes from the live frames, trained in seconds, classified live.

Like Teachable Machine inside the window: add classes, *hold* a class's capture
button while pointing the camera (up to :attr:`TeachPanel.capture_hz` frames a
second are taken from the live view), press **Train**, and the running pipeline
switches to the taught model, so the results panel shows the new labels.
**Back to** restores the model that ran before; **Save…** / **Load…** write and
read ``*.head.npz`` files (atomic, through :mod:`camviz.teach`).

Only widgets live here: the worker thread, the capture bookkeeping and the
taught models belong to :class:`camviz.app.teaching.Teaching` (its module
explains the threading). A :class:`QTimer` calls ``Teaching.capture_tick`` while
a capture button is held; the teaching's events reach the panel through
:class:`~camviz.qt.bridge.Relay`, on the GUI thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
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

from camviz.app.teach_summary import training_summary
from camviz.app.teaching import (
    MAX_BACKLOG,
    TeachFailure,
    Teaching,
    TeachProgress,
    TeachWorker,
    Trained,
)
from camviz.errors import CamvizError, format_error
from camviz.qt.bridge import Relay
from camviz.teach import HEAD_SUFFIX, Head

__all__ = ["MAX_BACKLOG", "TeachPanel", "TeachWorker", "Trained"]

_HEAD_FILTER = f"Taught models (*{HEAD_SUFFIX})"


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
        self.count = QLabel("0 frames")
        self.count.setToolTip(f"Frames of {label!r} captured so far")
        self.count.setMinimumWidth(64)
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

    ``teaching`` is the session's :class:`~camviz.app.teaching.Teaching`.
    Tests call the methods (``add_class``, ``start_capture``/``stop_capture``,
    ``train``, ``save_model``/``load_model``) with paths: no modal dialog but the
    error box, which they monkeypatch.
    """

    trainingFinished = Signal(object)  # Trained
    trainingFailed = Signal(str)  # message
    countsChanged = Signal(object)  # dict[str, int]
    modelSaved = Signal(str)  # the path a taught model was saved to

    def __init__(
        self, teaching: Teaching, *, capture_hz: float = 10.0, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.teaching = teaching
        self.capture_hz = capture_hz
        self.rows: dict[str, _ClassRow] = {}
        ev = teaching.events
        self._relays: list[Relay[Any]] = [
            Relay(ev.counts, self._counts_changed, self),
            Relay(ev.progress, self._progress, self),
            Relay(ev.trained, self._trained, self),
            Relay(ev.failed, self._failed, self),
            Relay(ev.ready, self._ready, self),
            Relay(ev.models, lambda _: self._update_buttons(), self),
        ]
        self._unsaved = False  # samples captured since the last save
        self._saved_samples = 0
        self._captured = 0  # samples of every class, as the worker last counted them
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._capture_tick)
        self._build_ui()

    # ================================================================ state (the teaching's)
    @property
    def worker(self) -> TeachWorker:
        return self.teaching.worker

    @property
    def counts(self) -> dict[str, int]:
        return self.teaching.counts

    @property
    def capturing(self) -> str | None:
        return self.teaching.capturing

    @property
    def recorded(self) -> int:
        return self.teaching.recorded

    @property
    def training(self) -> bool:
        return self.teaching.training

    @property
    def head(self) -> Head | None:
        return self.teaching.head

    @property
    def last(self) -> Trained | None:
        return self.teaching.last

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
        self.warning_label = QLabel("")
        self.warning_label.setWordWrap(True)
        self.warning_label.setStyleSheet("color: #a15c00;")
        self.warning_label.hide()
        self.backbone_label = QLabel("Features: loading the backbone…")
        self.backbone_label.setWordWrap(True)
        self.backbone_label.setToolTip("The model whose features the taught classes are fitted on")
        self.report_text = QPlainTextEdit()
        self.report_text.setReadOnly(True)
        # wrapped to the dock's width: nothing of the report is cut off on the right
        self.report_text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
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
        tips: tuple[tuple[QWidget, str], ...] = (
            (self.name_edit, "Name of a new class to teach"),
            (self.add_button, "Add the class named on the left"),
            (self.train_button, "Train a classifier head on the captured samples"),
            (self.live_check, "Switch the live view to the taught model when training ends"),
            (self.use_button, "Classify live with the taught model"),
            (self.back_button, "Go back to the model that ran before teaching"),
            (self.save_button, "Save the taught model (.head.npz) to a file"),
            (self.load_button, "Load a taught model (.head.npz) from a file"),
        )
        for widget, tip in tips:
            widget.setToolTip(tip)
        model_row = QHBoxLayout()
        model_row.addWidget(self.use_button)
        model_row.addWidget(self.back_button)
        file_row = QHBoxLayout()
        file_row.addWidget(self.save_button)
        file_row.addWidget(self.load_button)

        train_box = QGroupBox("Train")
        train_layout = QVBoxLayout(train_box)
        train_layout.addWidget(self.backbone_label)
        train_layout.addWidget(self.train_button)
        train_layout.addWidget(self.live_check)
        train_layout.addWidget(self.progress_bar)
        train_layout.addWidget(self.status_label)
        train_layout.addWidget(self.error_label)
        train_layout.addWidget(self.warning_label)
        train_layout.addWidget(self.report_text, 1)
        train_layout.addLayout(model_row)
        train_layout.addLayout(file_row)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(classes)
        layout.addWidget(train_box, 1)
        self._update_buttons()

    def _update_buttons(self) -> None:
        t = self.teaching
        self.train_button.setEnabled(not t.training and not t.shut)
        self.use_button.setEnabled(t.head_path is not None)
        self.save_button.setEnabled(t.head is not None)
        self.back_button.setEnabled(t.previous_model is not None and t.running_is_taught())
        if t.previous_model:
            self.back_button.setText(f"Back to {Path(t.previous_model).name}")

    def showEvent(self, event: QShowEvent) -> None:
        self.teaching.prepare()  # load the backbone while the user types class names
        super().showEvent(event)

    # ================================================================ classes
    def add_class(self, label: str) -> bool:
        """Add a class (and start the worker on first use); False with an inline error."""
        label = label.strip()
        error = self.teaching.add_class(label)
        if error is not None:
            self.show_error(error)
            return False
        self.clear_error()
        row = _ClassRow(label, self)
        self.rows[label] = row
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
        self.teaching.remove_class(label)
        self.empty_label.setVisible(not self.rows)

    def class_names(self) -> list[str]:
        return list(self.rows)

    def _add_clicked(self) -> None:
        if self.add_class(self.name_edit.text()):
            self.name_edit.clear()

    # ================================================================ capture
    def start_capture(self, label: str) -> None:
        """Begin one recording of ``label``: frames are taken while it lasts."""
        if self.capturing is not None and label in self.rows:
            self.stop_capture()
        if not self.teaching.start_capture(label):
            return
        self.capture_label.setText(f"Capturing {label!r}…")
        self.rows[label].capture.setText("Capturing…")
        self._timer.start(max(1, round(1000.0 / self.capture_hz)))
        self._capture_tick()  # a tap takes one frame

    def stop_capture(self) -> None:
        label = self.teaching.stop_capture()
        if label is None:
            return
        self._timer.stop()
        row = self.rows.get(label)
        if row is not None:
            row.capture.setText("Hold to capture")
        t = self.teaching
        skipped = f", {t.skipped} skipped (extraction behind)" if t.skipped else ""
        total = t.counts.get(label, 0) + self.worker.pending
        self.capture_label.setText(
            f"Took {t.recorded} frames of {label!r} ({total} in all){skipped}. "
            "Frames of one take train or validate together: take each class "
            "two or more times, from other views"
        )

    def _capture_tick(self) -> None:
        label = self.capturing
        if label is None or not self.teaching.capture_tick():
            return
        self.capture_label.setText(
            f"Capturing {label!r}: {self.recorded} frames "
            f"({self.worker.pending} waiting for features)"
        )

    def _counts_changed(self, counts: dict[str, int]) -> None:
        self._captured = sum(counts.values())
        if self._captured > self._saved_samples:
            self._unsaved = True
        for label, n in counts.items():
            if label in self.rows:
                self.rows[label].count.setText(f"{n} frame{'' if n == 1 else 's'}")
        self.countsChanged.emit(self.counts)

    # ================================================================ training
    def train(self) -> bool:
        """Train in the background on everything captured so far; False if not started."""
        if self.training or self.teaching.shut:
            return False
        self.stop_capture()
        self.clear_error()
        if not self.teaching.train():
            return False
        self.status_label.setText("Training…")
        self.progress_bar.setRange(0, 0)
        self._update_buttons()
        return True

    def _progress(self, progress: TeachProgress) -> None:
        if not self.training:
            return
        if progress.phase == "features":
            done, total = progress.done, progress.total
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(done)
            self.progress_bar.setFormat("features %v/%m")
            self.status_label.setText(f"Extracting features of the last frames: {done}/{total}")
        else:
            self.progress_bar.setRange(0, 0)  # busy
            self.status_label.setText("Fitting the new classes…")

    def _trained(self, trained: Trained) -> None:
        report = trained.report
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(1)
        self.progress_bar.setFormat("done")
        self.status_label.setText(training_summary(report, self.counts, trained.wall_seconds))
        self.warning_label.setText("\n".join(f"⚠ {w}" for w in report.warnings))
        self.warning_label.setVisible(bool(report.warnings))
        if report.backbone:
            self.backbone_label.setText(f"Features: {report.backbone}")
        self.report_text.setPlainText(report.format())
        self._update_buttons()
        if self.live_check.isChecked():
            self.use_taught()
        self.trainingFinished.emit(trained)

    def _failed(self, failure: TeachFailure) -> None:
        if failure.ends_training:
            self.progress_bar.setRange(0, 1)
            self.progress_bar.setValue(0)
            self.progress_bar.setFormat("")
            self.status_label.setText("")
        self.show_error(failure.message)
        self._update_buttons()
        if failure.what == "sample":  # could repeat for every frame: stop, say it inline only
            self.stop_capture()
        elif not self.teaching.shut:
            QMessageBox.warning(self, failure.title, failure.message)
        if failure.ends_training:
            self.trainingFailed.emit(failure.message)

    def show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()

    def clear_error(self) -> None:
        self.error_label.setText("")
        self.error_label.hide()

    def error_text(self) -> str:
        return self.error_label.text() if not self.error_label.isHidden() else ""

    def _ready(self, backbone: str) -> None:
        """The backbone the teach session loaded: the one its features come from."""
        self.backbone_label.setText(f"Features: {backbone}")

    # ================================================================ models
    def use_taught(self) -> None:
        """Switch the running pipeline to the latest taught (or loaded) model."""
        self.teaching.use_taught()

    def back_to_previous(self) -> None:
        """Switch the pipeline back to the model that ran before the taught one."""
        self.teaching.back_to_previous()

    def running_is_taught(self) -> bool:
        return self.teaching.running_is_taught()

    def save_model(self, path: str | Path) -> Path:
        """Write the latest taught model to ``path`` (``*.head.npz``, atomically)."""
        saved = self.teaching.save_model(path)
        self.status_label.setText(f"Saved {saved}")
        self._unsaved = False
        self._saved_samples = self._captured
        self.modelSaved.emit(str(saved))
        return saved

    def unsaved_samples(self) -> int:
        """Samples captured since the last save of a taught model (0: nothing to lose)."""
        return self._captured if self._unsaved else 0

    def load_model(self, path: str | Path) -> bool:
        """Check a ``*.head.npz`` and switch the pipeline to it; False (shown) if bad."""
        try:
            head = self.teaching.load_model(path)
        except CamvizError as exc:
            self.teaching.report_failure("load", "Cannot load the taught model", format_error(exc))
            return False
        self.clear_error()
        text = f"Loaded {Path(path).name}: {', '.join(head.labels)}"
        acc = head.training.get("val_accuracy")
        if isinstance(acc, float):
            text += f" (validation accuracy {acc * 100:.1f}%)"
        self.status_label.setText(text)
        self._update_buttons()
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
            self.teaching.report_failure("save", "Cannot save the taught model", format_error(exc))

    def _load_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load taught model", "", _HEAD_FILTER)
        if path:
            self.load_model(path)

    # ================================================================ lifecycle
    def shutdown(self) -> None:
        """Stop capturing and relaying (the session stops the worker)."""
        self._timer.stop()
        self.teaching.stop_capture()
        for relay in self._relays:
            relay.detach()
