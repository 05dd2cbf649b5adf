"""Small composable annotators that draw on a frame: a labels sheet, the crop box, a heat map
and a REC badge.

Each annotator is a frozen dataclass of its style with one ``annotate(image, ...)`` method that
draws on ``image`` (HxWx3 uint8, in place) and returns it, so they chain::

    frame = image.copy()
    CropBox().annotate(frame, region)
    LabelSheet().annotate(frame, result)
    RecBadge().annotate(frame)

Colours are RGB triples (camviz frames are RGB; the video writer converts to BGR once).
:func:`annotate_result` draws the view a recording shows: the box the model is fed and its
top labels with their probabilities. The window can use the same annotators on a paused frame.

Layer: with the low-level helpers (imports ``camviz.results`` and ``cv2``/``numpy`` only).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from camviz.errors import OptionsError
from camviz.results import ClassificationResult

__all__ = [
    "Region",
    "Color",
    "CropBox",
    "LabelSheet",
    "HeatMap",
    "RecBadge",
    "SECOND_COLOR",
    "SecondView",
    "annotate_result",
    "mirror_region",
    "text_scale",
]

Region = tuple[int, int, int, int]  # (left, top, width, height) in frame pixels
Color = tuple[int, int, int]  # RGB

_FONT = cv2.FONT_HERSHEY_SIMPLEX

#: The second model's colour in an A/B view (its crop box, its sheet's bars): the window's amber.
SECOND_COLOR: Color = (255, 176, 32)


@dataclass(frozen=True, slots=True)
class SecondView:
    """The second model of an A/B view, on the same frame as the first.

    ``region`` is its crop box when it differs from the first model's (None: the same box,
    drawn once); ``first_name`` heads the first model's sheet; ``frame_id`` is the frame
    the result is of (the newest pair's, which may trail the first model's newest result).
    """

    result: ClassificationResult
    name: str
    region: Region | None = None
    first_name: str | None = None
    frame_id: int | None = None

    def mirrored(self, width: int) -> SecondView:
        """The same view on a frame mirrored left to right (``width`` pixels wide)."""
        if self.region is None:
            return self
        region = mirror_region(self.region, width)
        return SecondView(self.result, self.name, region, self.first_name, self.frame_id)


def mirror_region(region: Region, width: int) -> Region:
    """``region`` of a ``width``-pixel-wide frame, where it lies once the frame is mirrored."""
    left, top, w, h = region
    return (width - left - w, top, w, h)


def text_scale(image: npt.NDArray[np.uint8]) -> float:
    """A font scale that reads on this frame size (0.45 up to 480 lines, 0.75 on 720,
    1.1 on 1080, at most 2)."""
    return float(max(0.45, min(2.0, image.shape[0] / 960.0)))


def _check(image: npt.NDArray[np.uint8]) -> None:
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise OptionsError(
            f"annotators draw on HxWx3 uint8 images, not {image.dtype} of shape {image.shape}"
        )


def _clip(region: Region, image: npt.NDArray[np.uint8]) -> Region:
    height, width = image.shape[:2]
    left, top, w, h = region
    x0, y0 = max(0, min(width, left)), max(0, min(height, top))
    x1, y1 = max(x0, min(width, left + w)), max(y0, min(height, top + h))
    return x0, y0, x1 - x0, y1 - y0


@dataclass(frozen=True, slots=True)
class CropBox:
    """The box of the frame the model is fed (``camviz.preprocess.input_region``).

    As the window draws it: a light line on a dark ``band`` two pixels wider, which shows on
    any picture (``band=None``: the line alone).
    """

    color: Color = (255, 255, 255)
    thickness: int = 1
    band: Color | None = (0, 0, 0)

    def annotate(self, image: npt.NDArray[np.uint8], region: Region) -> npt.NDArray[np.uint8]:
        _check(image)
        left, top, w, h = _clip(region, image)
        if w and h:
            corners = (left, top), (left + w - 1, top + h - 1)
            if self.band is not None:
                cv2.rectangle(image, *corners, self.band, self.thickness + 2)
            cv2.rectangle(image, *corners, self.color, self.thickness)
        return image


@dataclass(frozen=True, slots=True)
class LabelSheet:
    """The top ``rows`` labels of a result with their probabilities, on a dimmed panel with bars.

    ``title`` (the model's name, say) heads the panel when given; ``corner`` is ``"left"``
    or ``"right"`` (a second model's sheet goes on the right).
    """

    rows: int = 3
    color: Color = (255, 255, 255)
    bar: Color = (60, 200, 90)
    dim: float = 0.55
    corner: str = "left"

    def annotate(
        self,
        image: npt.NDArray[np.uint8],
        result: ClassificationResult,
        title: str | None = None,
    ) -> npt.NDArray[np.uint8]:
        _check(image)
        scale = text_scale(image)
        (_, text_h), descent = cv2.getTextSize("0%Ay", _FONT, scale, 1)
        bar_h = max(2, round(4 * scale))
        line = text_h + descent + bar_h + max(3, round(5 * scale))  # text, then its bar below
        pad = max(4, round(8 * scale))
        lines = [title] if title else []
        cats = result.categories[: self.rows]
        texts = [f"{c.score * 100:5.1f}%  {c.display_name or c.label}" for c in cats]
        if not cats:
            texts = ["no label above the threshold"]
        elif result.uncertain:
            texts.append("(not sure)")
        lines += texts
        thickness = 1 + (scale >= 1.0)  # bolder on large frames: measured as drawn
        widths = [cv2.getTextSize(t, _FONT, scale, thickness)[0][0] for t in lines]
        panel_w = min(image.shape[1], max(widths) + 2 * pad)
        panel_h = min(image.shape[0], len(lines) * line + 2 * pad - max(3, round(5 * scale)))
        x0 = 0 if self.corner == "left" else image.shape[1] - panel_w
        view = image[0:panel_h, x0 : x0 + panel_w]
        view[:] = (view.astype(np.float32) * (1.0 - self.dim)).astype(np.uint8)
        y = pad
        offset = 1 if title else 0
        for i, text in enumerate(lines):
            baseline = y + text_h
            if i >= offset and i - offset < len(cats):
                width = int((panel_w - 2 * pad) * max(0.0, min(1.0, cats[i - offset].score)))
                top = baseline + descent + 1  # under the text's lowest stroke, never through it
                cv2.rectangle(
                    image, (x0 + pad, top), (x0 + pad + width, top + bar_h - 1), self.bar, -1
                )
            cv2.putText(
                image, text, (x0 + pad, baseline), _FONT, scale, self.color, thickness, cv2.LINE_AA
            )
            y += line
        return image


@dataclass(frozen=True, slots=True)
class HeatMap:
    """A coarse map (rows x cols, any range) blended over ``region`` with a colour map.

    The map is scaled to 0..1 by its own maximum (values below zero count as zero), so the
    hottest cell is the brightest; ``alpha`` is the map's weight where it is hottest.
    """

    alpha: float = 0.55
    colormap: int = cv2.COLORMAP_JET

    def annotate(
        self, image: npt.NDArray[np.uint8], heat: npt.NDArray[np.floating], region: Region
    ) -> npt.NDArray[np.uint8]:
        _check(image)
        if heat.ndim != 2 or heat.size == 0:
            raise OptionsError(f"a heat map is a 2-D array, not one of shape {heat.shape}")
        left, top, w, h = _clip(region, image)
        if not (w and h):
            return image
        values = np.clip(np.nan_to_num(heat.astype(np.float32)), 0.0, None)
        peak = float(values.max())
        norm = values / peak if peak > 0 else values
        big = cv2.resize(norm, (w, h), interpolation=cv2.INTER_CUBIC)
        big = np.clip(big, 0.0, 1.0)
        colours = cv2.applyColorMap((big * 255).astype(np.uint8), self.colormap)
        colours = cv2.cvtColor(colours, cv2.COLOR_BGR2RGB)  # the colour maps are BGR
        weight = (self.alpha * (0.35 + 0.65 * big))[..., None]
        view = image[top : top + h, left : left + w]
        view[:] = (view * (1.0 - weight) + colours * weight).astype(np.uint8)
        return image


@dataclass(frozen=True, slots=True)
class RecBadge:
    """A red dot and ``REC`` (with the elapsed time when given) in the top right corner, or
    the bottom right one (``corner="bottom"``: a second model's sheet takes the top right)."""

    color: Color = (230, 30, 30)
    corner: str = "top"

    def annotate(
        self, image: npt.NDArray[np.uint8], elapsed_s: float | None = None
    ) -> npt.NDArray[np.uint8]:
        _check(image)
        scale = text_scale(image)
        text = "REC"
        if elapsed_s is not None:
            minutes, seconds = divmod(int(max(0.0, elapsed_s)), 60)
            text += f" {minutes:02d}:{seconds:02d}"
        (tw, th), _ = cv2.getTextSize(text, _FONT, scale, 1)
        radius = max(4, th // 2 + 1)
        pad = max(4, th // 2)
        x = image.shape[1] - tw - 3 * radius - 2 * pad
        y = 2 * pad + th if self.corner == "top" else image.shape[0] - 2 * pad
        # on a dark backing, so that it reads on any picture (red or olive frames too)
        x0, y0 = max(0, x - pad), max(0, y - th - pad)
        x1, y1 = min(image.shape[1], x + 3 * radius + tw + pad), min(image.shape[0], y + pad)
        view = image[y0:y1, x0:x1]
        view[:] = (view.astype(np.float32) * 0.3).astype(np.uint8)
        cv2.circle(image, (x + radius, y - th // 2), radius, self.color, -1, cv2.LINE_AA)
        white = (255, 255, 255)
        cv2.putText(
            image, text, (x + 3 * radius, y), _FONT, scale, white, 1 + (th > 14), cv2.LINE_AA
        )
        return image


def annotate_result(
    image: npt.NDArray[np.uint8],
    result: ClassificationResult,
    region: Region | None,
    *,
    rows: int = 3,
    second: SecondView | None = None,
) -> npt.NDArray[np.uint8]:
    """A copy of ``image`` with the crop box (when given) and the top ``rows`` labels drawn.

    With ``second`` (A/B), the second model's labels go in a sheet on the right in
    :data:`SECOND_COLOR`, each sheet headed by its model's name, and its crop box is drawn
    in that colour when it differs from the first model's.
    """
    out = np.array(image, dtype=np.uint8, copy=True, order="C")
    if region is not None:
        CropBox().annotate(out, region)
    if second is None:
        LabelSheet(rows=rows).annotate(out, result)
        return out
    if second.region is not None:
        CropBox(color=SECOND_COLOR, thickness=2).annotate(out, second.region)
    title = f"A: {second.first_name}" if second.first_name else None
    LabelSheet(rows=rows).annotate(out, result, title)
    sheet = LabelSheet(rows=rows, bar=SECOND_COLOR, corner="right")
    sheet.annotate(out, second.result, f"B: {second.name}")
    return out
