"""Turn an RGB frame into the exact input tensor a model expects, with OpenCV.

Steps, in order: what the model sees (:class:`Fit`: a centre crop of a fraction
of the short side, the default, or the whole frame letterboxed), resize to the
model's input size (anti-aliased when the crop is much larger than the input, so
big frames do not alias: exact 2x2 area averages, halving, until the crop is less
than twice the input, then the spec's resize; :data:`DOWNSCALE`), colour order on
the model-size image, then the input mapping, written straight into the tensor
given to :meth:`Preprocessor.run_into` (the runtime's own input memory, where it
has one), with no float copies of the image on the way:

* ``NORMALIZE``: ``(x - mean) / std`` and, for quantised inputs,
  ``round(x / scale + zero_point)``, clipped to the integer range;
* ``RAW``: integer inputs get the pixel values themselves (uint8 as is, int8
  shifted by -128), the convention of the TFLite Task Library, MediaPipe and
  Coral for integer models without normalisation metadata.

All affine steps are folded into one multiply-add, and skipped entirely when
they are the identity. :func:`choose_mapping` is the one place that decides a
model's mapping; :meth:`Preprocessor.run` also says how much of the input a
mapping clipped (a wrong mapping can then never be silent).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from camviz.errors import OptionsError

__all__ = [
    "AREA_DOWNSCALE_FACTOR",
    "DOWNSCALE",
    "Downscale",
    "LETTERBOX_PAD",
    "ColorOrder",
    "Fit",
    "InputMapping",
    "MappingSource",
    "PreprocessSpec",
    "Preprocessor",
    "Resize",
    "center_crop",
    "crop_square",
    "choose_mapping",
    "input_region",
    "letterbox_placement",
]

#: Crops at least this many times the model input (per side) are shrunk by area
#: averaging, whatever the spec's resize: bilinear samples only 2x2 pixels and aliases.
AREA_DOWNSCALE_FACTOR = 2.0


class Downscale(StrEnum):
    """How a crop of at least :data:`AREA_DOWNSCALE_FACTOR` times the input is anti-aliased.

    ``HALVING`` (the default): exact 2x2 area averages (``cv2.INTER_AREA`` to exactly half,
    OpenCV's fast path; an odd last row or column is left out) until the crop is less than
    twice the input, then the spec's resize. ``AREA``: one ``cv2.INTER_AREA`` to the input
    size (a fractional area average: 5-6x slower at 1080p, the same top-1 on
    ``benchmarks/resize_check.py``).
    """

    HALVING = "halving"
    AREA = "area"


#: The anti-aliasing rule in force (``benchmarks/resize_check.py`` switches it to compare).
DOWNSCALE = Downscale.HALVING


def halve_to(image: npt.NDArray[np.uint8], size: tuple[int, int]) -> npt.NDArray[np.uint8]:
    """``image`` halved by exact 2x2 area averages while it is at least twice ``size``
    (width, height) on both axes (``image`` itself when it is not)."""
    while image.shape[1] >= 2 * size[0] and image.shape[0] >= 2 * size[1]:
        height, width = image.shape[:2]
        even = image[: height - height % 2, : width - width % 2]
        half = (width // 2, height // 2)
        image = np.asarray(cv2.resize(even, half, interpolation=cv2.INTER_AREA), np.uint8)
    return image


#: The letterbox's padding, in pixel values (RGB): mid grey. After the usual
#: normalisations (mean 127.5, or raw pixels on models trained on grey-padded
#: inputs) it is the neutral value, so the bands carry no signal; black would
#: read as a dark border, a feature of the picture.
LETTERBOX_PAD = 128


class Fit(StrEnum):
    """What of the frame the model sees.

    ``CENTER_CROP`` (the default, what camviz's models were trained and measured
    with): a square of ``crop_fraction`` of the short side, from the centre.
    ``LETTERBOX``: the whole frame, scaled to fit the model input with its aspect
    ratio kept, the rest padded with :data:`LETTERBOX_PAD` (``crop_fraction`` is
    not used).
    """

    CENTER_CROP = "center_crop"
    LETTERBOX = "letterbox"


class ColorOrder(StrEnum):
    RGB = "RGB"
    BGR = "BGR"


class Resize(StrEnum):
    """How a crop becomes the model's input size.

    ``SAMPLE`` is the convention of MediaPipe's and the TFLite Task Library's
    image-to-tensor step, used for models camviz did not build: the crop's
    corners map onto the tensor's corners and each input pixel is a bilinear
    sample of the 2x2 source pixels there, however large the reduction. The
    others are OpenCV's resizes (half-pixel centres); ``AREA`` averages.
    """

    BILINEAR = "bilinear"
    AREA = "area"
    BICUBIC = "bicubic"
    NEAREST = "nearest"
    SAMPLE = "sample"

    @property
    def cv2_flag(self) -> int:
        return {
            Resize.BILINEAR: cv2.INTER_LINEAR,
            Resize.AREA: cv2.INTER_AREA,
            Resize.BICUBIC: cv2.INTER_CUBIC,
            Resize.NEAREST: cv2.INTER_NEAREST,
            Resize.SAMPLE: cv2.INTER_LINEAR,
        }[self]


def _resize(
    crop: npt.NDArray[np.uint8],
    size: tuple[int, int],
    how: Resize,
    spec_resize: Resize | None = None,
    out: npt.NDArray[np.uint8] | None = None,
) -> npt.NDArray[np.uint8]:
    """``crop`` resized to ``size`` by ``how``; ``how`` AREA under :attr:`Downscale.HALVING`
    halves first, then resizes by ``spec_resize`` (a spec that asks for AREA gets it exact).
    Written into ``out`` when it is given."""
    if how is Resize.AREA and DOWNSCALE is Downscale.HALVING and spec_resize not in (None, how):
        crop, how = halve_to(crop, size), spec_resize
    if how is not Resize.SAMPLE:
        if out is not None:
            done = cv2.resize(crop, size, dst=out, interpolation=how.cv2_flag)
            if done is not out:  # OpenCV gave a new array: copy it in
                out[...] = done
            return out
        return np.asarray(cv2.resize(crop, size, interpolation=how.cv2_flag), np.uint8)
    height, width = crop.shape[:2]
    # output (x, y) samples the crop at (x * width / W, y * height / H): no half-pixel shift
    to_source = np.array([[width / size[0], 0.0, 0.0], [0.0, height / size[1], 0.0]])
    resized = cv2.warpAffine(
        crop,
        to_source,
        size,
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )
    if out is not None:
        out[...] = resized
        return out
    return np.asarray(resized, np.uint8)


class InputMapping(StrEnum):
    """How pixel values become input values (see the module docstring)."""

    NORMALIZE = "normalize"
    RAW = "raw"


class MappingSource(StrEnum):
    """Where a model's input mapping came from."""

    ZOO = "zoo manifest"
    METADATA = "model metadata"
    RAW_DEFAULT = "default for integer inputs without normalisation: raw pixels"
    RAW_METADATA = "metadata gives the identity (mean 0, std 1) on an integer input: raw pixels"
    RAW_FOLDED = "metadata with the input quantisation is raw pixels within one step"
    FLOAT_DEFAULT = "default for float inputs without metadata: [-1, 1]"


@dataclass(frozen=True, slots=True)
class PreprocessSpec:
    """How pixels 0..255 become model input; ``mean``/``std`` are in the model's colour order."""

    crop_fraction: float = 0.875
    color_order: ColorOrder = ColorOrder.RGB
    resize: Resize = Resize.BILINEAR
    mean: tuple[float, float, float] = (0.0, 0.0, 0.0)
    std: tuple[float, float, float] = (1.0, 1.0, 1.0)
    mapping: InputMapping = InputMapping.NORMALIZE
    fit: Fit = Fit.CENTER_CROP

    def __post_init__(self) -> None:
        if not 0.05 <= self.crop_fraction <= 1.0:  # also False for NaN
            raise OptionsError(f"crop_fraction must be in 0.05..1, got {self.crop_fraction}")
        if len(self.mean) != 3 or len(self.std) != 3:
            raise OptionsError("mean and std need three values, one per channel")
        if not all(math.isfinite(v) for v in (*self.mean, *self.std)):
            raise OptionsError(
                f"mean {list(self.mean)} and std {list(self.std)} must be finite numbers"
            )
        if any(s == 0 for s in self.std):
            raise OptionsError("std values must not be zero")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PreprocessSpec:
        """From a manifest entry or metadata; unknown keys (``note``) are ignored."""

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
                mapping=InputMapping(str(data.get("mapping", "normalize")).lower()),
                fit=Fit(str(data.get("fit", Fit.CENTER_CROP.value)).lower()),
            )
        except ValueError as exc:
            raise OptionsError(f"bad preprocessing settings {data!r}: {exc}") from exc

    def to_dict(self) -> dict[str, Any]:
        """As :meth:`from_dict` reads it; ``fit`` only when it is not the default."""
        data: dict[str, Any] = {
            "crop_fraction": self.crop_fraction,
            "color_order": self.color_order.value,
            "resize": self.resize.value,
            "mean": list(self.mean),
            "std": list(self.std),
            "mapping": self.mapping.value,
        }
        if self.fit is not Fit.CENTER_CROP:
            data["fit"] = self.fit.value
        return data

    @property
    def is_identity_normalization(self) -> bool:
        return all(m == 0.0 for m in self.mean) and all(s == 1.0 for s in self.std)


