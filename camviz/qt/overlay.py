"""What :class:`~camviz.qt.frame_view.FrameView` draws over the video.

* the label box (top left): the top label and its probability, or "Not sure";
* badges (top right): "PAUSED";
* the crop box: the square the classifier sees (its centre crop), in frame
  coordinates mapped onto the letterboxed video;
* the inset (bottom right, picture-in-picture): the exact model input tensor.

All of it is drawn *over* the video, so none of it can move the video.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QPoint, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen

from camviz.preprocess import crop_square

__all__ = [
    "crop_rect_on_view",
    "draw_badge",
    "draw_banner",
    "draw_crop",
    "draw_inset",
    "draw_label",
    "inset_rect",
]

_PAD = 8
_MARGIN = 10


def draw_label(
    painter: QPainter,
    target: QRect,
    text: str,
    font: QFont,
    *,
    uncertain: bool,
    stale: bool = False,
) -> QRect:
    """The label box at the video's top left; returns where it went. ``stale``: greyed
    (the source stopped: the label is the last frame's)."""
    painter.setFont(font)
    metrics = painter.fontMetrics()
    box = metrics.boundingRect(text).adjusted(-_PAD, -_PAD // 2, _PAD, _PAD // 2)
    box.moveTopLeft(target.topLeft() + QPoint(_MARGIN, _MARGIN))
    if stale:
        background, foreground = QColor(60, 60, 60, 200), QColor(150, 150, 150)
    elif uncertain:
        background, foreground = QColor(120, 90, 0, 220), QColor(255, 230, 160)
    else:
        background, foreground = QColor(0, 0, 0, 180), QColor(255, 255, 255)
    painter.fillRect(box, background)
    painter.setPen(QPen(foreground))
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
    return box


def draw_badge(painter: QPainter, target: QRect, text: str, font: QFont, offset: int = 0) -> QRect:
    """A badge at the video's top right, ``offset`` px left of it (white on red: 5.3:1)."""
    painter.setFont(font)
    box = painter.fontMetrics().boundingRect(text).adjusted(-_PAD, -_PAD // 2, _PAD, _PAD // 2)
    box.moveTopRight(target.topRight() + QPoint(-_MARGIN - offset, _MARGIN))
    painter.fillRect(box, QColor(196, 30, 30, 230))
    painter.setPen(QPen(QColor(255, 255, 255)))
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
    return box


def draw_banner(
    painter: QPainter, target: QRect, text: str, font: QFont, top: int | None = None
) -> QRect:
    """A sentence across the video (white on near-black: 15:1), elided to its width, at
    ``top`` (below the label box) or the video's top."""
    painter.setFont(font)
    metrics = painter.fontMetrics()
    width = max(40, target.width() - 2 * _MARGIN)
    shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, width - 2 * _PAD)
    box = metrics.boundingRect(shown).adjusted(-_PAD, -_PAD // 2, _PAD, _PAD // 2)
    y = target.top() + _MARGIN if top is None else top
    box.moveTopLeft(QPoint(target.left() + _MARGIN, y))
    painter.fillRect(box, QColor(10, 10, 10, 220))
    painter.setPen(QPen(QColor(255, 255, 255)))
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, shown)
    return box


def crop_rect_on_view(
    frame_w: int, frame_h: int, fraction: float, target: QRect, *, mirrored: bool = False
) -> QRectF:
    """The classifier's crop of a ``frame_w`` x ``frame_h`` frame, where the video shows it."""
    left, top, side = crop_square(frame_w, frame_h, fraction)
    if mirrored:
        left = frame_w - left - side
    sx = target.width() / frame_w
    sy = target.height() / frame_h
    return QRectF(target.x() + left * sx, target.y() + top * sy, side * sx, side * sy)


def draw_crop(painter: QPainter, rect: QRectF) -> None:
    """The crop box: a 1 px light line inside a 3 px dark band, visible on any picture.

    Drawn as filled bands (no pen, no dashes): 8 ``fillRect`` calls cost ~0.05 ms
    at 720p where a dashed 3 px pen costs ~1 ms.
    """
    r = rect.toAlignedRect()
    x, y, w, h = r.x(), r.y(), r.width(), r.height()
    if w < 4 or h < 4:
        return
    for colour, inset, width in ((QColor(0, 0, 0, 150), -1, 3), (QColor(255, 255, 255, 230), 0, 1)):
        x0, y0, x1, y1 = x + inset, y + inset, x + w - 1 - inset, y + h - 1 - inset
        side = x1 - x0 + 1
        painter.fillRect(QRect(x0, y0, side, width), colour)  # top
        painter.fillRect(QRect(x0, y1 - width + 1, side, width), colour)  # bottom
        painter.fillRect(QRect(x0, y0, width, y1 - y0 + 1), colour)  # left
        painter.fillRect(QRect(x1 - width + 1, y0, width, y1 - y0 + 1), colour)  # right


def inset_rect(target: QRect, image_w: int, image_h: int, share: float = 0.28) -> QRect:
    """Where the inset goes: bottom right of the video, ``share`` of its height (64 px min)."""
    if image_w <= 0 or image_h <= 0 or target.width() <= 0 or target.height() <= 0:
        return QRect()
    h = max(64, round(target.height() * share))
    h = min(h, target.height() - 2 * _MARGIN, target.width() // 2)
    w = max(1, round(h * image_w / image_h))
    return QRect(
        target.right() - _MARGIN - w + 1, target.bottom() - _MARGIN - h + 1, max(1, w), max(1, h)
    )


def draw_inset(
    painter: QPainter, target: QRect, image: npt.NDArray[np.uint8], font: QFont
) -> QRect:
    """The model-input picture (nearest-neighbour: its pixels as they are) with a caption."""
    h, w = image.shape[:2]
    rect = inset_rect(target, w, h)
    if rect.isEmpty():
        return rect
    pixels = np.ascontiguousarray(image)
    qimg = QImage(pixels.data, w, h, pixels.strides[0], QImage.Format.Format_RGB888)
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
    painter.drawImage(rect, qimg)  # pixels outlive the call: `pixels` is a local
    painter.setPen(QPen(QColor(255, 255, 255), 2.0))
    painter.drawRect(rect)
    painter.setFont(font)
    caption = "model input"
    box = painter.fontMetrics().boundingRect(caption).adjusted(-4, -1, 4, 1)
    box.moveBottomLeft(rect.topLeft() + QPoint(0, -2))
    painter.fillRect(box, QColor(0, 0, 0, 190))
    painter.setPen(QPen(QColor(255, 255, 255)))
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, caption)
    painter.restore()
    return rect
