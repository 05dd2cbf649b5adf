"""Scrolling the side panel with the wheel never changes a setting (camviz.qt.wheel)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QWidget


def _wheel(widget: QWidget, steps: int) -> None:
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(
        centre,
        QPointF(widget.mapToGlobal(centre.toPoint())),
        QPoint(0, 0),
        QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def test_the_wheel_over_an_unfocused_control_scrolls_the_panel(
    qtbot: Any, make_window: Any
) -> None:
    win = make_window(size=(1100, 480))  # short: the side panel scrolls
    spin = win.confidence_spin
    combo = win.model_combo
    bar = win.side_panel.verticalScrollBar()
    assert bar.maximum() > 0
    before_value, before_model = spin.value(), combo.currentIndex()
    bar.setValue(0)
    win.setFocus()
    _wheel(spin, -3)
    _wheel(combo, -3)
    assert spin.value() == before_value and combo.currentIndex() == before_model
    assert bar.value() > 0  # the panel scrolled instead
    spin.setFocus()  # clicked or tabbed into: the wheel is the control's again
    qtbot.waitUntil(spin.hasFocus, timeout=3000)
    _wheel(spin, 1)
    assert spin.value() != before_value
