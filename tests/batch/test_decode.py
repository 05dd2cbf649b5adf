"""Reduced JPEG decoding: the factor, load_image's behaviours kept, and the same top-1."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from camviz.batch.decode import (
    DecodeTarget,
    decode_for_model,
    load_for_model,
    reduction_for,
)
from camviz.errors import ImageDecodeError
from camviz.imageio import decode_image, jpeg_size, load_image

from ..conftest import PHOTOS
from .conftest import exif_orientation_jpeg

TARGET = DecodeTarget((224, 224), 0.875)


def test_jpeg_size_reads_the_frame_header(big_photos: list[Path]) -> None:
    assert jpeg_size(big_photos[0].read_bytes()) == (4000, 3000)
    assert jpeg_size(big_photos[-1].read_bytes()) == (2000, 1500)
    assert jpeg_size((PHOTOS / "skimage/chelsea.png").read_bytes()) is None
    assert jpeg_size(b"\xff\xd8\xff\xe0\x00") is None  # cut inside the first segment
    assert jpeg_size(b"") is None


@pytest.mark.parametrize(
    ("size", "factor"),
    [
        ((4000, 3000), 4),  # crop 2625 / 4 = 656 >= 448; / 8 = 328 is not
        ((8000, 6000), 8),
        ((2000, 1500), 2),
        ((1024, 768), 1),
        ((640, 480), 1),
        (None, 1),
    ],
)
def test_reduction_keeps_the_crop_at_least_twice_the_input(
    size: tuple[int, int] | None, factor: int
) -> None:
    assert reduction_for(size, TARGET) == factor
    assert reduction_for(size, DecodeTarget((224, 224), 0.875, reduce=False)) == 1


def test_a_larger_model_input_reduces_less() -> None:
    assert reduction_for((4000, 3000), DecodeTarget((300, 300), 0.875)) == 4
    assert reduction_for((4000, 3000), DecodeTarget((380, 380), 1.0)) == 2


def test_reduced_decode_is_the_full_photo_shrunk(big_photos: list[Path]) -> None:
    full = load_image(big_photos[0])
    decoded = load_for_model(big_photos[0], TARGET)
    assert decoded.factor == 4 and decoded.image.shape == (750, 1000, 3)
    assert decoded.image.dtype == np.uint8 and decoded.image.flags.c_contiguous
    shrunk = cv2.resize(full, (1000, 750), interpolation=cv2.INTER_AREA)
    assert np.abs(shrunk.astype(int) - decoded.image).mean() < 3.0  # RGB, not BGR


def test_exif_orientation_is_applied_as_load_image_does() -> None:
    landscape = cv2.resize(cv2.imread(str(PHOTOS / "opencv/orange.jpg")), (2400, 1600))
    data = exif_orientation_jpeg(landscape, 6)  # rotate 90 degrees clockwise to view
    full = decode_image(data, "rotated.jpg")
    decoded = decode_for_model(data, "rotated.jpg", DecodeTarget((224, 224), 0.875))
    assert decoded.factor == 2
    assert full.shape[:2] == (2400, 1600) and decoded.image.shape[:2] == (1200, 800)
    shrunk = cv2.resize(full, (800, 1200), interpolation=cv2.INTER_AREA)
    assert np.abs(shrunk.astype(int) - decoded.image).mean() < 3.0


def test_grey_jpeg_becomes_rgb() -> None:
    grey = cv2.resize(
        cv2.imread(str(PHOTOS / "skimage/camera.png"), cv2.IMREAD_GRAYSCALE), (2048, 2048)
    )
    ok, encoded = cv2.imencode(".jpg", grey)
    assert ok
    decoded = decode_for_model(encoded.tobytes(), "grey.jpg", TARGET)
    assert decoded.factor == 4 and decoded.image.shape == (512, 512, 3)  # 2048 * 0.875 / 4 = 448
    assert np.array_equal(decoded.image[..., 0], decoded.image[..., 2])


def test_truncated_jpeg_is_refused_like_load_image(big_photos: list[Path]) -> None:
    data = big_photos[0].read_bytes()
    cut = data[: len(data) // 2]
    with pytest.raises(ImageDecodeError, match="truncated JPEG"):
        decode_image(cut, "cut.jpg")
    with pytest.raises(ImageDecodeError, match="truncated JPEG"):
        decode_for_model(cut, "cut.jpg", TARGET)


def test_other_formats_decode_exactly_as_load_image(tmp_path: Path) -> None:
    rgba = np.zeros((600, 800, 4), np.uint8)
    rgba[..., 2] = 200
    rgba[100:300, 100:300, 3] = 255  # the rest transparent: white
    deep = (np.arange(600 * 800 * 3, dtype=np.uint32).reshape(600, 800, 3) % 65536).astype(
        np.uint16
    )
    for name, image in (("alpha.png", rgba), ("deep.png", deep)):
        path = tmp_path / name
        assert cv2.imwrite(str(path), image)
        decoded = load_for_model(path, TARGET)
        assert decoded.factor == 1
        assert np.array_equal(decoded.image, load_image(path))


def test_top1_of_reduced_decoding_matches_full_size(big_photos: list[Path]) -> None:
    from camviz.loading import open_classifier

    with open_classifier(threads=1) as clf:
        target = DecodeTarget.of(clf)
        assert target.input_size == clf.info.input_size
        for path in big_photos:
            decoded = load_for_model(path, target)
            assert decoded.factor > 1
            full = clf.classify(load_image(path)).top
            reduced = clf.classify(decoded.image).top
            assert full is not None and reduced is not None
            assert reduced.index == full.index, path.name