def _folds_to_raw(spec: PreprocessSpec, scale: float, zero_point: int) -> bool:
    """True if normalising then quantising moves no pixel value by more than one step."""
    if scale <= 0:
        return False
    pixels = np.arange(256, dtype=np.float64)
    for mean, std in zip(spec.mean, spec.std, strict=True):
        mapped = (pixels - mean) / std / scale + zero_point
        if np.abs(mapped - pixels).max() > 1.0:
            return False
    return True


def choose_mapping(
    dtype: np.dtype[Any],
    *,
    zoo: PreprocessSpec | None = None,
    mean: tuple[float, ...] | None = None,
    std: tuple[float, ...] | None = None,
    scale: float = 0.0,
    zero_point: int = 0,
) -> tuple[PreprocessSpec, MappingSource]:
    """The one rule from what is known of a model to its preprocessing, and why.

    The zoo's manifest wins (it was measured on the project's photos). Models
    users bring follow the TFLite Task Library and MediaPipe: integer inputs get
    raw pixels when there is no normalisation metadata, when it is the identity,
    or when with the input's quantisation it folds to raw pixels within one step
    (mean/std 127.5 on scale 1/128, zero point 128: the classic quantised
    MobileNets); other metadata is applied; float inputs without it get [-1, 1].
    Their crops are resized by :attr:`Resize.SAMPLE`, as those libraries do.
    """
    if zoo is not None:
        return zoo, MappingSource.ZOO
    raw = PreprocessSpec(resize=Resize.SAMPLE, mapping=InputMapping.RAW)
    integer = bool(np.issubdtype(dtype, np.integer))
    if mean and std:
        spec = PreprocessSpec.from_dict(
            {"mean": list(mean), "std": list(std), "resize": Resize.SAMPLE.value}
        )
        if not integer:
            return spec, MappingSource.METADATA
        if spec.is_identity_normalization:
            return raw, MappingSource.RAW_METADATA
        if _folds_to_raw(spec, scale, zero_point):
            return raw, MappingSource.RAW_FOLDED
        return spec, MappingSource.METADATA
    if integer:
        return raw, MappingSource.RAW_DEFAULT
    float_default = PreprocessSpec(resize=Resize.SAMPLE, mean=(127.5,) * 3, std=(127.5,) * 3)
    return float_default, MappingSource.FLOAT_DEFAULT


