"""The int8 calibration data of the zoo build: real photos committed
under ``assets/photos/`` and the deterministic crops made from them.

Split (fixed, by source):

* calibration (int8 representative data): every photo under ``assets/photos/opencv/``;
* held-out (int8 vs float agreement, never seen by the calibrator): every photo under
  ``assets/photos/skimage/``.

Crops are square, taken from the decoded RGB photo and resized with OpenCV's bilinear
``INTER_LINEAR``.  The first crop of a photo is the centre crop used by the app
(``crop_fraction`` of the short side); the others are random: side 40-100 % of the short
side, uniform position, horizontal flip with probability 1/2, from a NumPy PCG64 generator
seeded with the SHA-256 of the photo's relative path and the purpose, so every build sees
the same pixels.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from camviz.defaults import CROP_FRACTION  # the app's centre crop (of the short side)
from camviz.export.head import CALIBRATION_DIR, HELDOUT_DIR  # the split the export uses too

__all__ = [
    "CALIBRATION_DIR",
    "CALIBRATION_PER_PHOTO",
    "CROP_FRACTION",
    "HELDOUT_DIR",
    "Crop",
    "square_center_crop",
    "crops",
    "list_photos",
    "load_rgb",
]

#: the calibration crops per photo
CALIBRATION_PER_PHOTO = 8
_EXTENSIONS = {".jpg", ".jpeg", ".png"}


@dataclass(frozen=True)
class Crop:
    photo: str  # path relative to the photos root, with '/'
    top: int
    left: int
    side: int
    flip: bool
    pixels: np.ndarray  # size x size x 3 uint8, in the colour order asked for


def list_photos(root: Path, subdir: str) -> list[Path]:
    folder = root / subdir
    photos = sorted(p for p in folder.iterdir() if p.suffix.lower() in _EXTENSIONS)
    if not photos:
        raise FileNotFoundError(f"no photos in {folder}")
    return photos


def load_rgb(path: Path) -> np.ndarray:
    import cv2

    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise OSError(f"cannot decode {path}")
    return np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))


def _resize(region: np.ndarray, size: int) -> np.ndarray:
    import cv2

    out = cv2.resize(region, (size, size), interpolation=cv2.INTER_LINEAR)
    return np.ascontiguousarray(out, dtype=np.uint8)


def center_geometry(height: int, width: int, fraction: float) -> tuple[int, int, int]:
    """(top, left, side) of the app's centre crop: round(fraction * short side), centred."""
    side = max(1, round(min(height, width) * fraction))
    return (height - side) // 2, (width - side) // 2, side


def square_center_crop(rgb: np.ndarray, size: int, fraction: float) -> np.ndarray:
    top, left, side = center_geometry(rgb.shape[0], rgb.shape[1], fraction)
    return _resize(rgb[top : top + side, left : left + side], size)


def _seed(rel: str, purpose: str) -> int:
    digest = hashlib.sha256(f"{purpose}:{rel}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


def crops(
    root: Path,
    subdir: str,
    size: int,
    per_photo: int,
    fraction: float,
    purpose: str,
    bgr: bool = False,
) -> Iterator[Crop]:
    """``per_photo`` crops of each photo in ``root/subdir`` (first one the centre crop)."""
    for path in list_photos(root, subdir):
        rel = path.relative_to(root).as_posix()
        rgb = load_rgb(path)
        h, w = rgb.shape[:2]
        rng = np.random.Generator(np.random.PCG64(_seed(rel, purpose)))
        for k in range(per_photo):
            if k == 0:
                top, left, side = center_geometry(h, w, fraction)
                flip = False
            else:
                side = max(8, int(min(h, w) * rng.uniform(0.4, 1.0)))
                top = int(rng.integers(0, h - side + 1))
                left = int(rng.integers(0, w - side + 1))
                flip = bool(rng.integers(0, 2))
            px = _resize(rgb[top : top + side, left : left + side], size)
            if flip:
                px = np.ascontiguousarray(px[:, ::-1])
            if bgr:
                px = np.ascontiguousarray(px[..., ::-1])
            yield Crop(rel, top, left, side, flip, px)
