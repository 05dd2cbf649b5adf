"""Turn an RGB frame into the exact input tensor a model expects, with OpenCV.

Steps, in order: centre crop (a fraction of the short side), resize to the
model's input size, colour order, normalisation ``(x - mean) / std`` and, for
quantised inputs, ``round(x / scale + zero_point)``. All affine steps are folded
into one multiply-add, and skipped entirely when they are the identity (the
shipped int8 models take raw uint8 pixels).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from camviz.errors import OptionsError

__all__ = ["ColorOrder", "Resize", "PreprocessSpec", "Preprocessor", "center_crop"]


class ColorOrder(StrEnum):
    RGB = "RGB"
    BGR = "BGR"


class Resize(StrEnum):
    BILINEAR = "bilinear"
    AREA = "area"
    BICUBIC = "bicubic"
    NEAREST = "nearest"

    @property
    def cv2_flag(self) -> int:
        return {
            Resize.BILINEAR: cv2.INTER_LINEAR,
            Resize.AREA: cv2.INTER_AREA,
            Resize.BICUBIC: cv2.INTER_CUBIC,
            Resize.NEAREST: cv2.INTER_NEAREST,
        }[self]


@dataclass(frozen=True, slots=True)
class PreprocessSpec:
    """How pixels 0..255 become model input; ``mean``/``std`` are in the model's colour order."""

    crop_fraction: float = 0.875
    color_order: ColorOrder = ColorOrder.RGB
    resize: Resize = Resize.BILINEAR
    mean: tuple[float, float, float] = (0.0, 0.0, 0.0)
    std: tuple[float, float, float] = (1.0, 1.0, 1.0)

    def __post_init__(self) -> None:
        if not 0.05 <= self.crop_fraction <= 1.0:
            raise OptionsError(f"crop_fraction must be in 0.05..1, got {self.crop_fraction}")
        if len(self.mean) != 3 or len(self.std) != 3:
            raise OptionsError("mean and std need three values, one per channel")
        if any(s == 0 for s in self.std):
            raise OptionsError("std values must not be zero")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PreprocessSpec:
        def triple(value: Any, default: float) -> tuple[float, float, float]:
            if value is None:
                return (default, default, default)
            values = [float(v) for v in (value if isinstance(value, list | tuple) else [value])]
            if len(values) == 1:
                values *= 3
            if len(values) != 3:
                raise OptionsError(f"expected 1 or 3 values, got {value!r}")
            return (values[0], values[1], values[2])

        try:
            return cls(
                crop_fraction=float(data.get("crop_fraction", 0.875)),
                color_order=ColorOrder(str(data.get("color_order", "RGB")).upper()),
                resize=Resize(str(data.get("resize", "bilinear")).lower()),
                mean=triple(data.get("mean"), 0.0),
                std=triple(data.get("std"), 1.0),
            )
        except ValueError as exc:
            raise OptionsError(f"bad preprocessing settings {data!r}: {exc}") from exc

    def to_dict(self) -> dict[str, Any]:
        return {
            "crop_fraction": self.crop_fraction,
            "color_order": self.color_order.value,
            "resize": self.resize.value,
            "mean": list(self.mean),
            "std": list(self.std),
        }


def center_crop(image: npt.NDArray[np.uint8], fraction: float) -> npt.NDArray[np.uint8]:
    """A square centre crop whose side is ``fraction`` of the short side (a view, no copy)."""
    height, width = image.shape[:2]
    side = max(1, round(min(height, width) * fraction))
    top = (height - side) // 2
    left = (width - side) // 2
    return image[top : top + side, left : left + side]


@dataclass(slots=True)
class Preprocessor:
    """Precomputed preprocessing for one model input tensor."""

    spec: PreprocessSpec
    size: tuple[int, int]  # (width, height)
    dtype: np.dtype[Any]
    scale: float = 0.0
    zero_point: int = 0
    _gain: npt.NDArray[np.float32] = field(init=False, repr=False)
    _offset: npt.NDArray[np.float32] = field(init=False, repr=False)
    _identity: bool = field(init=False)
    _limits: tuple[float, float] | None = field(init=False)

    def __post_init__(self) -> None:
        mean = np.asarray(self.spec.mean, np.float64)
        std = np.asarray(self.spec.std, np.float64)
        gain, offset = 1.0 / std, -mean / std
        quantized = np.issubdtype(self.dtype, np.integer)
        if quantized:
            scale = self.scale if self.scale > 0 else 1.0
            gain, offset = gain / scale, offset / scale + self.zero_point
            info = np.iinfo(self.dtype)
            self._limits = (float(info.min), float(info.max))
        else:
            self._limits = None
        self._gain = gain.astype(np.float32)
        self._offset = offset.astype(np.float32)
        self._identity = (
            self.dtype == np.uint8 and bool(np.all(gain == 1.0)) and bool(np.all(offset == 0.0))
        )

    def __call__(self, image: npt.NDArray[np.uint8]) -> npt.NDArray[Any]:
        """HxWx3 RGB uint8 -> input tensor of shape (H, W, 3), no batch dimension."""
        crop = center_crop(image, self.spec.crop_fraction)
        resized = cv2.resize(crop, self.size, interpolation=self.spec.resize.cv2_flag)
        if self.spec.color_order is ColorOrder.BGR:
            resized = cv2.cvtColor(resized, cv2.COLOR_RGB2BGR)
        if self._identity:
            return np.ascontiguousarray(resized)
        values = resized.astype(np.float32) * self._gain + self._offset
        if self._limits is not None:
            np.rint(values, out=values)
            np.clip(values, self._limits[0], self._limits[1], out=values)
        return values.astype(self.dtype)