def crop_square(width: int, height: int, fraction: float) -> tuple[int, int, int]:
    """``(left, top, side)`` of the square centre crop whose side is ``fraction`` of the
    short side: the one rule for what the model is fed and for the box the window draws."""
    side = max(1, round(min(height, width) * fraction))
    return (width - side) // 2, (height - side) // 2, side


def center_crop(image: npt.NDArray[np.uint8], fraction: float) -> npt.NDArray[np.uint8]:
    """A square centre crop whose side is ``fraction`` of the short side (a view, no copy)."""
    height, width = image.shape[:2]
    left, top, side = crop_square(width, height, fraction)
    return image[top : top + side, left : left + side]


def letterbox_placement(
    width: int, height: int, size: tuple[int, int]
) -> tuple[int, int, int, int]:
    """``(left, top, w, h)`` in the model input of a ``width`` x ``height`` frame letterboxed
    into ``size`` (width, height): scaled by the smaller ratio, centred, the rest is padding."""
    scale = min(size[0] / width, size[1] / height)
    w = min(size[0], max(1, round(width * scale)))
    h = min(size[1], max(1, round(height * scale)))
    return (size[0] - w) // 2, (size[1] - h) // 2, w, h


def input_region(width: int, height: int, spec: PreprocessSpec) -> tuple[int, int, int, int]:
    """``(left, top, w, h)`` in frame pixels of what the model is fed: the centre crop
    (the same arithmetic as :func:`center_crop`) or, letterboxed, the whole frame."""
    if spec.fit is Fit.LETTERBOX:
        return 0, 0, width, height
    left, top, side = crop_square(width, height, spec.crop_fraction)
    return left, top, side, side


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
    _shift: bool = field(init=False)  # int8 raw pixels: the value - 128
    _limits: tuple[float, float] | None = field(init=False)
    _pixels: npt.NDArray[np.uint8] = field(init=False, repr=False)  # the model-size image
    _work: npt.NDArray[np.float32] = field(init=False, repr=False)  # mapped values

    def __post_init__(self) -> None:
        mean = np.asarray(self.spec.mean, np.float64)
        std = np.asarray(self.spec.std, np.float64)
        gain, offset = 1.0 / std, -mean / std
        quantized = np.issubdtype(self.dtype, np.integer)
        if quantized and self.spec.mapping is InputMapping.RAW:
            # pixel values as they are; int8 holds them shifted into -128..127
            gain, offset = np.ones(3), np.full(3, -128.0 if self.dtype == np.int8 else 0.0)
            info = np.iinfo(self.dtype)
            self._limits = (float(info.min), float(info.max))
        elif quantized:
            scale = self.scale if self.scale > 0 else 1.0
            gain, offset = gain / scale, offset / scale + self.zero_point
            info = np.iinfo(self.dtype)
            self._limits = (float(info.min), float(info.max))
        else:
            self._limits = None
        self._gain = gain.astype(np.float32)
        self._offset = offset.astype(np.float32)
        unit = bool(np.all(gain == 1.0))
        self._identity = self.dtype == np.uint8 and unit and bool(np.all(offset == 0.0))
        self._shift = self.dtype == np.int8 and unit and bool(np.all(offset == -128.0))
        self._pixels = np.empty(self.shape, np.uint8)
        self._work = np.empty(self.shape, np.float32)

    def interpolation(self, crop_shape: tuple[int, ...]) -> Resize:
        """The resize used for a crop of this shape: area averaging for big reductions
        (except under :attr:`Resize.SAMPLE`, which is kept as the model's convention)."""
        if self.spec.resize is Resize.SAMPLE:
            return Resize.SAMPLE
        height, width = crop_shape[:2]
        factor = min(width / self.size[0], height / self.size[1])
        return Resize.AREA if factor >= AREA_DOWNSCALE_FACTOR else self.spec.resize

    def _letterbox(
        self, image: npt.NDArray[np.uint8], out: npt.NDArray[np.uint8] | None = None
    ) -> npt.NDArray[np.uint8]:
        """The whole frame scaled into the input size, aspect kept, padded with grey."""
        height, width = image.shape[:2]
        left, top, w, h = letterbox_placement(width, height, self.size)
        shape = (self.size[1], self.size[0], 3)
        canvas = np.empty(shape, np.uint8) if out is None else out
        canvas[...] = LETTERBOX_PAD
        factor = min(width / w, height / h)
        how = self.spec.resize
        if how is not Resize.SAMPLE and factor >= AREA_DOWNSCALE_FACTOR:
            how = Resize.AREA
        canvas[top : top + h, left : left + w] = _resize(image, (w, h), how, self.spec.resize)
        return canvas

    def _model_size(
        self,
        image: npt.NDArray[np.uint8],
        out: npt.NDArray[np.uint8] | None = None,
        order: ColorOrder = ColorOrder.RGB,
    ) -> npt.NDArray[np.uint8]:
        """What the model sees, at its input size, in the model's colour order (into ``out``);
        ``order`` is the image's (a BGR frame is swapped here, on the model-size image)."""
        if self.spec.fit is Fit.LETTERBOX:
            resized = self._letterbox(image, out)
        else:
            crop = center_crop(image, self.spec.crop_fraction)
            how = self.interpolation(crop.shape)
            resized = _resize(crop, self.size, how, self.spec.resize, out)
        if self.spec.color_order is not order:  # on the model-size image: 224x224, not 4K
            if out is None:
                resized = np.asarray(cv2.cvtColor(resized, cv2.COLOR_RGB2BGR), np.uint8)
            else:
                done = cv2.cvtColor(resized, cv2.COLOR_RGB2BGR, dst=out)
                if done is not out:
                    out[...] = done
                resized = out
        return resized

    def __call__(self, image: npt.NDArray[np.uint8]) -> npt.NDArray[Any]:
        """HxWx3 RGB uint8 -> input tensor of shape (H, W, 3), no batch dimension."""
        return self.run(image)[0]

    @property
    def shape(self) -> tuple[int, int, int]:
        """The input tensor's shape without the batch dimension: (height, width, 3)."""
        return (self.size[1], self.size[0], 3)

    def run(
        self, image: npt.NDArray[np.uint8], order: ColorOrder = ColorOrder.RGB
    ) -> tuple[npt.NDArray[Any], float]:
        """The input tensor (a new array) and the share of its values that had to be clipped
        (see :meth:`run_into`)."""
        tensor = np.empty(self.shape, self.dtype)
        return tensor, self.run_into(image, tensor, order)

    def run_into(
        self,
        image: npt.NDArray[np.uint8],
        tensor: npt.NDArray[Any],
        order: ColorOrder = ColorOrder.RGB,
    ) -> float:
        """Write the input tensor for ``image`` into ``tensor`` (shape :attr:`shape`, the
        model's dtype: the runtime's input memory, say) and return the share of its values
        that had to be clipped. ``order`` is ``image``'s channel order: a BGR frame (as
        OpenCV decodes) is converted on the model-size image, never at full size.

        A value counts as clipped when the mapping put it more than one
        quantisation step outside the integer range: a correct mapping clips
        almost nothing (pure white may land one step over), a wrong one (pixels
        scaled 128 times, say) clips most of the tensor. That must never pass
        silently: the classifier reports it on every result.
        """
        if tensor.shape != self.shape or tensor.dtype != self.dtype:
            raise OptionsError(
                f"the input tensor must be {self.shape} {self.dtype}, "
                f"got {tensor.shape} {tensor.dtype}"
            )
        if self._identity:  # uint8 pixels as they are: resized straight into the tensor
            self._model_size(image, tensor, order)
            return 0.0
        if self._shift:  # int8 raw pixels: x - 128 is x ^ 0x80 read as int8, no arithmetic
            resized = self._model_size(image, self._pixels, order)
            np.bitwise_xor(resized, np.uint8(0x80), out=tensor.view(np.uint8))
            return 0.0
        resized = self._model_size(image, self._pixels, order)
        if self._limits is None and tensor.dtype == np.float32:  # float: gain and offset, in place
            np.multiply(resized, self._gain, out=tensor)
            np.add(tensor, self._offset, out=tensor)
            return 0.0
        values = self._work  # one float buffer of the input size, reused every frame
        np.multiply(resized, self._gain, out=values)
        np.add(values, self._offset, out=values)
        clipped = 0.0
        if self._limits is not None:
            low, high = self._limits
            np.rint(values, out=values)
            outside = np.count_nonzero(values < low - 1.0) + np.count_nonzero(values > high + 1.0)
            clipped = outside / max(1, values.size)
            np.clip(values, low, high, out=values)
        np.copyto(tensor, values, casting="unsafe")
        return clipped
