"""Fixtures of the Qt tests: offscreen platform, dialogs recorded, a window maker.

The real photos (``chelsea``...) and the leaked-thread check come from tests/conftest.py.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any Qt import

from pathlib import Path

import cv2
import numpy as np
import pytest

from camviz.qt._compat import check_pyside

check_pyside()  # a broken PySide6 aborts the interpreter mid-run: say why up front

from collections.abc import Iterator  # noqa: E402
from typing import Any  # noqa: E402

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PHOTOS = ROOT / "assets" / "photos"


def load_rgb(path: Path) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert bgr is not None, f"cannot read {path}"
    return np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    return load_rgb(PHOTOS / "skimage" / "astronaut.png")


@pytest.fixture(autouse=True)
def questions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """QMessageBox.question answers Yes (recorded) in every test: a window closed with teach
    samples unsaved asks, and no test may hang on a modal question (a test can patch again)."""
    asked: list[str] = []

    def question(
        parent: object, title: str, text: str, *args: object
    ) -> QMessageBox.StandardButton:
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    return asked


@pytest.fixture
def dialogs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """QMessageBox.warning records (title, text) instead of blocking, in every module."""
    shown: list[tuple[str, str]] = []

    def warning(parent: object, title: str, text: str, *args: object) -> QMessageBox.StandardButton:
        shown.append((title, text))
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "warning", staticmethod(warning))
    return shown


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    """Settings in a temporary INI file: the user's are never touched."""
    return QSettings(str(tmp_path / "camviz.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def make_window(
    qtbot: Any, tmp_path: Path, settings: QSettings, no_leaked_threads: None
) -> Iterator[Any]:
    """``make_window(size=..., **MainWindow kwargs)``: shown windows, closed (threads joined)."""
    from camviz.qt.window import MainWindow

    made: list[MainWindow] = []

    def make(size: tuple[int, int] | None = (1280, 720), **kwargs: Any) -> MainWindow:
        kwargs.setdefault("settings", settings)
        kwargs.setdefault("cameras", [])
        kwargs.setdefault("snapshot_dir", tmp_path / "snapshots")
        win = MainWindow(**kwargs)
        qtbot.addWidget(win)
        if size is not None:  # None: the size the window chose (restored, or the first)
            win.resize(*size)
        win.show()
        made.append(win)
        return win

    yield make
    for win in made:
        win.close()  # closeEvent -> shutdown -> joins the pipeline and teach threads
        assert win.session.pipeline is None
        assert not win.session.teaching.worker.running
