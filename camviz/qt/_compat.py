"""Guards against broken PySide6 builds.

PySide6 6.12.0 (abi3 wheels) on Python < 3.12 drops a reference to ``None`` on
every call of a method returning ``void`` (``QPainter.fillRect``, ``QWidget.update``
...). On 3.12+ ``None`` is immortal and nothing happens; on 3.11 ``None``'s
reference count reaches zero after a few thousand calls and the interpreter
aborts with ``Fatal Python error: none_dealloc`` -- a GUI dies within seconds.
:func:`check_pyside` detects it up front and names the fix.
"""

from __future__ import annotations

import sys

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QRect

from camviz.errors import ExtraNotInstalledError

__all__ = ["PySideBrokenError", "check_pyside", "pyside_leaks_none"]


class PySideBrokenError(ExtraNotInstalledError):
    """The installed PySide6 corrupts the interpreter (see module docstring)."""

    def __init__(self) -> None:
        super(ExtraNotInstalledError, self).__init__(
            f"PySide6 {pyside_version} loses references to None on Python "
            f"{sys.version_info.major}.{sys.version_info.minor} and would crash the GUI: "
            "run  pip install 'PySide6-Essentials>=6.6,!=6.12.0'  (6.11.3 works)"
        )
        self.extra = "gui"
        self.missing = "a working PySide6"


def pyside_leaks_none(calls: int = 200) -> bool:
    """True when calling a void Qt method decrements ``None``'s reference count."""
    if sys.version_info >= (3, 12):
        return False  # None is immortal: the bug is harmless there
    rect = QRect(0, 0, 1, 1)
    before = sys.getrefcount(None)
    for _ in range(calls):
        rect.setWidth(1)
    return sys.getrefcount(None) < before - calls // 2


def check_pyside() -> None:
    """Raise :class:`PySideBrokenError` when the installed PySide6 is unusable."""
    if pyside_leaks_none():
        raise PySideBrokenError
