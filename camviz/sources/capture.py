"""Live ``cv2.VideoCapture`` sources: opening with a time limit, reconnecting with back-off.

:class:`CaptureSource` is what a camera shares with any other live capture (a
network stream): the first frame is read within ``open_timeout`` seconds even
if the driver hangs, and a failed read mid-stream releases the capture and
reopens it with exponential back-off until it answers, ``reconnect_timeout``
passes, or ``close()`` interrupts the wait. Subclasses say how to configure
the capture and what to tell the user when it fails.
"""

from __future__ import annotations

import threading
import time
from abc import abstractmethod
from collections.abc import Callable
from typing import Any, Protocol

import cv2
import numpy as np

from camviz.defaults import BACKOFF_INITIAL_S, BACKOFF_MAX_S, OPEN_TIMEOUT_S
from camviz.errors import SourceError, SourceOpenError
from camviz.imageio import to_bgr8
from camviz.preprocess import ColorOrder
from camviz.sources.base import (
    FRAME_LIMIT_HINT,
    Frame,
    Source,
    SourceState,
    StateCallback,
    check_frame,
    frame_too_large,
)

__all__ = [
    "CaptureFactory",
    "CaptureLike",
    "CaptureSource",
    "default_capture",
    "open_with_timeout",
]


class CaptureLike(Protocol):
    """The part of ``cv2.VideoCapture`` that :class:`CaptureSource` uses."""

    def isOpened(self) -> bool: ...  # OpenCV's name
    def read(self) -> tuple[bool, Any]: ...
    def set(self, prop_id: int, value: float) -> bool: ...
    def get(self, prop_id: int) -> float: ...
    def release(self) -> None: ...


#: Makes a capture for a camera index, device path or URL (``cv2.VideoCapture`` by default).
CaptureFactory = Callable[[int | str], CaptureLike]


def default_capture(target: int | str) -> CaptureLike:
    cap: CaptureLike = cv2.VideoCapture(target)
    return cap


#: ``why`` of :func:`open_with_timeout` when the frames it declares are over the limit.
TOO_LARGE = "too large: "


def open_with_timeout(
    factory: CaptureFactory,
    target: int | str,
    timeout: float,
    configure: Callable[[CaptureLike], None] | None = None,
    *,
    label: str | None = None,
) -> tuple[CaptureLike | None, np.ndarray | None, str]:
    """Open a capture and read a first frame in a helper thread, at most ``timeout`` s.

    Returns ``(capture, first_image, "")`` or ``(None, None, why)``, ``why`` one of
    ``"timeout"``, ``"closed"``, ``"noframe"``, ``"error: ..."`` or ``TOO_LARGE + why``
    (the capture declares frames over the pixel limit: none is read). Some drivers
    hang in open/read; the helper thread is then abandoned and releases the
    capture itself if it ever returns. ``label`` names the helper thread (default:
    the target; give one when the target may hold a password, such as a URL).
    """
    result: dict[str, Any] = {}
    lock = threading.Lock()
    abandoned = False

    def work() -> None:
        cap: CaptureLike | None = None
        try:
            cap = factory(target)
            if not cap.isOpened():
                result["why"] = "closed"
            else:
                if configure is not None:
                    configure(cap)
                too_large = frame_too_large(
                    cap.get(cv2.CAP_PROP_FRAME_WIDTH), cap.get(cv2.CAP_PROP_FRAME_HEIGHT)
                )
                if too_large is not None:  # declared by the capture: refused, nothing decoded
                    result["why"] = f"{TOO_LARGE}{too_large}"
                else:
                    ok, image = cap.read()
                    if ok and image is not None:
                        result["image"] = image
                    else:
                        result["why"] = "noframe"
        except Exception as exc:  # a factory may raise instead of returning closed
            result["why"] = f"error: {exc}"
        with lock:
            if abandoned or "image" not in result:
                if cap is not None:
                    cap.release()
            else:
                result["cap"] = cap

    thread = threading.Thread(
        target=work, name=f"camviz-open-{target if label is None else label}", daemon=True
    )
    thread.start()
    thread.join(timeout)
    with lock:
        if thread.is_alive():
            abandoned = True
            return None, None, "timeout"
    if "cap" in result:
        return result["cap"], result["image"], ""
    return None, None, str(result.get("why", "closed"))


