"""What every frame source shares: :class:`Frame`, :class:`SourceState`, the
:class:`Source` base class, and the pacing clock and fps check of file sources.

Imports only the bottom layers (errors, limits, memory, preprocess, results); every other
module of the package builds on it.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from functools import cached_property
from types import TracebackType
from typing import Literal, Self

import cv2
import numpy as np

from camviz import limits
from camviz.errors import SourceError, SourceOpenError
from camviz.memory import release_freed_memory
from camviz.preprocess import ColorOrder
from camviz.results import CLOCK

__all__ = [
    "FRAME_LIMIT_HINT",
    "Frame",
    "Pacer",
    "Source",
    "SourceState",
    "StateCallback",
    "check_frame",
    "frame_too_large",
    "valid_fps",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Frame:
    """One frame of a source, its pixels in the order the decoder gave them.

    Video files, cameras, streams and the screen keep OpenCV's BGR (``order``): the
    classifier swaps the channels on the model-size image (224x224), not on the full
    frame (:meth:`camviz.preprocess.Preprocessor.run_into`). A consumer that needs RGB
    reads :attr:`image`, converted once on first use, on the consumer's own thread.
    """

    pixels: np.ndarray  # HxWx3 uint8 in ``order``, C-contiguous
    index: int  # frame number within the source (0-based; keeps counting across loops)
    captured: float  # camviz.results.CLOCK when the frame was grabbed (after pacing)
    # position in a video file; for live sources (cameras, streams, the screen) the time
    # since the source's first frame; None for images
    position_ms: float | None = None
    order: ColorOrder = ColorOrder.RGB  # the channel order of ``pixels``

    @cached_property
    def image(self) -> np.ndarray:
        """The frame as HxWx3 uint8 RGB, C-contiguous: ``pixels`` itself when they are
        RGB, else converted on the first read (and kept)."""
        if self.order is ColorOrder.RGB:
            return self.pixels
        return np.ascontiguousarray(cv2.cvtColor(self.pixels, cv2.COLOR_BGR2RGB))

    @property
    def color(self) -> Literal["rgb", "bgr"]:
        """``order`` as :meth:`camviz.classifier.Classifier.classify` takes it."""
        return "bgr" if self.order is ColorOrder.BGR else "rgb"

    def renumbered(self, index: int) -> Frame:
        """The same pixels (and their order) under another frame number."""
        return Frame(self.pixels, index, self.captured, self.position_ms, self.order)


class SourceState(Enum):
    OPENING = "opening"
    RUNNING = "running"
    RECONNECTING = "reconnecting"
    ENDED = "ended"
    FAILED = "failed"


StateCallback = Callable[[SourceState, str], None]


def valid_fps(value: float) -> float | None:
    """``value`` if it is a believable frame rate (what drivers and files declare), else None."""
    return value if math.isfinite(value) and 0.5 <= value <= 1000.0 else None


class Pacer:
    """Monotonic deadlines ``t0 + k / fps``: no drift accumulates over frames.

    If the reader falls more than ``resync`` seconds behind (a paused consumer),
    the schedule restarts from now instead of bursting to catch up.
    """

    def __init__(self, fps: float, stop: threading.Event) -> None:
        self.period = 1.0 / fps
        self.stop = stop
        self.resync = max(0.25, 2.0 * self.period)
        self.start: float | None = None
        self.count = 0

    def wait(self) -> bool:
        """Sleep until the next frame is due; False if ``stop`` was set meanwhile."""
        now = time.monotonic()
        if self.start is None:
            self.start = now
        deadline = self.start + self.count * self.period
        if now - deadline > self.resync:
            self.start, self.count = now, 0
            deadline = now
        self.count += 1
        delay = deadline - now
        if delay > 0:
            return not self.stop.wait(delay)
        return not self.stop.is_set()


class Source(ABC):
    """A stream of frames. Context manager (opens on enter); ``close()`` is idempotent."""

    name: str
    is_live: bool = False
    nominal_fps: float | None = None
    state: SourceState

    def __init__(self, name: str, *, on_state: StateCallback | None = None) -> None:
        self.name = name
        self.state = SourceState.OPENING
        self._listeners: list[StateCallback] = [] if on_state is None else [on_state]
        self._closed = threading.Event()
        self._opened = False
        self._index = 0
        self._live_start: float | None = None  # CLOCK of a live source's first frame

    # -- public API
    def open(self) -> None:
        """Open the source and read a first frame. Idempotent.

        Raises :class:`CameraNotFoundError` / :class:`SourceOpenError` naming the
        source; the state is then FAILED.
        """
        if self._opened:
            return
        if self._closed.is_set():
            raise SourceOpenError(f"{self.name} was closed; make a new source")
        try:
            self._open()
        except SourceError as exc:
            self._set_state(SourceState.FAILED, str(exc))
            raise
        self._opened = True
        self._set_state(SourceState.RUNNING, f"{self.name} opened")

    @abstractmethod
    def read(self) -> Frame | None:
        """Block until the next frame (pacing); ``None`` at the end or once closed."""

    def close(self) -> None:
        """Release the source; a ``read()`` blocked in another thread returns ``None``."""
        if self._closed.is_set():
            return
        self._closed.set()
        self._release()
        release_freed_memory()  # the decoder's buffers and the frames it made
        if self.state not in (SourceState.ENDED, SourceState.FAILED):
            self._set_state(SourceState.ENDED, f"{self.name} closed")

    def add_state_listener(self, callback: StateCallback) -> None:
        """Also call ``callback(state, message)`` on state changes (e.g. a pipeline's)."""
        self._listeners.append(callback)

    def remove_state_listener(self, callback: StateCallback) -> None:
        if callback in self._listeners:
            self._listeners.remove(callback)

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def __iter__(self) -> Iterator[Frame]:
        self.open()
        while (frame := self.read()) is not None:
            yield frame

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} {self.state.value}>"

    # -- for subclasses
    @abstractmethod
    def _open(self) -> None: ...

    @abstractmethod
    def _release(self) -> None: ...

    def _set_state(self, state: SourceState, message: str) -> None:
        self.state = state
        self._notify(message)

    def _notify(self, message: str) -> None:
        log.debug("%s: %s: %s", self.name, self.state.value, message)
        for callback in list(self._listeners):
            try:
                callback(self.state, message)
            except Exception:
                log.exception("state listener of %s raised", self.name)

    def _make_frame(
        self,
        image: np.ndarray,
        position_ms: float | None = None,
        order: ColorOrder = ColorOrder.RGB,
    ) -> Frame:
        frame = Frame(image, self._index, CLOCK(), position_ms, order)
        self._index += 1
        return frame

    def _make_live_frame(self, image: np.ndarray, order: ColorOrder = ColorOrder.RGB) -> Frame:
        """A frame of a live source: ``position_ms`` is the time since its first frame."""
        now = CLOCK()
        if self._live_start is None:
            self._live_start = now
        frame = Frame(image, self._index, now, (now - self._live_start) * 1000.0, order)
        self._index += 1
        return frame


