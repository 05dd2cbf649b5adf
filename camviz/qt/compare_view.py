"""A/B in the window: the second model's sheet, its picker and figures, its crop box.

The state is the session's (:class:`camviz.app.comparing.Comparing`); this module only shows
it and asks for changes:

* :class:`CompareBox` (side panel): a "Compare with" list (Off, the zoo's models, the files
  opened, "Open a model file…"), what the second model sees ("B sees": a centre crop or the
  whole frame, its own fit), what the second model is doing, the agreement of the last
  window's frame pairs (top-1 agreement, top-5 overlap) and each model's latency with its
  budget light;
* :class:`SecondSheet`: the second model's results, beside the first model's sheet (a
  :class:`~camviz.qt.results_panel.ResultsPanel`, headed by the model's name);
* :class:`SecondCrop`: the second model's crop box on the video when it differs from the
  first model's (another input size's crop, or the whole frame letterboxed), drawn in amber
  over the view;
* :class:`ABCompare` ties them to the session and gives the window ``toggle`` (key B).

Pair readings arrive at the inference rate; only the latest one is shown (coalesced as the
bridge does with results), so a slow GUI never builds a backlog.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QPoint, QRectF, Qt, Signal, Slot
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from camviz.annotate import SecondView, mirror_region
from camviz.app.comparing import ABReading, CompareState, CompareStatus
from camviz.app.options_model import OptionsChanged
from camviz.app.picker import model_dialog_filter
from camviz.app.session import LiveSession
from camviz.app.viewing import FIT_NAMES
from camviz.classifier import ModelInfo
from camviz.metrics import BudgetLight
from camviz.preprocess import Fit
from camviz.qt.bridge import Relay
from camviz.qt.controls import OPEN_MODEL_ITEM
from camviz.qt.frame_view import FrameView, letterbox_rect
from camviz.qt.model_info import plain_words
from camviz.qt.results_panel import ResultsPanel
from camviz.zoo import is_head_path

__all__ = [
    "ABCompare",
    "CompareBox",
    "SecondCrop",
    "SecondSheet",
    "agreement_text",
    "draw_second_crop",
    "draw_second_view",
    "twin_of",
]

_LIGHT_COLORS = {
    BudgetLight.IDLE: "#8a8a8a",
    BudgetLight.GREEN: "#2e9d57",
    BudgetLight.AMBER: "#d99a1e",
    BudgetLight.RED: "#d0393e",
}
_OFF = ""  # the "Off" item's data
_B_COLOR = QColor(255, 176, 32)  # the second model's crop box


def agreement_text(reading: ABReading | None) -> str:
    """The agreement as the box shows it ('' before the first pair)."""
    if reading is None or reading.agreement is None or reading.overlap is None:
        return ""
    return f"Top-1 agree {reading.agreement:.0%} · top-5 overlap {reading.overlap:.0%}"


def twin_of(model: str, names: list[str]) -> str | None:
    """The model to compare ``model`` with by default: its float/int8 twin in ``names``,
    else the next name in the list."""
    stem = Path(model).stem if "/" in model else model
    for a, b in (("_int8", "_float32"), ("_float32", "_int8")):
        if stem.endswith(a) and (twin := stem[: -len(a)] + b) in names:
            return twin
    if stem in names:
        at = names.index(stem)
        names = names[at + 1 :] + names[:at]
    return names[0] if names else None


class SecondSheet(QWidget):
    """The second model's results (a ResultsPanel), hidden while A/B is off."""

    def __init__(self, *, max_rows: int, top_k: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("second_sheet")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.results = ResultsPanel(self, max_rows=max_rows, top_k=top_k)
        self.results.setObjectName("second_results")
        # framed in the second model's colour, the one of its crop box; same height as A's
        self.results.setStyleSheet(
            "#second_results { border: 2px solid #ffb020; border-radius: 4px; }"
        )
        self.results.setToolTip("B: the second model's results on the same frame")
        layout.addWidget(self.results)
        self.title = ""  # the second model's name ('' before one loaded)
        self.hide()


class CompareBox(QGroupBox):
    """The side panel's A/B box: the picker and the figures (see the module doc)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Compare (A/B)", parent)
        self.setObjectName("compare_box")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        row = QHBoxLayout()
        row.addWidget(QLabel("With"))
        self.combo = QComboBox()
        self.combo.setToolTip("A second model on the same frames (key B)")
        self.combo.setMinimumContentsLength(12)
        self.combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        row.addWidget(self.combo, 1)
        layout.addLayout(row)
        fit_row = QHBoxLayout()
        fit_row.addWidget(QLabel("B sees"))
        self.fit_combo = QComboBox()  # what the second model is fed (its own fit)
        for fit, text in FIT_NAMES.items():
            self.fit_combo.addItem(text, fit.value)
        self.fit_combo.setToolTip(
            "What of the frame the second model sees; its box is drawn when A sees another part"
        )
        self.fit_combo.setEnabled(False)  # until a second model runs
        fit_row.addWidget(self.fit_combo, 1)
        layout.addLayout(fit_row)
        self.status = QLabel("No second model")  # shown while loading or after a failure
        self.status.setWordWrap(True)
        self.agreement = QLabel("")
        self.agreement.setStyleSheet("font-weight: bold;")
        self.latency = QLabel("")  # both models' p50 and budget lights, on one line
        for label in (self.status, self.agreement, self.latency):
            layout.addWidget(label)
        self.status.hide()
        self.show_figures(None)

    def show_figures(self, reading: ABReading | None) -> None:
        self.agreement.setText(agreement_text(reading))
        self.agreement.setVisible(reading is not None)
        self.latency.setVisible(reading is not None)
        if reading is None:
            return
        self.agreement.setToolTip(
            f"Over the last {reading.pairs} frames both models classified (the meter's window)"
        )
        parts, tips = [], []
        for side, latency in (("A", reading.latency_a), ("B", reading.latency_b)):
            color = _LIGHT_COLORS[latency.light]
            parts.append(f"<span style='color:{color}'>●</span> {side} {latency.p50_ms:.1f} ms")
            tips.append(
                f"{side} {latency.name}: p50 {latency.p50_ms:.1f} ms, p95 {latency.p95_ms:.1f} ms"
                f" ({latency.light.value} against the budget)"
            )
        self.latency.setText(" &nbsp; ".join(parts) + " &nbsp;(p50)")
        self.latency.setToolTip(
            "Each model's own time per frame (preprocess, invoke, softmax):\n" + "\n".join(tips)
        )


class SecondCrop(QWidget):
    """The second model's crop box, over the video (transparent to the mouse)."""

    def __init__(self, view: FrameView) -> None:
        super().__init__(view)
        self.view = view
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.region: tuple[int, int, int, int] | None = None  # in frame pixels; None: none
        self.frame_size: tuple[int, int] = (0, 0)
        view.installEventFilter(self)
        self.setGeometry(view.rect())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.view and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.view.rect())
        return False

    def set_region(
        self, region: tuple[int, int, int, int] | None, frame_size: tuple[int, int]
    ) -> None:
        if (region, frame_size) != (self.region, self.frame_size):
            self.region, self.frame_size = region, frame_size
            self.update()

    def box(self) -> QRectF | None:
        """Where the box is drawn (view coordinates), None when there is none."""
        (w, h), region = self.frame_size, self.region
        if region is None or not w or not h:
            return None
        target = letterbox_rect(w, h, self.view.rect())
        if self.view.is_mirrored():
            region = mirror_region(region, w)
        left, top, rw, rh = region
        sx, sy = target.width() / w, target.height() / h
        return QRectF(target.x() + left * sx, target.y() + top * sy, rw * sx, rh * sy)

    def paintEvent(self, event: QPaintEvent) -> None:
        box = self.box()
        if box is None:
            return
        painter = QPainter(self)
        try:
            draw_second_crop(painter, box)
        finally:
            painter.end()


