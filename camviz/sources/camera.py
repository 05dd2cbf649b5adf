"""Cameras: :class:`CameraSource` (an index or a ``/dev/video*`` device) and
:func:`list_cameras` (which indices answer, as :class:`CameraInfo`).

A camera can be asked for a frame size, a frame rate and a pixel format
(FOURCC): most USB webcams give 720p or 1080p at 30 fps only as ``MJPG``, and
fall back to a few fps of raw ``YUYV`` otherwise. Ask in Python with
``CameraSource(0, size=(1280, 720), fps=30, fourcc="MJPG")``, or in a source
string (``--source``, the window's source box) with query options after the
index or device::

    0?width=1280&height=720&fps=30&fourcc=MJPG
    /dev/video2?fourcc=MJPG
    1?fps=15

``width`` and ``height`` go together; ``fourcc`` is four characters (``MJPG``,
``YUYV``, ``H264``...). What is not asked for is left as the driver has it, so
a plain ``0`` behaves as before. The driver may grant something else: after
opening, :attr:`CameraSource.granted` is the :class:`CameraFormat` it
delivers (frame size as seen in the frames, fps and FOURCC as the driver
reports them), :attr:`CameraSource.name` shows it, and when it differs from
the request a state message says so (``asked for 1280x720 MJPG @ 30 fps, the
driver gave 640x480 YUYV @ 30 fps``).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl

import cv2
import numpy as np

from camviz.defaults import BACKOFF_INITIAL_S, BACKOFF_MAX_S, OPEN_TIMEOUT_S
from camviz.errors import CameraNotFoundError, SourceOpenError
from camviz.sources.base import StateCallback, valid_fps
from camviz.sources.capture import (
    CaptureFactory,
    CaptureLike,
    CaptureSource,
    default_capture,
    open_with_timeout,
)

__all__ = [
    "CAMERA_HINT",
    "CameraFormat",
    "CameraInfo",
    "CameraSource",
    "camera_spec",
    "camera_target",
    "fourcc_text",
    "list_cameras",
]

CAMERA_HINT = "list cameras with `camviz cameras`, or give `demo` or a video file as the source"


@dataclass(frozen=True)
class CameraInfo:
    """A camera that answered :func:`list_cameras`: its index and first frame size."""

    index: int
    width: int
    height: int


@dataclass(frozen=True)
class CameraFormat:
    """A camera format, as asked for or as granted; None: not asked / not known."""

    width: int | None = None
    height: int | None = None
    fps: float | None = None
    fourcc: str | None = None

    @property
    def size(self) -> tuple[int, int] | None:
        if self.width is None or self.height is None:
            return None
        return (self.width, self.height)

    def describe(self) -> str:
        """E.g. ``"1280x720 MJPG @ 30 fps"``; ``"the driver's default"`` if empty."""
        parts = []
        if self.size is not None:
            parts.append(f"{self.width}x{self.height}")
        if self.fourcc:
            parts.append(self.fourcc)
        if self.fps is not None:
            parts.append(f"@ {self.fps:g} fps")
        return " ".join(parts) or "the driver's default"


#: The options a camera source string takes after ``?``.
CAMERA_OPTIONS = ("width", "height", "fps", "fourcc")


#: The largest camera index and width/height/fps OpenCV's int properties take.
_LARGEST = 2**31 - 1


def camera_target(text: str) -> int | str | None:
    """The camera a source string names: an index (``"0"``), a device path, or None.

    Options after ``?`` are not part of the target (see :func:`camera_spec`).
    """
    text = text.partition("?")[0]
    if text.isascii() and text.isdigit():  # "²" is no index (int() refuses it)
        if len(text) > 10 or int(text) > _LARGEST:
            raise SourceOpenError(
                f"camera index {text[:20]}{'...' if len(text) > 20 else ''} is over the "
                f"largest OpenCV takes ({_LARGEST}); give a camera index such as 0"
            )
        return int(text)
    if text.startswith("/dev/video"):
        return text
    return None


def _number(key: str, value: str, text: str, kind: type[int] | type[float]) -> float:
    try:
        number = kind(value)
    except ValueError:
        number = 0
    if not (math.isfinite(number) and number > 0):
        raise SourceOpenError(
            f"camera source {text!r}: {key}={value!r} is not a positive "
            f"{'whole number' if kind is int else 'number'}"
        )
    if number > _LARGEST:
        raise SourceOpenError(f"camera source {text!r}: {key}={value!r} is over {_LARGEST}")
    return number


def _check_fourcc(code: str, where: str) -> str:
    if len(code) != 4 or not code.isascii() or not code.isprintable():
        raise SourceOpenError(
            f"{where}: fourcc {code!r} is not four characters (e.g. MJPG, YUYV, H264)"
        )
    return code


def camera_spec(text: str) -> tuple[int | str, CameraFormat] | None:
    """The camera and requested format a source string names, or None if not a camera.

    ``"0"``, ``"/dev/video0"``, ``"0?width=1280&height=720&fps=30&fourcc=MJPG"``.
    Raises :class:`SourceOpenError` naming a bad option and the ones there are.
    """
    base, _, query = text.partition("?")
    target = camera_target(base)
    if target is None:
        return None
    options: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        key = key.strip().lower()
        if key not in CAMERA_OPTIONS:
            raise SourceOpenError(
                f"camera source {text!r}: unknown option {key!r}; the options are "
                f"{', '.join(CAMERA_OPTIONS)} (e.g. 0?width=1280&height=720&fps=30&fourcc=MJPG)"
            )
        options[key] = value.strip()
    if ("width" in options) != ("height" in options):
        raise SourceOpenError(
            f"camera source {text!r}: give width and height together (e.g. width=1280&height=720)"
        )
    fmt = CameraFormat(
        width=int(_number("width", options["width"], text, int)) if "width" in options else None,
        height=int(_number("height", options["height"], text, int))
        if "height" in options
        else None,
        fps=float(_number("fps", options["fps"], text, float)) if "fps" in options else None,
        fourcc=_check_fourcc(options["fourcc"], f"camera source {text!r}")
        if "fourcc" in options
        else None,
    )
    return target, fmt


def fourcc_text(code: float) -> str | None:
    """The four characters of a ``CAP_PROP_FOURCC`` value, or None if the driver gave none."""
    try:
        number = int(code)
    except (ValueError, OverflowError):
        return None
    if number <= 0 or number >= 1 << 32:
        return None
    chars = number.to_bytes(4, "little").decode("latin-1")
    if not chars.isprintable():
        return None
    return chars.strip() or None


def _camera_label(target: int | str) -> str:
    return f"camera {target}"


class CameraSource(CaptureSource):
    """A camera by index (``0``) or device path (``/dev/video0``).

    * ``size=(w, h)``, ``fps`` and ``fourcc`` (e.g. ``"MJPG"``) are requested from
      the driver, in the order V4L2 wants (format, then size, then rate); it may
      pick others: :attr:`granted` and :attr:`name` report what it delivers, and a
      state message says when that differs from :attr:`requested`. Nothing
      requested: the driver's defaults. The driver buffer is set to one frame so
      frames are fresh.
    * :meth:`open` fails within ``open_timeout`` seconds with
      :class:`CameraNotFoundError`, even if OpenCV hangs.
    * A failed read mid-stream (camera unplugged) moves to RECONNECTING: the
      capture is released and reopened with exponential back-off
      (``backoff_initial`` doubling to ``backoff_max``) until it answers (or
      ``reconnect_timeout`` passes: FAILED and :class:`CameraNotFoundError`), then
      RUNNING again. ``close()`` interrupts the back-off.
    * ``capture_factory`` makes the capture (``cv2.VideoCapture`` by default);
      tests inject fakes.
    """

    open_error = CameraNotFoundError

    def __init__(
        self,
        target: int | str = 0,
        *,
        size: tuple[int, int] | None = None,
        fps: float | None = None,
        fourcc: str | None = None,
        on_state: StateCallback | None = None,
        capture_factory: CaptureFactory | None = None,
        open_timeout: float = OPEN_TIMEOUT_S,
        backoff_initial: float = BACKOFF_INITIAL_S,
        backoff_max: float = BACKOFF_MAX_S,
        reconnect_timeout: float | None = None,
    ) -> None:
        super().__init__(
            _camera_label(target),
            target,
            on_state=on_state,
            capture_factory=capture_factory,
            open_timeout=open_timeout,
            backoff_initial=backoff_initial,
            backoff_max=backoff_max,
            reconnect_timeout=reconnect_timeout,
        )
        self.size = size
        self.requested_fps = fps
        self.fourcc = None if fourcc is None else _check_fourcc(fourcc, _camera_label(target))
        self.requested = CameraFormat(
            width=None if size is None else int(size[0]),
            height=None if size is None else int(size[1]),
            fps=fps,
            fourcc=self.fourcc,
        )
        #: What the driver delivers, after each (re)open; None before the first.
        self.granted: CameraFormat | None = None
        self._grant_note: str | None = None
        self.nominal_fps = fps

    def _where(self) -> str:
        if isinstance(self.target, int):
            return f"at index {self.target}"
        return f"at {self.target}"

    def _configure(self, cap: CaptureLike) -> None:
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        if self.fourcc is not None:
            cap.set(cv2.CAP_PROP_FOURCC, float(cv2.VideoWriter.fourcc(*self.fourcc)))
        if self.size is not None:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, float(self.size[0]))
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, float(self.size[1]))
        if self.requested_fps is not None:
            cap.set(cv2.CAP_PROP_FPS, float(self.requested_fps))

    def _open_failed(self, why: str) -> str:
        where = self._where()
        if why == "timeout":
            return (
                f"camera {where} did not answer within {self.open_timeout:g} s "
                f"(driver hung?); {CAMERA_HINT}"
            )
        if why == "noframe":
            return (
                f"camera {where} opened but gave no frame (in use by another "
                f"program?); {CAMERA_HINT}"
            )
        if why.startswith("error: "):
            return f"camera {where} failed to open ({why[7:]}); {CAMERA_HINT}"
        return f"no camera {where}; {CAMERA_HINT}"

    def _lost(self, waited: float) -> str:
        return f"camera {self._where()} lost and not back after {waited:.1f} s; {CAMERA_HINT}"

    def _after_open(self, cap: CaptureLike, image: np.ndarray) -> None:
        h, w = image.shape[:2]
        try:
            fps = valid_fps(float(cap.get(cv2.CAP_PROP_FPS)))
            fourcc = fourcc_text(float(cap.get(cv2.CAP_PROP_FOURCC)))
        except Exception:
            fps, fourcc = None, None
        self.nominal_fps = fps or self.requested_fps
        granted = CameraFormat(int(w), int(h), fps, fourcc)
        first = self.granted is None
        self.granted = granted
        if self.requested == CameraFormat():
            self.name = f"{_camera_label(self.target)} ({w}x{h})"
            return
        self.name = f"{_camera_label(self.target)} ({granted.describe()})"
        if first and self._differs(granted):  # said once RUNNING (see open)
            self._grant_note = (
                f"{_camera_label(self.target)}: asked for {self.requested.describe()}, "
                f"the driver gave {granted.describe()}"
            )

    def open(self) -> None:
        super().open()
        note, self._grant_note = self._grant_note, None
        if note:
            self._notify(note)

    def _differs(self, granted: CameraFormat) -> bool:
        """Whether ``granted`` misses any part of the request."""
        asked = self.requested
        if asked.size is not None and asked.size != granted.size:
            return True
        if asked.fourcc is not None and (granted.fourcc or "").upper() != asked.fourcc.upper():
            return True
        return (
            asked.fps is not None and granted.fps is not None and abs(granted.fps - asked.fps) > 0.5
        )


def _may_have_camera(index: int) -> bool:
    """False if the system says there is no camera at ``index`` (Linux: no /dev/videoN).

    True where it cannot tell without asking OpenCV.
    """
    if not sys.platform.startswith("linux"):
        return True
    return Path(f"/dev/video{index}").exists()


def list_cameras(
    max_index: int = 5,
    *,
    timeout: float = 1.5,
    capture_factory: CaptureFactory | None = None,
) -> list[CameraInfo]:
    """Cameras at indices ``0 .. max_index - 1`` that deliver a frame.

    On Linux, indices without a ``/dev/videoN`` node are skipped without asking
    OpenCV (fast and quiet). Each probe is bounded by ``timeout`` seconds.
    """
    factory = capture_factory or default_capture
    found: list[CameraInfo] = []
    for index in range(max_index):
        if capture_factory is None and not _may_have_camera(index):
            continue
        cap, image, _ = open_with_timeout(factory, index, timeout)
        if cap is not None and image is not None:
            cap.release()
            found.append(CameraInfo(index, int(image.shape[1]), int(image.shape[0])))
    return found
