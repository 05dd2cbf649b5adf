"""Fixtures of the Qt tests: offscreen platform, real photos, leaked-thread check."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any Qt import

from pathlib import Path

import cv2
import numpy as np
import pytest

from camviz.qt._compat import check_pyside

check_pyside()  # a broken PySide6 aborts the interpreter mid-run: say why up front

from PySide6.QtWidgets import QMessageBox  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PHOTOS = ROOT / "assets" / "photos"


def load_rgb(path: Path) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert bgr is not None, f"cannot read {path}"
    return np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))


@pytest.fixture(scope="session")
def chelsea() -> np.ndarray:
    """A real photo (scikit-image's cat), RGB uint8, 451x300."""
    return load_rgb(PHOTOS / "skimage" / "chelsea.png")


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    return load_rgb(PHOTOS / "skimage" / "astronaut.png")


@pytest.fixture
def dialogs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """QMessageBox.warning records (title, text) instead of blocking, in every module."""
    shown: list[tuple[str, str]] = []

    def warning(parent: object, title: str, text: str, *args: object) -> QMessageBox.StandardButton:
        shown.append((title, text))
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "warning", staticmethod(warning))
    return shown
