"""MainWindow: a view over :class:`~camviz.app.session.LiveSession`.

The session owns the pipeline, the fallback to the demo, snapshots, the CSV
recording, the last result and teach mode; this window shows them and turns
user input into session calls. Session events reach it only through
:class:`~camviz.qt.bridge.SessionBridge` signals (on the GUI thread). The live
view polls the session's one-frame slot fed by the capture thread, so it
repaints at capture rate whatever the model's speed; the GUI thread never
waits on inference (except for bounded joins when the pipeline is stopped:
switching source, closing).

Keys (:mod:`camviz.qt.shortcuts`, working whatever has focus): Space pause/resume,
S snapshot, N next model, M mirror, F full screen (the video only), T teach,
? the key sheet, Q quit.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QImage,
    QKeySequence,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from camviz.app.session import LiveSession, Notice, SourceStarted
from camviz.app.snapshot import describe_write_error
from camviz.classifier import ModelInfo
from camviz.defaults import TOP_K
from camviz.errors import CamvizError
from camviz.metrics import MetricsSnapshot
from camviz.pipeline import EventKind, FrameResult, PipelineEvent
from camviz.qt import settings as saved
from camviz.qt import shortcuts, window_sources
from camviz.qt import window_input as act
from camviz.qt.bridge import SessionBridge
from camviz.qt.controls import MAX_TOP_K, Controls, InputBox, ModelBox
from camviz.qt.frame_view import FrameView, qimage_to_numpy, render_result
from camviz.qt.meter import PerformanceMeter
from camviz.qt.model_info import model_info_html, tensor_to_display, update_model_input
from camviz.qt.results_panel import ResultsPanel
from camviz.qt.source_bar import SourceBar
from camviz.qt.teach_panel import TeachPanel
from camviz.sources import CameraInfo
from camviz.zoo import Zoo, load_zoo

__all__ = ["MainWindow", "describe_write_error", "tensor_to_display"]


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
        interactive: bool = True,
    ) -> None:
        super().__init__()
        self.setWindowTitle("camviz")
        self.settings = settings if settings is not None else QSettings("camviz", "camviz")
        #: False for scripted runs (--quit-after): no dialog ever, no fallback to the demo
        self.interactive = interactive
        self.problems: list[str] = []  # what a dialog would have said (titled notices)
        self._chosen_snapshot_dir = snapshot_dir
        self.session = LiveSession(
            zoo=zoo if zoo is not None else _load_zoo_or_none(),
            snapshot_dir=snapshot_dir or saved.snapshot_dir(self.settings),
            fallback_to_demo=interactive,
        )
        self.bridge = SessionBridge(self.session, self)
        self.results_shown = 0
        self.teach_grown = 0  # the width before the window grew for the Teach dock (0: not)
        self.width_without_dock = 0  # the last width with the Teach dock hidden
        self._shutting_down = False
        self._build_ui(cameras if cameras is not None else [])
        self._connect()
        self._restore_settings(budget_ms)
        self._slow_timer = QTimer(self)
        self._slow_timer.timeout.connect(self._slow_refresh)
        self._slow_timer.start(500)

    # ================================================================ state (the session's)
    @property
    def last_result(self) -> FrameResult | None:
        return self.session.last_result

    @property
    def model_name(self) -> str | None:
        return self.session.model_name

    @property
    def source_spec(self) -> str | None:
        return self.session.source_spec

    @property
    def events(self) -> list[PipelineEvent]:
        return self.session.pipeline_events

    @property
    def final_metrics(self) -> MetricsSnapshot | None:
        return self.session.final_metrics

    # ================================================================ UI
    def _build_ui(self, cameras: list[CameraInfo]) -> None:
        zoo = self.session.zoo
        self.view = FrameView()
        self.view.set_frame_slot(self.session.frames)
        self.view.clear("Starting…")
        self.results = ResultsPanel(max_rows=MAX_TOP_K, top_k=TOP_K)
        self.meter = PerformanceMeter(
            provider=self.current_metrics, display_fps=self.view.display_fps, refresh_hz=4.0
        )
        left = QVBoxLayout()
        left.setContentsMargins(0, 0, 0, 0)
        self.source_bar = SourceBar()
        left.addWidget(self.view, 1)
        left.addWidget(self.source_bar, 0)
        left.addWidget(self.results, 0)

        self.controls = c = Controls(cameras, zoo.names if zoo else ())
        self.source_combo, self.model_combo = c.source_combo, c.model_combo
        self.fit_combo = c.fit_combo
        self.threads_spin, self.topk_spin = c.threads_spin, c.topk_spin
        self.threshold_spin, self.confidence_spin = c.threshold_spin, c.confidence_spin
        self.smoothing_spin, self.budget_spin = c.smoothing_spin, c.budget_spin
        self.pause_button, self.snapshot_button = c.pause_button, c.snapshot_button
        self.mirror_check, self.record_check = c.mirror_check, c.record_check
        model_box, input_box = ModelBox(), InputBox()
        self.info_label = model_box.info_label
        self.input_view, self.input_label = input_box.input_view, input_box.input_label

        self.teach_panel = TeachPanel(self.session.teaching)
        self.teach_dock = QDockWidget("Teach", self)
        self.teach_dock.setObjectName("teach_dock")
        self.teach_dock.setWidget(self.teach_panel)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.teach_dock)
        self.teach_dock.hide()
        self.teach_action = self.teach_dock.toggleViewAction()
        self.teach_action.setText("Teach")
        self.teach_action.setToolTip("Teach the model new classes from the camera (T)")
        c.teach_button.setDefaultAction(self.teach_action)

        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(4, 4, 4, 4)
        for widget in (c, self.meter, model_box, input_box):
            side_layout.addWidget(widget)
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

    def _connect(self) -> None:
        c = self.controls
        c.source_combo.activated.connect(partial(act.source_chosen, self))
        c.open_menu.addAction("Video file…", partial(act.open_video, self))
        c.open_menu.addAction("Image…", partial(act.open_image, self))
        c.open_menu.addAction("Folder of images…", partial(act.open_folder, self))
        c.open_menu.addAction("Stream URL…", partial(window_sources.open_stream, self))
        self.recent_menu = c.open_menu.addMenu("Recent")
        self.recent_menu.aboutToShow.connect(partial(window_sources.show_recent_menu, self))
        c.fit_combo.activated.connect(partial(window_sources.fit_chosen, self))
        self.source_bar.stepRequested.connect(self.step_source)
        self.source_bar.seekRequested.connect(self.seek_source)
        self.teach_dock.visibilityChanged.connect(self._teach_dock_shown)
        self.setAcceptDrops(True)
        c.model_combo.activated.connect(partial(act.model_chosen, self))
        c.threads_spin.valueChanged.connect(lambda v: self.session.update(threads=v))
        c.threads_spin.editingFinished.connect(self.session.apply_threads)
        c.topk_spin.valueChanged.connect(partial(act.topk_changed, self))
        for spin in (c.threshold_spin, c.confidence_spin, c.smoothing_spin):
            spin.valueChanged.connect(partial(act.reporting_changed, self))
        c.budget_spin.valueChanged.connect(partial(act.budget_changed, self))
        c.pause_button.toggled.connect(self.set_paused)
        c.snapshot_button.clicked.connect(lambda: self.snapshot())
        c.mirror_check.toggled.connect(self.view.set_mirrored)
        c.record_check.toggled.connect(partial(act.record_toggled, self))
        b = self.bridge
        b.result.connect(self._on_result)
        b.pipelineEvent.connect(self._on_event)
        b.sourceStarted.connect(self._on_source)
        b.notice.connect(self._on_notice)
        b.recordingChanged.connect(self._on_recording)
        b.snapshotSaved.connect(lambda paths: self.snapshotSaved.emit(*map(str, paths)))
        self.shortcuts = shortcuts.install(
            self,
            {
                "toggle_pause": self.toggle_pause,
                "snapshot": self.snapshot,
                "next_model": self.next_model,
                "toggle_mirror": self.toggle_mirror,
                "toggle_fullscreen": self.toggle_fullscreen,
                "leave_fullscreen": self.leave_fullscreen,
                "toggle_teach": self.teach_action.trigger,
                "show_shortcuts": self.show_shortcuts,
                "skip_back": self.skip_back,
                "skip_forward": self.skip_forward,
                "close": self.close,
            },
        )
        self.shortcut_sheet: shortcuts.ShortcutSheet | None = None
        self.chrome_shown: list[QWidget] = []  # hidden by full screen, shown again after
        quit_action = QAction("Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        self.addAction(quit_action)

    def sizeHint(self) -> QSize:
        return QSize(1280, 720)

    # ========================================================== settings
    def _restore_settings(self, budget_ms: float | None) -> None:
        saved.restore(self, budget_ms)
        window_sources.restore_fits(self)

    def save_settings(self) -> None:
        window_sources.save_fits(self)
        saved.save(self)

    def saved_source(self) -> str | None:
        return saved.read_text(self.settings, "source")

    def saved_model(self) -> str | None:
        return saved.read_text(self.settings, "model")

    # ========================================================== pipeline
    def start(self, source: str, model: str | None = None, *, pace: bool = True) -> bool:
        """(Re)start the pipeline on ``source`` ("demo", a camera index, a path).

        ``pace=False`` plays files and the demo as fast as they decode (soak tests).
        """
        if model:
            self._select_model_item(model)
        return self.session.start(source, model, pace=pace)

    def start_default(self, cameras: list[CameraInfo], model: str | None = None) -> bool:
        """The first camera, else the demo reel (saying no camera was found)."""
        if model:
            self._select_model_item(model)
        return self.session.start_default(cameras, model)

    def start_up(
        self, source: str | None, model: str | None, cameras: list[CameraInfo] | None = None
    ) -> bool:
        """The first start (:meth:`LiveSession.start_up`): ``source``/``model`` as given win,
        else the remembered model (the default if it is gone or fails) on the first camera."""
        if model:
            self._select_model_item(model)
        return self.session.start_up(
            source, model, remembered=self.saved_model(), cameras=cameras or []
        )

    def stop(self) -> None:
        self.session.stop()

    def switch_model(self, model: str) -> None:
        """Load ``model`` (zoo name or .tflite path) live; the old one runs until it loads."""
        self.session.switch_model(model)

    def set_paused(self, paused: bool) -> None:
        self.session.set_paused(paused)
        if self.pause_button.isChecked() != paused:
            self.pause_button.setChecked(paused)
        self.pause_button.setText("Resume" if paused else "Pause")
        self.view.set_paused(paused)
        self._status("Paused (Space resumes)" if paused else "Running")

    def is_paused(self) -> bool:
        return self.pause_button.isChecked()

    def toggle_pause(self) -> None:
        self.set_paused(not self.is_paused())

    def toggle_mirror(self) -> None:
        self.mirror_check.setChecked(not self.mirror_check.isChecked())

    def toggle_fullscreen(self) -> None:
        """Full screen with the video only (and its overlay); again, or Esc, to leave."""
        act.toggle_fullscreen(self)

    def leave_fullscreen(self) -> None:
        act.leave_fullscreen(self)

    def next_model(self) -> None:
        """Switch to the next model of the zoo (after the running one)."""
        act.next_model(self)

    def show_shortcuts(self) -> None:
        """The key sheet (non-modal: it never blocks the window)."""
        act.show_shortcuts(self)

    def step_source(self, delta: int) -> None:
        """The previous (-1) or next (+1) image of a slideshow."""
        self._moved(self.session.step_source(delta))

    def seek_source(self, fraction: float) -> None:
        """Go to ``fraction`` (0..1) of the video playing."""
        self._moved(self.session.seek_source(fraction))

    def skip_back(self) -> None:
        """The previous image, or 5 s back in a video (←)."""
        self._moved(self.session.skip(-1))

    def skip_forward(self) -> None:
        """The next image, or 5 s on in a video (→)."""
        self._moved(self.session.skip(1))

    def _moved(self, moved: bool) -> None:
        if moved:  # the bar follows once the source has moved (never after the window is gone)
            QTimer.singleShot(150, self, partial(window_sources.refresh_position, self))

    def _teach_dock_shown(self, visible: bool) -> None:
        if not self._shutting_down:
            act.teach_dock_shown(self, visible)

    def resizeEvent(self, event: QResizeEvent) -> None:
        if self.teach_dock.isHidden():
            self.width_without_dock = event.size().width()
        super().resizeEvent(event)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        """A dropped image/video/folder becomes the source, a model the model."""
        window_sources.dropped(self, window_sources.drop_paths(event.mimeData()))
        event.acceptProposedAction()

    def set_recording(self, path: Path | None) -> bool:
        """Record one CSV row per classified frame to ``path`` (None stops); see the session."""
        return self.session.set_recording(path)

    def current_metrics(self) -> MetricsSnapshot | None:
        """The running pipeline's metrics now (what the meter shows)."""
        return self.session.metrics_snapshot()

    # ========================================================== session events
    def _on_result(self, fr: FrameResult) -> None:
        if self._shutting_down:
            return
        result = fr.result
        self.view.show_result(result)
        self.results.set_result(result)
        self.results_shown += 1
        self.resultShown.emit(fr)

    def _on_event(self, ev: PipelineEvent) -> None:
        if self._shutting_down:
            return
        if ev.kind is EventKind.MODEL_LOADED:
            info = ev.data.get("info")
            if isinstance(info, ModelInfo):
                self._select_model_item(str(info.path) if info.spec is None else info.name)
                self._show_model_info(info)
                self._model_shown(info)
        elif ev.kind is EventKind.MODEL_FAILED and self.model_name:
            self._select_model_item(self.model_name)

    def _on_source(self, started: SourceStarted) -> None:
        if self._shutting_down:
            return
        self._select_source_item(started.spec)
        self.results.clear("Loading model…")
        self.view.set_overlay(None)
        self.view.clear(f"Opening {started.name}…")
        self.pause_button.setChecked(False)
        self.view.set_paused(False)
        self.view.set_inset(None)
        self.meter.reset()
        self.set_source_note(started.note)
        self.source_bar.show_position(None)
        if started.fallback_from is None:
            window_sources.remember_source(self, started.spec)

    def _on_notice(self, notice: Notice) -> None:
        self._status(notice.message, notice.timeout_ms)
        if notice.title is None:
            return
        self.problems.append(f"{notice.title}: {notice.message}")
        if self.interactive and not self._shutting_down:  # a scripted run never waits
            QMessageBox.warning(self, notice.title, notice.detail or notice.message)

    def _on_recording(self, path: Path | None) -> None:
        self.record_check.blockSignals(True)
        self.record_check.setChecked(path is not None)
        self.record_check.blockSignals(False)

    def _slow_refresh(self) -> None:
        """2 Hz: model-info latency, the model-input view, where a file source is."""
        info = self.session.model_info
        if info is not None:
            self._show_model_info(info)
        update_model_input(self)
        window_sources.refresh_position(self)

    def _model_shown(self, info: ModelInfo) -> None:
        """A model (re)loaded: its crop box on the video, the meter measures afresh."""
        window_sources.fit_shown(self, info)
        self.view.set_inset(None)
        self.meter.reset()
        self.meter.set_runtime(info.runtime, info.delegate, self.session.options.threads)

    def _show_model_info(self, info: ModelInfo) -> None:
        self.info_label.setText(model_info_html(info, self.current_metrics()))

    # ========================================================== snapshot
    def snapshot(self, folder: Path | None = None) -> tuple[Path, Path] | None:
        """Save the last classified frame with its overlay (PNG) and result (JSON)."""
        return self.session.snapshot(
            folder, mirrored=self.view.is_mirrored(), render=self._render_array
        )

    def _render_array(self, fr: FrameResult, mirrored: bool) -> np.ndarray:
        return qimage_to_numpy(self.render_result(fr, mirrored))

    def render_result(self, fr: FrameResult, mirrored: bool | None = None) -> QImage:
        """The classified frame at its own resolution with the overlay, as shown."""
        return render_result(fr, self.view.is_mirrored() if mirrored is None else mirrored)

    # ========================================================== lifecycle
    def shutdown(self) -> None:
        """Stop the session (joins its threads) and save settings. Idempotent."""
        if self._shutting_down:
            return
        self._shutting_down = True
        self._slow_timer.stop()
        self.meter.set_refresh_hz(0)
        self.view.set_refresh_hz(0)
        self.view.set_frame_slot(None)
        self.teach_panel.shutdown()
        try:
            self.session.close()
        finally:
            self.bridge.detach()
            self.save_settings()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        event.accept()

    # ========================================================== helpers
    def set_source_note(self, text: str) -> None:
        """The permanent right-hand status bar text (current source and why)."""
        self.source_note.setText(text)

    def _status(self, message: str, timeout_ms: int = 0) -> None:
        self.statusBar().showMessage(message, timeout_ms)

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


def _load_zoo_or_none() -> Zoo | None:
    try:
        return load_zoo()
    except (CamvizError, OSError):
        return None
