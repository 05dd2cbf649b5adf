"""Reading photos into RGB uint8 arrays, and finding the photos in files and folders.

Handles what real photo collections contain: greyscale, RGBA (composited on
white), 16-bit PNG/TIFF, EXIF-rotated JPEGs (turned upright). Anything that is
not a complete, decodable image raises :class:`~camviz.errors.ImageError` with
the file's name, never a half-decoded picture.

:func:`to_rgb8` is camviz's one conversion of OpenCV images to RGB uint8; the
frame sources (:mod:`camviz.sources`) use it too, so a photo and a video or
camera frame of the same pixels give the same array.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from camviz.errors import ImageDecodeError, ImageNotFoundError, OptionsError

__all__ = [
    "IMAGE_EXTENSIONS",
    "load_image",
    "decode_image",
    "check_rgb_image",
    "to_rgb8",
    "find_images",
    "ImageSearch",
]

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp"})

_JPEG_SOI = b"\xff\xd8\xff"
_JPEG_SOS = b"\xff\xda"
_JPEG_EOI = b"\xff\xd9"


def _check_jpeg_complete(data: bytes, name: str) -> None:
    # In entropy-coded data every 0xFF is followed by 0x00 (byte stuffing), so an
    # end-of-image marker after the last start-of-scan means the file is whole.
    last_scan = data.rfind(_JPEG_SOS)
    if last_scan < 0 or data.find(_JPEG_EOI, last_scan) < 0:
        raise ImageDecodeError(
            f"{name} is a truncated JPEG (its image data ends before the end-of-image "
            "marker); copy the file again from its source"
        )


def to_rgb8(image: npt.NDArray[Any], name: str = "image") -> npt.NDArray[np.uint8]:
    """An image as OpenCV decodes it to an HxWx3 C-contiguous RGB uint8 array.

    The one conversion camviz has, for photos and for video and camera frames:
    BGR, BGRA (composited on white) or grey (HxW or HxWx1); ``uint8``,
    ``uint16`` (rounded to the nearest 8-bit value, ``v / 257``, so 16-bit
    white stays 255 and ``v * 257`` gives back ``v``) or float in ``0..1``.
    Any other pixel type or channel count raises :class:`ImageDecodeError`
    naming ``name``.
    """
    if image.dtype == np.uint16:
        # round(v * 255 / 65535) == round(v / 257), in integers
        image = (image.astype(np.uint32) + 128) // 257
    elif image.dtype in (np.float32, np.float64):
        image = np.clip(np.nan_to_num(image) * 255.0 + 0.5, 0, 255)
    elif image.dtype != np.uint8:
        raise ImageDecodeError(f"{name} has unsupported pixel type {image.dtype}")
    pixels: npt.NDArray[np.uint8] = image.astype(np.uint8, copy=False)
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    if channels == 4:
        alpha = pixels[:, :, 3:4].astype(np.float32) / 255.0
        on_white = pixels[:, :, :3].astype(np.float32) * alpha + 255.0 * (1.0 - alpha)
        pixels = np.rint(on_white).astype(np.uint8)
        channels = 3
    codes = {1: cv2.COLOR_GRAY2RGB, 3: cv2.COLOR_BGR2RGB}
    if channels not in codes:
        raise ImageDecodeError(f"{name} has {channels} channels; expected 1, 3 or 4")
    return np.ascontiguousarray(cv2.cvtColor(pixels, codes[channels]), dtype=np.uint8)


def decode_image(data: bytes, name: str = "image") -> npt.NDArray[np.uint8]:
    """Decode encoded image bytes into an upright HxWx3 RGB uint8 array."""
    if not data:
        raise ImageDecodeError(f"{name} is an empty file (0 bytes); it holds no image")
    buffer = np.frombuffer(data, np.uint8)
    is_jpeg = data.startswith(_JPEG_SOI)
    if is_jpeg:
        _check_jpeg_complete(data, name)
        # IMREAD_COLOR applies the EXIF orientation; a JPEG has no alpha to lose.
        flags = cv2.IMREAD_COLOR
    else:
        # Keep alpha and 16-bit depth (PNG, WebP, BMP have no EXIF rotation in practice).
        flags = cv2.IMREAD_UNCHANGED
    try:
        image = cv2.imdecode(buffer, flags)
    except cv2.error as exc:
        raise ImageDecodeError(f"{name} cannot be decoded: {exc}") from exc
    if image is None or image.size == 0:
        raise ImageDecodeError(
            f"{name} is not a decodable image (expected JPEG, PNG, WebP or BMP data)"
        )
    return to_rgb8(image, name)


def check_rgb_image(image: Any) -> None:
    """Raise :class:`OptionsError` unless ``image`` is an HxWx3 uint8 (RGB) array."""
    if (
        not isinstance(image, np.ndarray)
        or image.dtype != np.uint8
        or image.ndim != 3
        or image.shape[2] != 3
    ):
        shape = getattr(image, "shape", None)
        dtype = getattr(image, "dtype", type(image).__name__)
        raise OptionsError(f"expected an HxWx3 uint8 RGB image, got shape {shape} of {dtype}")


def load_image(path: str | Path) -> npt.NDArray[np.uint8]:
    """Read one photo from disk as an upright HxWx3 RGB uint8 array."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise ImageNotFoundError(f"{path} does not exist") from exc
    except IsADirectoryError as exc:
        raise ImageDecodeError(f"{path} is a folder, not an image file") from exc
    except OSError as exc:
        raise ImageDecodeError(f"{path} cannot be read: {exc.strerror or exc}") from exc
    return decode_image(data, str(path))


@dataclass(frozen=True, slots=True)
class ImageSearch:
    """The images found under some paths, and an error for each path that yielded none."""

    images: tuple[Path, ...]
    problems: tuple[tuple[Path, ImageNotFoundError], ...]


def find_images(paths: Iterable[str | Path], *, recursive: bool = True) -> ImageSearch:
    """Expand files and folders (recursively, sorted) into image paths.

    A file named explicitly is kept whatever its extension, so a bad file is
    reported by the decoder rather than skipped in silence.
    """
    images: list[Path] = []
    problems: list[tuple[Path, ImageNotFoundError]] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            pattern = "**/*" if recursive else "*"
            found = sorted(
                p
                for p in path.glob(pattern)
                if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS
            )
            if not found:
                extensions = ", ".join(sorted(IMAGE_EXTENSIONS))
                message = f"folder {path} holds no images ({extensions})"
                problems.append((path, ImageNotFoundError(message)))
            images.extend(found)
        elif path.exists():
            images.append(path)
        else:
            problems.append((path, ImageNotFoundError(f"{path} does not exist")))
    return ImageSearch(tuple(images), tuple(problems))
