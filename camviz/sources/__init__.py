"""Frame sources: camera, video file, image(s) and the bundled demo reel.

Every source yields :class:`Frame` objects holding an ``HxWx3`` C-contiguous
``uint8`` RGB image. A source is used from one reading thread; only
:meth:`Source.close` may be called from another thread, and it makes a blocked
:meth:`Source.read` (pacing sleep, reconnect back-off) return ``None`` promptly.

``is_live`` tells the pipeline which backpressure to use: cameras and the demo
reel are live (latest frame wins), video files and images are not (every frame
once, in order), whatever their pacing.

State changes (and non-fatal problems, such as a skipped image) are reported
through the optional ``on_state(state, message)`` callback, called on the
reading thread (or the opening thread for :meth:`Source.open`).
"""

from __future__ import annotations

import logging
import math
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self

import cv2
import numpy as np

from camviz.errors import CameraNotFoundError, OptionsError, SourceError, SourceOpenError
from camviz.imageio import IMAGE_EXTENSIONS, find_images, load_image

__all__ = [
    "IMAGE_EXTENSIONS",
    "CameraInfo",
    "CameraSource",
    "CaptureFactory",
    "CaptureLike",
    "DemoSource",
    "Frame",
    "ImageSource",
    "Source",
    "SourceState",
    "StateCallback",
    "VideoSource",
    "assets_dir",
    "demo_reel_path",
    "list_cameras",
    "make_source",
    "open_source",
]

log = logging.getLogger(__name__)

CAMERA_HINT = "list cameras with `camviz cameras` or use --source demo / a video file"


# --------------------------------------------------------------------------- types


@dataclass(frozen=True)
class Frame:
    """One frame of a source."""

    image: np.ndarray  # HxWx3 uint8 RGB, C-contiguous
    index: int  # frame number within the source (0-based; keeps counting across loops)
    captured: float  # time.monotonic() when the frame was grabbed (after pacing)
    position_ms: float | None = None  # position in a video file, None for cameras and images


class SourceState(Enum):
    OPENING = "opening"
    RUNNING = "running"
    RECONNECTING = "reconnecting"
    ENDED = "ended"
    FAILED = "failed"


StateCallback = Callable[[SourceState, str], None]


@dataclass(frozen=True)
class CameraInfo:
    """A camera that answered :func:`list_cameras`: its index and first frame size."""

    index: int
    width: int
    height: int


class CaptureLike(Protocol):
    """The part of ``cv2.VideoCapture`` that :class:`CameraSource` uses."""

    def isOpened(self) -> bool: ...  # OpenCV's name
    def read(self) -> tuple[bool, Any]: ...
    def set(self, prop_id: int, value: float) -> bool: ...
    def get(self, prop_id: int) -> float: ...
    def release(self) -> None: ...


#: Makes a capture for a camera index or device path (``cv2.VideoCapture`` by default).
CaptureFactory = Callable[[int | str], CaptureLike]


# ------------------------------------------------------------------------- helpers


def _to_rgb(image: np.ndarray) -> np.ndarray:
    """OpenCV BGR / grey / BGRA (8 or 16 bit) to C-contiguous uint8 RGB."""
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    elif image.dtype != np.uint8:
        image = np.clip(image, 0, 255).astype(np.uint8)
    if image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 1):
        out = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    elif image.shape[2] == 4:
        bgr = image[:, :, :3].astype(np.float32)
        alpha = image[:, :, 3:4].astype(np.float32) / 255.0
        on_white = bgr * alpha + 255.0 * (1.0 - alpha)
        out = cv2.cvtColor(np.rint(on_white).astype(np.uint8), cv2.COLOR_BGR2RGB)
    else:
        out = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    return np.ascontiguousarray(out)


def _valid_fps(value: float) -> float | None:
    return value if math.isfinite(value) and 0.5 <= value <= 1000.0 else None


def _fourcc(cap: Any) -> str:
    code = int(cap.get(cv2.CAP_PROP_FOURCC))
    if code <= 0:
        return ""
    return code.to_bytes(4, "little").decode("latin-1").strip("\0 ").lower()


def assets_dir() -> Path:
    """The ``assets`` folder of the checkout, next to the ``camviz`` package."""
    import camviz

    return Path(camviz.__file__).resolve().parent.parent / "assets"


def demo_reel_path() -> Path:
    return assets_dir() / "demo" / "demo_reel.mp4"


class _Pacer:
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


# -------------------------------------------------------------------------- Source


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

    def _make_frame(self, image: np.ndarray, position_ms: float | None = None) -> Frame:
        frame = Frame(image, self._index, time.monotonic(), position_ms)
        self._index += 1
        return frame


