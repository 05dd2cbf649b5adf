"""Performance meter: a budget light in plain words, rates, latency, skipped frames, a graph.

The meter never updates per frame. A ``QTimer`` (default 4 Hz) asks a
*provider* for a metrics snapshot (``camviz.metrics.MetricsSnapshot`` or any
object with the fields of :class:`SnapshotLike`) and repaints once.

The light, the numbers and the graph share one time window
(:class:`camviz.app.meter_window.MeterWindow`: the last ``span_s`` seconds since
the last model, source or thread switch, :meth:`PerformanceMeter.reset`). The
light is :func:`camviz.metrics.budget_light` over exactly the samples the graph
draws: green ``p95 <= budget``, amber ``p50 <= budget < p95``, red
``p50 > budget``; grey while warming up or idle.

Text is drawn in the palette's own text colours or in colours chosen for a
contrast of at least 4.5:1 on the graph's background (:func:`contrast_ratio`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

from camviz.app.meter_window import SPAN_S, MeterReading, MeterWindow
from camviz.defaults import BUDGET_MS
from camviz.metrics import BudgetLight, budget_light

__all__ = [
    "BudgetStatus",
    "GRAPH_BACKGROUND",
    "GRAPH_TEXT",
    "LatencyGraph",
    "PerformanceMeter",
    "SnapshotLike",
    "budget_status",
    "contrast_ratio",
    "cpu_text",
    "light_color",
]


class PercentilesLike(Protocol):
    @property
    def p50(self) -> float: ...
    @property
    def p95(self) -> float: ...
    @property
    def count(self) -> int: ...


class SnapshotLike(Protocol):
    """The fields of ``camviz.metrics.MetricsSnapshot`` the meter reads."""

    @property
    def capture_fps(self) -> float: ...
    @property
    def inference_fps(self) -> float: ...
    @property
    def captured(self) -> int: ...
    @property
    def dropped(self) -> int: ...
    @property
    def failed(self) -> int: ...
    @property
    def budget_ms(self) -> float: ...
    @property
    def e2e_ms(self) -> PercentilesLike: ...
    @property
    def stages_ms(self) -> Mapping[str, PercentilesLike]: ...
    @property
    def recent_e2e_ms(self) -> Sequence[tuple[float, float]]: ...


#: The meter's names for the shared rule (``camviz.metrics``).
BudgetStatus = BudgetLight
budget_status = budget_light

_STATUS_COLORS = {
    BudgetStatus.IDLE: "#7f7f7f",
    BudgetStatus.GREEN: "#2ea043",
    BudgetStatus.AMBER: "#d29922",
    BudgetStatus.RED: "#da3633",
}
GRAPH_BACKGROUND = QColor(20, 22, 26)
GRAPH_TEXT = QColor(200, 200, 200)  # 11:1 on the background
_BUDGET_LINE = QColor(_STATUS_COLORS[BudgetStatus.AMBER])  # 7.4:1: also used for its label
_TRACE = QColor(90, 170, 255)
_STRIP = 16  # px at the top of the graph for its labels: the trace never goes there


#: The meter's values that can be long ("openvino · CPU · 2 threads", the CPU load): each
#: gets a row of its own.
_LONG_VALUES = frozenset({"runtime", "cpu"})


def cpu_text(snap: Any) -> str:
    """ "85% of a core · 12 ms/frame" (the process's CPU share and its CPU time per frame)."""
    share = getattr(snap, "cpu_share", None) if snap is not None else None
    if share is None:
        return "–"
    per_frame = getattr(snap, "cpu_ms_per_frame", None)
    text = f"{share * 100:.0f}% of a core" if share < 1.5 else f"{share:.1f} cores"
    return text + (f" · {per_frame:.0f} ms/frame" if per_frame is not None else "")


def light_color(light: BudgetLight) -> QColor:
    """The colour the meter paints ``light`` in."""
    return QColor(_STATUS_COLORS[light])


def contrast_ratio(a: QColor, b: QColor) -> float:
    """The WCAG contrast ratio of two opaque colours (1..21)."""

    def luminance(c: QColor) -> float:
        def channel(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

        return (
            0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF())
        )

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


class LatencyGraph(QWidget):
    """Line graph of one meter reading's (stamp, ms) samples over its window, with a dashed
    budget line. The labels sit in a strip above the plot, clear of the trace."""

    def __init__(self, parent: QWidget | None = None, *, span_s: float = SPAN_S) -> None:
        super().__init__(parent)
        self.span_s = span_s
        self._samples: list[tuple[float, float]] = []
        self._budget_ms = BUDGET_MS
        self._y_max = BUDGET_MS * 1.5
        self._now: float | None = None
        self.setMinimumSize(160, 80)
        self.setToolTip(
            "End-to-end latency of each classified frame (capture to result) over the meter's"
            " window; the dashed line is the budget"
        )

    def sizeHint(self) -> QSize:
        return QSize(320, 96)

    def set_reading(self, reading: MeterReading) -> None:
        self._now = reading.now
        self.span_s = reading.span_s
        self._samples = list(reading.samples)
        self._budget_ms = reading.budget_ms
        self._y_max = reading.y_max
        self.update()

    def samples(self) -> list[tuple[float, float]]:
        return list(self._samples)

    def y_max(self) -> float:
        """Top of the scale (robust: a start-up spike is clipped, not scaled to)."""
        return self._y_max

    def plot_rect(self) -> QRectF:
        """Where the trace is drawn (below the label strip)."""
        return QRectF(self.rect()).adjusted(1, 1 + _STRIP, -1, -1)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.fillRect(self.rect(), GRAPH_BACKGROUND)
            rect = self.plot_rect()
            y_max = self.y_max()
            now = self._now if self._now is not None else time.monotonic()
            strip = QRectF(rect.left() + 4, 1, rect.width() - 8, _STRIP)
            painter.setPen(GRAPH_TEXT)
            painter.drawText(
                strip,
                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                f"0–{y_max:.0f} ms, last {self.span_s:.0f} s",
            )
            painter.setPen(_BUDGET_LINE)
            painter.drawText(
                strip,
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                f"- - budget {self._budget_ms:.0f} ms",
            )
            budget_y = rect.bottom() - min(self._budget_ms / y_max, 1.0) * rect.height()
            budget_y = round(budget_y) + 0.5  # centre of a pixel row: a crisp line
            pen = QPen(_BUDGET_LINE)
            pen.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.drawLine(QPointF(rect.left(), budget_y), QPointF(rect.right(), budget_y))

            def to_point(t: float, ms: float) -> QPointF:
                x = rect.left() + (1.0 - (now - t) / self.span_s) * rect.width()
                y = rect.bottom() - min(ms / y_max, 1.0) * rect.height()
                return QPointF(x, y)

            if len(self._samples) >= 2:
                path = QPainterPath(to_point(*self._samples[0]))
                for t, ms in self._samples[1:]:
                    path.lineTo(to_point(t, ms))
                line = QPen(_TRACE)
                line.setWidthF(1.5)
                painter.setPen(line)
                painter.drawPath(path)
        finally:
            painter.end()


class PerformanceMeter(QFrame):
    """The budget light and what it means, camera / model / display fps, end-to-end
    p50/p95, the share of camera frames skipped, runtime and threads, and a latency graph.

    ``provider()`` returns the current snapshot (or ``None`` when nothing runs);
    ``display_fps()`` the rate at which the view paints new frames.
    """

    statusChanged = Signal(str)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        provider: Callable[[], SnapshotLike | None] | None = None,
        display_fps: Callable[[], float] | None = None,
        refresh_hz: float = 4.0,
        budget_ms: float = BUDGET_MS,
        span_s: float = SPAN_S,
    ) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._provider = provider
        self._display_fps = display_fps
        self._budget_ms = budget_ms
        self.time_window = MeterWindow(span_s)
        self._status = BudgetStatus.IDLE
        self._state = "idle"
        self.reading = MeterReading("idle", BudgetLight.IDLE, span_s=span_s)
        self.refresh_count = 0
        self._outage: str | None = None  # the source stopped: what the meter says instead
        self._condition: str | None = None  # paused: what the meter says instead
        self._still = False  # a still image: no camera rate to speak of
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(4)
        self._light = QLabel(self)
        self._light.setFixedSize(14, 14)
        self._status_label = QLabel(self)
        self._status_label.setWordWrap(True)
        bold = QFont(self._status_label.font())
        bold.setBold(True)
        self._status_label.setFont(bold)
        self._status_label.setToolTip(
            "Green: 95% of frames within the budget; amber: the typical frame is, the slow"
            " tail is not; red: the typical frame is over it"
        )
        self._values: dict[str, QLabel] = {}
        fields = [
            ("camera", "camera fps", "Frames per second the source delivers"),
            ("inference", "model fps", "Frames per second the model classifies"),
            ("display", "display fps", "New frames per second the live view paints"),
            ("e2e_ms", "latency ms p50/p95", "Capture to result, over the meter's window"),
            (
                "dropped",
                "frames skipped",
                "Camera frames the model never saw (it keeps the newest)",
            ),
            (
                "runtime",
                "runs on",
                "The runtime, the device the model runs on (its delegate where the runtime "
                "takes one) and the threads",
            ),
            (
                "cpu",
                "CPU load",
                "The process's CPU time per second of wall time over the meter's window"
                " (100% is one core busy) and per classified frame",
            ),
        ]
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(0)
        row = col = 0
        for key, title, tip in fields:
            name = QLabel(title, self)
            value = QLabel("–", self)
            value.setObjectName(f"meter_{key}")
            value.setFont(bold)
            for label in (name, value):
                label.setToolTip(tip)
            if key in _LONG_VALUES:  # the whole row, never widening a column (nor the panel)
                if col:
                    row, col = row + 1, 0
                grid.addWidget(name, row * 2, 0, 1, 2)
                grid.addWidget(value, row * 2 + 1, 0, 1, 2)
                row += 1
            else:
                grid.addWidget(name, row * 2, col)
                grid.addWidget(value, row * 2 + 1, col)
                row, col = (row + 1, 0) if col else (row, 1)
            self._values[key] = value
        head = QGridLayout()
        head.addWidget(self._light, 0, 0, Qt.AlignmentFlag.AlignTop)
        head.addWidget(self._status_label, 0, 1)
        head.setColumnStretch(1, 1)
        layout.addLayout(head)
        layout.addLayout(grid)
        self.graph = LatencyGraph(self, span_s=span_s)
        layout.addWidget(self.graph, 1)
        self._reader: Callable[[], MeterReading] | None = None
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh)
        self.set_refresh_hz(refresh_hz)
        self._show(self.reading)

    def set_reader(
        self, reader: Callable[[], MeterReading] | None, display_fps: Callable[[], float] | None
    ) -> None:
        """Read the session's meter (``session.meter.read``) on the timer: one time window,
        reset by the session itself at every switch, instead of this widget's own."""
        self._reader = reader
        if display_fps is not None:
            self._display_fps = display_fps

    # ------------------------------------------------------------------ API
    def set_provider(
        self,
        provider: Callable[[], SnapshotLike | None] | None,
        display_fps: Callable[[], float] | None = None,
    ) -> None:
        self._provider = provider
        if display_fps is not None:
            self._display_fps = display_fps

    def set_budget_ms(self, budget_ms: float) -> None:
        self._budget_ms = budget_ms

    def set_refresh_hz(self, hz: float) -> None:
        if hz <= 0:
            self._timer.stop()
        else:
            self._timer.start(max(1, round(1000.0 / hz)))

    def reset(self, now: float | None = None) -> None:
        """A model, source or thread switch: measure afresh (warming up again)."""
        self.time_window.reset(now)

    def set_runtime(
        self, runtime: str, device: str, threads: int, delegate: str | None = None
    ) -> None:
        """What the model runs on: "openvino · CPU · 2 threads"; with the ``delegate`` a
        runtime ran it through (LiteRT's Interpreter, :func:`camviz.backends.delegate_runs`):
        "litert · CPU · xnnpack · 2 threads"."""
        parts = [runtime, device, *([delegate] if delegate else [])]
        parts.append(f"{threads} thread{'s' if threads != 1 else ''}")
        self._values["runtime"].setText(" · ".join(parts))

    def set_outage(self, words: str | None) -> None:
        """The source stopped (``words`` say so, the light goes grey); None: it is back."""
        self._outage = words
        self._show(self.reading)

    def set_condition(self, words: str | None) -> None:
        """A state the window is in (paused), said instead of the rates' verdict."""
        self._condition = words
        self._show(self.reading)

    def set_still(self, still: bool) -> None:
        """A still image: the source has no frame rate (no "camera fps")."""
        self._still = still
        self._show(self.reading)

    def status(self) -> BudgetStatus:
        return self._status

    def state(self) -> str:
        """ "idle", "warming up", "green", "amber" or "red"."""
        return self._state

    def status_text(self) -> str:
        return self._status_label.text()

    def value_text(self, key: str) -> str:
        """Text of one value: camera, inference, display, e2e_ms, dropped, runtime."""
        return self._values[key].text()

    def refresh(self) -> None:
        """Read the meter (or a snapshot from the provider) and show it (the timer calls this)."""
        display = self._display_fps() if self._display_fps is not None else None
        if self._reader is not None:
            self.show_reading(self._reader(), display_fps=display)
            return
        snap = self._provider() if self._provider is not None else None
        self.show_snapshot(snap, display_fps=display)

    def show_reading(self, reading: MeterReading, *, display_fps: float | None = None) -> None:
        """Show one reading of the session's meter (its snapshot carries the rates)."""
        self._show_values(reading, reading.snapshot, display_fps)

    def show_snapshot(
        self, snap: Any, *, display_fps: float | None = None, now: float | None = None
    ) -> None:
        self._show_values(self.time_window.read(snap, now), snap, display_fps)

    def _show_values(self, reading: MeterReading, snap: Any, display_fps: float | None) -> None:
        self.refresh_count += 1
        self.reading = reading
        v = self._values
        v["display"].setText("–" if display_fps is None else f"{display_fps:.1f}")
        v["cpu"].setText(cpu_text(snap))
        if snap is None:
            for key in ("camera", "inference", "e2e_ms", "dropped"):
                v[key].setText("–")
        else:
            # rates over the meter's window once it has one, else the pipeline's own
            camera = reading.camera_fps if reading.camera_fps is not None else snap.capture_fps
            model = reading.model_fps if reading.model_fps is not None else snap.inference_fps
            v["camera"].setText("still image" if self._still else f"{camera:.1f}")
            v["inference"].setText(f"{model:.1f}")
            v["e2e_ms"].setText(f"{reading.p50:.1f} / {reading.p95:.1f}" if reading.count else "–")
            share = reading.drop_share
            failed = f", {snap.failed} failed" if snap.failed else ""
            v["dropped"].setText(("–" if share is None else f"{share * 100:.0f}%") + failed)
        self._show(reading)

    def _show(self, reading: MeterReading) -> None:
        self.graph.set_reading(reading)
        light, state = reading.light, reading.state
        over = self._outage if self._outage is not None else self._condition
        if over is not None:  # the rates are not what is going on: say what is
            light = BudgetLight.IDLE
            state = "reconnecting" if self._outage is not None else "paused"
            text = f"{state.upper()} — {over}"
        else:
            word = state.upper() if light is not BudgetLight.IDLE else ""
            window = f" (last {reading.span_s:.0f} s)" if light is not BudgetLight.IDLE else ""
            text = f"{word + ' — ' if word else ''}{reading.words}{window}"
        self._light.setStyleSheet(
            f"background: {_STATUS_COLORS[light]}; border-radius: 7px; border: 1px solid #222;"
        )
        self._status_label.setText(text)
        self._state = state
        if light is not self._status:
            self._status = light
            self.statusChanged.emit(light.value)
