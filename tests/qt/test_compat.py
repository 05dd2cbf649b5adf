from __future__ import annotations

from camviz.qt._compat import PySideBrokenError, check_pyside, pyside_leaks_none


def test_installed_pyside_does_not_leak_none() -> None:
    # PySide6 6.12.0 on Python 3.11 does, and aborts the interpreter within seconds
    assert not pyside_leaks_none()
    check_pyside()
    assert "!=6.12.0" in str(PySideBrokenError())
