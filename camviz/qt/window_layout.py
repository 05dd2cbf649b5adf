"""The window's layout moves: full screen, the Teach dock's room, the first size.

Objects over a ``QMainWindow``'s public API only; :class:`~camviz.qt.window.MainWindow`
makes them and wires its keys to them.

* :class:`FullScreen`: the video only, edge to edge; Esc or F again leaves.
* :class:`TeachDockRoom`: the Teach dock takes no room from the video. The window
  grows by the dock's width while it shows and shrinks back after; with no room
  on the screen the dock floats at the screen's right edge, over the video,
  never over the controls and the meter.
* :func:`first_size`: the window's first size, within the screen's available room.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from PySide6.QtCore import QObject, QRect, QSize, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

__all__ = ["TEACH_DOCK_WIDTH", "FullScreen", "TeachDockRoom", "first_size"]

TEACH_DOCK_WIDTH = 380


def first_size(wanted: QSize, room: QRect, share: float = 0.9) -> QSize:
    """``wanted``, shrunk (aspect kept) to ``share`` of the ``room`` if it is bigger."""
    if room.width() <= 0 or room.height() <= 0:
        return wanted
    scale = min(
        1.0,
        room.width() * share / max(1, wanted.width()),
        room.height() * share / max(1, wanted.height()),
    )
    return QSize(max(1, int(wanted.width() * scale)), max(1, int(wanted.height() * scale)))


class FullScreen(QObject):
    """The video only (with its overlay), full screen; ``entered(bool)`` on each change."""

    def __init__(
        self,
        window: QMainWindow,
        chrome: Callable[[], Sequence[QWidget]],
        on_change: Callable[[bool], None],
    ) -> None:
        super().__init__(window)
        self.window = window
        self._chrome = chrome
        self._on_change = on_change
        self.hidden: list[QWidget] = []  # hidden by full screen, shown again after

    def toggle(self) -> None:
        if self.window.isFullScreen():
            self.leave()
        else:
            self.enter()

    def enter(self) -> None:
        self.hidden = [w for w in self._chrome() if w.isVisible()]
        for widget in self.hidden:
            widget.hide()
        self._margins(0)  # the video edge to edge
        self.window.showFullScreen()
        self._on_change(True)

    def leave(self) -> None:
        if not self.window.isFullScreen():
            return
        self.window.showNormal()
        for widget in self.hidden:
            widget.show()
        self.hidden = []
        self._margins(4)
        self._on_change(False)

    def _margins(self, px: int) -> None:
        central = self.window.centralWidget()
        layout = central.layout() if central is not None else None
        if layout is not None:
            layout.setContentsMargins(px, px, px, px)


class TeachDockRoom(QObject):
    """Makes room for the Teach dock (see the module docstring)."""

    def __init__(self, window: QMainWindow, dock: QDockWidget) -> None:
        super().__init__(window)
        self.window = window
        self.dock = dock
        self.grown = 0  # the width before the window grew for the dock (0: not)
        self.width_without_dock = 0  # the last width with the dock hidden
        self.enabled = True
        #: the room on the window's screen (its available geometry)
        self.room: Callable[[], QRect] = lambda: window.screen().availableGeometry()

    def resized(self, width: int) -> None:
        if self.dock.isHidden():
            self.width_without_dock = width

    def shown(self, visible: bool) -> None:
        win, dock = self.window, self.dock
        if not self.enabled or win.isFullScreen() or dock.isFloating():
            return
        grown = self.grown
        if visible and not grown:
            width = max(TEACH_DOCK_WIDTH, dock.sizeHint().width())
            screen = self.room()
            frame = win.frameGeometry()
            base = self.width_without_dock or win.width()  # Qt may have widened it already
            frame.setWidth(frame.width() - (win.width() - base))
            if win.isMaximized() or frame.width() + width > screen.width():
                self._float(screen, width)
                return
            left = min(frame.left(), screen.right() + 1 - (frame.width() + width))
            if left != frame.left():
                win.move(left, win.y())
            self.grown = base
            win.resize(base + width, win.height())
            win.resizeDocks([dock], [width], Qt.Orientation.Horizontal)
        elif not visible and grown:
            self.grown = 0
            QTimer.singleShot(0, win, partial(self._shrink_to, grown))

    def _float(self, screen: QRect, width: int) -> None:
        """No room to grow: the dock floats over the video's right edge, clear of the side
        panel (controls and meter) whatever the window's size."""
        win, dock = self.window, self.dock
        dock.setFloating(True)
        frame = win.frameGeometry()
        height = min(screen.height(), max(win.height(), 600))
        side = win.centralWidget()
        panel = side.findChild(QWidget, "side_panel") if side is not None else None
        if panel is not None and panel.isVisible():
            panel_left = panel.mapToGlobal(panel.rect().topLeft()).x()
            right = min(screen.right(), panel_left - 12)  # clear of it, frame and all
        else:
            right = min(screen.right(), frame.right())
        left = max(screen.left(), right - width)
        top = max(screen.top(), min(frame.top(), screen.bottom() - height))
        dock.setGeometry(left, top, right - left, height)

    def _shrink_to(self, width: int) -> None:
        """Back to ``width`` once the hidden dock's minimum width has left the layout."""
        layout = self.window.layout()
        if layout is not None:
            layout.invalidate()
            layout.activate()
        self.window.resize(width, self.window.height())
