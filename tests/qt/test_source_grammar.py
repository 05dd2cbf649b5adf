"""The window reads sources by the one grammar: a glob, an image sequence, a folder of
videos, a photo URL served on 127.0.0.1, and the screen under an Xvfb the test starts."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from camviz.sources import PlaylistSource, ScreenSource, UrlSource
from tests.conftest import MODELS, PHOTOS, VIDEOS
from tests.sources.httpserve import Server, photo
from tests.sources.xvfb import paint_root, xvfb

LITE0 = "efficientnet_lite0_int8"
pytestmark = pytest.mark.skipif(
    not (MODELS / f"{LITE0}.tflite").is_file(), reason=f"models/{LITE0}.tflite"
)


def _classifies(qtbot: Any, win: Any, source: str) -> Any:
    """Start ``source`` and wait for a classified frame of it; the frame."""
    assert win.start(source, LITE0), win.session.startup_error
    qtbot.waitUntil(lambda: win.session.last_result is not None, timeout=60000)
    return win.session.last_result.frame


def test_a_glob_and_an_image_sequence_play_as_slideshows(
    qtbot: Any, make_window: Any, tmp_path: Path
) -> None:
    win = make_window()
    frame = _classifies(qtbot, win, f"{PHOTOS}/opencv/orange*.jpg")
    assert frame.image.shape == cv2.imread(str(PHOTOS / "opencv" / "orange.jpg")).shape
    for n in (1, 2):
        shutil.copy(PHOTOS / "skimage" / "chelsea.png", tmp_path / f"shot_{n:02d}.png")
    win.start(str(tmp_path / "shot_%02d.png"), LITE0)
    qtbot.waitUntil(
        lambda: (r := win.session.last_result) is not None and r.frame.image.shape == (300, 451, 3),
        timeout=60000,
    )


def test_a_folder_of_videos(qtbot: Any, make_window: Any, tmp_path: Path) -> None:
    folder = tmp_path / "clips"
    folder.mkdir()
    shutil.copy(VIDEOS / "tree.avi", folder / "a.avi")
    shutil.copy(VIDEOS / "vtest.avi", folder / "b.avi")
    win = make_window()
    frame = _classifies(qtbot, win, str(folder))
    assert isinstance(win.session.pipeline.source, PlaylistSource)
    assert frame.position_ms is not None  # a video's frame


def test_a_photo_url(qtbot: Any, make_window: Any) -> None:
    with Server(photo((PHOTOS / "opencv" / "orange.jpg").read_bytes(), "image/jpeg"), "/v") as s:
        win = make_window()
        frame = _classifies(qtbot, win, s.url)
        source = win.session.pipeline.source
        assert isinstance(source, UrlSource) and source.name.startswith("photo ")
        assert frame.image.shape == cv2.imread(str(PHOTOS / "opencv" / "orange.jpg")).shape
        win.close()


def test_the_screen_under_xvfb(
    qtbot: Any, make_window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("mss", reason="the screen source needs mss (the screen extra)")
    with xvfb() as display:
        paint_root(display, (0, 0, 255))
        monkeypatch.setenv("DISPLAY", display)  # for mss; Qt itself stays offscreen
        win = make_window()
        frame = _classifies(qtbot, win, "screen")
        assert isinstance(win.session.pipeline.source, ScreenSource)
        assert np.all(frame.image[10, 10] == (0, 0, 255))
        win.close()
