"""Decoding photos for a model: JPEGs much larger than the model's crop decode at 1/2, 1/4 or 1/8.

libjpeg can decode a JPEG at a reduced scale in its inverse DCT
(``cv2.IMREAD_REDUCED_COLOR_2/4/8``), which costs a fraction of a full decode:
on a 12-MP photo about a third at 1/2 and a quarter at 1/4. The factor is chosen
from the size in the JPEG's frame header, before decoding, so that the reduced
image's centre crop is still at least :data:`MIN_OVERSAMPLE` times the model's
input side: the preprocessor then shrinks it by area averaging exactly as it
does the full-size crop, and the top-1 label is the same (tests/batch checks it
against full-size decoding on the project's photos).

Everything :func:`camviz.imageio.load_image` guarantees holds on this path too:
the EXIF orientation is applied (OpenCV's reduced colour modes apply it like
``IMREAD_COLOR``), grey JPEGs become RGB, truncated JPEGs raise
:class:`~camviz.errors.ImageDecodeError`, and every other format (PNG with alpha,
16-bit, WebP, BMP) goes through :func:`camviz.imageio.decode_image` unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from camviz import imageio
from camviz.errors import ImageDecodeError
from camviz.imageio import jpeg_size

__all__ = [
    "MIN_OVERSAMPLE",
    "DecodeTarget",
    "Decoded",
    "reduction_for",
    "decode_for_model",
    "read_image_bytes",
    "load_for_model",
]

#: The reduced crop must stay at least this many times the model's input side
#: (the preprocessor's area-averaging threshold, camviz.preprocess.AREA_DOWNSCALE_FACTOR).
MIN_OVERSAMPLE = 2.0

_REDUCED_FLAGS = {
    2: cv2.IMREAD_REDUCED_COLOR_2,
    4: cv2.IMREAD_REDUCED_COLOR_4,
    8: cv2.IMREAD_REDUCED_COLOR_8,
}


@dataclass(frozen=True, slots=True)
class DecodeTarget:
    """What the model keeps of a photo: a centre crop of ``crop_fraction`` of the short
    side, resized to ``input_size`` (width, height). ``reduce=False`` always decodes in full."""

    input_size: tuple[int, int]
    crop_fraction: float = 0.875
    reduce: bool = True

    @classmethod
    def of(cls, classifier: object, *, reduce: bool = True) -> DecodeTarget:
        """The target of a loaded classifier (its ``info.input_size`` and crop fraction)."""
        info = getattr(classifier, "info", None)
        size = tuple(getattr(info, "input_size", (224, 224)))
        spec = getattr(info, "preprocessing", None)
        fraction = float(getattr(spec, "crop_fraction", 0.875))
        return cls((int(size[0]), int(size[1])), fraction, reduce)


@dataclass(frozen=True, slots=True)
class Decoded:
    """A decoded photo and the scale it was decoded at (1: full size)."""

    image: npt.NDArray[np.uint8]
    factor: int


def reduction_for(size: tuple[int, int] | None, target: DecodeTarget) -> int:
    """The largest of 8, 4, 2 whose reduced crop still covers ``MIN_OVERSAMPLE`` x the
    model's input side; 1 (full size) when none does or the size is unknown."""
    if size is None or not target.reduce:
        return 1
    crop = min(size) * target.crop_fraction
    need = MIN_OVERSAMPLE * max(target.input_size)
    for factor in (8, 4, 2):
        if crop / factor >= need:
            return factor
    return 1


def decode_for_model(data: bytes, name: str, target: DecodeTarget) -> Decoded:
    """Decode photo bytes into an upright RGB uint8 array, reduced when the model allows it."""
    factor = reduction_for(jpeg_size(data), target) if data.startswith(b"\xff\xd8\xff") else 1
    if factor == 1:
        return Decoded(imageio.decode_image(data, name), 1)
    data = imageio.jpeg_body(data, name)  # its one truncation rule; a trailer is dropped
    imageio.check_image_limits(data, name)  # the pixel and scan limits of load_image
    try:
        image = cv2.imdecode(np.frombuffer(data, np.uint8), _REDUCED_FLAGS[factor])
    except cv2.error as exc:
        raise ImageDecodeError(f"{name} cannot be decoded: {exc}") from exc
    if image is None or image.size == 0:
        return Decoded(imageio.decode_image(data, name), 1)  # its error message, or a full decode
    return Decoded(imageio.to_rgb8(image, name), factor)


def read_image_bytes(path: str | Path) -> bytes:
    """A photo's bytes, read as :func:`camviz.imageio.load_image` reads them (regular files
    only, size-limited), with its errors."""
    return imageio.read_image_file(path)


def load_for_model(path: str | Path, target: DecodeTarget) -> Decoded:
    """:func:`camviz.imageio.load_image` for a model: reduced when the model allows it."""
    return decode_for_model(read_image_bytes(path), str(path), target)
