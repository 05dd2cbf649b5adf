"""MainWindow: live view + bottom sheet + performance meter + controls.

Threading: the pipeline runs on its own threads; its callbacks reach this
window only through :class:`~camviz.qt.bridge.PipelineBridge` signals (queued
to the GUI thread). The live view polls a one-frame slot fed by the capture
thread, so it repaints at capture rate whatever the model's speed; the GUI
thread never waits on inference (except for bounded joins when the pipeline
is stopped: switching source, closing).

Keys: Space pause/resume, S snapshot, M mirror, F full screen, Q quit.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QImage, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDockWidget,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from camviz.classifier import ClassifierOptions, ModelInfo
from camviz.errors import CamvizError, format_error
from camviz.fileio import write_atomic
from camviz.metrics import MetricsSnapshot
from camviz.pipeline import Backpressure, EventKind, FrameResult, PipelineEvent, PipelineOptions
from camviz.qt.bridge import CsvRecorder, PipelineController
from camviz.qt.frame_view import FrameView
from camviz.qt.meter import PerformanceMeter
from camviz.qt.results_panel import ResultsPanel
from camviz.qt.teach_panel import TeachPanel
from camviz.sources import CameraInfo, make_source
from camviz.zoo import Zoo, load_zoo

__all__ = ["MainWindow", "describe_write_error", "tensor_to_display"]

OPEN_MODEL_ITEM = "Open .tflite…"
DEMO = "demo"


def tensor_to_display(tensor: npt.NDArray[Any]) -> npt.NDArray[np.uint8]:
    """An HxWx3 uint8 picture of a model input tensor (uint8 as is, int8 shifted,
    float stretched from its min..max to 0..255)."""
    t = np.asarray(tensor)
    if t.ndim == 4:
        t = t[0]
    if t.ndim == 2:
        t = np.repeat(t[:, :, None], 3, axis=2)
    if t.ndim == 3 and t.shape[2] == 1:
        t = np.repeat(t, 3, axis=2)
    if t.dtype == np.uint8:
        out = t
    elif t.dtype == np.int8:
        out = (t.astype(np.int16) + 128).astype(np.uint8)
    else:
        f = t.astype(np.float32)
        lo, hi = float(f.min()), float(f.max())
        out = ((f - lo) * (255.0 / (hi - lo if hi > lo else 1.0))).clip(0, 255).astype(np.uint8)
    return np.ascontiguousarray(out[:, :, :3])


class MainWindow(QMainWindow):
    """The camviz window. ``settings`` defaults to ``QSettings("camviz", "camviz")``;
    tests pass an INI file so the user's settings are never touched."""

    resultShown = Signal(object)  # FrameResult, after the widgets show it
    snapshotSaved = Signal(str, str)  # png path, json path

    def __init__(
        self,
        *,
        settings: QSettings | None = None,
        zoo: Zoo | None = None,
        cameras: list[CameraInfo] | None = None,
        snapshot_dir: Path | None = None,
        budget_ms: float | None = None,
    ) -> None:
        super().__init__()
        self.setWindowTitle("camviz")
        self.settings = settings if settings is not None else QSettings("camviz", "camviz")
        self.zoo = zoo if zoo is not None else _load_zoo_or_none()
        self.controller = PipelineController(self)
        self.controller.bridge.result.connect(self._on_result)
        self.controller.bridge.pipelineEvent.connect(self._on_event)
        self.source_spec: str | None = None
        self.model_name: str | None = None  # the model producing results
        self.model_info: ModelInfo | None = None
        self.last_result: FrameResult | None = None
        self.results_shown = 0
        self.events: list[PipelineEvent] = []
        self.recorder: CsvRecorder | None = None
        self.final_metrics: MetricsSnapshot | None = None  # set by shutdown()
        self.write_errors: list[str] = []  # files that could not be saved, as told to the user
        self._got_frames = False
        self._requested_model: str = ""
        self._fallback_done = False
        self._shutting_down = False
        self._threads_loaded = 0
        self.snapshot_dir = snapshot_dir or Path(
            str(self.settings.value("snapshot_dir", str(Path.cwd() / "snapshots")))
        )
        self._build_ui(cameras if cameras is not None else [])
        self._restore_settings(budget_ms)
        self._slow_timer = QTimer(self)
        self._slow_timer.timeout.connect(self._slow_refresh)
        self._slow_timer.start(500)

    # ================================================================ UI
    def _build_ui(self, cameras: list[CameraInfo]) -> None:
        self.view = FrameView()
        self.view.set_frame_slot(self.controller.frames)
        self.view.clear("Starting…")
        self.results = ResultsPanel(max_rows=10, top_k=5)
        self.meter = PerformanceMeter(
            provider=self._snapshot, display_fps=self.view.display_fps, refresh_hz=4.0
        )
        left = QVBoxLayout()
        left.setContentsMargins(0, 0, 0, 0)
        left.addWidget(self.view, 1)
        left.addWidget(self.results, 0)

        # ---- controls
        self.source_combo = QComboBox()
        self.source_combo.addItem("Demo reel", DEMO)
        for cam in cameras:
            self.source_combo.addItem(
                f"Camera {cam.index} ({cam.width}x{cam.height})", str(cam.index)
            )
        self.source_combo.activated.connect(self._source_chosen)
        open_button = QToolButton()
        open_button.setText("Open…")
        open_menu = QMenu(open_button)
        open_menu.addAction("Video file…", self._open_video)
        open_menu.addAction("Image…", self._open_image)
        open_menu.addAction("Folder of images…", self._open_folder)
        open_button.setMenu(open_menu)
        open_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        source_row = QHBoxLayout()
        source_row.addWidget(self.source_combo, 1)
        source_row.addWidget(open_button)

        self.model_combo = QComboBox()
        for name in self.zoo.names if self.zoo else ():
            self.model_combo.addItem(name, name)
        self.model_combo.addItem(OPEN_MODEL_ITEM, None)
        self.model_combo.activated.connect(self._model_chosen)

        self.threads_spin = QSpinBox()
        self.threads_spin.setRange(1, max(1, min(16, os.cpu_count() or 2)))
        self.threads_spin.setValue(2)
        self.threads_spin.editingFinished.connect(self._threads_changed)
        self.topk_spin = QSpinBox()
        self.topk_spin.setRange(1, 10)
        self.topk_spin.setValue(5)
        self.topk_spin.valueChanged.connect(self._topk_changed)
        self.threshold_spin = _fraction_spin(0.0)
        self.threshold_spin.valueChanged.connect(self._reporting_changed)
        self.confidence_spin = _fraction_spin(0.3)
        self.confidence_spin.valueChanged.connect(self._reporting_changed)
        self.smoothing_spin = _fraction_spin(0.0, maximum=0.95)
        self.smoothing_spin.valueChanged.connect(self._reporting_changed)
        self.budget_spin = QDoubleSpinBox()
        self.budget_spin.setRange(1.0, 1000.0)
        self.budget_spin.setDecimals(0)
        self.budget_spin.setSuffix(" ms")
        self.budget_spin.setValue(33.0)
        self.budget_spin.valueChanged.connect(self._budget_changed)

        for combo in (self.source_combo, self.model_combo):
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(12)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Source", source_row)
        form.addRow("Model", self.model_combo)
        form.addRow("Threads", self.threads_spin)
        form.addRow("Top-k", self.topk_spin)
        form.addRow("Score threshold", self.threshold_spin)
        form.addRow("Min confidence", self.confidence_spin)
        form.addRow("Smoothing", self.smoothing_spin)
        form.addRow("Budget", self.budget_spin)

        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.toggled.connect(self.set_paused)
        self.snapshot_button = QPushButton("Snapshot")
        self.snapshot_button.clicked.connect(lambda: self.snapshot())
        self.mirror_check = QCheckBox("Mirror")
        self.mirror_check.toggled.connect(self._mirror_toggled)
        self.record_check = QCheckBox("Record CSV")
        self.record_check.toggled.connect(self._record_toggled)
        # Teach mode (issue 5): a dock, toggled by T or the Teach button
        self.teach_panel = TeachPanel(
            self.controller.frames, self.switch_model, self.controller.bridge.pipelineEvent
        )
        self.teach_dock = QDockWidget("Teach", self)
        self.teach_dock.setObjectName("teach_dock")
        self.teach_dock.setWidget(self.teach_panel)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.teach_dock)
        self.teach_dock.hide()
        self.teach_action = self.teach_dock.toggleViewAction()
        self.teach_action.setText("Teach")
        self.teach_action.setShortcut(QKeySequence(Qt.Key.Key_T))
        self.addAction(self.teach_action)
        teach_button = QToolButton()
        teach_button.setDefaultAction(self.teach_action)
        buttons = QHBoxLayout()
        for widget in (self.pause_button, self.snapshot_button, teach_button):
            buttons.addWidget(widget)
        checks = QHBoxLayout()
        checks.addWidget(self.mirror_check)
        checks.addWidget(self.record_check)
        controls = QGroupBox("Controls")
        controls_layout = QVBoxLayout(controls)
        controls_layout.addLayout(form)
        controls_layout.addLayout(buttons)
        controls_layout.addLayout(checks)

        self.info_label = QLabel("No model loaded")
        self.info_label.setWordWrap(True)
        self.info_label.setTextFormat(Qt.TextFormat.RichText)
        info_box = QGroupBox("Model")
        QVBoxLayout(info_box).addWidget(self.info_label)

        self.input_view = FrameView(refresh_hz=10)
        self.input_view.setMinimumSize(120, 120)
        self.input_view.setFixedHeight(150)
        self.input_view.set_smooth(False)
        self.input_view.clear("no model input yet")
        self.input_label = QLabel("")
        self.input_label.setWordWrap(True)
        input_box = QGroupBox("Model input (exact tensor)")
        input_layout = QVBoxLayout(input_box)
        input_layout.addWidget(self.input_view)
        input_layout.addWidget(self.input_label)

        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(4, 4, 4, 4)
        side_layout.addWidget(controls)
        side_layout.addWidget(self.meter)
        side_layout.addWidget(info_box)
        side_layout.addWidget(input_box)
        side_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(side)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFixedWidth(350)
        self.side_panel = scroll

        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(4, 4, 4, 4)
        row.addLayout(left, 1)
        row.addWidget(scroll, 0)
        self.setCentralWidget(central)
        self.source_note = QLabel("")  # permanent: which source, and why
        self.statusBar().addPermanentWidget(self.source_note)
        self.statusBar().showMessage("Ready")

        for key, slot in (
            (Qt.Key.Key_Space, self.toggle_pause),
            (Qt.Key.Key_S, self.snapshot),
            (Qt.Key.Key_M, self.toggle_mirror),
            (Qt.Key.Key_F, self.toggle_fullscreen),
            (Qt.Key.Key_Q, self.close),
        ):
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(slot)
        quit_action = QAction("Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        self.addAction(quit_action)

    def sizeHint(self) -> QSize:
        return QSize(1280, 720)

    # ========================================================== settings
    def _restore_settings(self, budget_ms: float | None) -> None:
        s = self.settings
        self.threads_spin.setValue(_int(s.value("threads"), 2))
        self.topk_spin.setValue(_int(s.value("top_k"), 5))
        self.threshold_spin.setValue(_float(s.value("score_threshold"), 0.0))
        self.confidence_spin.setValue(_float(s.value("min_confidence"), 0.3))
        self.smoothing_spin.setValue(_float(s.value("smoothing"), 0.0))
        self.budget_spin.setValue(
            budget_ms if budget_ms is not None else _float(s.value("budget_ms"), 33.0)
        )
        self.mirror_check.setChecked(str(s.value("mirror", "false")).lower() == "true")
        self.results.set_top_k(self.topk_spin.value())
        self.meter.set_budget_ms(self.budget_spin.value())
        geometry = s.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)

    def save_settings(self) -> None:
        s = self.settings
        s.setValue("threads", self.threads_spin.value())
        s.setValue("top_k", self.topk_spin.value())
        s.setValue("score_threshold", self.threshold_spin.value())
        s.setValue("min_confidence", self.confidence_spin.value())
        s.setValue("smoothing", self.smoothing_spin.value())
        s.setValue("budget_ms", self.budget_spin.value())
        s.setValue("mirror", "true" if self.mirror_check.isChecked() else "false")
        if self.source_spec is not None:
            s.setValue("source", self.source_spec)
        if self._requested_model:
            s.setValue("model", self._requested_model)
        s.setValue("snapshot_dir", str(self.snapshot_dir))
        s.setValue("geometry", self.saveGeometry())
        s.sync()

    def saved_source(self) -> str | None:
        value = self.settings.value("source")
        return None if value is None else str(value)

    def saved_model(self) -> str | None:
        value = self.settings.value("model")
        return None if value is None else str(value)

    # ========================================================== pipeline
    def classifier_options(self, model: str | None = None) -> ClassifierOptions:
        return ClassifierOptions(
            model=model or self._requested_model or (self.zoo.default if self.zoo else ""),
            threads=self.threads_spin.value(),
            top_k=self.topk_spin.value(),
            score_threshold=self.threshold_spin.value(),
            min_confidence=self.confidence_spin.value(),
        )

    def start(self, source: str, model: str | None = None, *, pace: bool = True) -> bool:
        """(Re)start the pipeline on ``source`` ("demo", a camera index, a path).

        ``pace=False`` plays files and the demo as fast as they decode (soak tests).
        """
        if model:
            self._requested_model = model
            self._select_model_item(model)
        try:
            src = make_source(source, pace=pace, loop=True)
            options = PipelineOptions(
                classifier=self.classifier_options(),
                backpressure=Backpressure.LATEST,  # a viewer: always show the newest frame
                budget_ms=self.budget_spin.value(),
                smoothing=self.smoothing_spin.value(),
            )
        except CamvizError as exc:
            self._status(format_error(exc))
            QMessageBox.warning(self, "Cannot open source", format_error(exc))
            return False
        self._got_frames = False
        self._threads_loaded = self.threads_spin.value()
        self.source_spec = source
        self._select_source_item(source)
        self.last_result = None
        self.results.clear("Loading model…")
        self.view.set_overlay(None)
        self.view.clear(f"Opening {src.name}…")
        self.pause_button.setChecked(False)
        self.controller.start(src, options)
        self._status(f"Source: {src.name}")
        self.set_source_note(f"Source: {src.name}")
        return True

    def stop(self) -> None:
        self.controller.stop()

    def switch_model(self, model: str) -> None:
        """Load ``model`` (zoo name or .tflite path) live; the old one runs until it loads."""
        self._requested_model = model
        self._status(f"Loading {Path(model).name}…")
        self.controller.switch_model(self.classifier_options(model))

    def set_paused(self, paused: bool) -> None:
        self.controller.set_paused(paused)
        if self.pause_button.isChecked() != paused:
            self.pause_button.setChecked(paused)
        self.pause_button.setText("Resume" if paused else "Pause")
        self._status("Paused (Space resumes)" if paused else "Running")

    def is_paused(self) -> bool:
        return self.pause_button.isChecked()

    def toggle_pause(self) -> None:
        self.set_paused(not self.is_paused())

    def toggle_mirror(self) -> None:
        self.mirror_check.setChecked(not self.mirror_check.isChecked())

    def toggle_fullscreen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()

    def _snapshot(self) -> MetricsSnapshot | None:
        pipeline = self.controller.pipeline
        return pipeline.metrics.snapshot() if pipeline is not None else None

    # ========================================================== slots
    def _on_result(self, fr: FrameResult) -> None:
        if self._shutting_down:
            return
        self.last_result = fr
        self._got_frames = True
        result = fr.result
        top = result.top
        self.view.set_overlay(
            top.label if top else None, top.score if top else None, uncertain=result.uncertain
        )
        self.results.set_result(result)
        self.results_shown += 1
        self.resultShown.emit(fr)

    def _on_event(self, ev: PipelineEvent) -> None:
        if self._shutting_down:
            return
        self.events.append(ev)
        if ev.kind is EventKind.MODEL_LOADED:
            info = ev.data.get("info")
            if isinstance(info, ModelInfo):
                self.model_info = info
                self.model_name = info.name
                self._select_model_item(str(info.path) if info.spec is None else info.name)
                self._show_model_info()
            self._status(ev.message)
        elif ev.kind is EventKind.MODEL_FAILED:
            running = self.model_name or "the previous model"
            self._requested_model = self.model_name or ""
            if self.model_name:
                self._select_model_item(self.model_name)
            self._status(f"{ev.message} — still running {running}")
            QMessageBox.warning(
                self, "Model failed to load", f"{ev.message}\n\nStill running: {running}"
            )
        elif ev.kind is EventKind.ERROR:
            self._status(ev.message)
            if not self._got_frames and self.source_spec != DEMO and not self._fallback_done:
                self._fallback_done = True
                failed = self.source_spec
                QTimer.singleShot(0, lambda: self._fall_back_to_demo(failed, ev.message))
        elif ev.kind is not EventKind.STOPPED:
            self._status(ev.message)

    def _fall_back_to_demo(self, failed: str | None, why: str) -> None:
        if self._shutting_down:
            return
        self.start(DEMO)
        self._status(f"{failed} failed ({why}); showing the demo source instead")
        self.set_source_note(f"Source: demo ({failed} failed)")

    def _slow_refresh(self) -> None:
        """2 Hz: model-info latency, the model-input view, a recording that failed."""
        if self.recorder is not None and self.recorder.error is not None:
            self.set_recording(None)  # says why and removes the partial file
        if self.model_info is not None:
            self._show_model_info()
        self._update_model_input()

    def _update_model_input(self) -> None:
        pipeline, fr = self.controller.pipeline, self.last_result
        if pipeline is None or fr is None:
            return
        try:
            tensor = pipeline.model_input(fr.frame.image)
        except Exception as exc:  # show, never crash the GUI over a preview
            self.input_label.setText(f"preprocess failed: {format_error(exc)}")
            return
        if tensor is None:
            return
        t = np.asarray(tensor)
        self.input_view.set_frame(tensor_to_display(t))
        self.input_label.setText(
            f"{'x'.join(str(d) for d in t.shape)} {t.dtype}, "
            f"range {float(t.min()):.3g}..{float(t.max()):.3g}"
        )

    def _show_model_info(self) -> None:
        info = self.model_info
        if info is None:
            return
        snap = self._snapshot()
        invoke = snap.stages_ms.get("invoke") if snap is not None else None
        measured = (
            f"{invoke.p50:.1f} ms p50 / {invoke.p95:.1f} ms p95"
            if invoke is not None and invoke.count
            else "–"
        )
        top1 = info.published_top1
        rows = [
            ("name", info.name),
            ("input", f"{info.input_size[0]}x{info.input_size[1]} {info.dtype}"),
            ("classes", str(info.num_classes)),
            ("file", f"{info.file_bytes / 1e6:.2f} MB"),
            ("published top-1", f"{top1:.1f}%" if top1 is not None else "–"),
            ("load", f"{info.load_ms:.0f} ms (first invoke {info.first_invoke_ms:.1f} ms)"),
            ("measured invoke", measured),
            ("runtime", info.runtime),
        ]
        self.info_label.setText(
            "<table>"
            + "".join(f"<tr><td><i>{k}</i>&nbsp;</td><td>{_html(v)}</td></tr>" for k, v in rows)
            + "</table>"
        )

    def _source_chosen(self, index: int) -> None:
        spec = self.source_combo.itemData(index)
        if spec and spec != self.source_spec:
            self._fallback_done = False
            self.start(str(spec))

    def _open_video(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open video", "", "Videos (*.mp4 *.avi *.mkv *.mov *.webm);;All files (*)"
        )
        if path:
            self.start(path)

    def _open_image(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open image", "", "Images (*.png *.jpg *.jpeg *.bmp *.webp *.tif *.tiff)"
        )
        if path:
            self.start(path)

    def _open_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open folder of images")
        if path:
            self.start(path)

    def _model_chosen(self, index: int) -> None:
        name = self.model_combo.itemData(index)
        if name is None:
            path, _ = QFileDialog.getOpenFileName(
                self, "Open TFLite model", "", "TFLite models (*.tflite)"
            )
            if not path:
                self._select_model_item(self.model_name or "")
                return
            name = path
        self.switch_model(str(name))

    def _threads_changed(self) -> None:
        threads = self.threads_spin.value()
        if threads == self._threads_loaded:
            return  # editingFinished also fires on focus-out without a change
        self._threads_loaded = threads
        if self.model_name or self._requested_model:
            self.switch_model(self._requested_model or self.model_name or "")

    def _topk_changed(self, value: int) -> None:
        self.results.set_top_k(value)
        self.controller.update(top_k=value)

    def _reporting_changed(self) -> None:
        try:
            self.controller.update(
                score_threshold=self.threshold_spin.value(),
                min_confidence=self.confidence_spin.value(),
                smoothing=self.smoothing_spin.value(),
            )
        except CamvizError as exc:
            self._status(format_error(exc))

    def _budget_changed(self, value: float) -> None:
        self.meter.set_budget_ms(value)
        self.controller.update(budget_ms=value)

    def _mirror_toggled(self, on: bool) -> None:
        self.view.set_mirrored(on)

    def _record_toggled(self, on: bool) -> None:
        if on and self.recorder is None:
            path, _ = QFileDialog.getSaveFileName(
                self, "Record per-frame metrics", "camviz-metrics.csv", "CSV (*.csv)"
            )
            if not path:
                self.record_check.setChecked(False)
                return
            self.set_recording(Path(path))
        elif not on:
            self.set_recording(None)

    def set_recording(self, path: Path | None) -> bool:
        """Record one CSV row per classified frame to ``path`` (None stops).

        The CSV appears at ``path`` (atomically) when recording stops. If it cannot
        be written (disk full, read-only folder) the user is told and no partial
        file is left; returns False then.
        """
        old, self.recorder = self.recorder, None
        self.controller.bridge.recorder = None
        ok = True
        if old is not None:
            if old.close():
                self._status(f"Recorded {old.rows} frames to {old.path}")
            else:
                ok = False
                self._write_failed("Recording not saved", old.path, old.error)
        if path is not None:
            try:
                self.recorder = CsvRecorder(path)
            except OSError as exc:
                ok = False
                self._write_failed("Cannot record", Path(path), exc)
            else:
                self.controller.bridge.recorder = self.recorder
                self._status(f"Recording to {path}")
        self.record_check.blockSignals(True)
        self.record_check.setChecked(self.recorder is not None)
        self.record_check.blockSignals(False)
        return ok

    def _write_failed(self, what: str, path: Path, error: BaseException | None) -> None:
        """Tell the user a file could not be written (status bar and, unless closing, a dialog)."""
        message = f"{what}: {describe_write_error(path, error)}"
        self.write_errors.append(message)
        self._status(message)
        if not self._shutting_down:
            QMessageBox.warning(self, what, message)

    # ========================================================== snapshot
    def snapshot(self, folder: Path | None = None) -> tuple[Path, Path] | None:
        """Save the last classified frame with its overlay (PNG) and result (JSON)."""
        fr = self.last_result
        if fr is None:
            self._status("Nothing to snapshot yet")
            return None
        folder = Path(folder) if folder is not None else self.snapshot_dir
        stamp = time.strftime("%Y%m%d-%H%M%S")
        base = folder / f"camviz-{stamp}-{fr.frame_id:06d}"
        image = self.render_result(fr)
        target = base.with_suffix(".png")
        try:
            png = write_atomic(target, lambda p: _save_png(image, p))
            target = base.with_suffix(".json")
            try:
                text = self._snapshot_json(fr, png)
                js = write_atomic(target, lambda p: p.write_text(text, "utf-8"))
            except BaseException:
                png.unlink(missing_ok=True)  # all or nothing: no PNG without its JSON
                raise
        except OSError as exc:
            self._write_failed("Snapshot not saved", target, exc)
            return None
        self._status(f"Snapshot saved: {png}")
        self.snapshotSaved.emit(str(png), str(js))
        return png, js

    def _snapshot_json(self, fr: FrameResult, png: Path) -> str:
        payload = {
            **fr.result.to_dict(),
            "source": self.source_spec,
            "frame_id": fr.frame_id,
            "frame_index": fr.frame.index,
            "frame_size": [int(fr.frame.image.shape[1]), int(fr.frame.image.shape[0])],
            "e2e_ms": round(fr.stamps.e2e_ms, 3),
            "mirrored": self.view.is_mirrored(),
            "image": png.name,
        }
        return json.dumps(payload, indent=2)

    def render_result(self, fr: FrameResult) -> QImage:
        """The classified frame at its own resolution with the overlay, as shown."""
        painter_view = FrameView(refresh_hz=0)
        try:
            painter_view.set_mirrored(self.view.is_mirrored())
            painter_view.set_frame(fr.frame.image)
            top = fr.result.top
            painter_view.set_overlay(
                top.label if top else None,
                top.score if top else None,
                uncertain=fr.result.uncertain,
            )
            return painter_view.render_image()
        finally:
            painter_view.deleteLater()

    # ========================================================== lifecycle
    def shutdown(self) -> None:
        """Stop the pipeline (joins its threads) and save settings. Idempotent."""
        if self._shutting_down:
            return
        self._shutting_down = True
        self._slow_timer.stop()
        self.meter.set_refresh_hz(0)
        self.view.set_refresh_hz(0)
        self.view.set_frame_slot(None)
        pipeline = self.controller.pipeline
        try:
            self.controller.stop()
        finally:
            if pipeline is not None:
                self.final_metrics = pipeline.metrics.snapshot()
            self.set_recording(None)
            self.teach_panel.shutdown()  # joins the teach worker, removes temporary heads
            self._requested_model = self.teach_panel.persistent_model(self._requested_model)
            self.save_settings()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        event.accept()

    # ========================================================== helpers
    def set_source_note(self, text: str) -> None:
        """The permanent right-hand status bar text (current source and why)."""
        self.source_note.setText(text)

    def _status(self, message: str) -> None:
        self.statusBar().showMessage(message)

    def _select_model_item(self, model: str) -> None:
        if not model:
            return
        index = self.model_combo.findData(model)
        if index < 0:
            index = self.model_combo.count() - 1  # before "Open .tflite…"
            self.model_combo.insertItem(index, Path(model).name, model)
            self.model_combo.setItemData(index, model, Qt.ItemDataRole.ToolTipRole)
        self.model_combo.setCurrentIndex(index)

    def _select_source_item(self, source: str) -> None:
        index = self.source_combo.findData(source)
        if index < 0:
            self.source_combo.addItem(Path(source).name or source, source)
            index = self.source_combo.count() - 1
        self.source_combo.setCurrentIndex(index)


def _save_png(image: QImage, path: Path) -> None:
    if not image.save(str(path)):  # format from the .png suffix
        raise OSError(f"could not write PNG {path}")


def describe_write_error(path: Path, error: BaseException | None) -> str:
    """``cannot write PATH: reason (Type)``: what failed, why, and that nothing was left."""
    if isinstance(error, OSError) and error.strerror:
        reason = error.strerror
    else:
        reason = str(error) if error is not None else "unknown error"
    kind = f" ({type(error).__name__})" if error is not None else ""
    return f"cannot write {path}: {reason}{kind}; nothing was saved"


def _fraction_spin(value: float, maximum: float = 1.0) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(0.0, maximum)
    spin.setSingleStep(0.05)
    spin.setDecimals(2)
    spin.setValue(value)
    return spin


def _int(value: object, default: int) -> int:
    try:
        return int(str(value)) if value is not None else default
    except ValueError:
        return default


def _float(value: object, default: float) -> float:
    try:
        return float(str(value)) if value is not None else default
    except ValueError:
        return default


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _load_zoo_or_none() -> Zoo | None:
    try:
        return load_zoo()
    except (CamvizError, OSError):
        return None