# -------------------------------------------------------------------------- camera


def _default_capture(target: int | str) -> CaptureLike:
    cap: CaptureLike = cv2.VideoCapture(target)
    return cap


def _open_with_timeout(
    factory: CaptureFactory,
    target: int | str,
    timeout: float,
    configure: Callable[[CaptureLike], None] | None = None,
) -> tuple[CaptureLike | None, np.ndarray | None, str]:
    """Open a capture and read a first frame in a helper thread, at most ``timeout`` s.

    Returns ``(capture, first_image, "")`` or ``(None, None, why)``. Some drivers
    hang in open/read; the helper thread is then abandoned and releases the
    capture itself if it ever returns.
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

    thread = threading.Thread(target=work, name=f"camviz-open-{target}", daemon=True)
    thread.start()
    thread.join(timeout)
    with lock:
        if thread.is_alive():
            abandoned = True
            return None, None, "timeout"
    if "cap" in result:
        return result["cap"], result["image"], ""
    return None, None, str(result.get("why", "closed"))


def _camera_label(target: int | str) -> str:
    return f"camera {target}"


class CameraSource(Source):
    """A camera by index (``0``) or device path (``/dev/video0``).

    * ``size=(w, h)`` and ``fps`` are requested from the driver (it may pick others;
      :attr:`name` reports the size actually delivered). The driver buffer is set
      to one frame so frames are fresh.
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

    is_live = True

    def __init__(
        self,
        target: int | str = 0,
        *,
        size: tuple[int, int] | None = None,
        fps: float | None = None,
        on_state: StateCallback | None = None,
        capture_factory: CaptureFactory | None = None,
        open_timeout: float = 3.0,
        backoff_initial: float = 0.25,
        backoff_max: float = 4.0,
        reconnect_timeout: float | None = None,
    ) -> None:
        super().__init__(_camera_label(target), on_state=on_state)
        self.target = target
        self.size = size
        self.requested_fps = fps
        self.nominal_fps = fps
        self._factory: CaptureFactory = capture_factory or _default_capture
        self.open_timeout = open_timeout
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.reconnect_timeout = reconnect_timeout
        self._cap: CaptureLike | None = None
        self._pending: np.ndarray | None = None
        self._lock = threading.Lock()  # guards self._cap between read() and close()

    def _where(self) -> str:
        if isinstance(self.target, int):
            return f"at index {self.target}"
        return f"at {self.target}"

    def _configure(self, cap: CaptureLike) -> None:
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        if self.size is not None:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, float(self.size[0]))
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, float(self.size[1]))
        if self.requested_fps is not None:
            cap.set(cv2.CAP_PROP_FPS, float(self.requested_fps))

    def _try_open(self) -> tuple[CaptureLike | None, np.ndarray | None, str]:
        return _open_with_timeout(self._factory, self.target, self.open_timeout, self._configure)

    def _open(self) -> None:
        cap, image, why = self._try_open()
        if cap is None or image is None:
            where = self._where()
            if why == "timeout":
                msg = (
                    f"camera {where} did not answer within {self.open_timeout:g} s "
                    f"(driver hung?); {CAMERA_HINT}"
                )
            elif why == "noframe":
                msg = (
                    f"camera {where} opened but gave no frame (in use by another "
                    f"program?); {CAMERA_HINT}"
                )
            elif why.startswith("error: "):
                msg = f"camera {where} failed to open ({why[7:]}); {CAMERA_HINT}"
            else:
                msg = f"no camera {where}; {CAMERA_HINT}"
            raise CameraNotFoundError(msg)
        with self._lock:
            self._cap = cap
            self._pending = image
        self._after_open(cap, image)

    def _after_open(self, cap: CaptureLike, image: np.ndarray) -> None:
        h, w = image.shape[:2]
        self.name = f"{_camera_label(self.target)} ({w}x{h})"
        try:
            self.nominal_fps = _valid_fps(float(cap.get(cv2.CAP_PROP_FPS))) or self.requested_fps
        except Exception:
            self.nominal_fps = self.requested_fps

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
                return self._make_frame(_to_rgb(image))
            if not self._reconnect():
                return None
        return None

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
                msg = (
                    f"camera {self._where()} lost and not back after {waited:.1f} s; {CAMERA_HINT}"
                )
                self._set_state(SourceState.FAILED, msg)
                raise CameraNotFoundError(msg)
            delay = min(delay * 2.0, self.backoff_max)
            self._notify(
                f"{self.name}: reconnect attempt {attempt} failed ({why}); retrying in {delay:g} s"
            )


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
    factory = capture_factory or _default_capture
    skip_missing_nodes = capture_factory is None and sys.platform.startswith("linux")
    found: list[CameraInfo] = []
    for index in range(max_index):
        if skip_missing_nodes and not Path(f"/dev/video{index}").exists():
            continue
        cap, image, _ = _open_with_timeout(factory, index, timeout)
        if cap is not None and image is not None:
            cap.release()
            found.append(CameraInfo(index, int(image.shape[1]), int(image.shape[0])))
    return found