class CaptureSource(Source):
    """A live capture of ``target`` that reconnects when its reads fail.

    * :meth:`open` fails within ``open_timeout`` seconds with
      :attr:`open_error`, even if OpenCV hangs.
    * A failed read mid-stream moves to RECONNECTING: the capture is released
      and reopened with exponential back-off (``backoff_initial`` doubling to
      ``backoff_max``) until it answers (or ``reconnect_timeout`` passes: FAILED
      and :attr:`open_error`), then RUNNING again. ``close()`` interrupts the
      back-off.
    * ``capture_factory`` makes the capture (``cv2.VideoCapture`` by default);
      tests inject fakes.

    Subclasses give :meth:`_open_failed` and :meth:`_lost` (the messages) and
    may override :meth:`_configure` and :meth:`_after_open`.
    """

    is_live = True
    #: Raised when the capture cannot be opened, or is lost for good.
    open_error: type[SourceError] = SourceOpenError

    def __init__(
        self,
        name: str,
        target: int | str,
        *,
        on_state: StateCallback | None = None,
        capture_factory: CaptureFactory | None = None,
        open_timeout: float = OPEN_TIMEOUT_S,
        backoff_initial: float = BACKOFF_INITIAL_S,
        backoff_max: float = BACKOFF_MAX_S,
        reconnect_timeout: float | None = None,
    ) -> None:
        super().__init__(name, on_state=on_state)
        self.target = target
        self._factory: CaptureFactory = capture_factory or default_capture
        self.open_timeout = open_timeout
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.reconnect_timeout = reconnect_timeout
        self._cap: CaptureLike | None = None
        self._pending: np.ndarray | None = None
        self._lock = threading.Lock()  # guards self._cap between read() and close()

    # -- for subclasses
    @abstractmethod
    def _open_failed(self, why: str) -> str:
        """The message when opening failed; ``why`` as :func:`open_with_timeout` gives it."""

    @abstractmethod
    def _lost(self, waited: float) -> str:
        """The message when the capture did not come back within ``reconnect_timeout``."""

    def _configure(self, cap: CaptureLike) -> None:
        """Set capture properties after it opens, before the first read."""

    def _after_open(self, cap: CaptureLike, image: np.ndarray) -> None:
        """After every (re)open, with its first image (e.g. to name the frame size)."""

    # -- Source
    def _try_open(self) -> tuple[CaptureLike | None, np.ndarray | None, str]:
        cap, image, why = open_with_timeout(
            self._factory, self.target, self.open_timeout, self._configure, label=self.name
        )
        if why.startswith(TOO_LARGE):  # final: retrying would be refused again
            message = f"{self.name}: {why[len(TOO_LARGE) :]}; no frame was decoded"
            self._set_state(SourceState.FAILED, message)
            raise SourceOpenError(f"{message} ({FRAME_LIMIT_HINT})")
        return cap, image, why

    def _open(self) -> None:
        cap, image, why = self._try_open()
        if cap is None or image is None:
            raise self.open_error(self._open_failed(why))
        with self._lock:
            self._cap = cap
            self._pending = image
        self._after_open(cap, image)

    def _release(self) -> None:
        # If a read() holds the lock (blocked in the driver), it releases the capture
        # itself when it returns and sees the closed flag.
        if self._lock.acquire(timeout=0.1):
            try:
                self._release_locked()
            finally:
                self._lock.release()

    def _release_locked(self) -> None:
        cap, self._cap, self._pending = self._cap, None, None
        if cap is not None:
            cap.release()

    def read(self) -> Frame | None:
        if not self._opened:
            self.open()
        while not self._closed.is_set():
            image: np.ndarray | None = None
            with self._lock:
                if self._closed.is_set():
                    self._release_locked()
                    return None
                if self._pending is not None:
                    image, self._pending = self._pending, None
                elif self._cap is not None:
                    ok, got = self._cap.read()
                    image = got if ok and got is not None else None
                if self._closed.is_set():
                    self._release_locked()
                    return None
            if image is not None:
                check_frame(image, self.name)
                return self._make_live_frame(to_bgr8(image, self.name), ColorOrder.BGR)
            if self._ran_out():
                return None
            if not self._reconnect():
                return None
        return None

    def _ran_out(self) -> bool:
        """Whether a failed read is the end of a finite capture (then ENDED), not a loss
        to reconnect from. Live captures never run out."""
        return False

    def _reconnect(self) -> bool:
        """Release and reopen with back-off; False if closed (or given up: raises)."""
        with self._lock:
            self._release_locked()
        self._set_state(SourceState.RECONNECTING, f"{self.name}: no frame, reconnecting")
        delay = self.backoff_initial
        started = time.monotonic()
        attempt = 0
        while True:
            if self._closed.wait(delay):
                return False
            attempt += 1
            cap, image, why = self._try_open()
            if cap is not None and image is not None:
                with self._lock:
                    if self._closed.is_set():
                        cap.release()
                        return False
                    self._cap, self._pending = cap, image
                self._after_open(cap, image)
                self._set_state(
                    SourceState.RUNNING, f"{self.name} reconnected after {attempt} attempt(s)"
                )
                return True
            waited = time.monotonic() - started
            if self.reconnect_timeout is not None and waited >= self.reconnect_timeout:
                msg = self._lost(waited)
                self._set_state(SourceState.FAILED, msg)
                raise self.open_error(msg)
            delay = min(delay * 2.0, self.backoff_max)
            self._notify(
                f"{self.name}: reconnect attempt {attempt} failed ({why}); retrying in {delay:g} s"
            )
