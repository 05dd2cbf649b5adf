"""Performance meter: frame rates, latency percentiles, drops, budget light, live graph.

The meter never updates per frame. A ``QTimer`` (default 4 Hz) asks a
*provider* for a metrics snapshot (``camviz.metrics.MetricsSnapshot`` or any
object with the fields of :class:`SnapshotLike`) and repaints once.

The budget light is :func:`camviz.metrics.budget_light` (the rule is documented
there and shared with ``camviz bench``): green ``p95 <= budget``, amber
``p50 <= budget < p95``, red ``p50 > budget``, idle (grey) before the first frame.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

from camviz.defaults import BUDGET_MS
from camviz.metrics import BudgetLight, budget_light

__all__ = [
    "BudgetStatus",
    "LatencyGraph",
    "PerformanceMeter",
    "SnapshotLike",
    "budget_status",
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


def light_color(light: BudgetLight) -> QColor:
    """The colour the meter paints ``light`` in."""
    return QColor(_STATUS_COLORS[light])


class LatencyGraph(QWidget):
    """Line graph of (monotonic stamp, ms) samples over the last ``span_s`` seconds,
    with a dashed budget line. Painted from the samples given to :meth:`set_samples`."""

    def __init__(self, parent: QWidget | None = None, *, span_s: float = 10.0) -> None:
        super().__init__(parent)
        self.span_s = span_s
        self._samples: list[tuple[float, float]] = []
        self._budget_ms = BUDGET_MS
        self._now: float | None = None
        self.setMinimumSize(160, 70)

    def sizeHint(self) -> QSize:
        return QSize(320, 90)

    def set_samples(
        self, samples: Sequence[tuple[float, float]], budget_ms: float, now: float | None = None
    ) -> None:
        self._now = time.monotonic() if now is None else now
        start = self._now - self.span_s
        self._samples = [(t, ms) for t, ms in samples if t >= start]
        self._budget_ms = budget_ms
        self.update()

    def samples(self) -> list[tuple[float, float]]:
        return list(self._samples)

    def y_max(self) -> float:
        """Top of the scale: room for the budget line and the slowest visible sample."""
        peak = max((ms for _, ms in self._samples), default=0.0)
        return max(self._budget_ms * 1.5, peak * 1.1, 1.0)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            rect = QRectF(self.rect()).adjusted(1, 1, -1, -1)
            painter.fillRect(rect, QColor(20, 22, 26))
            y_max = self.y_max()
            now = self._now if self._now is not None else time.monotonic()

            def to_point(t: float, ms: float) -> QPointF:
                x = rect.left() + (1.0 - (now - t) / self.span_s) * rect.width()
                y = rect.bottom() - min(ms / y_max, 1.0) * rect.height()
                return QPointF(x, y)

            budget_y = rect.bottom() - (self._budget_ms / y_max) * rect.height()
            budget_y = round(budget_y) + 0.5  # centre of a pixel row: a crisp line
            pen = QPen(QColor(_STATUS_COLORS[BudgetStatus.AMBER]))
            pen.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.drawLine(QPointF(rect.left(), budget_y), QPointF(rect.right(), budget_y))
            painter.setPen(QColor(160, 160, 160))
            painter.drawText(
                rect.adjusted(4, 2, -4, -2),
                int(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft),
                f"{y_max:.0f} ms",
            )
            painter.drawText(
                QRectF(rect.left() + 4, budget_y - 16, rect.width() - 8, 14),
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                f"budget {self._budget_ms:.0f} ms",
            )
            if len(self._samples) >= 2:
                path = QPainterPath(to_point(*self._samples[0]))
                for t, ms in self._samples[1:]:
                    path.lineTo(to_point(t, ms))
                line = QPen(QColor(90, 170, 255))
                line.setWidthF(1.5)
                painter.setPen(line)
                painter.drawPath(path)
        finally:
            painter.end()


class PerformanceMeter(QFrame):
    """Camera / inference / display fps, inference and end-to-end p50/p95, drops,
    a budget light and a latency graph, refreshed by a timer from a provider.

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
    ) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._provider = provider
        self._display_fps = display_fps
        self._budget_ms = budget_ms
        self._status = BudgetStatus.IDLE
        self.refresh_count = 0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(4)
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(2)
        self._light = QLabel(self)
        self._light.setFixedSize(14, 14)
        self._status_label = QLabel(self)
        self._status_label.setWordWrap(True)
        self._values: dict[str, QLabel] = {}
        fields = [
            ("camera", "camera fps"),
            ("inference", "inference fps"),
            ("display", "display fps"),
            ("infer_ms", "inference ms p50/p95"),
            ("e2e_ms", "end-to-end ms p50/p95"),
            ("dropped", "dropped"),
        ]
        for i, (key, title) in enumerate(fields):
            row, col = divmod(i, 2)
            name = QLabel(title, self)
            name.setStyleSheet("color: palette(mid);")
            value = QLabel("–", self)
            value.setObjectName(f"meter_{key}")
            grid.addWidget(name, row * 2, col)
            grid.addWidget(value, row * 2 + 1, col)
            self._values[key] = value
        head = QGridLayout()
        head.addWidget(self._light, 0, 0)
        head.addWidget(self._status_label, 0, 1)
        head.setColumnStretch(1, 1)
        layout.addLayout(head)
        layout.addLayout(grid)
        self.graph = LatencyGraph(self)
        layout.addWidget(self.graph, 1)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh)
        self.set_refresh_hz(refresh_hz)
        self._show_status(BudgetStatus.IDLE, "no frames yet")

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

    def status(self) -> BudgetStatus:
        return self._status

    def value_text(self, key: str) -> str:
        """Text of one value: camera, inference, display, infer_ms, e2e_ms, dropped."""
        return self._values[key].text()

    def refresh(self) -> None:
        """Pull a snapshot from the provider and show it (the timer calls this)."""
        snap = self._provider() if self._provider is not None else None
        display = self._display_fps() if self._display_fps is not None else None
        self.show_snapshot(snap, display_fps=display)

    def show_snapshot(self, snap: SnapshotLike | None, *, display_fps: float | None = None) -> None:
        self.refresh_count += 1
        v = self._values
        v["display"].setText("–" if display_fps is None else f"{display_fps:.1f}")
        if snap is None:
            for key in ("camera", "inference", "infer_ms", "e2e_ms", "dropped"):
                v[key].setText("–")
            self.graph.set_samples([], self._budget_ms)
            self._show_status(BudgetStatus.IDLE, "not running")
            return
        budget = float(snap.budget_ms) if snap.budget_ms > 0 else self._budget_ms
        self._budget_ms = budget
        v["camera"].setText(f"{snap.capture_fps:.1f}")
        v["inference"].setText(f"{snap.inference_fps:.1f}")
        invoke = snap.stages_ms.get("invoke")
        if invoke is not None and invoke.count > 0:
            v["infer_ms"].setText(f"{invoke.p50:.1f} / {invoke.p95:.1f}")
        else:
            v["infer_ms"].setText("–")
        e2e = snap.e2e_ms
        v["e2e_ms"].setText(f"{e2e.p50:.1f} / {e2e.p95:.1f}" if e2e.count > 0 else "–")
        failed = f" ({snap.failed} failed)" if snap.failed else ""
        v["dropped"].setText(f"{snap.dropped}{failed}")
        status = budget_light(e2e.p50, e2e.p95, budget, e2e.count)
        detail = {
            BudgetStatus.IDLE: "no frames yet",
            BudgetStatus.GREEN: f"p95 ≤ {budget:.0f} ms budget",
            BudgetStatus.AMBER: f"p50 ≤ {budget:.0f} ms budget < p95",
            BudgetStatus.RED: f"p50 > {budget:.0f} ms budget",
        }[status]
        self._show_status(status, detail)
        self.graph.set_samples(snap.recent_e2e_ms, budget)

    def _show_status(self, status: BudgetStatus, detail: str) -> None:
        self._light.setStyleSheet(
            f"background: {_STATUS_COLORS[status]}; border-radius: 7px; border: 1px solid #222;"
        )
        self._status_label.setText(f"{status.value.upper()} — {detail}")
        if status is not self._status:
            self._status = status
            self.statusChanged.emit(status.value)