def frame_too_large(width: float, height: float) -> str | None:
    """Why frames of ``width`` x ``height`` are refused, or None when they are within the limit.

    The limit is the photos' (:data:`camviz.limits.MAX_IMAGE_PIXELS`): a video or
    stream whose container declares larger frames is refused before one is decoded.
    Unknown sizes (0, NaN) pass: the decoded frame is checked by :func:`check_frame`.
    """
    if not (math.isfinite(width) and math.isfinite(height)) or width <= 0 or height <= 0:
        return None
    pixels = width * height
    if pixels <= limits.MAX_IMAGE_PIXELS:
        return None
    return (
        f"its frames are {int(width)}x{int(height)} ({pixels / 1e6:.3g} MP), over camviz's "
        f"limit of {limits.MAX_IMAGE_PIXELS / 1e6:g} MP a frame"
    )


#: What a user can do about a frame over the limit.
FRAME_LIMIT_HINT = "set CAMVIZ_MAX_PIXELS to allow more"


def check_frame(image: np.ndarray, name: str) -> None:
    """SourceError when a decoded frame is over the pixel limit (a stream that grew mid-way)."""
    why = frame_too_large(image.shape[1], image.shape[0])
    if why is not None:
        raise SourceError(f"{name}: {why}; it was not classified ({FRAME_LIMIT_HINT})")