def draw_second_crop(painter: QPainter, box: QRectF) -> None:
    """The second model's crop box: a dashed amber line on a dark band, "B sees this"."""
    inner = box.adjusted(2, 2, -3, -3)
    painter.setPen(QPen(QColor(0, 0, 0, 200), 5))
    painter.drawRect(inner)
    painter.setPen(QPen(_B_COLOR, 3, Qt.PenStyle.DashLine))
    painter.drawRect(inner)
    font = painter.font()
    font.setBold(True)
    painter.setFont(font)
    text = "B sees this"
    metrics = painter.fontMetrics()
    tag = metrics.boundingRect(text).adjusted(-6, -3, 6, 3)
    r = box.toAlignedRect()
    tag.moveBottomLeft(r.bottomLeft() + QPoint(8, -8))
    painter.fillRect(tag, QColor(10, 10, 10, 220))
    painter.setPen(_B_COLOR)
    painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, text)


def draw_second_view(image: QImage, view: SecondView) -> QImage:
    """``image`` (a frame rendered at its own size, as a snapshot is) with the second model
    drawn as the window shows it: its crop box where it differs, and its top label in an
    amber-framed box at the top right."""
    painter = QPainter(image)
    try:
        if view.region is not None:
            left, top, w, h = view.region
            draw_second_crop(painter, QRectF(left, top, w, h))
        font = painter.font()
        font.setPixelSize(max(12, image.height() // 28))
        painter.setFont(font)
        top1 = view.result.categories[0] if view.result.categories else None
        if view.result.uncertain or top1 is None:
            said = "Not sure"
        else:
            said = f"{top1.display_name or top1.label}  {top1.score * 100:.0f}%"
        text = f"B {view.name}: {said}"
        box = painter.fontMetrics().boundingRect(text).adjusted(-8, -4, 8, 4)
        box.moveTopRight(QPoint(image.width() - 10, 10))
        painter.fillRect(box, QColor(0, 0, 0, 190))
        painter.setPen(QPen(_B_COLOR, 2))
        painter.drawRect(box)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
    finally:
        painter.end()
    return image


class ABCompare(QObject):
    """The window's A/B: the widgets above, bound to ``session.comparing``."""

    said = Signal(str, int)
    _pair_ready = Signal()

    def __init__(
        self,
        session: LiveSession,
        view: FrameView,
        *,
        names: list[str],
        max_rows: int,
        top_k: int,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.comparing = session.comparing
        self.names = names
        self.box = CompareBox()
        self.sheet = SecondSheet(max_rows=max_rows, top_k=top_k)
        self.crop = SecondCrop(view)
        self.last_chosen: str | None = None
        self.shown: ABReading | None = None  # the pair on screen
        self._lock = threading.Lock()
        self._latest: ABReading | None = None
        self._pending = False
        self._fill_combo()
        self.box.combo.activated.connect(self._activated)
        self.box.fit_combo.activated.connect(self._fit_activated)
        self._pair_ready.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self.comparing.pair.connect(self._on_pair)
        self._relays: list[Relay[Any]] = [
            Relay(self.comparing.status, self._on_status, self),
            Relay(session.options.changed, self._on_options, self),
        ]

    # ------------------------------------------------------------------ control
    def toggle(self) -> None:
        """Key B: compare with the last second model chosen (or the running model's twin);
        again: off."""
        if self.comparing.active:
            self.choose(None)
            return
        running = self.session.running_model or self.session.requested_model or ""
        model = self.last_chosen or twin_of(running, self.names)
        if model is None:
            self.said.emit("No other model to compare with: open one in Compare with…", 8000)
            return
        self.choose(model)

    def choose(self, model: str | None) -> None:
        if model:  # last_chosen: once it runs (a model that fails is not offered again)
            self._select(model)
        else:
            self.box.combo.setCurrentIndex(0)
        self.comparing.choose(model or None)

    def detach(self) -> None:
        self.comparing.pair.disconnect(self._on_pair)
        for relay in self._relays:
            relay.detach()

    # ------------------------------------------------------------------ internals
    def _fill_combo(self) -> None:
        combo = self.box.combo
        combo.addItem("Off", _OFF)
        for name in self.names:
            combo.addItem(name, name)
        combo.addItem(OPEN_MODEL_ITEM, None)

    def _select(self, model: str) -> None:
        combo = self.box.combo
        index = combo.findData(model)
        if index < 0:
            index = combo.count() - 1
            combo.insertItem(index, Path(model).name, model)
            combo.setItemData(index, model, Qt.ItemDataRole.ToolTipRole)
        combo.setCurrentIndex(index)

    def _activated(self, index: int) -> None:
        data = self.box.combo.itemData(index)
        if data is None:
            path, _ = QFileDialog.getOpenFileName(
                self.box.window(), "Compare with a model", "", model_dialog_filter()
            )
            if not path:
                current = self.comparing.model
                if current:
                    self._select(current)
                else:
                    self.box.combo.setCurrentIndex(0)
                return
            data = path
        self.choose(str(data) or None)

    def set_fit(self, fit: Fit) -> bool:
        """Feed the second model ``fit`` (reloading it); False when none runs or it is a
        taught head, which keeps the crop it was trained on."""
        model = self.comparing.model
        if model is None or not self.session.viewing.set_fit(fit, model):
            return False
        self.comparing.reload()
        return True

    def _fit_activated(self, index: int) -> None:
        if not self.set_fit(Fit(self.box.fit_combo.itemData(index))):
            self.said.emit("A taught model sees what its backbone was trained on", 8000)
            self._show_fit(self.comparing.state.info)

    def _show_fit(self, info: ModelInfo | None) -> None:
        combo = self.box.fit_combo
        spec = info.preprocessing if info is not None else None
        combo.setCurrentIndex(max(0, combo.findData((spec.fit if spec else Fit.CENTER_CROP).value)))
        combo.setEnabled(spec is not None and info is not None and not is_head_path(str(info.path)))

    def _on_status(self, status: CompareStatus) -> None:
        box = self.box
        if status.state is CompareState.RUNNING or status.state is CompareState.OFF:
            self._show_fit(status.info if status.state is CompareState.RUNNING else None)
        if status.state is CompareState.RUNNING and status.model:
            self.last_chosen = status.model
        # on: a second model runs or loads (a failure leaves the one running, or none)
        on = self.comparing.active and status.state is not CompareState.OFF
        message = plain_words(status.message)
        box.status.setText(message)
        box.status.setToolTip(message)
        box.status.setVisible(status.state in (CompareState.LOADING, CompareState.FAILED))
        self.sheet.setVisible(on)
        if status.state is CompareState.FAILED:
            self.said.emit(message, 15000)
            asked = self.comparing.model  # the picker shows what runs, not what failed
            if asked:
                self._select(asked)
            else:
                box.combo.setCurrentIndex(0)
        if status.info is not None:
            self.sheet.title = status.info.name
        if status.state is not CompareState.RUNNING:
            self._show(None)
            if status.state is CompareState.LOADING:
                self.sheet.results.clear("Loading the second model…")
            elif status.info is None:
                self.sheet.results.clear("")
        self._show_crop()

    def _on_options(self, change: OptionsChanged) -> None:
        if "top_k" in change.names:
            self.sheet.results.set_top_k(change.options.top_k)

    def _on_pair(self, reading: ABReading) -> None:  # inference thread
        with self._lock:
            self._latest = reading
            notify = not self._pending
            self._pending = True
        if notify:
            with contextlib.suppress(RuntimeError):
                self._pair_ready.emit()

    @Slot()
    def _deliver(self) -> None:
        with self._lock:
            reading, self._latest = self._latest, None
            self._pending = False
        if reading is not None and self.comparing.active:
            self._show(reading)

    def _show(self, reading: ABReading | None) -> None:
        self.shown = reading
        self.box.show_figures(reading)
        if reading is not None:
            self.sheet.results.set_result(reading.second.result)
            self._show_crop()
            same = reading.first.model == reading.second.model  # N or the Model list made A B
            if same or self.comparing.state.state is CompareState.RUNNING:
                note = f"A and B are both {reading.first.model}: choose another model for B"
                self.box.status.setText(note if same else self.comparing.state.message)
                self.box.status.setVisible(same)

    def _show_crop(self) -> None:
        """B's box when B sees another part of the frame than A."""
        reading = self.shown
        if reading is None:
            self.crop.set_region(None, (0, 0))
            return
        h, w = reading.first.frame.pixels.shape[:2]
        view = self.comparing.second_view(w, h)
        self.crop.set_region(None if view is None else view.region, (w, h))
