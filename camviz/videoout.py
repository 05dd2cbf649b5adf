"""Recording the annotated view to a video file, on its own thread, never slowing the pipeline.

:class:`VideoRecorder` is a component with ``start`` / ``write`` / ``stop`` and counters.
``write(image, draw)`` only puts the frame (and, optionally, the function that draws its
overlay) on a bounded queue and returns at once; an encoder thread draws, converts to BGR and
encodes. When the encoder falls behind and the queue is full, the new frame is dropped and
counted (:attr:`RecorderStats.dropped`): the caller, a live pipeline's inference thread or
the window, is never held up by the encoder.

Containers and codecs are the OpenCV wheel's FFmpeg ones: ``.mp4`` with H.264 (``avc1``) where
the build has it, else MPEG-4 Part 2 (``mp4v``); ``.avi`` with Motion JPEG (``MJPG``). The file is
written beside its path and renamed into place on :meth:`stop` (:func:`camviz.fileio.write_atomic`),
so an interrupted recording never leaves half a file under the name asked for.

Layer: with the low-level helpers (imports ``camviz.fileio``, ``camviz.errors``, ``cv2``).
"""

from __future__ import annotations

import contextlib
import math
import os
import queue
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

import cv2
import numpy as np
import numpy.typing as npt

from camviz.errors import CamvizError, OptionsError, WriteRefusedError
from camviz.fileio import write_atomic

__all__ = [
    "CODECS",
    "ENCODER_NICE",
    "RECORD_QUEUE",
    "Draw",
    "RecorderState",
    "RecorderStats",
    "VideoRecorder",
    "codec_for",
    "working_codec",
]

#: Frames waiting for the encoder; beyond this, new frames are dropped and counted.
RECORD_QUEUE: Final = 16
#: How much lower the encoder thread's scheduling priority is than the caller's (Linux nice
#: steps; FFmpeg's own encoder threads, started from it, inherit it): on a busy machine the
#: live pipeline's threads run first and the recording is what gives way.
ENCODER_NICE: Final = 10
#: The codecs tried for each container, best first.
CODECS: Final[dict[str, tuple[str, ...]]] = {".mp4": ("avc1", "mp4v"), ".avi": ("MJPG",)}

#: Draws the overlay on a frame (in place or not) and returns the frame to encode.
Draw = Callable[[npt.NDArray[np.uint8]], npt.NDArray[np.uint8]]

_STOP = object()


def _lower_priority() -> None:
    """Lower the calling thread's priority by :data:`ENCODER_NICE` (Linux: nice is per thread)."""
    if sys.platform != "linux":
        return  # elsewhere the call would lower the whole process
    with contextlib.suppress(OSError, AttributeError):
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + ENCODER_NICE)


class RecorderState(StrEnum):
    IDLE = "idle"
    RECORDING = "recording"
    STOPPED = "stopped"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class RecorderStats:
    """What a recording took: frames offered, encoded, dropped (queue full), and its codec."""

    path: str
    state: RecorderState
    offered: int
    written: int
    dropped: int
    fps: float
    codec: str | None
    size: tuple[int, int] | None  # (width, height)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "state": self.state.value,
            "offered": self.offered,
            "written": self.written,
            "dropped": self.dropped,
            "fps": self.fps,
            "codec": self.codec,
            "size": list(self.size) if self.size else None,
            "error": self.error,
        }


def codec_for(path: str | Path) -> tuple[str, ...]:
    """The codecs tried for ``path``'s container; OptionsError naming the path otherwise."""
    suffix = Path(path).suffix.lower()
    if suffix not in CODECS:
        raise OptionsError(
            f"cannot record to {path}: give a file ending in "
            f"{' or '.join(CODECS)} (MP4 with H.264 or MPEG-4, AVI with Motion JPEG)"
        )
    return CODECS[suffix]


