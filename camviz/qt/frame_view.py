"""Live view of the latest RGB frame, letterboxed, with a label overlay.

Frames arrive far more often than it is useful to paint (or from another
thread), so :class:`FrameView` never paints on arrival: :meth:`FrameView.set_frame`
(GUI thread) or a :class:`~camviz.app.frames.LatestFrame` slot (any thread) only replaces the
current frame; a display timer (``refresh_hz``, default 60) calls ``update()``
when something new is there, and Qt coalesces those into one ``paintEvent``.

The fast path in ``paintEvent`` wraps the numpy buffer in a ``QImage``
(``Format_RGB888``, ``bytesPerLine = strides[0]``) *without copying* and draws
it into the letterbox rectangle (scaling and mirroring are done by OpenCV into
buffers reused from frame to frame: much faster than QPainter's smooth
scaling). That ``QImage`` lives only for the
duration of ``paintEvent`` while ``self._frame`` keeps the numpy buffer alive,
so no copy is needed. Producers must hand over a new array per frame and not
write into it afterwards (camviz sources do so). :meth:`FrameView.render_image`
returns an owning ``QImage`` (its own pixels) for snapshots.

Over the video (:mod:`camviz.qt.overlay`): the label, a PAUSED badge, the
classifier's crop box and the model-input inset. Clicking the view gives it the
keyboard focus (so no spin box keeps it).
"""

from __future__ import annotations

import time
from collections import deque
from typing import TYPE_CHECKING

import cv2
import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QRect, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from camviz.app.frames import LatestFrame
from camviz.qt import overlay
from camviz.results import ClassificationResult

if TYPE_CHECKING:
    from camviz.pipeline import FrameResult

__all__ = [
    "FrameView",
    "LatestFrame",
    "letterbox_rect",
    "numpy_to_qimage",
    "qimage_to_numpy",
    "render_result",
]

Image = npt.NDArray[np.uint8]


def numpy_to_qimage(image: Image, *, copy: bool = False) -> QImage:
    """Wrap an HxWx3 uint8 RGB array in a ``QImage`` (``Format_RGB888``).

    With ``copy=False`` the ``QImage`` *borrows* the array's memory: the caller
    must keep ``image`` alive (and unchanged) for as long as the ``QImage`` is
    used. With ``copy=True`` the result owns its pixels.
    """
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected an HxWx3 uint8 RGB image, got {image.dtype} {image.shape}")
    if image.strides[1] != 3 or image.strides[2] != 1:
        image = np.ascontiguousarray(image)
        copy = True  # the contiguous temporary dies with this function
    h, w = image.shape[:2]
    qimg = QImage(image.data, w, h, image.strides[0], QImage.Format.Format_RGB888)
    return qimg.copy() if copy else qimg


def qimage_to_numpy(image: QImage) -> Image:
    """An owning HxWx3 uint8 RGB copy of ``image`` (any format)."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    h, w = rgb.height(), rgb.width()
    rows = np.frombuffer(rgb.constBits(), np.uint8, count=rgb.bytesPerLine() * h)
    return rows.reshape(h, rgb.bytesPerLine())[:, : w * 3].reshape(h, w, 3).copy()


def letterbox_rect(image_w: int, image_h: int, area: QRect) -> QRect:
    """The largest rectangle of the image's aspect ratio centred in ``area``."""
    if image_w <= 0 or image_h <= 0 or area.width() <= 0 or area.height() <= 0:
        return QRect(area.x(), area.y(), 0, 0)
    scale = min(area.width() / image_w, area.height() / image_h)
    w = max(1, round(image_w * scale))
    h = max(1, round(image_h * scale))
    x = area.x() + (area.width() - w) // 2
    y = area.y() + (area.height() - h) // 2
    return QRect(x, y, w, h)