# --------------------------------------------------------------------------- video


class VideoSource(Source):
    """A video file.

    ``pace=True`` delivers frames at the file's fps (monotonic deadlines, no drift;
    ``close()`` interrupts the wait), ``pace=False`` as fast as they decode.
    ``loop=True`` starts again at the end (``Frame.index`` keeps counting,
    ``position_ms`` restarts); otherwise the end gives ``None`` and state ENDED.

    A frame that fails to decode in the middle of the file (corrupt data) does not
    end the stream: while the container declares more frames, up to
    ``max_skip`` consecutive undecodable frames are skipped, counted in
    :attr:`skipped_frames` and reported as a state message (state RUNNING).
    """

    max_skip = 50

    def __init__(
        self,
        path: str | Path,
        *,
        pace: bool = True,
        loop: bool = False,
        on_state: StateCallback | None = None,
        name: str | None = None,
        is_live: bool = False,
    ) -> None:
        self.path = Path(path)
        super().__init__(name or self.path.name, on_state=on_state)
        self.pace = pace
        self.loop = loop
        self.is_live = is_live
        self.frame_count: int | None = None  # as the container declares it
        self._cap: Any = None
        self._pending: tuple[np.ndarray, float | None] | None = None
        self._pacer: _Pacer | None = None
        self._pass_frames = 0  # frames delivered in the current pass over the file
        self._pass_reads = 0  # reads attempted in the current pass (decoded or not)
        self.skipped_frames = 0  # undecodable frames skipped, all passes
        self._lock = threading.Lock()

    def _capture(self) -> Any:
        cap = cv2.VideoCapture(str(self.path))
        if not cap.isOpened():
            cap.release()
            return None
        return cap

    def _open(self) -> None:
        if not self.path.exists():
            raise SourceOpenError(f"video file {self.path} not found")
        if self.path.is_dir():
            raise SourceOpenError(f"{self.path} is a folder, not a video file")
        cap = self._capture()
        if cap is None:
            raise SourceOpenError(
                f"cannot open {self.path} as a video (not a video file, or corrupt / truncated)"
            )
        if _fourcc(cap) == "ansi":
            # FFmpeg's tty demuxer renders any text file as "video": refuse it.
            cap.release()
            raise SourceOpenError(f"{self.path} is a text file, not a video")
        ok, image = cap.read()
        if not ok or image is None:
            cap.release()
            raise SourceOpenError(f"{self.path} has no decodable video frame (corrupt?)")
        self._pass_reads = 1
        fps = _valid_fps(float(cap.get(cv2.CAP_PROP_FPS)))
        if fps is None:
            fps = 25.0
            log.warning("%s declares no usable frame rate; assuming 25 fps", self.path)
        self.nominal_fps = fps
        count = cap.get(cv2.CAP_PROP_FRAME_COUNT)
        self.frame_count = int(count) if math.isfinite(count) and count > 0 else None
        with self._lock:
            self._cap = cap
            self._pending = (image, self._position(cap))
        self._pacer = _Pacer(fps, self._closed) if self.pace else None

    def _position(self, cap: Any) -> float | None:
        pos = float(cap.get(cv2.CAP_PROP_POS_MSEC))
        if math.isfinite(pos) and pos >= 0:
            return pos
        return None

    def _release(self) -> None:
        with self._lock:
            cap, self._cap, self._pending = self._cap, None, None
        if cap is not None:
            cap.release()

    def _next_image(self) -> tuple[np.ndarray, float | None] | None:
        with self._lock:
            if self._pending is not None:
                item, self._pending = self._pending, None
                return item
            if self._cap is None:
                return None
            image = self._read_skipping_corrupt()
            if image is not None:
                return image, self._position(self._cap)
            if not self.loop or self._pass_frames == 0:
                return None
            # Rewind by reopening: seeking is unreliable in some containers.
            self._cap.release()
            self._cap = self._capture()
            if self._cap is None:
                return None
            ok, image = self._cap.read()
            self._pass_frames = 0
            self._pass_reads = 1
            if ok and image is not None:
                return image, self._position(self._cap)
            return None

    def _read_skipping_corrupt(self) -> np.ndarray | None:
        """The next decodable frame (lock held); None at the end of the file.

        A failed read before the declared frame count is a corrupt frame: skip it,
        at most ``max_skip`` in a row, and say so.
        """
        skipped = 0
        image: np.ndarray | None = None
        while self._cap is not None:
            ok, got = self._cap.read()
            self._pass_reads += 1
            if ok and got is not None:
                image = got
                break
            left = (self.frame_count or 0) - self._pass_reads
            if left <= 0 or skipped >= self.max_skip or self._closed.is_set():
                break
            skipped += 1
        if skipped:
            self.skipped_frames += skipped
            where = f"before frame {self._pass_reads - 1}" if image is not None else "at the end"
            self._notify(
                f"{self.name}: skipped {skipped} undecodable frame(s) {where} "
                f"({self.skipped_frames} in all; the file is damaged there)"
            )
        return image

    def read(self) -> Frame | None:
        if not self._opened:
            self.open()
        if self._closed.is_set() or self.state is SourceState.ENDED:
            return None
        item = self._next_image()
        if item is None:
            if not self._closed.is_set():
                self._end()
            return None
        if self._pacer is not None and not self._pacer.wait():
            return None
        image, position = item
        self._pass_frames += 1
        return self._make_frame(_to_rgb(image), position)

    def _end(self) -> None:
        message = f"{self.name}: end of file after {self._index} frames"
        if self.skipped_frames:
            message += f", {self.skipped_frames} undecodable frame(s) skipped"
        decoded = self._pass_frames + self.skipped_frames
        if self.frame_count is not None and decoded < self.frame_count and not self.loop:
            message += f" (the file declares {self.frame_count}; decoding stopped early)"
        self._set_state(SourceState.ENDED, message)
        self._release()


