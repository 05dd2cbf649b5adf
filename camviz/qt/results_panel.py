"""The bottom sheet: top-k labels, each with a probability bar and a percentage.

Rows are created once (up to ``max_rows``) and only their text and values are
updated for each result; rows beyond the current top-k are hidden, not
deleted. When ``result.uncertain`` (no label is likely) a distinct banner says
so and the rows are dimmed rather than presented as an answer.

Nothing here changes size from one result to the next, so the video above never
jumps: the large top label and the "Not sure" banner share one slot (a stack
whose height is the taller of the two), and rows up to the top-k keep their
space while hidden. Labels are shown by their display name
(:attr:`camviz.results.Category.display_name`: the metadata's, else the first
synonym), elided to fit, with the full label on hover.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QProgressBar,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from camviz.app.display import full_label_tip
from camviz.results import Category, ClassificationResult

__all__ = ["ElidedLabel", "ResultsPanel", "UNCERTAIN_TEXT"]

UNCERTAIN_TEXT = "Not sure — no label is likely"
_BAR_SCALE = 1000  # QProgressBar is integer: per-mille resolution

_BAR_STYLE = """
QProgressBar { border: none; background: rgba(127,127,127,40); border-radius: 3px; }
QProgressBar::chunk { background: %s; border-radius: 3px; }
"""
_BAR_COLOR_TOP = "#2e9d57"
_BAR_COLOR = "#3d7bd9"
_BAR_COLOR_DIM = "#8a8a8a"


class ElidedLabel(QLabel):
    """A one-line label that ends in "…" when its text does not fit (``text()`` stays whole)."""

    def elided_text(self) -> str:
        width = self.contentsRect().width()
        return self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, width)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            painter.setPen(self.palette().color(self.foregroundRole()))
            painter.drawText(self.contentsRect(), int(self.alignment()), self.elided_text())
        finally:
            painter.end()


class _Row:
    """Widgets of one category row: label, bar, percentage."""

    def __init__(self, grid: QGridLayout, row: int, parent: QWidget) -> None:
        self.label = ElidedLabel(parent)
        self.label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.label.setMinimumWidth(80)
        self.bar = QProgressBar(parent)
        self.bar.setRange(0, _BAR_SCALE)
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(12)
        self.bar.setMinimumWidth(60)
        self.percent = QLabel(parent)
        self.percent.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.percent.setMinimumWidth(52)
        grid.addWidget(self.label, row, 0)
        grid.addWidget(self.bar, row, 1)
        grid.addWidget(self.percent, row, 2)
        self._style = ""
        self.full_label = ""

    def set(self, category: Category, color: str) -> None:
        label, score = category.label, float(category.score)
        if self.full_label != label or self.label.text() != category.display_name:
            self.full_label = label
            self.label.setText(category.display_name)
            self.label.setToolTip(label)
        self.bar.setValue(round(max(0.0, min(1.0, score)) * _BAR_SCALE))
        self.percent.setText(f"{score * 100:.1f}%")
        if color != self._style:
            self._style = color
            self.bar.setStyleSheet(_BAR_STYLE % color)

    def set_visible(self, visible: bool) -> None:
        for widget in (self.label, self.bar, self.percent):
            widget.setVisible(visible)

    def retain_space(self, retain: bool) -> None:
        """Keep this row's space while hidden (rows within the top-k), so nothing moves."""
        for widget in (self.label, self.bar, self.percent):
            policy = widget.sizePolicy()
            policy.setRetainSizeWhenHidden(retain)
            widget.setSizePolicy(policy)


