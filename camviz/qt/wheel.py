"""Scrolling a panel never changes a setting: a spin box or list under the mouse wheel
takes the wheel only once it has the focus (a click or Tab), else the panel scrolls.

Qt gives wheel events to the control under the pointer, focused or not, so scrolling the
side panel over "Min confidence" set it from 0.30 to 0.00, and over the model list it
switched models. :func:`guard_wheel` fixes that for every such control inside a widget.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QWidget,
)

__all__ = ["WheelGuard", "guard_wheel"]


class WheelGuard(QObject):
    """An event filter: a wheel event over a control without the focus goes to the scroll
    area around it (which scrolls) instead of changing the control's value."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        wheel = event.type() == QEvent.Type.Wheel
        if not (wheel and isinstance(watched, QWidget)) or watched.hasFocus():
            return False
        area = watched.parentWidget()
        while area is not None and not isinstance(area, QAbstractScrollArea):
            area = area.parentWidget()
        if area is not None:  # the panel scrolls (said to it directly: Qt hands synthesised
            QApplication.sendEvent(area.viewport(), event)  # wheel events to no parent)
        return True


def guard_wheel(root: QWidget, guard: WheelGuard) -> int:
    """Guard every spin box and combo box under ``root``; how many were guarded."""
    controls = [*root.findChildren(QAbstractSpinBox), *root.findChildren(QComboBox)]
    for control in controls:
        control.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # the wheel alone gives no focus
        control.installEventFilter(guard)
    return len(controls)