class DemoSource(VideoSource):
    """The bundled demo reel (``assets/demo/demo_reel.mp4``), looped.

    Paced (the default) it stands in for a camera: live, latest frame wins. Unpaced
    (benchmarks) it plays as fast as it decodes and is not live: lossless.
    """

    def __init__(self, *, pace: bool = True, on_state: StateCallback | None = None) -> None:
        super().__init__(
            demo_reel_path(), pace=pace, loop=True, on_state=on_state, name="demo", is_live=pace
        )

    def _open(self) -> None:
        if not self.path.is_file():
            raise SourceOpenError(
                f"the demo reel {self.path} is missing; run  python scripts/make_demo_reel.py  "
                "in a camviz checkout, or give a camera index or a video file"
            )
        super()._open()


# -------------------------------------------------------------------------- images


class ImageSource(Source):
    """One image or a folder of images (recursive, sorted by relative path).

    ``pace=True``: a slideshow, each image repeated at ``fps`` for ``interval``
    seconds so a live pipeline sees a steady stream. ``pace=False``: each image
    exactly once. ``loop=True`` starts again after the last image.

    Images are decoded lazily. Unreadable files in a folder are skipped, listed in
    :attr:`skipped` as ``(path, reason)`` and reported through ``on_state``; only
    if none can be read does :meth:`open` raise :class:`SourceOpenError`.
    The repeated frames of one image share one read-only array.
    """

    def __init__(
        self,
        path: str | Path | Sequence[str | Path],
        *,
        pace: bool = True,
        fps: float = 15.0,
        interval: float = 3.0,
        loop: bool = False,
        on_state: StateCallback | None = None,
    ) -> None:
        if isinstance(path, str | Path):
            self.path: Path | None = Path(path)
            paths: list[Path] = []
            name = self.path.name
        else:
            self.path = None
            paths = [Path(p) for p in path]
            name = f"{len(paths)} images"
        super().__init__(name, on_state=on_state)
        if fps <= 0 or interval <= 0:
            raise OptionsError(f"{name}: fps and interval must be positive, not {fps}, {interval}")
        self.pace = pace
        self.fps = fps
        self.interval = interval
        self.loop = loop
        self.nominal_fps = fps if pace else None
        self.files: list[Path] = paths
        self.skipped: list[tuple[Path, str]] = []
        self._cursor = 0  # next file to decode
        self._current: np.ndarray | None = None
        self._repeats_left = 0
        self._pacer = _Pacer(fps, self._closed) if pace else None
        self._repeat = max(1, round(interval * fps)) if pace else 1

    def _open(self) -> None:
        if self.path is not None:
            if not self.path.exists():
                raise SourceOpenError(f"image or folder {self.path} not found")
            if self.path.is_dir():
                self.files = list(find_images([self.path]).images)
                if not self.files:
                    exts = ", ".join(sorted(e[1:] for e in IMAGE_EXTENSIONS))
                    raise SourceOpenError(f"no images ({exts}) in folder {self.path}")
                self.name = f"{self.path.name}/ ({len(self.files)} images)"
            else:
                self.files = [self.path]
        elif not self.files:
            raise SourceOpenError("no images given")
        if not self._advance():
            if len(self.files) == 1:
                reason = self.skipped[0][1] if self.skipped else "unreadable"
                raise SourceOpenError(f"cannot open image {self.files[0]}: {reason}")
            raise SourceOpenError(
                f"none of the {len(self.files)} images in {self.path or self.name} could be decoded"
            )

    def _advance(self) -> bool:
        """Decode the next readable image into ``_current``; False when none is left."""
        while self._cursor < len(self.files) and not self._closed.is_set():
            path = self.files[self._cursor]
            self._cursor += 1
            try:
                image = np.ascontiguousarray(load_image(path))
            except Exception as exc:  # ImageError; anything else is a bad file too
                reason = str(exc)
                if path not in {p for p, _ in self.skipped}:
                    self.skipped.append((path, reason))
                    self._notify(f"skipped {path}: {reason}")
                continue
            image.flags.writeable = False
            self._current = image
            self._repeats_left = self._repeat
            return True
        return False

    def _release(self) -> None:
        self._current = None

    def read(self) -> Frame | None:
        if not self._opened:
            self.open()
        if self._closed.is_set() or self.state is SourceState.ENDED:
            return None
        if self._repeats_left <= 0 and not self._advance():
            restarted = False
            if self.loop and self._index > 0:
                self._cursor = 0
                restarted = self._advance()
            if not restarted:
                self._finish()
                return None
        image = self._current
        if image is None:
            return None
        if self._pacer is not None and not self._pacer.wait():
            return None
        self._repeats_left -= 1
        return self._make_frame(image)

    def _finish(self) -> None:
        if not self._closed.is_set():
            self._set_state(
                SourceState.ENDED,
                f"{self.name}: end after {self._index} frames, {len(self.skipped)} skipped",
            )
        self._current = None