_WORKING: dict[str, str | None] = {}
_PROBE_LOCK = threading.Lock()


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Hold back FFmpeg's and OpenCV's complaints about a codec this build lacks (fd 2)."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # no real stderr (pytest capture)
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    with open(os.devnull, "wb") as sink:
        os.dup2(sink.fileno(), fd)
        try:
            yield
        finally:
            os.dup2(saved, fd)
            os.close(saved)


def working_codec(suffix: str) -> str | None:
    """The first codec of :data:`CODECS` for ``suffix`` this OpenCV build encodes (probed once)."""
    suffix = suffix.lower()
    with _PROBE_LOCK:
        if suffix not in _WORKING:
            _WORKING[suffix] = None
            with tempfile.TemporaryDirectory(prefix="camviz-codec-") as folder:
                probe = str(Path(folder) / f"probe{suffix}")
                for fourcc in CODECS.get(suffix, ()):
                    with _quiet_stderr():
                        writer = cv2.VideoWriter(
                            probe, cv2.VideoWriter.fourcc(*fourcc), 30, (64, 64)
                        )
                        opened = writer.isOpened()
                        writer.release()
                    if opened:
                        _WORKING[suffix] = fourcc
                        break
        return _WORKING[suffix]


def _open_writer(path: Path, fps: float, size: tuple[int, int]) -> tuple[Any, str]:
    fourcc = working_codec(path.suffix)
    if fourcc is not None:
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*fourcc), fps, size)
        if writer.isOpened():
            return writer, fourcc
        writer.release()
    raise CamvizError(
        f"this OpenCV build cannot encode {path.suffix} ({', '.join(codec_for(path))}); "
        "record to an .avi (Motion JPEG) instead"
    )


