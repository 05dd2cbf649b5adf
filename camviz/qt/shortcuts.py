"""The window's keyboard shortcuts, the shortcut sheet (``?``) and the focus guard.

Shortcuts are ``QShortcut`` objects with ``Qt.ApplicationShortcut`` context, so
they work in the main window and in a floating Teach dock alike. A spin box or
combo box that has the keyboard focus would otherwise swallow Space and the
letters (a spin box's line edit accepts them as text): :class:`FocusGuard`, an
application event filter, tells Qt that those widgets do not want our keys, so
the shortcut fires whatever has focus. Free-text fields (a plain ``QLineEdit``,
e.g. a class name in the Teach panel) keep their letters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDialog,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

__all__ = ["FocusGuard", "Key", "KEYS", "ShortcutSheet", "install"]


@dataclass(frozen=True, slots=True)
class Key:
    key: Qt.Key
    name: str  # as the sheet shows it
    action: str  # the window method it calls
    what: str


KEYS: tuple[Key, ...] = (
    Key(Qt.Key.Key_Space, "Space", "toggle_pause", "pause / resume"),
    Key(Qt.Key.Key_S, "S", "snapshot", "snapshot (PNG + JSON in the snapshot folder)"),
    Key(Qt.Key.Key_N, "N", "next_model", "next model"),
    Key(Qt.Key.Key_B, "B", "compare", "compare with a second model (A/B; again: off)"),
    Key(Qt.Key.Key_M, "M", "toggle_mirror", "mirror the view"),
    Key(Qt.Key.Key_F, "F", "toggle_fullscreen", "full screen: the video only (Esc leaves)"),
    Key(Qt.Key.Key_T, "T", "toggle_teach", "teach panel"),
    Key(Qt.Key.Key_E, "E", "explain", "where the model looks on the paused frame (again: cancel)"),
    Key(Qt.Key.Key_R, "R", "toggle_video", "record the video with its labels (again: stop)"),
    Key(Qt.Key.Key_Left, "←", "skip_back", "previous image / 5 s back in a video"),
    Key(Qt.Key.Key_Right, "→", "skip_forward", "next image / 5 s on in a video"),
    Key(Qt.Key.Key_Question, "?", "show_shortcuts", "this sheet (again, or Esc, hides it)"),
    Key(Qt.Key.Key_Q, "Q", "close", "quit"),
)
# the arrows are not let through: a text or spin box that has the focus keeps them (its cursor)
_GUARDED = {int(k.key) for k in KEYS} - {int(Qt.Key.Key_Left), int(Qt.Key.Key_Right)}


class FocusGuard(QObject):
    """Lets the window's shortcut keys through spin boxes, combo boxes and buttons."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.ShortcutOverride or not isinstance(event, QKeyEvent):
            return False
        mods = event.modifiers() & ~Qt.KeyboardModifier.ShiftModifier
        if mods != Qt.KeyboardModifier.NoModifier or event.key() not in _GUARDED:
            return False
        if not isinstance(watched, QWidget) or not _guarded_widget(watched):
            return False
        event.ignore()  # "not for me": the shortcut map takes the key
        return True


def _guarded_widget(widget: QWidget) -> bool:
    if isinstance(widget, QLineEdit):  # a spin box's own editor is guarded, free text is not
        parent = widget.parentWidget()
        return isinstance(parent, (QAbstractSpinBox, QComboBox)) and not (
            isinstance(parent, QComboBox) and parent.isEditable()
        )
    if isinstance(widget, QComboBox):
        return not widget.isEditable()
    return isinstance(widget, (QAbstractSpinBox, QAbstractButton))


class ShortcutSheet(QDialog):
    """A small non-modal window listing the keys."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("camviz keys")
        self.setModal(False)
        rows = "".join(
            f"<tr><td><b>{k.name}</b>&nbsp;&nbsp;</td><td>{k.what}</td></tr>" for k in KEYS
        )
        text = QLabel(
            f"<table>{rows}<tr><td><b>Esc</b></td><td>leave full screen, hide this sheet, "
            "cancel Explain</td></tr></table>"
            "<p>Keys work wherever the focus is, except while typing in a text field."
            " Click the video to take the focus back.</p>"
        )
        text.setTextFormat(Qt.TextFormat.RichText)
        text.setWordWrap(True)
        QVBoxLayout(self).addWidget(text)
        self.label = text


def install(window: QWidget, slots: dict[str, Callable[[], object]]) -> list[QShortcut]:
    """One application-wide shortcut per :data:`KEYS` entry, calling ``slots[action]``."""
    made = []
    for key in KEYS:
        slot = slots.get(key.action)
        if slot is None:
            continue
        shortcut = QShortcut(QKeySequence(key.key), window)
        if key.key == Qt.Key.Key_Question:
            # "?" is typed with Shift on most layouts; platforms differ in whether the
            # shortcut map also tries the unshifted key, so register both, and take an
            # "ambiguous" match between the two as the one it is
            shortcut.setKeys(
                [QKeySequence(key.key), QKeySequence(Qt.Modifier.SHIFT | Qt.Key.Key_Question)]
            )
            shortcut.activatedAmbiguously.connect(slot)
        shortcut.setContext(Qt.ShortcutContext.ApplicationShortcut)
        shortcut.activated.connect(slot)
        made.append(shortcut)
    escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), window)
    escape.setContext(Qt.ShortcutContext.ApplicationShortcut)  # also from the key sheet
    escape.activated.connect(slots.get("leave_fullscreen", lambda: None))
    made.append(escape)
    app = QApplication.instance()
    if app is not None and app.findChild(FocusGuard) is None:  # one per application
        app.installEventFilter(FocusGuard(app))
    return made
