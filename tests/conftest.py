"""Shared fixtures: real photos, real videos, the shipped models."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"
PHOTOS = ASSETS / "photos"
VIDEOS = ASSETS / "video"
MODELS = ROOT / "models"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def chelsea_path() -> Path:
    return PHOTOS / "skimage" / "chelsea.png"


@pytest.fixture(scope="session")
def coffee_path() -> Path:
    return PHOTOS / "skimage" / "coffee.png"


@pytest.fixture(scope="session")
def chelsea(chelsea_path: Path) -> np.ndarray:
    from camviz.imageio import load_image

    return load_image(chelsea_path)


@pytest.fixture(scope="session")
def default_classifier() -> Iterator[object]:
    from camviz.classifier import Classifier

    with Classifier.create() as clf:
        yield clf


@pytest.fixture
def no_leaked_threads() -> Iterator[None]:
    """Fail the test if threads started during it are still alive 3 s after it."""
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


class Recorder:
    """Collects a pipeline's (or a session's) results and events; ``done`` once it stopped."""

    def __init__(self) -> None:
        self.results: list[object] = []
        self.events: list[object] = []
        self.done = threading.Event()

    def on_result(self, item: object) -> None:
        self.results.append(item)

    def on_event(self, event: object) -> None:
        self.events.append(event)
        if getattr(getattr(event, "kind", None), "name", "") == "STOPPED":
            self.done.set()

    def kinds(self) -> list[object]:
        return [getattr(e, "kind", None) for e in self.events]

    def of(self, kind: object) -> list[object]:
        return [e for e in self.events if getattr(e, "kind", None) is kind]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def wait_for(condition: object, timeout: float = 30.0) -> bool:
    """Poll ``condition()`` until true or ``timeout`` seconds; whether it came true."""
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return bool(condition())


def camviz(
    *args: str | Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m camviz ARGS`` from the checkout; the completed run, output as text."""
    return subprocess.run(
        [sys.executable, "-m", "camviz", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
        env=env,
    )
