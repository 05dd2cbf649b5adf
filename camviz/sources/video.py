"""Video files: :class:`VideoSource` (paced or not, looped or not, skipping corrupt frames)."""

from __future__ import annotations

import logging
import math
import threading
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from camviz.errors import SourceOpenError
from camviz.fileio import check_regular_file
from camviz.imageio import to_bgr8
from camviz.preprocess import ColorOrder
from camviz.sources.base import (
    FRAME_LIMIT_HINT,
    Frame,
    Pacer,
    Source,
    SourceState,
    StateCallback,
    check_frame,
    frame_too_large,
    valid_fps,
)

__all__ = ["VideoSource"]

log = logging.getLogger(__name__)

#: Frame rate assumed for a file that declares none.
FALLBACK_FPS = 25.0


def _fourcc(cap: Any) -> str:
    code = int(cap.get(cv2.CAP_PROP_FOURCC))
    if code <= 0:
        return ""
    return code.to_bytes(4, "little").decode("latin-1").strip("\0 ").lower()


class VideoSource(Source):
    """A video file.

    ``pace=True`` delivers frames at the file's fps (monotonic deadlines, no drift;
    ``close()`` interrupts the wait), ``pace=False`` as fast as they decode.
    ``loop=True`` starts again at the end (``Frame.index`` keeps counting,
    ``position_ms`` restarts); otherwise the end gives ``None`` and state ENDED.

    :meth:`seek` moves to a position and :meth:`seek_by` by an offset (any thread;
    done before the next read);
    :attr:`position_ms` and :attr:`duration_ms` say where playback is.

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
        self._pacer: Pacer | None = None
        self._pass_frames = 0  # frames delivered in the current pass over the file
        self._pass_reads = 0  # reads attempted in the current pass (decoded or not)
        self.skipped_frames = 0  # undecodable frames skipped, all passes
        self.position_ms: float | None = None  # of the last frame delivered
        self._seek_to: float | None = None  # a fraction 0..1 asked for, not yet done
        self._lock = threading.Lock()

    @property
    def duration_ms(self) -> float | None:
        """The file's length as its container declares it (None before open or if unknown)."""
        if self.frame_count is None or not self.nominal_fps:
            return None
        return self.frame_count * 1000.0 / self.nominal_fps

    def seek(self, fraction: float) -> None:
        """Go to ``fraction`` (0..1, clamped) of the file before the next frame is read."""
        if not math.isfinite(fraction):
            return
        with self._lock:
            self._seek_to = min(1.0, max(0.0, fraction))

    def seek_by(self, delta_ms: float) -> None:
        """Move ``delta_ms`` from where playback is, or from a seek not done yet.

        Calls in quick succession add up (four presses of 5 s go 20 s), because each
        starts from the target of the one before, not from the last frame shown.
        """
        duration = self.duration_ms
        if not duration or not math.isfinite(delta_ms):
            return
        with self._lock:
            if self._seek_to is not None:
                base = self._seek_to * duration
            else:
                base = self.position_ms or 0.0
            self._seek_to = min(1.0, max(0.0, (base + delta_ms) / duration))

    def _do_seek(self) -> None:
        """The seek asked for (lock held): by frame number, which OpenCV supports widely."""
        fraction, self._seek_to = self._seek_to, None
        if fraction is None or self._cap is None or not self.frame_count:
            return
        target = min(self.frame_count - 1, int(fraction * self.frame_count))
        self._cap.set(cv2.CAP_PROP_POS_FRAMES, target)
        self._pending = None
        self._pass_reads = target
        self._pass_frames = max(self._pass_frames, 1)  # a loop may rewind after a seek

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
        # a FIFO or a device named clip.mp4 would block FFmpeg's open, or never end
        check_regular_file(self.path, SourceOpenError, "videos")
        cap = self._capture()
        if cap is None:
            raise SourceOpenError(
                f"cannot open {self.path} as a video (not a video file, or corrupt / truncated)"
            )
        if _fourcc(cap) == "ansi":
            # FFmpeg's tty demuxer renders any text file as "video": refuse it.
            cap.release()
            raise SourceOpenError(f"{self.path} is a text file, not a video")
        too_large = frame_too_large(
            cap.get(cv2.CAP_PROP_FRAME_WIDTH), cap.get(cv2.CAP_PROP_FRAME_HEIGHT)
        )
        if too_large is not None:  # from the container's header: nothing decoded yet
            cap.release()
            raise SourceOpenError(
                f"{self.path}: {too_large}; no frame was decoded ({FRAME_LIMIT_HINT})"
            )
        ok, image = cap.read()
        if not ok or image is None:
            cap.release()
            raise SourceOpenError(f"{self.path} has no decodable video frame (corrupt?)")
        self._pass_reads = 1
        fps = valid_fps(float(cap.get(cv2.CAP_PROP_FPS)))
        if fps is None:
            fps = FALLBACK_FPS
            log.warning("%s declares no usable frame rate; assuming %g fps", self.path, fps)
        self.nominal_fps = fps
        count = cap.get(cv2.CAP_PROP_FRAME_COUNT)
        self.frame_count = int(count) if math.isfinite(count) and count > 0 else None
        with self._lock:
            self._cap = cap
            self._pending = (image, self._position(cap))
        self._pacer = Pacer(fps, self._closed) if self.pace else None

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
            if self._seek_to is not None:
                self._do_seek()
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
        check_frame(image, self.name)
        self._pass_frames += 1
        self.position_ms = position
        return self._make_frame(to_bgr8(image, self.name), position, ColorOrder.BGR)

    def _end(self) -> None:
        message = f"{self.name}: end of file after {self._index} frames"
        if self.skipped_frames:
            message += f", {self.skipped_frames} undecodable frame(s) skipped"
        decoded = self._pass_frames + self.skipped_frames
        if self.frame_count is not None and decoded < self.frame_count and not self.loop:
            message += f" (the file declares {self.frame_count}; decoding stopped early)"
        self._set_state(SourceState.ENDED, message)
        self._release()
