"""ImageSource: single images and folder slideshows of the real photos in assets/photos."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from camviz.errors import OptionsError, SourceOpenError
from camviz.sources import ImageSource, SourceState, open_source

from .conftest import CHELSEA, COFFEE, GREY, ORANGE, StateLog, assert_rgb_frame, closes_promptly


def test_folder_skips_bad_file_and_reports(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    shutil.copy(CHELSEA, tmp_path / "a_cat.png")
    (tmp_path / "b_broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 definitely not a jpeg")
    shutil.copy(ORANGE, tmp_path / "sub" / "c_orange.JPG")
    (tmp_path / "readme.txt").write_text("ignored")
    log = StateLog()
    source = open_source(tmp_path, pace=False, on_state=log)
    assert isinstance(source, ImageSource)
    frames = list(source)
    assert len(frames) == 2
    assert [f.index for f in frames] == [0, 1]
    assert frames[0].image.shape == (300, 451, 3)
    assert frames[1].image.shape == (512, 512, 3)
    for frame in frames:
        assert_rgb_frame(frame)
        assert frame.position_ms is None
    assert [p.name for p, _ in source.skipped] == ["b_broken.jpg"]
    assert any("b_broken.jpg" in m for _, m in log.events)
    assert source.state is SourceState.ENDED
    # Same pixels as a plain decode, in RGB.
    want = cv2.cvtColor(cv2.imread(str(CHELSEA)), cv2.COLOR_BGR2RGB)
    np.testing.assert_array_equal(frames[0].image, want)


def test_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("no images here")
    with pytest.raises(SourceOpenError, match="no photos"):
        open_source(tmp_path)


def test_folder_with_only_bad_images(tmp_path: Path) -> None:
    (tmp_path / "x.png").write_bytes(b"nope")
    (tmp_path / "y.jpg").write_bytes(b"")
    with pytest.raises(SourceOpenError, match="none of the 2 images"):
        open_source(tmp_path)


def test_single_bad_image(tmp_path: Path) -> None:
    bad = tmp_path / "bad.webp"
    bad.write_bytes(b"RIFF....WEBPjunk")
    with pytest.raises(SourceOpenError, match=r"bad\.webp"):
        open_source(bad)


def test_grey_and_rgba_images_become_rgb(tmp_path: Path) -> None:
    with open_source(GREY, pace=False) as source:
        frame = source.read()
        assert frame is not None and source.read() is None
    assert_rgb_frame(frame)
    assert frame.image.shape == (512, 512, 3)
    assert np.array_equal(frame.image[..., 0], frame.image[..., 2])

    bgra = np.zeros((4, 4, 4), np.uint8)
    bgra[..., 0] = 255  # blue
    bgra[:2, :, 3] = 255  # top half opaque, bottom half transparent
    path = tmp_path / "alpha.png"
    assert cv2.imwrite(str(path), bgra)
    with open_source(path, pace=False) as source:
        frame = source.read()
    assert frame is not None
    assert frame.image[0, 0].tolist() == [0, 0, 255]  # opaque blue
    assert frame.image[3, 3].tolist() == [255, 255, 255]  # transparent on white


def test_paced_slideshow_repeats_each_image(tmp_path: Path) -> None:
    shutil.copy(CHELSEA, tmp_path / "1.png")
    shutil.copy(COFFEE, tmp_path / "2.png")
    source = ImageSource(tmp_path, pace=True, fps=20.0, interval=0.25)
    assert not source.is_live
    source.open()
    assert source.nominal_fps == 20.0
    start = time.monotonic()
    frames = list(source)
    elapsed = time.monotonic() - start
    assert len(frames) == 10
    assert [f.image.shape for f in frames] == [(300, 451, 3)] * 5 + [(400, 600, 3)] * 5
    expected = 9 / 20.0
    assert 0.5 * expected <= elapsed <= 1.5 * expected, elapsed


def test_image_loop(tmp_path: Path) -> None:
    shutil.copy(CHELSEA, tmp_path / "1.png")
    shutil.copy(ORANGE, tmp_path / "2.jpg")
    with ImageSource(tmp_path, pace=False, loop=True) as source:
        shapes = [f.image.shape for f in (source.read() for _ in range(5)) if f is not None]
    assert shapes == [(300, 451, 3), (512, 512, 3)] * 2 + [(300, 451, 3)]


def test_image_options_validated() -> None:
    with pytest.raises(OptionsError):
        ImageSource(CHELSEA, fps=0)


def test_close_unblocks_paced_slideshow_read() -> None:
    source = ImageSource(CHELSEA, pace=True, fps=0.5, interval=10.0)
    source.open()
    assert closes_promptly(source) < 0.5


def test_slideshow_steps_back_and_forth_and_says_where(tmp_path: Path) -> None:
    for i, photo in enumerate((CHELSEA, COFFEE, ORANGE)):
        shutil.copy(photo, tmp_path / f"{i}{photo.suffix}")
    with ImageSource(tmp_path, pace=False, loop=True) as source:
        frame = source.read()
        assert frame is not None and source.position == (1, 3)
        assert source.current_file is not None and source.current_file.name.startswith("0")
        source.step(-1)  # wraps to the last
        frame = source.read()
        assert frame is not None and frame.image.shape == (512, 512, 3)
        assert source.position == (3, 3)
        source.step(1)
        source.step(1)  # steps add up
        frame = source.read()
        assert frame is not None and frame.image.shape == (400, 600, 3)
        assert source.position == (2, 3)


def test_slideshow_step_skips_an_unreadable_file(tmp_path: Path) -> None:
    shutil.copy(CHELSEA, tmp_path / "0.png")
    (tmp_path / "1.png").write_bytes(b"not a png")
    shutil.copy(ORANGE, tmp_path / "2.jpg")
    with ImageSource(tmp_path, pace=False, loop=True) as source:
        assert source.read() is not None
        source.step(1)
        frame = source.read()
        assert frame is not None and frame.image.shape == (512, 512, 3)
        assert source.position == (3, 3)
