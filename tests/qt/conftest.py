"""Fixtures of the Qt tests: offscreen platform, real photos, leaked-thread check."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any Qt import

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from camviz.qt._compat import check_pyside

ROOT = Path(__file__).resolve().parents[2]
PHOTOS = ROOT / "assets" / "photos"

check_pyside()  # a broken PySide6 aborts the interpreter mid-run: say why up front


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
def no_thread_leaks() -> Iterator[None]:
    """Fail the test if threads started during it are still alive after it."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 3.0
    leaked: list[threading.Thread] = []
    while time.monotonic() < deadline:
        leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not leaked:
            return
        time.sleep(0.05)
    pytest.fail(f"threads leaked: {[t.name for t in leaked]}")
