"""compare and --record on a live stream: an MJPEG server the test starts on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import cv2
import pytest

from camviz.classifier import ClassifierOptions
from camviz.compare import compare_inputs
from camviz.loading import open_classifier
from tests.conftest import ROOT, camviz
from tests.sources.conftest import MjpegServer, jpeg_frames

BIKES = ROOT / "assets" / "video" / "bikes.mp4"


@pytest.fixture(scope="module")
def server() -> Iterator[MjpegServer]:
    with MjpegServer(jpeg_frames(BIKES, limit=60), fps=25.0) as mjpeg:
        yield mjpeg


def test_both_models_see_the_same_stream_frames(server: MjpegServer) -> None:
    with (
        open_classifier(ClassifierOptions(model="efficientnet_lite0_float32")) as a,
        open_classifier(ClassifierOptions(model="efficientnet_lite0_int8")) as b,
    ):
        comparison = compare_inputs(a, b, [server.url], max_frames=8)
    names = [r.name for r in comparison.records]
    assert len(names) == 8 and all(n.startswith(server.url + "#") for n in names)
    indices = [int(n.rsplit("#", 1)[1]) for n in names]
    assert indices == sorted(indices)
    report = comparison.report()
    assert report.frames == 8 and not report.failures and report.agreement is not None


@pytest.mark.slow
def test_recording_a_live_stream_plays_back_the_frames_shown(
    server: MjpegServer, tmp_path: Path
) -> None:
    out = tmp_path / "stream.mp4"
    run = camviz("classify", server.url, "--max-frames", "40", "--json", "--record", out)
    assert run.returncode == 0, run.stderr
    shown = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
    assert len(shown) == 40 and shown[0]["clock"] != "position"  # a live clock
    capture = cv2.VideoCapture(str(out))
    played = 0
    while capture.grab():
        played += 1
    capture.release()
    assert abs(played - len(shown)) <= 0.05 * len(shown)