class FrameView(QWidget):
    """Shows the latest frame with the aspect ratio kept (black bars) and an overlay.

    * ``set_frame(image)`` (GUI thread) or ``set_frame_slot(LatestFrame)`` (any
      thread writes, the display timer polls) supply frames;
    * ``set_overlay(label, score, uncertain)`` sets the text drawn on the frame;
    * ``set_mirrored(bool)`` flips horizontally (selfie view).

    ``paint_count`` / ``frames_painted`` count paint events and distinct frames
    painted; :meth:`display_fps` is the rate of distinct frames painted over the
    last two seconds.
    """

    mirroredChanged = Signal(bool)

    def __init__(self, parent: QWidget | None = None, *, refresh_hz: float = 60.0) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 120)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # a click on the video takes focus
        self._paused = False
        self._badges: dict[str, bool] = {}  # RECONNECTING, REC: drawn when True
        self._stale = False  # the labels belong to a frame the source no longer sends
        self._banner: str | None = None  # a plain sentence over the video's top
        self._full_screen = False
        self._crop_fraction: float | None = None
        self._inset: Image | None = None
        self._frame: Image | None = None
        self._heat: tuple[Image, Image] | None = None  # (the frame it is of, frame + map)
        self._slot: LatestFrame | None = None
        self._slot_serial = -1
        self._dirty = False
        self._painted_serial = -1
        self._serial = 0
        self._mirrored = False
        self._smooth = True
        self._label: str | None = None
        self._score: float | None = None
        self._uncertain = False
        self._placeholder = "No frame"
        self._buffers: dict[str, Image] = {}  # reused scale/mirror targets
        self.paint_count = 0
        self.frames_painted = 0
        self._paint_times: deque[float] = deque(maxlen=240)
        self._font = QFont(self.font())
        self._label_points = max(self._font.pointSizeF(), 9.0) * 1.4
        self._font.setPointSizeF(self._label_points)
        self._font.setBold(True)
        self._small_font = QFont(self.font())
        self._small_font.setBold(True)
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self.set_refresh_hz(refresh_hz)

    # ----------------------------------------------------------------- frames
    def set_frame(self, image: Image | None) -> None:
        """Show ``image`` (HxWx3 uint8 RGB) at the next display tick. GUI thread only."""
        if image is not None and (image.ndim != 3 or image.shape[2] != 3):
            raise ValueError(f"expected an HxWx3 RGB image, got shape {image.shape}")
        self._frame = image
        self._serial += 1
        self._dirty = True

    def set_frame_slot(self, slot: LatestFrame | None) -> None:
        """Poll ``slot`` for new frames at every display tick (producers on any thread)."""
        self._slot = slot
        self._slot_serial = -1

    def frame(self) -> Image | None:
        return self._frame

    def placeholder(self) -> str:
        """What the view says while it has no frame."""
        return self._placeholder

    def clear(self, placeholder: str | None = None) -> None:
        if placeholder is not None:
            self._placeholder = placeholder
        self._frame = None
        self._serial += 1
        self._dirty = True

    # ---------------------------------------------------------------- overlay
    def set_overlay(
        self, label: str | None, score: float | None = None, *, uncertain: bool = False
    ) -> None:
        """Top label and its probability (0..1); ``uncertain`` draws the "not sure" state."""
        if (label, score, uncertain) != (self._label, self._score, self._uncertain):
            self._label, self._score, self._uncertain = label, score, uncertain
            self._dirty = True

    def show_result(self, result: ClassificationResult) -> None:
        """Overlay ``result``'s top category by its display name (or its "not sure" state)."""
        top = result.top
        self.set_overlay(
            top.display_name if top else None,
            top.score if top else None,
            uncertain=result.uncertain,
        )

    def overlay_text(self) -> str | None:
        if self._uncertain:
            return "Not sure"
        if self._label is None:
            return None
        if self._score is None:
            return self._label
        return f"{self._label}  {self._score * 100:.0f}%"

    def set_paused(self, paused: bool) -> None:
        """Draw the PAUSED badge (top right of the video)."""
        if paused != self._paused:
            self._paused = paused
            self._dirty = True

    def set_badge(self, text: str, shown: bool) -> None:
        """Draw (or not) the badge ``text`` ("RECONNECTING", "REC") on the video."""
        if self._badges.get(text, False) != shown:
            self._badges[text] = shown
            self._dirty = True

    def badges(self) -> list[str]:
        """The badges drawn on the video now."""
        shown = [text for text, on in self._badges.items() if on]
        return (["PAUSED"] if self._paused else []) + shown

    def set_stale(self, stale: bool) -> None:
        """Grey the labels: the source stopped sending (they are the last frame's)."""
        if stale != self._stale:
            self._stale = stale
            self._dirty = True

    def is_stale(self) -> bool:
        return self._stale

    def set_banner(self, text: str | None) -> None:
        """A sentence across the video, below the label (``None``: none), e.g. a fallback."""
        if text != self._banner:
            self._banner = text
            self._dirty = True

    def banner(self) -> str | None:
        """The banner drawn now: the one set, else full screen's "Esc to leave" hint."""
        if self._banner is not None:
            return self._banner
        return "Esc or F to leave full screen" if self._full_screen else None

    def set_full_screen(self, full: bool) -> None:
        """Full screen: a larger label, and the hint to leave."""
        if full != self._full_screen:
            self._full_screen = full
            self._font.setPointSizeF(self._label_points * (2.0 if full else 1.0))
            self._dirty = True

    def label_font(self) -> QFont:
        return QFont(self._font)

    def set_crop_fraction(self, fraction: float | None) -> None:
        """Draw the box of the classifier's centre crop (``None``: no box)."""
        if fraction != self._crop_fraction:
            self._crop_fraction = fraction
            self._dirty = True

    def set_inset(self, image: Image | None) -> None:
        """The model-input picture drawn in the video's bottom-right corner (``None``: none)."""
        self._inset = image
        self._dirty = True

    def set_heat(self, frame: Image | None, drawn: Image | None = None) -> None:
        """Show ``drawn`` (``frame`` with a map over it, same size) instead of ``frame`` for
        as long as ``frame`` is the one shown: it goes when the frame moves on."""
        if frame is None or drawn is None:
            self._heat = None
        else:
            if drawn.shape != frame.shape:
                raise ValueError(f"a map of a {frame.shape} frame cannot be {drawn.shape}")
            self._heat = (frame, drawn)
        self._dirty = True

    def crop_fraction(self) -> float | None:
        """The centre crop's share drawn as the crop box (None: no box)."""
        return self._crop_fraction

    def heat(self) -> tuple[Image, Image] | None:
        """(the frame a map is of, that frame with the map), or None."""
        return self._heat

    def heat_shown(self) -> bool:
        """Whether a map is drawn over the frame shown now."""
        heat = self._heat
        return heat is not None and heat[0] is self._frame

    def video_rect(self, area: QRect | None = None) -> QRect:
        """Where the current frame is drawn in ``area`` (default: the whole view)."""
        area = self.rect() if area is None else area
        frame = self._frame
        if frame is None:
            return QRect(area.x(), area.y(), 0, 0)
        return letterbox_rect(frame.shape[1], frame.shape[0], area)

    def crop_rect(self, area: QRect | None = None) -> QRectF | None:
        """Where the crop box is drawn (view coordinates), ``None`` without frame or fraction."""
        frame, fraction = self._frame, self._crop_fraction
        if frame is None or fraction is None:
            return None
        return overlay.crop_rect_on_view(
            frame.shape[1],
            frame.shape[0],
            fraction,
            self.video_rect(area),
            mirrored=self._mirrored,
        )

    def inset_rect(self, area: QRect | None = None) -> QRect:
        """Where the model-input inset is drawn (empty without one)."""
        inset = self._inset
        if inset is None or self._frame is None:
            return QRect()
        return overlay.inset_rect(self.video_rect(area), inset.shape[1], inset.shape[0])

    # ---------------------------------------------------------------- options
    def set_mirrored(self, mirrored: bool) -> None:
        if mirrored != self._mirrored:
            self._mirrored = mirrored
            self._dirty = True
            self.mirroredChanged.emit(mirrored)

    def is_mirrored(self) -> bool:
        return self._mirrored

    def set_smooth(self, smooth: bool) -> None:
        """Bilinear (True, default) or nearest-neighbour scaling."""
        self._smooth = smooth
        self._dirty = True

    def set_refresh_hz(self, hz: float) -> None:
        """Rate of the display timer that turns new frames into repaints; 0 stops it."""
        if hz <= 0:
            self._timer.stop()
            return
        self._timer.start(max(1, round(1000.0 / hz)))

    def display_fps(self, window_s: float = 2.0) -> float:
        """Distinct frames painted per second over the last ``window_s`` seconds."""
        now = time.monotonic()
        times = [t for t in self._paint_times if now - t <= window_s]
        if len(times) < 2:
            return 0.0
        span = max(now - times[0], 1e-6)
        return (len(times) - 1) / span if span > 0 else 0.0

    def sizeHint(self) -> QSize:
        return QSize(640, 360)

    # ---------------------------------------------------------------- drawing
    def _tick(self) -> None:
        if self._slot is not None:
            serial, image = self._slot.get()
            if serial != self._slot_serial:
                self._slot_serial = serial
                self._frame = image
                self._heat = None  # the frame moved on: its map goes
                self._serial += 1
                self._dirty = True
        if self._dirty:
            self._dirty = False
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            self.paint_into(painter, self.rect())
        finally:
            painter.end()
        self.paint_count += 1
        if self._serial != self._painted_serial:
            self._painted_serial = self._serial
            self.frames_painted += 1
            self._paint_times.append(time.monotonic())

    def paint_into(self, painter: QPainter, area: QRect) -> None:
        """Paint frame, black bars and overlay into ``area`` of any paint device."""
        frame = self._frame  # a local reference keeps the buffer alive while painting
        if frame is None:
            painter.fillRect(area, QColor(24, 24, 24))
            painter.setPen(QColor(170, 170, 170))
            painter.drawText(area, Qt.AlignmentFlag.AlignCenter, self._placeholder)
            return
        h, w = frame.shape[:2]
        target = letterbox_rect(w, h, area)
        self._fill_bars(painter, area, target)
        heat = self._heat
        shown = heat[1] if heat is not None and heat[0] is frame else frame
        pixels = self._fit(shown, target.width(), target.height())
        qimg = numpy_to_qimage(pixels)  # borrowed: `pixels` outlives this call
        painter.drawImage(target.topLeft(), qimg)
        self._draw_overlay(painter, target, frame)

    def _fit(self, frame: Image, width: int, height: int) -> Image:
        """``frame`` scaled to ``width`` x ``height`` (and mirrored), drawn 1:1 afterwards.

        QPainter's smooth scaling of an RGB888 image costs 4-8 ms a frame at 720p;
        OpenCV's SIMD resize into a buffer reused from frame to frame costs well
        under 1 ms, so the display path scales with OpenCV and Qt only blits.
        """
        h, w = frame.shape[:2]
        if (w, h) == (width, height) and not self._mirrored:
            return frame
        out = frame
        if (w, h) != (width, height):
            out = self._buffer("scaled", width, height)
            interp = cv2.INTER_LINEAR if self._smooth else cv2.INTER_NEAREST
            cv2.resize(frame, (width, height), dst=out, interpolation=interp)
        if self._mirrored:
            flipped = self._buffer("mirrored", width, height)
            cv2.flip(out, 1, dst=flipped)
            out = flipped
        return out

    def _buffer(self, name: str, width: int, height: int) -> Image:
        buf = self._buffers.get(name)
        if buf is None or buf.shape[:2] != (height, width):
            buf = np.empty((height, width, 3), np.uint8)
            self._buffers[name] = buf
        return buf

    @staticmethod
    def _fill_bars(painter: QPainter, area: QRect, target: QRect) -> None:
        """Black bars around ``target`` (only the bars: the frame covers the rest)."""
        black = QColor(0, 0, 0)
        ax, ay, aw, ah = area.x(), area.y(), area.width(), area.height()
        tx, ty, tw, th = target.x(), target.y(), target.width(), target.height()
        bars = (
            QRect(ax, ay, aw, ty - ay),  # top
            QRect(ax, ty + th, aw, ay + ah - (ty + th)),  # bottom
            QRect(ax, ty, tx - ax, th),  # left
            QRect(tx + tw, ty, ax + aw - (tx + tw), th),  # right
        )
        for bar in bars:
            if bar.width() > 0 and bar.height() > 0:
                painter.fillRect(bar, black)

    def _draw_overlay(self, painter: QPainter, target: QRect, frame: Image) -> None:
        fraction = self._crop_fraction
        if fraction is not None:
            h, w = frame.shape[:2]
            rect = overlay.crop_rect_on_view(w, h, fraction, target, mirrored=self._mirrored)
            overlay.draw_crop(painter, rect)
        inset = self._inset
        if inset is not None:
            overlay.draw_inset(painter, target, inset, self._small_font)
        text = self.overlay_text()
        below: int | None = None
        if text is not None:
            box = overlay.draw_label(
                painter, target, text, self._font, uncertain=self._uncertain, stale=self._stale
            )
            below = box.bottom() + 8
        offset = 0
        for badge in self.badges():
            offset += overlay.draw_badge(painter, target, badge, self._font, offset).width() + 6
        banner = self.banner()
        if banner is not None:
            overlay.draw_banner(painter, target, banner, self._small_font, below)

    def render_image(self, size: QSize | None = None) -> QImage:
        """An owning ``QImage`` of the view as painted (frame + overlay), for snapshots.

        Without ``size`` the frame's own resolution is used (no letterbox).
        """
        frame = self._frame
        if size is None:
            size = QSize(frame.shape[1], frame.shape[0]) if frame is not None else self.size()
        out = QImage(size, QImage.Format.Format_RGB32)
        out.fill(QColor(0, 0, 0))
        painter = QPainter(out)
        try:
            self.paint_into(painter, QRect(0, 0, size.width(), size.height()))
        finally:
            painter.end()
        return out


def render_result(
    fr: FrameResult,
    mirrored: bool,
    *,
    crop_fraction: float | None = None,
    heat: tuple[Image, Image] | None = None,
) -> QImage:
    """A classified frame at its own resolution with its overlay (snapshots): the label, the
    crop box of ``crop_fraction`` (None: none) and, when ``heat`` is a map of this very
    frame (:meth:`FrameView.heat`), the frame with its map."""
    painter_view = FrameView(refresh_hz=0)
    try:
        painter_view.set_mirrored(mirrored)
        image = fr.frame.image
        painter_view.set_frame(image)
        painter_view.show_result(fr.result)
        painter_view.set_crop_fraction(crop_fraction)
        if heat is not None and heat[0] is image:
            painter_view.set_heat(*heat)
        return painter_view.render_image()
    finally:
        painter_view.deleteLater()
