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
S snapshot, N next model, B compare with a second model (A/B), M mirror,
F full screen (the video only), T teach,
E where the model looks, R record the video, ? the key sheet, Q quit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QRect, QSettings, QSize, Qt, QTimer, Signal
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
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from camviz.annotate import SecondView
from camviz.app.options_model import OptionsChanged
from camviz.app.session import LiveSession, Notice, SourceStarted
from camviz.app.snapshot import describe_write_error
from camviz.backends import delegate_runs
from camviz.classifier import ModelInfo
from camviz.defaults import MAX_TOP_K, TOP_K
from camviz.errors import CamvizError, ModelError, format_error
from camviz.live_options import Apply, spec_for
from camviz.metrics import MetricsSnapshot
from camviz.pipeline import EventKind, FrameResult, PipelineEvent
from camviz.preprocess import ColorOrder, Fit
from camviz.qt import shortcuts
from camviz.qt.bridge import Relay, SessionBridge
from camviz.qt.compare_view import ABCompare, draw_second_view
from camviz.qt.controls import Controls, InputBox, ModelBox
from camviz.qt.explain_record import ExplainRecord, ExplainRecordBox
from camviz.qt.frame_view import FrameView, qimage_to_numpy, render_result
from camviz.qt.meter import PerformanceMeter
from camviz.qt.model_info import model_info_html, plain_words, tensor_to_display
from camviz.qt.pickers import FitPicker, ModelPicker, SourcePicker, drop_paths
from camviz.qt.results_panel import ResultsPanel
from camviz.qt.settings import SettingsStore
from camviz.qt.source_bar import SourceBar
from camviz.qt.teach_panel import TeachPanel
from camviz.qt.video_state import VideoState
from camviz.qt.wheel import WheelGuard, guard_wheel
from camviz.qt.window_layout import FullScreen, TeachDockRoom, first_size
from camviz.sources import CameraInfo
from camviz.sources.spec import SourceKind, parse_source
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
        #: False for scripted runs (--quit-after): no dialog ever, no fallback to the demo,
        #: and the user's settings are read but never written
        self.interactive = interactive
        self.store = SettingsStore(self.settings, writable=interactive, parent=self)
        self.problems: list[str] = []  # what a dialog would have said (titled notices)
        self.chosen_snapshot_dir = snapshot_dir
        self.session = LiveSession(
            zoo=zoo if zoo is not None else _load_zoo_or_none(),
            snapshot_dir=snapshot_dir or self.store.snapshot_dir(),
            fallback_to_demo=interactive,
        )
        self.bridge = SessionBridge(self.session, self)
        self.results_shown = 0
        self.geometry_restored = False
        self.status_said = ""  # the last status message, whole
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
        return self.session.sources.spec

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
        self.meter = PerformanceMeter(refresh_hz=4.0)
        self.meter.set_reader(self.session.meter.read, self.view.display_fps)
        left = QVBoxLayout()
        left.setContentsMargins(0, 0, 0, 0)
        self.source_bar = SourceBar()
        left.addWidget(self.view, 1)
        left.addWidget(self.source_bar, 0)
        self.ab = ABCompare(  # A/B: the second model's sheet, box and crop box
            self.session,
            self.view,
            names=list(zoo.names) if zoo else [],
            max_rows=MAX_TOP_K,
            top_k=TOP_K,
            parent=self,
        )
        sheets = QHBoxLayout()
        sheets.addWidget(self.results, 1)
        sheets.addWidget(self.ab.sheet, 1)
        left.addLayout(sheets, 0)

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
        self.input_box = input_box
        self.input_view, self.input_label = input_box.input_view, input_box.input_label
        self.options_form = c.options
        self.model_picker = ModelPicker(c.model_combo, self)
        self.fit_picker = FitPicker(c.fit_combo, self)
        self.source_picker = SourcePicker(
            c.source_combo, c.open_menu, self.store, lambda: self.session.sources.spec, self
        )
        self.recent_menu = self.source_picker.recent_menu

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
        self.explain_box = ExplainRecordBox()
        self.explain_record = ExplainRecord(self, self.explain_box, self)
        # the meter high enough to stay in view in a 720-pixel window: the controls, A/B's
        # agreement, the meter, then what is reached by key too (explain, record video)
        for widget in (c, self.ab.box, self.meter, self.explain_box, model_box, input_box):
            side_layout.addWidget(widget)
        side_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(side)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFixedWidth(350)
        scroll.setObjectName("side_panel")
        self.side_panel = scroll
        self._wheel_guard = WheelGuard(self)
        guard_wheel(side, self._wheel_guard)
        self.video_state = VideoState(self.session, self.view, self.results, self.meter, self)
        self.dock_room = TeachDockRoom(self, self.teach_dock)
        self.full_screen = FullScreen(self, self._chrome, self._full_screen_changed)

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
        sp, mp = self.source_picker, self.model_picker
        sp.sourceRequested.connect(self._source_requested)
        sp.modelRequested.connect(self._model_requested)
        mp.chosen.connect(self.switch_model)
        for picker in (sp, mp, self.video_state, self.ab):
            picker.said.connect(self.say)
        self.fit_picker.chosen.connect(self._fit_chosen)
        self.store.problem.connect(lambda message: self.say(message, 20000))
        self.source_bar.stepRequested.connect(self.step_source)
        self.source_bar.seekRequested.connect(self.seek_source)
        self.teach_dock.visibilityChanged.connect(self._teach_dock_shown)
        self.teach_panel.modelSaved.connect(self._taught_model_saved)
        self.setAcceptDrops(True)
        self.options_form.changed.connect(self._option_changed)
        # a change made elsewhere (the command line, a script) shows in the form
        self._options_relay = Relay(self.session.options.changed, self._options_shown, self)
        self.options_form.committed.connect(lambda _name: self.session.apply_threads())
        c.pause_button.toggled.connect(self.set_paused)
        c.snapshot_button.clicked.connect(lambda: self.snapshot())
        c.mirror_check.toggled.connect(self.view.set_mirrored)
        c.record_check.toggled.connect(self._record_toggled)
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
                "compare": self.ab.toggle,
                "explain": self.explain_record.explain,
                "toggle_video": self.explain_record.toggle_video,
                "show_shortcuts": self.show_shortcuts,
                "skip_back": self.skip_back,
                "skip_forward": self.skip_forward,
                "close": self.close,
            },
        )
        self.shortcut_sheet: shortcuts.ShortcutSheet | None = None
        quit_action = QAction("Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        self.addAction(quit_action)

    def sizeHint(self) -> QSize:
        return QSize(1280, 720)

    # ========================================================== settings
    def _restore_settings(self, budget_ms: float | None) -> None:
        """Put the saved options, mirror, fits and geometry into the window and session."""
        notes: list[str] = []
        options, mirrored = self.store.options(budget_ms, notes)
        if notes:
            self.say("Settings ignored: " + "; ".join(notes), 20000)
        form = self.options_form
        form.set_values({name: getattr(options, name) for name in form.names()}, quiet=True)
        self.mirror_check.setChecked(mirrored)
        self.session.update(**form.values())  # what the boxes took (they clamp)
        self.results.set_top_k(int(self.topk_spin.value()))
        self.meter.set_budget_ms(self.budget_spin.value())
        self.session.viewing.fits.update(self.store.fits())
        geometry = self.store.geometry()
        self.geometry_restored = geometry is not None and self.restoreGeometry(geometry)
        if not self.geometry_restored:
            self.resize(self.first_size())

    def first_size(self, wanted: QSize | None = None) -> QSize:
        """``wanted`` (the size hint) within the screen's available room."""
        screen = self.screen()
        room = screen.availableGeometry() if screen is not None else QRect()
        return first_size(wanted or self.sizeHint(), room)

    def save_settings(self) -> None:
        """Save the options, source, model, snapshot folder, fits and geometry (not in a
        scripted run: :class:`SettingsStore` is read-only there)."""
        store, session = self.store, self.session
        store.save_fits(session.viewing.fits)
        store.save_options(session.options.value, self.view.is_mirrored())
        names = tuple(session.zoo.names) if session.zoo is not None else ()
        if session.sources.spec is not None:
            store.save_source(session.sources.spec)
        if session.requested_model:
            store.save_model(session.requested_model, names)
        if self.chosen_snapshot_dir is not None:
            store.save_snapshot_dir(self.chosen_snapshot_dir)
        store.save_geometry(self.saveGeometry())
        store.sync()

    def saved_source(self) -> str | None:
        return self.store.source()

    def saved_model(self) -> str | None:
        return self.store.model()

    # ========================================================== pipeline
    def start(self, source: str, model: str | None = None, *, pace: bool = True) -> bool:
        """(Re)start the pipeline on ``source`` ("demo", a camera index, a path).

        ``pace=False`` plays files and the demo as fast as they decode (soak tests).
        """
        if model:
            self.model_picker.select(model)
        return self.session.start(source, model, pace=pace)

    def start_default(self, cameras: list[CameraInfo], model: str | None = None) -> bool:
        """The first camera, else the demo reel (saying no camera was found)."""
        if model:
            self.model_picker.select(model)
        return self.session.start_default(cameras, model)

    def start_up(
        self, source: str | None, model: str | None, cameras: list[CameraInfo] | None = None
    ) -> bool:
        """The first start (:meth:`LiveSession.start_up`): ``source``/``model`` as given win,
        else the remembered model (the default if it is gone or fails) on the first camera."""
        if model:
            self.model_picker.select(model)
        return self.session.start_up(
            source, model, remembered=self.saved_model(), cameras=cameras or []
        )

    def stop(self) -> None:
        self.session.stop()

    def switch_model(self, model: str) -> None:
        """Load ``model`` (zoo name or .tflite path) live; the old one runs until it loads
        (or is refused, said), waited for at most ``VideoState.switch_timeout_s``."""
        self.video_state.model_requested(model)
        self.session.switch_model(model)

    def set_paused(self, paused: bool) -> None:
        self.session.set_paused(paused)
        if self.pause_button.isChecked() != paused:
            self.pause_button.setChecked(paused)
        self.pause_button.setText("Resume" if paused else "Pause")
        self.view.set_paused(paused)
        self.video_state.set_paused(paused)
        self.say("Paused (Space resumes)" if paused else "Running")

    def is_paused(self) -> bool:
        return self.pause_button.isChecked()

    def toggle_pause(self) -> None:
        self.set_paused(not self.is_paused())

    def toggle_mirror(self) -> None:
        self.mirror_check.setChecked(not self.mirror_check.isChecked())

    def toggle_fullscreen(self) -> None:
        """Full screen with the video only (and its overlay); again, or Esc, to leave."""
        self._hide_sheet()
        self.full_screen.toggle()

    def leave_fullscreen(self) -> None:
        """Esc: leave full screen (and close the key sheet, cancel a map under way)."""
        self._hide_sheet()
        self.explain_record.cancel()
        self.full_screen.leave()

    def _chrome(self) -> list[QWidget]:
        return [self.side_panel, self.results, self.ab.sheet, self.statusBar(), self.teach_dock]

    def _full_screen_changed(self, full: bool) -> None:
        self.view.set_full_screen(full)

    def next_model(self) -> None:
        """Switch to the next model of the list (after the one asked for last)."""
        name = self.model_picker.next_after(self.session.requested_model or self.model_name)
        if name is not None:
            self.model_picker.select(name)
            self.switch_model(name)

    def show_shortcuts(self) -> None:
        """The key sheet (non-modal: it never blocks the window); ? again hides it."""
        sheet = self.shortcut_sheet
        if sheet is not None and sheet.isVisible():
            sheet.hide()
            return
        if sheet is None:
            sheet = self.shortcut_sheet = shortcuts.ShortcutSheet(self)
        sheet.show()
        sheet.raise_()

    def _hide_sheet(self) -> None:
        if self.shortcut_sheet is not None:
            self.shortcut_sheet.hide()

    def step_source(self, delta: int) -> None:
        """The previous (-1) or next (+1) image of a slideshow."""
        self._moved(self.session.sources.step(delta))

    def seek_source(self, fraction: float) -> None:
        """Go to ``fraction`` (0..1) of the video playing."""
        self._moved(self.session.sources.seek(fraction))

    def skip_back(self) -> None:
        """The previous image, or 5 s back in a video (←)."""
        self._moved(self.session.sources.skip(-1))

    def skip_forward(self) -> None:
        """The next image, or 5 s on in a video (→)."""
        self._moved(self.session.sources.skip(1))

    def _moved(self, moved: bool) -> None:
        if moved:  # the bar follows once the source has moved (paused too: the session
            # classifies the frame a move lands on)
            QTimer.singleShot(150, self, self.refresh_position)

    def refresh_position(self) -> None:
        """The bar under the video: where a file source is."""
        self.source_bar.show_position(self.session.sources.position())

    def _teach_dock_shown(self, visible: bool) -> None:
        if not self._shutting_down:
            self.dock_room.shown(visible)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self.dock_room.resized(event.size().width())
        super().resizeEvent(event)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        """A dropped image/video/folder becomes the source, a model the model."""
        self.source_picker.dropped(drop_paths(event.mimeData()))
        event.acceptProposedAction()

    def _taught_model_saved(self, path: str) -> None:
        """A taught model running from its temporary file now runs as the file the user
        named (its name in the list and the results)."""
        if self.session.teaching.is_temporary(self.session.requested_model):
            self.model_picker.select(path)
            self.switch_model(path)

    def _source_requested(self, spec: str) -> None:
        """The user picked a source: run it with the model running now (never with one
        that was just refused)."""
        self.session.start(spec, self.model_picker.running or None, rearm_fallback=True)

    def _model_requested(self, spec: str) -> None:
        self.model_picker.select(spec)
        self.switch_model(spec)

    def _fit_chosen(self, fit: Fit) -> None:
        info = self.session.model_info
        if info is not None and not self.session.viewing.set_fit(fit):
            self.say("A taught model sees what its backbone was trained on: a centre crop", 8000)
            self.view.set_crop_fraction(self.fit_picker.show_model(info))

    def _option_changed(self, name: str, value: float) -> None:
        if name == "top_k":
            self.results.set_top_k(int(value))
        elif name == "budget_ms":
            self.meter.set_budget_ms(float(value))
        if spec_for(name).apply is not Apply.REPORTING:  # a reload: when the box is left
            self.session.update(**{name: value})
            return
        try:
            self.session.options.set(**{name: value})
        except CamvizError as exc:
            self.say(format_error(exc))

    def _options_shown(self, change: OptionsChanged) -> None:
        if self._shutting_down:
            return
        values = {name: getattr(change.options, name) for name in change.names}
        self.options_form.set_values(values, quiet=True)

    def _record_toggled(self, on: bool) -> None:
        if on and self.session.outputs.recorder is None:
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
        """Record one CSV row per classified frame to ``path`` (None stops); see the session."""
        return self.session.outputs.set_recording(path)

    def current_metrics(self) -> MetricsSnapshot | None:
        """The running pipeline's metrics now (what the meter shows)."""
        return self.session.metrics_snapshot()

    # ========================================================== session events
    def _on_result(self, fr: FrameResult) -> None:
        if self._shutting_down:
            return
        self.video_state.result(fr)
        result = fr.result
        self.view.show_result(result)
        self.results.set_result(result)
        if fr.model_input is not None:  # the inset pairs with the labels: the same frame
            self._show_tensor(fr.model_input)
        self.results_shown += 1
        self.resultShown.emit(fr)

    def _on_event(self, ev: PipelineEvent) -> None:
        if self._shutting_down:
            return
        self.video_state.pipeline_event(ev)
        if ev.kind is EventKind.MODEL_LOADED:
            info = ev.info
            if isinstance(info, ModelInfo):
                self.model_picker.loaded(info)
                self._show_model_info(info)
                self._model_shown(info)
        elif ev.kind is EventKind.MODEL_FAILED:
            self.model_picker.failed(ev.model)
        elif ev.kind is EventKind.ERROR and isinstance(ev.error, ModelError):
            self.model_picker.failed(self.session.requested_model)  # the start-up model

    def _on_source(self, started: SourceStarted) -> None:
        if self._shutting_down:
            return
        self.source_picker.select(started.spec)
        self.results.clear("Loading model…")
        self.view.set_overlay(None)
        self.view.clear(f"Opening {started.name}…")
        self.pause_button.setChecked(False)
        self.view.set_paused(False)
        self.video_state.set_paused(False)
        self.video_state.source_started(started)
        self.meter.set_still(_is_still(started.spec))
        self.view.set_inset(None)
        self.set_source_note(started.note)
        self.source_bar.show_position(None)
        if started.fallback_from is None:
            self.source_picker.remember(started.spec)

    def _on_notice(self, notice: Notice) -> None:
        self.say(notice.message, notice.timeout_ms)
        if notice.title is None:
            return
        self.problems.append(f"{notice.title}: {notice.message}")
        if self.interactive and not self._shutting_down:  # a scripted run never waits
            QMessageBox.warning(self, notice.title, plain_words(notice.detail or notice.message))

    def _on_recording(self, path: Path | None) -> None:
        self.view.set_badge("REC", path is not None)
        self.record_check.blockSignals(True)
        self.record_check.setChecked(path is not None)
        self.record_check.blockSignals(False)

    def _slow_refresh(self) -> None:
        """2 Hz: model-info latency, the model-input view, where a file source is."""
        info = self.session.model_info
        if info is not None:
            self._show_model_info(info)
        self._show_model_input()
        self.refresh_position()

    def _show_model_input(self) -> None:
        """The exact tensor the model sees for the last frame: in the Input box and the inset
        (asking for it makes the pipeline carry it on every result from then on)."""
        try:
            tensor = self.session.model_input()
        except Exception as exc:  # show, never crash the GUI over a preview
            self.input_box.show_problem(f"Cannot show the model input: {format_error(exc)}")
            return
        if tensor is not None:
            self._show_tensor(tensor)

    def _show_tensor(self, tensor: Any) -> None:
        info = self.session.model_info
        order = getattr(getattr(info, "preprocessing", None), "color_order", None)
        picture = self.input_box.show_tensor(np.asarray(tensor), bgr=order is ColorOrder.BGR)
        self.view.set_inset(picture)

    def _model_shown(self, info: ModelInfo) -> None:
        """A model (re)loaded: its crop box on the video, the meter measures afresh."""
        self.view.set_crop_fraction(self.fit_picker.show_model(info))
        self.view.set_inset(None)  # (the session resets its meter at every load)
        through = info.delegate if delegate_runs(info.runtime, info.device) else None
        threads = self.session.options.value.threads
        self.meter.set_runtime(info.runtime, info.device, threads, delegate=through)

    def _show_model_info(self, info: ModelInfo) -> None:
        self.info_label.setText(model_info_html(info, self.current_metrics()))
        self.info_label.setToolTip(info.name if info.path is None else f"{info.name}\n{info.path}")

    # ========================================================== snapshot
    def snapshot(self, folder: Path | None = None) -> tuple[Path, Path] | None:
        """Save the last classified frame with its overlay (PNG) and result (JSON)."""
        return self.session.outputs.snapshot(
            folder, mirrored=self.view.is_mirrored(), render=self._render_array
        )

    def _render_array(
        self, fr: FrameResult, mirrored: bool, second: SecondView | None = None
    ) -> np.ndarray:
        image = self.render_result(fr, mirrored)
        if second is not None:
            draw_second_view(image, second)
        return qimage_to_numpy(image)

    def render_result(self, fr: FrameResult, mirrored: bool | None = None) -> QImage:
        """The classified frame at its own resolution with the overlay, as shown (the crop
        box, and the explain map while it is on that frame)."""
        return render_result(
            fr,
            self.view.is_mirrored() if mirrored is None else mirrored,
            crop_fraction=self.view.crop_fraction(),
            heat=self.view.heat(),
        )

    # ========================================================== lifecycle
    def shutdown(self) -> None:
        """Stop the session (joins its threads) and save settings. Idempotent."""
        if self._shutting_down:
            return
        self._shutting_down = True
        self._slow_timer.stop()
        self.video_state.stop()
        self.meter.set_refresh_hz(0)
        self.view.set_refresh_hz(0)
        self.view.set_frame_slot(None)
        self.teach_panel.shutdown()
        self.explain_record.shutdown()
        try:
            self.session.close()
        finally:
            self.bridge.detach()
            self._options_relay.detach()
            self.ab.detach()
            self.save_settings()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._shutting_down and not self.may_drop_teach_samples():
            event.ignore()
            return
        self.shutdown()
        event.accept()

    def may_drop_teach_samples(self) -> bool:
        """Asked before closing with teach samples captured but not saved (never in a
        scripted run): True to close."""
        unsaved = self.teach_panel.unsaved_samples()
        if not unsaved or not self.interactive:
            return True
        answer = QMessageBox.question(
            self,
            "Quit camviz?",
            f"{unsaved} teach sample{'s' if unsaved != 1 else ''} captured since the last save"
            " will be lost. Quit anyway?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer is QMessageBox.StandardButton.Yes

    # ========================================================== helpers
    def set_source_note(self, text: str) -> None:
        """The permanent right-hand status bar text (current source and why)."""
        self.source_note.setText(text)

    def reveal(self, widget: QWidget) -> None:
        """Scroll the side panel to ``widget`` (one of its boxes), when it is out of view;
        after the layout has taken what was just shown in it (a progress bar)."""
        QTimer.singleShot(0, lambda: self.side_panel.ensureWidgetVisible(widget, 0, 8))

    def say(self, message: str, timeout_ms: int = 0) -> None:
        """Say ``message`` in the status bar, elided with "…" to its room (whole in the
        tooltip and in :attr:`status_said`), in a user's words (:func:`plain_words`)."""
        message = plain_words(message)
        self.status_said = message
        bar = self.statusBar()
        room = bar.width() - self.source_note.width() - 32
        shown = message
        if room > 80 and bar.fontMetrics().horizontalAdvance(message) > room:
            shown = bar.fontMetrics().elidedText(message, Qt.TextElideMode.ElideRight, room)
        bar.setToolTip(message if shown != message else "")
        bar.showMessage(shown, timeout_ms)


def _is_still(spec: str) -> bool:
    """Whether ``spec`` is one still image (no frame rate to show)."""
    try:
        return parse_source(spec, missing_ok=True).kind is SourceKind.PHOTO
    except CamvizError:
        return False


def _load_zoo_or_none() -> Zoo | None:
    try:
        return load_zoo()
    except (CamvizError, OSError):
        return None
