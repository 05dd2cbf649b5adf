"""Fixtures of the batch tests: the project's photos re-encoded as large JPEGs."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from ..conftest import PHOTOS

#: Photos whose subject fills the frame (the eval set's), re-encoded large.
BIG = ("opencv/orange.jpg", "skimage/chelsea.png", "skimage/coffee.png", "opencv/baboon.jpg")


def upscaled_jpeg(source: Path, dest: Path, size: tuple[int, int], flip: bool = False) -> Path:
    image = cv2.imread(str(source), cv2.IMREAD_COLOR)
    assert image is not None, source
    if flip:
        image = cv2.flip(image, 1)
    big = cv2.resize(image, size, interpolation=cv2.INTER_CUBIC)
    assert cv2.imwrite(str(dest), big, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return dest


@pytest.fixture(scope="session")
def big_photos(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Four photos as 4000x3000 JPEGs (and one flipped 2000x1500)."""
    folder = tmp_path_factory.mktemp("big")
    paths = [
        upscaled_jpeg(PHOTOS / name, folder / f"{i:02d}_{Path(name).stem}.jpg", (4000, 3000))
        for i, name in enumerate(BIG)
    ]
    paths.append(upscaled_jpeg(PHOTOS / BIG[0], folder / "99_flipped.jpg", (2000, 1500), True))
    return paths


def exif_orientation_jpeg(image_bgr: np.ndarray, orientation: int) -> bytes:
    """A JPEG of ``image_bgr`` with an EXIF APP1 segment giving ``orientation``."""
    ok, encoded = cv2.imencode(".jpg", image_bgr, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    data = encoded.tobytes()
    tiff = (
        b"MM\x00\x2a\x00\x00\x00\x08"  # big-endian TIFF, first IFD at 8
        + b"\x00\x01"  # one entry
        + b"\x01\x12\x00\x03\x00\x00\x00\x01"  # Orientation, SHORT, count 1
        + orientation.to_bytes(2, "big")
        + b"\x00\x00"
        + b"\x00\x00\x00\x00"  # no next IFD
    )
    payload = b"Exif\x00\x00" + tiff
    app1 = b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload
    return data[:2] + app1 + data[2:]
