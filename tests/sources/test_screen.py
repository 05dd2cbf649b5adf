"""The screen as a source (mss), on a virtual X display the test starts (Xvfb)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from camviz.errors import ExtraNotInstalledError, SourceOpenError
from camviz.sources import (
    ScreenRegion,
    ScreenSource,
    SourceKind,
    SourceState,
    make_source,
    parse_source,
)

from .conftest import StateLog, assert_rgb_frame
from .xvfb import HEIGHT, WIDTH, paint_root, xvfb

pytest.importorskip("mss", reason="the screen source needs mss (the screen extra)")


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    with xvfb() as name:
        yield name


@pytest.fixture
def on_display(display: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DISPLAY", display)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    return display


def test_the_screen_is_grabbed_in_rgb_at_its_size(on_display: str) -> None:
    paint_root(on_display, (200, 30, 90))
    log = StateLog()
    source = make_source("screen", on_state=log)
    assert isinstance(source, ScreenSource) and source.is_live
    with source:
        frames = [source.read() for _ in range(3)]
    got = [f for f in frames if f is not None]
    assert len(got) == 3
    for frame in got:
        assert_rgb_frame(frame)
        assert frame.image.shape == (HEIGHT, WIDTH, 3)
        # the painted colour, in RGB order (mss gives BGRA)
        assert np.all(frame.image[HEIGHT // 2, WIDTH // 2] == (200, 30, 90))
    assert [f.index for f in got] == [0, 1, 2]
    assert got[0].position_ms == 0.0 and got[2].position_ms is not None
    assert got[2].position_ms > 0  # live: time since the first frame (paced at 15 fps)
    assert source.name == f"screen 1 ({WIDTH}x{HEIGHT})"
    assert log.states() == [SourceState.RUNNING, SourceState.ENDED]


def test_a_region_and_a_monitor(on_display: str) -> None:
    paint_root(on_display, (10, 220, 40))
    spec = parse_source("screen:16,8,64,32")
    assert spec.kind is SourceKind.SCREEN and spec.screen == ScreenRegion(box=(16, 8, 64, 32))
    with make_source(spec) as source:
        frame = source.read()
    assert frame is not None and frame.image.shape == (32, 64, 3)
    assert np.all(frame.image == (10, 220, 40))
    with make_source("screen:0") as source:  # all monitors together: the one screen here
        frame = source.read()
    assert frame is not None and frame.image.shape == (HEIGHT, WIDTH, 3)


def test_a_monitor_that_is_not_there_is_refused_naming_those_there_are(on_display: str) -> None:
    with pytest.raises(SourceOpenError, match=r"no monitor 5: this display has 0, 1"):
        make_source("screen:5").open()


def test_malformed_screen_strings_say_what_is_taken() -> None:
    for text in ("screen:a", "screen:1,2", "screen:0,0,0,10"):
        with pytest.raises(SourceOpenError, match="screen"):
            parse_source(text)


def test_no_display_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with pytest.raises(SourceOpenError, match="there is no display"):
        make_source("screen").open()


def test_without_mss_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "mss", None)  # import mss raises ImportError
    with pytest.raises(ExtraNotInstalledError, match=r"camviz\[screen\]"):
        make_source("screen").open()
