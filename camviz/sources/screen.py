"""The screen as a source: :class:`ScreenSource` (``screen``, ``screen:N``, ``screen:X,Y,W,H``).

Frames are grabbed with mss (a maintained, pure-Python capture library: X11,
Wayland through XWayland, macOS, Windows) at ``fps`` frames a second, live like a
camera (the pipeline keeps the latest frame). mss is the ``screen`` extra: the
source says how to install it when it is missing, and what is wrong when there is
no display to grab (``DISPLAY`` unset, or no X server there).

mss connections belong to the thread that made them, so the reading thread
makes its own on its first read; the one :meth:`open` makes (to check the
display and grab the first frame) is closed before it returns.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from camviz.errors import ExtraNotInstalledError, SourceOpenError
from camviz.preprocess import ColorOrder
from camviz.sources.base import Frame, Pacer, Source, StateCallback, check_frame

__all__ = ["SCREEN_FPS", "ScreenRegion", "ScreenSource", "parse_screen"]

#: Frames a second grabbed from the screen unless told otherwise.
SCREEN_FPS = 15.0


@dataclass(frozen=True, slots=True)
class ScreenRegion:
    """What of the screen to capture: a monitor (mss's numbering: 0 all, 1 the first) or
    a region ``left, top, width, height`` in pixels."""

    monitor: int = 1
    box: tuple[int, int, int, int] | None = None

    def __str__(self) -> str:
        if self.box is not None:
            return "screen region {},{} {}x{}".format(*self.box)
        return "all screens" if self.monitor == 0 else f"screen {self.monitor}"


def parse_screen(text: str, rest: str | None) -> ScreenRegion:
    """The region of ``screen`` (``rest`` None), ``screen:N`` or ``screen:X,Y,W,H`` (``rest``
    is what follows the colon; ``text`` the whole string, for the message)."""
    if rest is None or not rest.strip():
        return ScreenRegion()
    parts = [p.strip() for p in rest.split(",")]
    if not all(p.isascii() and p.isdigit() for p in parts) or len(parts) not in (1, 4):
        raise SourceOpenError(
            f"screen source {text!r}: give screen, screen:N (a monitor; 0 is all of them) "
            "or screen:X,Y,W,H (a region in pixels, whole numbers)"
        )
    numbers = [int(p) for p in parts]
    if len(numbers) == 1:
        if numbers[0] > 64:
            raise SourceOpenError(f"screen source {text!r}: no monitor {numbers[0]}")
        return ScreenRegion(monitor=numbers[0])
    left, top, width, height = numbers
    if width < 1 or height < 1 or max(numbers) > 1 << 16:
        raise SourceOpenError(
            f"screen source {text!r}: the region's width and height must be 1..65536 pixels"
        )
    return ScreenRegion(box=(left, top, width, height))


def _mss() -> Any:
    try:
        import mss
    except ImportError:
        raise ExtraNotInstalledError("The screen source", "screen", "mss") from None
    return getattr(mss, "MSS", None) or mss.mss


class ScreenSource(Source):
    """The screen, a monitor of it or a region, grabbed at ``fps`` (live)."""

    is_live = True

    def __init__(
        self,
        region: ScreenRegion | None = None,
        *,
        fps: float = SCREEN_FPS,
        on_state: StateCallback | None = None,
    ) -> None:
        self.region = region or ScreenRegion()
        super().__init__(str(self.region), on_state=on_state)
        self.nominal_fps = fps
        self._pacer = Pacer(fps, self._closed)
        self._area: dict[str, int] | None = None
        self._grabber: Any = None
        self._thread: int | None = None
        self._pending: np.ndarray | None = None
        self._lock = threading.Lock()

    def _area_of(self, grabber: Any) -> dict[str, int]:
        if self.region.box is not None:
            left, top, width, height = self.region.box
            return {"left": left, "top": top, "width": width, "height": height}
        monitors = grabber.monitors
        if not 0 <= self.region.monitor < len(monitors):
            have = ", ".join(str(i) for i in range(len(monitors)))
            raise SourceOpenError(
                f"no monitor {self.region.monitor}: this display has {have} "
                "(0 is all of them together)"
            )
        area = monitors[self.region.monitor]
        return {k: int(area[k]) for k in ("left", "top", "width", "height")}

    def _grab(self, grabber: Any) -> np.ndarray:
        assert self._area is not None
        shot = grabber.grab(self._area)
        bgra = np.frombuffer(shot.bgra, np.uint8).reshape(shot.height, shot.width, 4)
        check_frame(bgra, self.name)
        return np.ascontiguousarray(bgra[:, :, :3])  # BGRA -> BGR: the frame stays BGR

    def _open(self) -> None:
        factory = _mss()
        if sys.platform.startswith("linux") and not (
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
        ):
            raise SourceOpenError(
                f"cannot capture the {self.name}: there is no display (DISPLAY is not set)"
            )
        try:
            grabber = factory()
        except Exception as exc:
            raise SourceOpenError(f"cannot capture the {self.name}: {exc}") from None
        try:
            self._area = self._area_of(grabber)
            image = self._grab(grabber)
        except SourceOpenError:
            raise
        except Exception as exc:  # mss.exception.ScreenShotError: a region off the screen...
            raise SourceOpenError(f"cannot capture the {self.name}: {exc}") from None
        finally:
            grabber.close()
        height, width = image.shape[:2]
        self.name = f"{self.region} ({width}x{height})"
        self._pending = image

    def read(self) -> Frame | None:
        if not self._opened:
            self.open()
        if self._closed.is_set() or not self._pacer.wait():
            return None
        with self._lock:
            if self._closed.is_set():
                return None
            image, self._pending = self._pending, None
            if image is None:
                me = threading.get_ident()
                if self._grabber is None or self._thread != me:
                    if self._grabber is not None:
                        self._grabber.close()
                    self._grabber, self._thread = _mss()(), me
                try:
                    image = self._grab(self._grabber)
                except SourceOpenError:
                    raise
                except Exception as exc:
                    raise SourceOpenError(f"lost the {self.name}: {exc}") from None
        return self._make_live_frame(image, ColorOrder.BGR)

    def _release(self) -> None:
        with self._lock:
            grabber, self._grabber, self._pending = self._grabber, None, None
        if grabber is not None:
            grabber.close()
