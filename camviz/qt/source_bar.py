"""The bar under the video for file sources: a slideshow's file, number and
previous/next; a video's position, with a slider to seek. Hidden otherwise.

Only widgets: :mod:`camviz.qt.window_sources` feeds it the session's
:class:`~camviz.app.viewing.SourcePosition` and turns its signals into calls.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSlider,
    QStyle,
    QStyleOptionSlider,
    QToolButton,
    QWidget,
)

from camviz.app.viewing import SourcePosition

__all__ = ["SEEK_STEPS", "JumpSlider", "SourceBar"]

SEEK_STEPS = 1000  # the slider's resolution


class JumpSlider(QSlider):
    """A slider a click moves to where it was clicked (``jumped(value)``), not by a page."""

    jumped = Signal(int)

    def value_at(self, x: float) -> int:
        """The value under the horizontal position ``x`` (widget pixels)."""
        opt = QStyleOptionSlider()
        self.initStyleOption(opt)
        style = self.style()
        groove = style.subControlRect(
            QStyle.ComplexControl.CC_Slider, opt, QStyle.SubControl.SC_SliderGroove, self
        )
        handle = style.subControlRect(
            QStyle.ComplexControl.CC_Slider, opt, QStyle.SubControl.SC_SliderHandle, self
        )
        span = max(1, groove.width() - handle.width())
        pos = round(x - groove.x() - handle.width() / 2)
        return QStyle.sliderValueFromPosition(
            self.minimum(), self.maximum(), max(0, min(pos, span)), span, opt.upsideDown
        )

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() is Qt.MouseButton.LeftButton:
            opt = QStyleOptionSlider()
            self.initStyleOption(opt)
            handle = self.style().subControlRect(
                QStyle.ComplexControl.CC_Slider, opt, QStyle.SubControl.SC_SliderHandle, self
            )
            if not handle.contains(event.position().toPoint()):
                value = self.value_at(event.position().x())
                self.setValue(value)
                self.jumped.emit(value)
                event.accept()
                return
        super().mousePressEvent(event)


class SourceBar(QWidget):
    """◀ name 3/27 ▶ for slideshows; a seek slider and 0:12 / 1:19 for videos."""

    stepRequested = Signal(int)  # -1 previous, +1 next
    seekRequested = Signal(float)  # 0..1

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.prev_button = QToolButton()
        self.prev_button.setText("◀")
        self.prev_button.setToolTip("Previous image")
        self.prev_button.clicked.connect(lambda: self.stepRequested.emit(-1))
        self.next_button = QToolButton()
        self.next_button.setText("▶")
        self.next_button.setToolTip("Next image")
        self.next_button.clicked.connect(lambda: self.stepRequested.emit(1))
        self.slider = JumpSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, SEEK_STEPS)
        self.slider.setToolTip("Where the video is: drag or click to seek")
        self.slider.sliderReleased.connect(self._released)
        self.slider.jumped.connect(lambda v: self.seekRequested.emit(v / SEEK_STEPS))
        self.slider.actionTriggered.connect(self._stepped)
        self.label = QLabel("")
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 2, 0, 2)
        row.addWidget(self.prev_button)
        row.addWidget(self.slider, 1)
        row.addWidget(self.label, 0)
        row.addWidget(self.next_button)
        self.position: SourcePosition | None = None
        self.hide()

    def show_position(self, where: SourcePosition | None) -> None:
        """Show where the source is (None: hide the bar)."""
        self.position = where
        if where is None:
            self.hide()
            return
        slideshow = where.kind == "slideshow"
        self.prev_button.setVisible(slideshow)
        self.next_button.setVisible(slideshow)
        self.slider.setVisible(not slideshow)
        if slideshow:
            self.label.setText(where.text())
            self.label.setToolTip(where.name)
            self.layout().setStretch(2, 1)  # type: ignore[union-attr]
        else:
            self.label.setText(where.text())
            self.label.setToolTip(where.name)
            self.layout().setStretch(2, 0)  # type: ignore[union-attr]
            if not self.slider.isSliderDown():
                self.slider.blockSignals(True)
                self.slider.setValue(round(where.fraction * SEEK_STEPS))
                self.slider.blockSignals(False)
        self.show()

    def _released(self) -> None:
        self.seekRequested.emit(self.slider.value() / SEEK_STEPS)

    def _stepped(self, action: int) -> None:
        """The keyboard or wheel moved the slider: seek there."""
        if action in (
            QSlider.SliderAction.SliderPageStepAdd.value,
            QSlider.SliderAction.SliderPageStepSub.value,
            QSlider.SliderAction.SliderSingleStepAdd.value,
            QSlider.SliderAction.SliderSingleStepSub.value,
        ):
            self.seekRequested.emit(self.slider.sliderPosition() / SEEK_STEPS)
