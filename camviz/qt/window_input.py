"""The window's answers to the user: full screen, next model, the key sheet, the pickers,
the option boxes and the file dialogs. Functions of a
:class:`~camviz.qt.window.MainWindow` (``win``), which connects them to its widgets.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QRect, Qt, QTimer
from PySide6.QtWidgets import QFileDialog

from camviz.errors import CamvizError, format_error
from camviz.qt import shortcuts

if TYPE_CHECKING:
    from camviz.qt.window import MainWindow

__all__ = [
    "budget_changed",
    "leave_fullscreen",
    "model_chosen",
    "next_model",
    "open_folder",
    "open_image",
    "open_video",
    "record_toggled",
    "reporting_changed",
    "show_shortcuts",
    "source_chosen",
    "teach_dock_shown",
    "toggle_fullscreen",
    "topk_changed",
]


def toggle_fullscreen(win: MainWindow) -> None:
    """Full screen with the video only (and its overlay); again, or Esc, to leave."""
    if win.isFullScreen():
        win.leave_fullscreen()
        return
    _hide_sheet(win)  # the video only
    chrome = (win.side_panel, win.results, win.statusBar(), win.teach_dock)
    win.chrome_shown = [w for w in chrome if w.isVisible()]
    for widget in win.chrome_shown:
        widget.hide()
    _margins(win, 0)  # the video edge to edge
    win.showFullScreen()


def leave_fullscreen(win: MainWindow) -> None:
    """Esc: leave full screen (and close the key sheet)."""
    _hide_sheet(win)
    if not win.isFullScreen():
        return
    win.showNormal()
    for widget in win.chrome_shown:
        widget.show()
    win.chrome_shown = []
    _margins(win, 4)


def _margins(win: MainWindow, px: int) -> None:
    central = win.centralWidget()
    layout = central.layout() if central is not None else None
    if layout is not None:
        layout.setContentsMargins(px, px, px, px)


def next_model(win: MainWindow) -> None:
    """Switch to the next model of the zoo (after the running one)."""
    names = [
        win.model_combo.itemData(i)
        for i in range(win.model_combo.count())
        if win.model_combo.itemData(i) is not None
    ]
    if not names:
        return
    current = win.session.requested_model or win.model_name
    i = names.index(current) if current in names else -1
    name = str(names[(i + 1) % len(names)])
    win._select_model_item(name)
    win.switch_model(name)


def show_shortcuts(win: MainWindow) -> None:
    """The key sheet (non-modal: it never blocks the window)."""
    sheet = win.shortcut_sheet
    if sheet is not None and sheet.isVisible():  # ? again hides it
        sheet.hide()
        return
    if sheet is None:
        sheet = win.shortcut_sheet = shortcuts.ShortcutSheet(win)
    sheet.show()
    sheet.raise_()


def _hide_sheet(win: MainWindow) -> None:
    if win.shortcut_sheet is not None:
        win.shortcut_sheet.hide()


def source_chosen(win: MainWindow, index: int) -> None:
    spec = win.source_combo.itemData(index)
    if spec and spec != win.source_spec:
        win.session.start(str(spec), rearm_fallback=True)


def open_video(win: MainWindow) -> None:
    path, _ = QFileDialog.getOpenFileName(
        win, "Open video", "", "Videos (*.mp4 *.avi *.mkv *.mov *.webm);;All files (*)"
    )
    if path:
        win.start(path)


def open_image(win: MainWindow) -> None:
    path, _ = QFileDialog.getOpenFileName(
        win, "Open image", "", "Images (*.png *.jpg *.jpeg *.bmp *.webp *.tif *.tiff)"
    )
    if path:
        win.start(path)


def open_folder(win: MainWindow) -> None:
    path = QFileDialog.getExistingDirectory(win, "Open folder of images")
    if path:
        win.start(path)


def model_chosen(win: MainWindow, index: int) -> None:
    name = win.model_combo.itemData(index)
    if name is None:
        path, _ = QFileDialog.getOpenFileName(
            win, "Open TFLite model", "", "TFLite models (*.tflite)"
        )
        if not path:
            win._select_model_item(win.model_name or "")
            return
        name = path
    win.switch_model(str(name))


def topk_changed(win: MainWindow, value: int) -> None:
    win.results.set_top_k(value)
    win.session.update(top_k=value)


def reporting_changed(win: MainWindow, *_: object) -> None:
    try:
        win.session.update(
            score_threshold=win.threshold_spin.value(),
            min_confidence=win.confidence_spin.value(),
            smoothing=win.smoothing_spin.value(),
        )
    except CamvizError as exc:
        win._status(format_error(exc))


def budget_changed(win: MainWindow, value: float) -> None:
    win.meter.set_budget_ms(value)
    win.session.update(budget_ms=value)


def record_toggled(win: MainWindow, on: bool) -> None:
    if on and win.session.recorder is None:
        path, _ = QFileDialog.getSaveFileName(
            win, "Record per-frame metrics", "camviz-metrics.csv", "CSV (*.csv)"
        )
        if not path:
            win.record_check.setChecked(False)
            return
        win.set_recording(Path(path))
    elif not on:
        win.set_recording(None)


TEACH_DOCK_WIDTH = 380


def available_screen(win: MainWindow) -> QRect:
    """The room on the window's screen (its available geometry)."""
    return win.screen().availableGeometry()


def teach_dock_shown(win: MainWindow, visible: bool) -> None:
    """The Teach dock takes no room from the video: the window grows by the dock's width
    while it shows (and shrinks back after); with no room on the screen the dock floats
    at the screen's right edge instead."""
    dock = win.teach_dock
    if win.isFullScreen() or dock.isFloating():
        return
    grown = win.teach_grown
    if visible and not grown:
        width = max(TEACH_DOCK_WIDTH, dock.sizeHint().width())
        screen = available_screen(win)
        frame = win.frameGeometry()
        base = win.width_without_dock or win.width()  # Qt may have widened it already
        frame.setWidth(frame.width() - (win.width() - base))
        if win.isMaximized() or frame.width() + width > screen.width():
            dock.setFloating(True)
            height = min(screen.height(), max(win.height(), 600))
            dock.setGeometry(screen.right() - width, screen.top(), width, height)
            return
        left = min(frame.left(), screen.right() + 1 - (frame.width() + width))
        if left != frame.left():
            win.move(left, win.y())
        win.teach_grown = base
        win.resize(base + width, win.height())
        win.resizeDocks([dock], [width], Qt.Orientation.Horizontal)
    elif not visible and grown:
        win.teach_grown = 0
        QTimer.singleShot(0, win, partial(_shrink_to, win, grown))


def _shrink_to(win: MainWindow, width: int) -> None:
    """Back to ``width`` once the hidden dock's minimum width has left the layout."""
    layout = win.layout()
    if layout is not None:
        layout.invalidate()
        layout.activate()
    win.resize(width, win.height())
