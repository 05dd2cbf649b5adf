"""make_source / open_source: which source a string names; the Source contract they share."""

from __future__ import annotations

from pathlib import Path

import pytest

from camviz.errors import SourceOpenError
from camviz.sources import (
    CameraSource,
    DemoSource,
    ImageSource,
    SourceState,
    VideoSource,
    make_source,
    open_source,
)

from .conftest import CHELSEA, PHOTOS, TREE, StateLog


def test_make_source_dispatch(tmp_path: Path) -> None:
    assert isinstance(make_source(0), CameraSource)
    assert isinstance(make_source("1"), CameraSource)
    assert isinstance(make_source("/dev/video0"), CameraSource)
    assert isinstance(make_source("demo"), DemoSource)
    assert isinstance(make_source(PHOTOS), ImageSource)
    assert isinstance(make_source(str(CHELSEA)), ImageSource)
    video = make_source(TREE, pace=False, loop=True)
    assert isinstance(video, VideoSource) and not video.pace and video.loop
    camera = make_source("0", camera_size=(320, 240), camera_fps=15)
    assert isinstance(camera, CameraSource)
    assert camera.size == (320, 240) and camera.requested_fps == 15
    with pytest.raises(SourceOpenError, match="not found"):
        make_source(tmp_path / "missing")


def test_context_manager_and_idempotent_close() -> None:
    with open_source(TREE, pace=False) as source:
        assert source.state is SourceState.RUNNING
        source.open()  # idempotent
        assert source.read() is not None
    assert source.closed
    source.close()
    assert source.read() is None
    fresh = VideoSource(TREE)
    fresh.close()
    with pytest.raises(SourceOpenError, match="closed"):
        fresh.open()


def test_state_listeners() -> None:
    first, second = StateLog(), StateLog()
    source = VideoSource(TREE, pace=False, on_state=first)
    source.add_state_listener(second)
    source.open()
    source.remove_state_listener(second)
    source.close()
    assert first.states() == [SourceState.RUNNING, SourceState.ENDED]
    assert second.states() == [SourceState.RUNNING]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceOpenError, match="not found"):
        open_source(tmp_path / "nope.mp4")
    with pytest.raises(SourceOpenError, match=r"nope\.avi not found"):
        VideoSource(tmp_path / "nope.avi").open()
    with pytest.raises(SourceOpenError, match="not found"):
        ImageSource(tmp_path / "nope.jpg").open()
