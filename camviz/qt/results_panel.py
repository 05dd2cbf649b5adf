"""The bottom sheet: top-k labels, each with a probability bar and a percentage.

Rows are created once (up to ``max_rows``) and only their text and values are
updated for each result; rows beyond the current top-k are hidden, not
deleted. When ``result.uncertain`` (no label is likely) a distinct banner says
so and the rows are dimmed rather than presented as an answer.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QProgressBar,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from camviz.results import ClassificationResult

__all__ = ["ResultsPanel", "UNCERTAIN_TEXT"]

UNCERTAIN_TEXT = "Not sure — no label is likely"
_BAR_SCALE = 1000  # QProgressBar is integer: per-mille resolution

_BAR_STYLE = """
QProgressBar { border: none; background: rgba(127,127,127,40); border-radius: 3px; }
QProgressBar::chunk { background: %s; border-radius: 3px; }
"""
_BAR_COLOR_TOP = "#2e9d57"
_BAR_COLOR = "#3d7bd9"
_BAR_COLOR_DIM = "#8a8a8a"


class _Row:
    """Widgets of one category row: label, bar, percentage."""

    def __init__(self, grid: QGridLayout, row: int, parent: QWidget) -> None:
        self.label = QLabel(parent)
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

    def set(self, label: str, score: float, color: str) -> None:
        if self.label.text() != label:
            self.label.setText(label)
            self.label.setToolTip(label)
        self.bar.setValue(round(max(0.0, min(1.0, score)) * _BAR_SCALE))
        self.percent.setText(f"{score * 100:.1f}%")
        if color != self._style:
            self._style = color
            self.bar.setStyleSheet(_BAR_STYLE % color)

    def set_visible(self, visible: bool) -> None:
        for widget in (self.label, self.bar, self.percent):
            widget.setVisible(visible)


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
        header_font = QFont(self._header.font())
        header_font.setBold(True)
        self._header.setFont(header_font)
        self._banner = QLabel(UNCERTAIN_TEXT, self)
        self._banner.setObjectName("uncertainBanner")
        self._banner.setStyleSheet(
            "#uncertainBanner { background: #6b5200; color: #ffe9a8; padding: 4px 8px;"
            " border-radius: 4px; font-weight: bold; }"
        )
        self._banner.hide()
        layout.addWidget(self._header)
        layout.addWidget(self._banner)
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
        self._shown = 0
        self.clear()

    # ------------------------------------------------------------------ API
    def set_top_k(self, top_k: int) -> None:
        """How many rows may show (1..max_rows); extra rows are hidden."""
        self._top_k = max(1, min(int(top_k), self._max_rows))
        for i, row in enumerate(self._rows):
            if i >= self._top_k:
                row.set_visible(False)
        self._shown = min(self._shown, self._top_k)

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
        self._banner.setVisible(self._uncertain)
        categories = result.categories[: self._top_k]
        for i, row in enumerate(self._rows):
            if i < len(categories):
                cat = categories[i]
                if self._uncertain:
                    color = _BAR_COLOR_DIM
                else:
                    color = _BAR_COLOR_TOP if i == 0 else _BAR_COLOR
                row.set(cat.label, float(cat.score), color)
                row.set_visible(True)
            elif i < max(self._shown, len(categories)) or not row.label.isHidden():
                row.set_visible(False)
        self._shown = len(categories)

    def clear(self, message: str = "Waiting for the first result…") -> None:
        self._header.setText(message)
        self._banner.hide()
        self._uncertain = False
        for row in self._rows:
            row.set_visible(False)
        self._shown = 0

    # ------------------------------------------------------- introspection
    def is_uncertain(self) -> bool:
        return self._uncertain

    def header_text(self) -> str:
        return self._header.text()

    def rows(self) -> list[tuple[str, float, str]]:
        """(label, bar value 0..1, percentage text) of the visible rows, best first."""
        return [
            (row.label.text(), row.bar.value() / _BAR_SCALE, row.percent.text())
            for row in self._rows[: self._shown]
        ]

    def row_widgets(self) -> list[tuple[QLabel, QProgressBar, QLabel]]:
        """The row widgets themselves (stable across updates)."""
        return [(row.label, row.bar, row.percent) for row in self._rows]
