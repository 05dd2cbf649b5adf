"""The window and `camviz bench` on an HTTP MJPEG stream served on 127.0.0.1, labelled right."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from camviz.classifier import Classifier, ClassifierOptions
from camviz.imageio import load_image

from ..conftest import PHOTOS, ROOT
from .conftest import MjpegServer

ESPRESSO = 967


@pytest.fixture(scope="module")
def espresso_stream() -> Iterator[MjpegServer]:
    """A phone camera pointed at a cup of espresso: real photo frames, slightly moving."""
    photo = cv2.cvtColor(load_image(PHOTOS / "skimage" / "coffee.png"), cv2.COLOR_RGB2BGR)
    frames = []
    for shift in range(0, 24, 2):  # a small pan, so frames differ
        moved = np.roll(photo, shift, axis=1)
        ok, data = cv2.imencode(".jpg", moved, [cv2.IMWRITE_JPEG_QUALITY, 90])
        assert ok
        frames.append(data.tobytes())
    with MjpegServer(frames, fps=25.0) as server:
        yield server


def _run(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "camviz", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )


def test_the_photo_itself_is_espresso() -> None:
    with Classifier.create(ClassifierOptions()) as clf:
        top = clf.classify(load_image(PHOTOS / "skimage" / "coffee.png")).top
    assert top is not None and top.index == ESPRESSO


def test_the_window_labels_a_stream(espresso_stream: MjpegServer, tmp_path: Path) -> None:
    stats = tmp_path / "stats.json"
    run = _run("--source", espresso_stream.url, "--quit-after", "6", "--stats-json", str(stats))
    assert run.returncode == 0, run.stderr
    record = json.loads(stats.read_text())
    assert record["source"] == espresso_stream.url
    assert record["results_shown"] > 10
    assert record["last_result"]["top"][0]["index"] == ESPRESSO


def test_bench_runs_on_a_stream(espresso_stream: MjpegServer) -> None:
    run = _run(
        "bench",
        "--source",
        espresso_stream.url,
        "--frames",
        "30",
        "--invokes",
        "20",
        "--budget-ms",
        "1000",
        "--json",
        "--quiet",
    )
    assert run.returncode == 0, run.stderr
    payload = json.loads(run.stdout)
    record = payload[0] if isinstance(payload, list) else payload
    assert record["source"] == espresso_stream.url
    assert record["pipeline"]["frames"] >= 30 and record["lossless"]["frames"] >= 30