# ----------------------------------------------------------------------- factories


def make_source(
    spec: str | Path | int,
    *,
    pace: bool = True,
    loop: bool = False,
    camera_size: tuple[int, int] | None = None,
    camera_fps: float | None = None,
    on_state: StateCallback | None = None,
) -> Source:
    """The source ``spec`` names, not yet opened (see :func:`open_source`)."""
    if isinstance(spec, int):
        return CameraSource(spec, size=camera_size, fps=camera_fps, on_state=on_state)
    text = str(spec).strip()
    if isinstance(spec, str):
        if text.lower() == "demo":
            return DemoSource(pace=pace, on_state=on_state)
        if text.isdigit():
            return CameraSource(int(text), size=camera_size, fps=camera_fps, on_state=on_state)
        if text.startswith("/dev/video"):
            return CameraSource(text, size=camera_size, fps=camera_fps, on_state=on_state)
    path = Path(text).expanduser()
    if not path.exists():
        raise SourceOpenError(
            f"{text} not found: give a camera index, 'demo', a video file, an image "
            "or a folder of images"
        )
    if path.is_dir() or path.suffix.lower() in IMAGE_EXTENSIONS:
        return ImageSource(path, pace=pace, loop=loop, on_state=on_state)
    return VideoSource(path, pace=pace, loop=loop, on_state=on_state)


def open_source(
    spec: str | Path | int,
    *,
    pace: bool = True,
    loop: bool = False,
    camera_size: tuple[int, int] | None = None,
    camera_fps: float | None = None,
    on_state: StateCallback | None = None,
) -> Source:
    """Make and open the source ``spec`` names.

    ``spec``: ``"demo"`` (the bundled reel, always looped); an int or a
    digit string (camera index); ``"/dev/video*"`` (camera device); a folder or a
    file with an image extension (:class:`ImageSource`); any other file (video).
    ``pace`` and ``loop`` apply to files; ``camera_size`` ``(w, h)`` and
    ``camera_fps`` to cameras. Raises :class:`CameraNotFoundError` or
    :class:`SourceOpenError` naming the source.
    """
    source = make_source(
        spec,
        pace=pace,
        loop=loop,
        camera_size=camera_size,
        camera_fps=camera_fps,
        on_state=on_state,
    )
    source.open()
    return source
