from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from camviz.errors import ImageDecodeError, ImageNotFoundError
from camviz.imageio import find_images, load_image, to_rgb8

from ..conftest import PHOTOS


def test_real_photos_from_both_sources_load_as_rgb() -> None:
    for path in [PHOTOS / "skimage" / "coffee.png", PHOTOS / "opencv" / "orange.jpg"]:
        image = load_image(path)
        assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    orange = load_image(PHOTOS / "opencv" / "orange.jpg")
    red, _green, blue = orange.reshape(-1, 3).mean(axis=0)
    assert red > blue  # RGB order, not OpenCV's BGR


def test_greyscale_becomes_three_equal_channels() -> None:
    image = load_image(PHOTOS / "skimage" / "camera.png")
    assert image.shape == (512, 512, 3)
    assert np.array_equal(image[..., 0], image[..., 2])


def test_rgba_is_composited_on_white(tmp_path: Path, chelsea: np.ndarray) -> None:
    bgra = cv2.cvtColor(chelsea, cv2.COLOR_RGB2BGRA)
    bgra[:, :100, 3] = 0  # left strip fully transparent
    path = tmp_path / "cat_alpha.png"
    cv2.imwrite(str(path), bgra)
    image = load_image(path)
    assert np.all(image[:, :100] == 255)
    assert np.array_equal(image[:, 100:], chelsea[:, 100:])


def test_sixteen_bit_png_is_scaled(tmp_path: Path, chelsea: np.ndarray) -> None:
    deep = cv2.cvtColor(chelsea, cv2.COLOR_RGB2BGR).astype(np.uint16) * 257
    path = tmp_path / "cat16.png"
    cv2.imwrite(str(path), deep)
    assert cv2.imread(str(path), cv2.IMREAD_UNCHANGED).dtype == np.uint16
    assert np.array_equal(load_image(path), chelsea)


def test_sixteen_bit_rounds_to_nearest_for_every_value() -> None:
    values = np.arange(65536, dtype=np.uint16).reshape(256, 256)
    grey = to_rgb8(values)[..., 0].astype(np.int64).ravel()
    exact = np.arange(65536) * 255 / 65535
    assert np.all(np.abs(grey - exact) <= 0.5)  # nearest, never truncated
    assert np.array_equal(grey[::257], np.arange(256))  # v * 257 comes back as v
    assert grey[32767] == 127 and grey[32768] == 128 and grey[65535] == 255


def test_to_rgb8_takes_what_opencv_decodes() -> None:
    bgr = np.zeros((2, 3, 3), np.uint8)
    bgr[..., 0] = 200  # blue
    out = to_rgb8(bgr)
    assert out.shape == (2, 3, 3) and out.flags.c_contiguous
    assert out[0, 0].tolist() == [0, 0, 200]
    column = np.full((2, 3, 1), 77, np.uint8)  # grey with a channel axis
    assert to_rgb8(column).tolist() == np.full((2, 3, 3), 77).tolist()
    with pytest.raises(ImageDecodeError, match="clip has unsupported pixel type int32"):
        to_rgb8(np.zeros((2, 2, 3), np.int32), "clip")
    with pytest.raises(ImageDecodeError, match="clip has 2 channels"):
        to_rgb8(np.zeros((2, 2, 2), np.uint8), "clip")


def test_exif_rotated_jpeg_is_turned_upright(tmp_path: Path, chelsea: np.ndarray) -> None:
    pil = pytest.importorskip("PIL.Image", reason="writing an EXIF-rotated JPEG needs Pillow")
    # Store the photo rotated 90° counter-clockwise, with EXIF orientation 6
    # ("rotate 90° clockwise to view"): a viewer shows it upright.
    stored = np.ascontiguousarray(np.rot90(chelsea, 1))
    exif = pil.Exif()
    exif[0x0112] = 6
    path = tmp_path / "rotated.jpg"
    pil.fromarray(stored).save(path, exif=exif.tobytes(), quality=95)
    image = load_image(path)
    assert image.shape == chelsea.shape
    diff = np.abs(image.astype(int) - chelsea.astype(int)).mean()
    assert diff < 6, f"mean abs difference {diff}: not turned upright"


def test_missing_file() -> None:
    with pytest.raises(ImageNotFoundError, match="nope.jpg does not exist"):
        load_image("nope.jpg")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    with pytest.raises(ImageDecodeError, match="empty.png is an empty file"):
        load_image(path)


def test_text_renamed_jpg(tmp_path: Path) -> None:
    path = tmp_path / "notes.jpg"
    path.write_text("this is not a picture\n" * 20)
    with pytest.raises(ImageDecodeError, match="notes.jpg is not a decodable image"):
        load_image(path)


def test_truncated_jpeg_is_refused(tmp_path: Path) -> None:
    data = (PHOTOS / "opencv" / "orange.jpg").read_bytes()
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageDecodeError, match="cut.jpg is a truncated JPEG"):
        load_image(path)


def test_truncated_png_is_refused(tmp_path: Path) -> None:
    data = (PHOTOS / "skimage" / "chelsea.png").read_bytes()
    path = tmp_path / "cut.png"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageDecodeError, match="cut.png"):
        load_image(path)


def test_folder_is_not_an_image(tmp_path: Path) -> None:
    with pytest.raises(ImageDecodeError, match="is a folder"):
        load_image(tmp_path)


def test_find_images_recurses_and_reports(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "x.JPG").write_bytes(b"1")
    (tmp_path / "a" / "y.png").write_bytes(b"1")
    (tmp_path / "a" / "readme.txt").write_text("hi")
    (tmp_path / "empty").mkdir()
    found = find_images([tmp_path / "a", tmp_path / "empty", tmp_path / "missing.jpg"])
    assert [p.name for p in found.images] == ["x.JPG", "y.png"]
    messages = [str(e) for _, e in found.problems]
    assert any("holds no images" in m for m in messages)
    assert any("missing.jpg does not exist" in m for m in messages)
