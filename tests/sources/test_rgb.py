"""One RGB conversion: a 16-bit photo and a 16-bit frame from any source give the same pixels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from camviz.imageio import load_image, to_rgb8
from camviz.sources import CameraSource, ImageSource, VideoSource

from .conftest import CHELSEA, FakeCamera


class FakeVideo(VideoSource):
    """A VideoSource whose decoder hands out ``image`` (as OpenCV decoded it) ``count`` times."""

    def __init__(self, path: Path, image: np.ndarray, count: int = 2) -> None:
        super().__init__(path, pace=False)
        self.image = image
        self.count = count

    def _capture(self) -> Any:
        fake = FakeCamera([self.count], image=self.image)
        return fake(str(self.path))


def sixteen_bit_png(tmp_path: Path, channels: int) -> Path:
    """A real photo at 16 bits, with low bytes that a ``>> 8`` truncation gets wrong."""
    bgr = cv2.imread(str(CHELSEA), cv2.IMREAD_COLOR)
    assert bgr is not None
    rng = np.random.default_rng(channels)
    noise = rng.integers(-128, 128, bgr.shape, endpoint=True)
    deep = np.clip(bgr.astype(np.int64) * 257 + noise, 0, 65535).astype(np.uint16)
    if channels == 1:
        deep = deep[:, :, 1]
    elif channels == 4:
        alpha = np.full((*deep.shape[:2], 1), 65535, np.uint16)
        alpha[:, :100] = rng.integers(0, 65536, (deep.shape[0], 100, 1))
        deep = np.concatenate([deep, alpha], axis=2)
    path = tmp_path / f"chelsea16_{channels}.png"
    assert cv2.imwrite(str(path), deep)
    return path


@pytest.mark.parametrize("channels", [1, 3, 4], ids=["grey", "bgr", "bgra"])
def test_sixteen_bit_frames_equal_the_photo(tmp_path: Path, channels: int) -> None:
    path = sixteen_bit_png(tmp_path, channels)
    decoded: np.ndarray | None = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert decoded is not None and decoded.dtype == np.uint16
    photo = load_image(path)

    # Rounded to nearest (v / 257), not truncated (v >> 8): the old frame conversion
    # differed from the photo in about a quarter of the pixels.
    colour = decoded if channels == 1 else decoded[:, :, :3]
    rounded = np.rint(colour / 257.0).astype(np.uint8)
    truncated = (colour >> 8).astype(np.uint8)
    assert np.count_nonzero(truncated != rounded) > colour.size // 10
    if channels == 1:
        np.testing.assert_array_equal(photo[..., 0], rounded)
    elif channels == 3:
        np.testing.assert_array_equal(photo, rounded[:, :, ::-1])

    with ImageSource(path, pace=False) as images:
        image_frame = images.read()
    with CameraSource(0, capture_factory=FakeCamera([2], image=decoded)) as camera:
        camera_frame = camera.read()
    with FakeVideo(path, decoded) as video:
        video_frame = video.read()
    for frame in (image_frame, camera_frame, video_frame):
        assert frame is not None
        assert frame.image.dtype == np.uint8 and frame.image.flags.c_contiguous
        np.testing.assert_array_equal(frame.image, photo)
    np.testing.assert_array_equal(to_rgb8(decoded), photo)