class VideoRecorder:
    """Record frames to ``path`` at ``fps`` on an encoder thread with a bounded queue.

    Frames may be RGB (camviz's sources; the default) or BGR (``color="bgr"``: OpenCV's).
    ``lossless=True`` (a file classified offline, where nothing is live) makes :meth:`write`
    wait for room instead of dropping.
    Every frame must have the size of the first; a frame of another size is resized to it.
    Use it from one producer thread; ``stats`` may be read from any thread.
    """

    def __init__(
        self,
        path: str | Path,
        fps: float,
        *,
        queue_size: int = RECORD_QUEUE,
        color: str = "rgb",
        lossless: bool = False,
    ) -> None:
        if not (math.isfinite(fps) and 0.5 <= fps <= 1000.0):
            raise OptionsError(f"a recording's frame rate must be 0.5 to 1000 a second, not {fps}")
        if queue_size < 1:
            raise OptionsError(f"the recording queue holds at least one frame, not {queue_size}")
        if color not in ("rgb", "bgr"):
            raise OptionsError(f"color must be 'rgb' or 'bgr', not {color!r}")
        codec_for(path)  # refuse a container it cannot write before any work
        self.path = Path(path)
        if self.path.is_dir():
            raise WriteRefusedError(f"cannot record to {self.path}: it is a folder")
        self.fps = float(fps)
        self.lossless = lossless
        self._color = color
        self._queue: queue.Queue[Any] = queue.Queue(queue_size)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._state = RecorderState.IDLE
        self._offered = self._written = self._dropped = 0
        self._codec: str | None = None
        self._size: tuple[int, int] | None = None
        self._error: CamvizError | None = None

    # the producer's side -----------------------------------------------------------------
    def start(self) -> None:
        """Start the encoder thread; the file is created when the first frame arrives."""
        with self._lock:
            if self._state is not RecorderState.IDLE:
                raise OptionsError(f"the recording to {self.path} has already been started")
            self._state = RecorderState.RECORDING
        if working_codec(self.path.suffix) is None:  # probed here, on the caller's thread
            with self._lock:
                self._state = RecorderState.FAILED
            raise CamvizError(
                f"this OpenCV build cannot encode {self.path.suffix} "
                f"({', '.join(codec_for(self.path))}); record to an .avi (Motion JPEG) instead"
            )
        self._thread = threading.Thread(target=self._run, name="camviz-record", daemon=True)
        self._thread.start()

    @property
    def recording(self) -> bool:
        return self._state is RecorderState.RECORDING

    @property
    def elapsed_s(self) -> float:
        """Seconds of video written so far (frames written over the rate)."""
        return self._written / self.fps

    def write(
        self, image: npt.NDArray[np.uint8], draw: Draw | None = None, *, copy: bool = True
    ) -> bool:
        """Offer a frame; ``draw`` runs on the encoder thread. False when dropped.

        The frame is copied unless ``copy`` is False: a caller whose frames are never written
        to again (a live frame slot's) saves the copy on its own thread."""
        if self._state is not RecorderState.RECORDING:
            return False
        self._offered += 1
        item = (np.array(image, dtype=np.uint8, copy=True) if copy else image, draw)
        try:
            if not self.lossless:
                self._queue.put_nowait(item)
                return True
            while self._state is RecorderState.RECORDING:
                try:
                    self._queue.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    continue
        except queue.Full:
            pass
        self._dropped += 1
        return False

    def stop(self, timeout: float = 30.0) -> RecorderStats:
        """Encode what is queued, close and rename the file into place; the counters.

        Raises the encoder's error (a CamvizError) if it failed; a recording that got no
        frame leaves no file.
        """
        thread = self._thread
        if thread is not None and self._state is RecorderState.RECORDING:
            while thread.is_alive():  # the queue may be full: wait for room for the end mark
                try:
                    self._queue.put(_STOP, timeout=0.1)
                    break
                except queue.Full:
                    continue
            thread.join(timeout)
            if thread.is_alive():
                self._fail(CamvizError(f"the encoder of {self.path} did not finish in {timeout} s"))
        with self._lock:
            if self._state is RecorderState.RECORDING or self._state is RecorderState.IDLE:
                self._state = RecorderState.STOPPED
        if self._error is not None:
            raise self._error
        return self.stats

    @property
    def stats(self) -> RecorderStats:
        return RecorderStats(
            path=str(self.path),
            state=self._state,
            offered=self._offered,
            written=self._written,
            dropped=self._dropped,
            fps=self.fps,
            codec=self._codec,
            size=self._size,
            error=None if self._error is None else str(self._error),
        )

    def __enter__(self) -> VideoRecorder:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # the encoder thread --------------------------------------------------------------------
    def _fail(self, error: CamvizError) -> None:
        with self._lock:
            self._error = error
            self._state = RecorderState.FAILED

    def _run(self) -> None:
        _lower_priority()
        try:
            first = self._queue.get()
            if first is _STOP:
                return  # nothing recorded: no file
            write_atomic(self.path, lambda tmp: self._encode(tmp, first))
        except CamvizError as exc:
            self._fail(exc)
        except OSError as exc:
            self._fail(CamvizError(f"cannot record to {self.path}: {exc.strerror or exc}"))
        finally:
            with contextlib.suppress(queue.Empty):  # let a blocked stop() through
                while True:
                    self._queue.get_nowait()

    def _bgr(self, item: tuple[npt.NDArray[np.uint8], Draw | None]) -> npt.NDArray[np.uint8]:
        image, draw = item
        if draw is not None:
            image = draw(image)
        if self._size is not None and (image.shape[1], image.shape[0]) != self._size:
            image = np.asarray(
                cv2.resize(image, self._size, interpolation=cv2.INTER_AREA), np.uint8
            )
        if self._color == "rgb":  # numpy on this thread, not OpenCV's pool (not lowered)
            image = image[..., ::-1]
        return np.ascontiguousarray(image)

    def _encode(self, tmp: Path, first: tuple[npt.NDArray[np.uint8], Draw | None]) -> None:
        frame = self._bgr(first)
        self._size = (frame.shape[1], frame.shape[0])
        writer, self._codec = _open_writer(tmp, self.fps, self._size)
        try:
            writer.write(frame)
            self._written += 1
            while True:
                item = self._queue.get()
                if item is _STOP:
                    break
                writer.write(self._bgr(item))
                self._written += 1
        finally:
            writer.release()
