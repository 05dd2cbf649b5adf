"""A frame reader that raises something other than a camviz error (found by V24: OpenCV's
imdecode raising on an empty MJPEG part) killed the reader thread with a traceback, and
the run ended at exit 0 as if the video had ended. It is now the source's one error
record after the frames read before it, and the run goes on."""

from __future__ import annotations

import threading
from typing import Any

import cv2
import pytest

from camviz.batch.frames import Sampling, classify_frames
from camviz.loading import open_classifier
from camviz.sources import Frame, VideoSource

from ..conftest import VIDEOS


def test_a_reader_that_raises_ends_in_one_error_record(monkeypatch: pytest.MonkeyPatch) -> None:
    real = VideoSource.read
    calls = {"n": 0}

    def read(self: VideoSource) -> Frame | None:
        calls["n"] += 1
        if calls["n"] > 3:  # as cv2.imdecode raised on an empty buffer
            cv2.imdecode(cv2.UMat(), cv2.IMREAD_COLOR)  # raises cv2.error
        return real(self)

    hooks: list[Any] = []
    monkeypatch.setattr(VideoSource, "read", read)
    monkeypatch.setattr(threading, "excepthook", hooks.append)
    video = str(VIDEOS / "tree.avi")
    with open_classifier(threads=1) as clf:
        records = list(classify_frames(clf, video, Sampling(max_frames=10)))
        monkeypatch.setattr(VideoSource, "read", real)
        after = list(classify_frames(clf, video, Sampling(max_frames=2)))  # the run goes on
    assert [r["frame"] for r in records[:3]] == [0, 1, 2]
    assert all(r["top"] for r in records[:3])
    assert len(records) == 4
    error = records[3]["error"]
    assert error["type"] == "SourceError"
    assert error["message"].startswith(f"{video}: reading failed (error:")
    assert hooks == []  # no thread died with a traceback
    assert [r["frame"] for r in after] == [0, 1] and all(r["top"] for r in after)