class ResultsPanel(QFrame):
    """Top-k rows (label + probability bar + percentage) and an uncertain state."""

    def __init__(
        self, parent: QWidget | None = None, *, max_rows: int = 10, top_k: int = 5
    ) -> None:
        super().__init__(parent)
        if max_rows < 1:
            raise ValueError("max_rows must be at least 1")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._max_rows = max_rows
        self._top_k = max(1, min(top_k, max_rows))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(4)
        self._header = QLabel("Waiting for the first result…", self)
        self._header.setToolTip("The model that produced these results and its time per frame")
        # the large top label and the "Not sure" banner share one slot of fixed height
        self._headline = ElidedLabel("", self)
        self._headline.setObjectName("topLabel")
        headline_font = QFont(self._headline.font())
        headline_font.setPointSizeF(max(headline_font.pointSizeF(), 9.0) * 1.8)
        headline_font.setBold(True)
        self._headline.setFont(headline_font)
        self._headline.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self._banner = QLabel(UNCERTAIN_TEXT, self)
        self._banner.setObjectName("uncertainBanner")
        self._banner.setStyleSheet(
            "#uncertainBanner { background: #6b5200; color: #ffe9a8; padding: 4px 8px;"
            " border-radius: 4px; font-weight: bold; }"
        )
        self._banner.setToolTip(
            "No label reaches the minimum confidence: the rows below are guesses, not an answer"
        )
        self._slot = QStackedWidget(self)
        self._slot.addWidget(self._headline)
        self._slot.addWidget(self._banner)
        self._slot.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self._slot.setFixedHeight(
            max(self._headline.sizeHint().height(), self._banner.sizeHint().height())
        )
        layout.addWidget(self._slot)
        layout.addWidget(self._header)
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(3)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 4)
        grid.setColumnStretch(2, 0)
        layout.addLayout(grid)
        layout.addStretch(1)
        self._rows = [_Row(grid, i, self) for i in range(max_rows)]
        self._uncertain = False
        self._stale = False
        self._shown = 0
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.set_top_k(self._top_k)
        self.clear()

    # ------------------------------------------------------------------ API
    def set_top_k(self, top_k: int) -> None:
        """How many rows may show (1..max_rows); extra rows are hidden."""
        self._top_k = max(1, min(int(top_k), self._max_rows))
        for i, row in enumerate(self._rows):
            row.retain_space(i < self._top_k)
            if i >= self._top_k:
                row.set_visible(False)
        self._shown = min(self._shown, self._top_k)
        self.updateGeometry()

    def top_k(self) -> int:
        return self._top_k

    def set_result(
        self, result: ClassificationResult | None, *, latency_ms: float | None = None
    ) -> None:
        """Show ``result``'s categories (best first) and its uncertain state."""
        if result is None:
            self.clear()
            return
        latency = result.times.total_ms if latency_ms is None else latency_ms
        self._header.setText(f"{result.model} · {latency:.1f} ms")
        self._uncertain = bool(result.uncertain)
        categories = result.categories[: self._top_k]
        top = categories[0] if categories else None
        self._show_headline(top)
        for i, row in enumerate(self._rows):
            if i < len(categories):
                cat = categories[i]
                if self._uncertain:
                    color = _BAR_COLOR_DIM
                else:
                    color = _BAR_COLOR_TOP if i == 0 else _BAR_COLOR
                row.set(cat, color)
                row.set_visible(True)
            elif i < max(self._shown, len(categories)) or not row.label.isHidden():
                row.set_visible(False)
        self._shown = len(categories)

    def _show_headline(self, top: Category | None) -> None:
        if self._uncertain:
            self._slot.setCurrentWidget(self._banner)
            return
        self._slot.setCurrentWidget(self._headline)
        if top is None:
            self._headline.setText("")
            self._headline.setToolTip("")
            return
        text = f"{top.display_name}  {top.score * 100:.0f}%"
        if self._headline.text() != text:
            self._headline.setText(text)
            self._headline.setToolTip(full_label_tip(top.label, top.display_name) or top.label)

    def clear(self, message: str = "Waiting for the first result…") -> None:
        self._header.setText(message)
        self._uncertain = False
        self._slot.setCurrentWidget(self._headline)
        self._headline.setText("")
        for row in self._rows:
            row.set_visible(False)
        self._shown = 0

    def set_stale(self, stale: bool) -> None:
        """Grey the rows: the source stopped, they are the last frame's labels."""
        if stale == self._stale:
            return
        self._stale = stale
        self.setEnabled(not stale)  # the palette's disabled colours: greyed, still readable
        self.setToolTip("The source stopped: these are the last frame's labels" if stale else "")

    def is_stale(self) -> bool:
        return self._stale

    # ------------------------------------------------------- introspection
    def is_uncertain(self) -> bool:
        return self._uncertain

    def header_text(self) -> str:
        return self._header.text()

    def headline_text(self) -> str:
        """The large top label ("tabby  62.1%"), '' when not sure or before a result."""
        return "" if self._uncertain else self._headline.text()

    def full_labels(self) -> list[str]:
        """The full labels of the visible rows (what their tooltips say), best first."""
        return [row.full_label for row in self._rows[: self._shown]]

    def rows(self) -> list[tuple[str, float, str]]:
        """(display name, bar value 0..1, percentage text) of the visible rows, best first."""
        return [
            (row.label.text(), row.bar.value() / _BAR_SCALE, row.percent.text())
            for row in self._rows[: self._shown]
        ]

    def row_widgets(self) -> list[tuple[QLabel, QProgressBar, QLabel]]:
        """The row widgets themselves (stable across updates)."""
        return [(row.label, row.bar, row.percent) for row in self._rows]
