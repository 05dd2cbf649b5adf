"""DemoSource: the bundled demo reel."""

from __future__ import annotations

import cv2
import pytest

from camviz.sources import DemoSource, open_source

from .conftest import DEMO_REEL, assert_rgb_frame


def test_demo_source() -> None:
    source = open_source("demo")
    try:
        assert isinstance(source, DemoSource)
        assert source.is_live and source.loop and source.pace
        assert source.nominal_fps == pytest.approx(30.0)
        for _ in range(3):
            frame = source.read()
            assert frame is not None
            assert frame.image.shape == (480, 640, 3)
            assert_rgb_frame(frame)
    finally:
        source.close()
    assert source.read() is None


def test_demo_reel_file() -> None:
    reel = DEMO_REEL
    assert reel.stat().st_size < 6.5e6
    cap = cv2.VideoCapture(str(reel))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 990
    cap.release()
