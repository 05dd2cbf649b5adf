"""Containers as phones and editors write them: data after a JPEG's end marker, EXIF
orientation in PNG (eXIf) and WebP (EXIF chunk) as well as JPEG (issue 24, item 1)."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from camviz.batch.decode import DecodeTarget, load_for_model
from camviz.errors import ImageDecodeError
from camviz.imageio import exif_orientation, jpeg_structure, load_image

from ..conftest import PHOTOS, VIDEOS, camviz

PIL = pytest.importorskip("PIL.Image", reason="Pillow writes the EXIF-carrying WebP and JPEG")

PHOTO = PHOTOS / "opencv" / "orange.jpg"


def _motion_photo(tmp_path: Path, trailer: bytes, name: str = "motion.jpg") -> Path:
    path = tmp_path / name
    path.write_bytes(PHOTO.read_bytes() + trailer)
    return path


@pytest.mark.parametrize(
    "trailer",
    [
        (VIDEOS / "bikes.mp4").read_bytes()[:400_000],  # a phone's motion photo: an MP4 after EOI
        (VIDEOS / "vtest.avi").read_bytes()[:200_000],
        b"\xff\xda\x00\x08" + bytes(range(256)) * 64,  # a start-of-scan marker in the trailer
        (PHOTOS / "opencv" / "apple.jpg").read_bytes(),  # a second JPEG (a thumbnail trailer)
    ],
    ids=["mp4", "avi", "sos-bytes", "second-jpeg"],
)
def test_data_after_the_end_marker_is_ignored(tmp_path: Path, trailer: bytes) -> None:
    path = _motion_photo(tmp_path, trailer)
    expected = load_image(PHOTO)
    assert np.array_equal(load_image(path), expected)
    reduced = load_for_model(path, DecodeTarget((56, 56)))  # the batch path, decoded at 1/8
    assert reduced.factor > 1
    found = jpeg_structure(path.read_bytes())
    assert found is not None and found[0] == len(PHOTO.read_bytes())


def test_a_jpeg_cut_before_its_end_marker_is_still_refused(tmp_path: Path) -> None:
    data = PHOTO.read_bytes()
    for cut in (len(data) // 2, len(data) - 2, 600):
        path = tmp_path / f"cut{cut}.jpg"
        path.write_bytes(data[:cut])
        with pytest.raises(ImageDecodeError, match="truncated JPEG"):
            load_image(path)


def test_classify_a_motion_photo_beside_good_and_bad_photos(tmp_path: Path) -> None:
    motion = _motion_photo(tmp_path, (VIDEOS / "bikes.mp4").read_bytes()[:300_000])
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(PHOTO.read_bytes()[:3000])
    run = camviz("classify", "--threads", "1", "--format", "json", PHOTO, motion, cut)
    lines = run.stdout.splitlines()
    assert run.returncode == 1 and len(lines) == 3
    import json

    records = [json.loads(line) for line in lines]
    assert records[0]["top"][0]["label"] == records[1]["top"][0]["label"]
    assert records[2]["error"]["type"] == "ImageDecodeError"
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr


# -- EXIF orientation --------------------------------------------------------------------------


def _tiff_orientation(value: int) -> bytes:
    entry = struct.pack(">HHIHH", 0x0112, 3, 1, value, 0)
    return b"MM\x00*" + struct.pack(">I", 8) + struct.pack(">H", 1) + entry + b"\x00" * 4


def _png_with_exif(pixels_bgr: np.ndarray, orientation: int) -> bytes:
    ok, buf = cv2.imencode(".png", pixels_bgr)
    assert ok
    png = buf.tobytes()
    tiff = _tiff_orientation(orientation)
    chunk = (
        struct.pack(">I", len(tiff))
        + b"eXIf"
        + tiff
        + struct.pack(">I", zlib.crc32(b"eXIf" + tiff) & 0xFFFFFFFF)
    )
    at = png.index(b"IDAT") - 4
    return png[:at] + chunk + png[at:]


def _pillow(pixels_bgr: np.ndarray, fmt: str, orientation: int) -> bytes:
    image = PIL.fromarray(np.ascontiguousarray(pixels_bgr[:, :, ::-1]))
    exif = PIL.Exif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    extra = {"lossless": True} if fmt == "WEBP" else {"quality": 98}
    image.save(out, fmt, exif=exif.tobytes(), **extra)
    return out.getvalue()


#: What each EXIF orientation asks a viewer to do to the stored pixels.
UPRIGHT = {
    1: lambda a: a,
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1],
    5: lambda a: a.transpose(1, 0, 2),
    6: lambda a: np.rot90(a, -1),
    7: lambda a: a.transpose(1, 0, 2)[::-1, ::-1],
    8: lambda a: np.rot90(a, 1),
}


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("container", ["png-exif", "pillow-png", "webp", "jpeg"])
def test_exif_orientation_in_every_container(
    tmp_path: Path, container: str, orientation: int
) -> None:
    photo = cv2.resize(cv2.imread(str(PHOTOS / "opencv" / "baboon.jpg")), (96, 64))
    if container == "png-exif":
        data = _png_with_exif(photo, orientation)
    elif container == "pillow-png":
        data = _pillow(photo, "PNG", orientation)
    elif container == "webp":
        data = _pillow(photo, "WEBP", orientation)
        assert exif_orientation(data) == orientation
    else:
        data = _pillow(photo, "JPEG", orientation)
    path = tmp_path / f"o{orientation}.{container.split('-')[-1]}"
    path.write_bytes(data)
    got = load_image(path).astype(np.int16)
    want = UPRIGHT[orientation](photo[:, :, ::-1]).astype(np.int16)
    assert got.shape == want.shape
    tolerance = 12 if container == "jpeg" else 0  # JPEG is lossy; the others are exact
    assert np.abs(got - want).mean() <= tolerance


def test_a_broken_exif_chunk_is_no_orientation(tmp_path: Path) -> None:
    photo = np.zeros((8, 16, 3), np.uint8)
    data = _png_with_exif(photo, 6)
    broken = data.replace(b"MM\x00*\x00\x00\x00\x08", b"MM\x00*\xff\xff\xff\xff")
    assert exif_orientation(broken) == 1
    assert exif_orientation(data) == 6
    path = tmp_path / "b.png"
    path.write_bytes(broken)
    assert load_image(path).shape == (8, 16, 3)
