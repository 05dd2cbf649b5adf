"""Recording the live view to a video file: what the window shows, at the source's rate.

:class:`VideoRecording` listens to the live frame slot (:class:`~camviz.app.frames.LatestFrame`,
fed by the capture thread): every captured frame, the frames the view shows, goes to a
:class:`camviz.videoout.VideoRecorder` with the overlay of the newest result (the crop box the
model is fed, the top labels and their probabilities, a REC badge with the time), mirrored
when the view is. The overlay is drawn and the frame encoded on the recorder's own thread;
the capture thread only puts the frame (not copied: the slot's frames are never written to)
on its bounded queue, so a slow encoder drops
recorded frames (counted, :attr:`RecorderStats.dropped`) and never slows the pipeline.

With A/B on, the recording shows both models: the second model's labels in a sheet on the
right and its crop box where it differs (:meth:`camviz.app.comparing.Comparing.second_view`).

The file's rate is the source's declared rate (its ``nominal_fps``), else
:data:`FALLBACK_FPS`. :attr:`VideoRecording.events` says when a recording starts and stops
(with its counters), on the thread that started or stopped it.

Layer: camviz.app (imports camviz.videoout, camviz.annotate, camviz.preprocess; no toolkit).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from camviz.annotate import RecBadge, Region, SecondView, annotate_result, mirror_region
from camviz.app.events import Emitter
from camviz.app.frames import LatestFrame
from camviz.classifier import ModelInfo
from camviz.errors import CamvizError
from camviz.pipeline import FrameResult
from camviz.preprocess import input_region
from camviz.videoout import RecorderStats, VideoRecorder

__all__ = ["FALLBACK_FPS", "QUEUE_BYTES", "QUEUE_SECONDS", "RecordingStarted", "VideoRecording"]

Image = npt.NDArray[np.uint8]

#: The rate of a source that declares none.
FALLBACK_FPS = 25.0
#: Seconds of video the encoder may fall behind before frames are dropped: a loaded machine
#: slows the (lower-priority) encoder in bursts, and a deep queue rides them out; frames
#: still queued are encoded when the recording stops.
QUEUE_SECONDS = 4.0
#: ... within this many bytes of queued frames (a 1080p source queues fewer seconds).
QUEUE_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class RecordingStarted:
    path: Path
    fps: float


class VideoRecording:
    """The window's video recording: ``start(path)``, ``stop()``, one at a time.

    ``last_result``, ``model_info`` and ``source_fps`` read the session's state when needed
    (from the capture thread for the first two); ``second_view`` is what of the A/B second
    model the view shows over a frame of a size
    (:meth:`camviz.app.comparing.Comparing.second_view`).
    """

    def __init__(
        self,
        frames: LatestFrame,
        *,
        last_result: Callable[[], FrameResult | None],
        model_info: Callable[[], ModelInfo | None],
        source_fps: Callable[[], float | None],
        second_view: Callable[[int, int], SecondView | None] | None = None,
    ) -> None:
        self._frames = frames
        self._second_view = second_view
        self._last_result = last_result
        self._model_info = model_info
        self._source_fps = source_fps
        self._lock = threading.Lock()
        self._recorder: VideoRecorder | None = None
        self._offered = 0  # frames handed to the running recording
        self.mirrored = False  # as the view shows it (the window keeps it current)
        self.last_stats: RecorderStats | None = None
        self.started: Emitter[RecordingStarted] = Emitter("video.started")
        self.stopped: Emitter[RecorderStats] = Emitter("video.stopped")

    @property
    def recording(self) -> bool:
        with self._lock:
            return self._recorder is not None

    @property
    def path(self) -> Path | None:
        with self._lock:
            return None if self._recorder is None else self._recorder.path

    def stats(self) -> RecorderStats | None:
        """The running recording's counters now (None when none runs)."""
        with self._lock:
            return None if self._recorder is None else self._recorder.stats

    def start(self, path: str | Path) -> RecordingStarted:
        """Record from the next captured frame on; raises a CamvizError (a container or
        codec the build lacks, a folder) before anything is written."""
        with self._lock:
            if self._recorder is not None:
                raise CamvizError(f"already recording to {self._recorder.path}")
        fps = max(0.5, min(1000.0, self._source_fps() or FALLBACK_FPS))
        recorder = VideoRecorder(path, fps, queue_size=self._queue_size(fps))
        recorder.start()
        with self._lock:
            self._recorder = recorder
            self._offered = 0
        self._frames.listen(self._on_frame)
        started = RecordingStarted(recorder.path, recorder.fps)
        self.started.emit(started)
        return started

    def stop(self) -> RecorderStats | None:
        """Finish the file (encode what is queued, rename it into place); its counters, or
        None when nothing was recording. A failed encoder's error is in ``stats.error``."""
        with self._lock:
            recorder, self._recorder = self._recorder, None
        if recorder is None:
            return None
        self._frames.unlisten(self._on_frame)
        try:
            stats = recorder.stop()
        except CamvizError:
            stats = recorder.stats
        self.last_stats = stats
        self.stopped.emit(stats)
        return stats

    def _queue_size(self, fps: float) -> int:
        """Frames the encoder may lag by: :data:`QUEUE_SECONDS` of video at ``fps``, within
        :data:`QUEUE_BYTES` of frames the size of the newest one (at least 16)."""
        _, image = self._frames.get()
        frames = round(QUEUE_SECONDS * fps)
        if image is not None:
            frames = min(frames, QUEUE_BYTES // max(1, image.nbytes))
        return max(16, frames)

    # ------------------------------------------------------------------ capture thread
    def _on_frame(self, image: Image) -> None:
        recorder = self._recorder
        if recorder is None:
            return
        fr = self._last_result()
        info = self._model_info()
        region: Region | None = None
        if info is not None:
            region = input_region(image.shape[1], image.shape[0], info.preprocessing)
        second = None
        if self._second_view is not None and fr is not None:
            second = self._second_view(image.shape[1], image.shape[0])
        self._offered += 1
        draw = functools.partial(
            _draw,
            fr=fr,
            region=region,
            second=second,
            mirrored=self.mirrored,
            elapsed_s=(self._offered - 1) / recorder.fps,
        )
        # the slot's frames are never written to again (the view shows them as they are): no
        # copy on the capture thread, which hands each frame on only after this returns
        recorder.write(image, draw, copy=False)


def _draw(
    image: Image,
    *,
    fr: FrameResult | None,
    region: Region | None,
    mirrored: bool,
    elapsed_s: float,
    second: SecondView | None = None,
) -> Image:
    """The frame as the view shows it: mirrored when it is, the box, the labels, REC; with
    A/B, the second model's labels on the right (REC goes to the bottom) and its box."""
    if mirrored:
        image = np.ascontiguousarray(image[:, ::-1])
        if region is not None:
            region = mirror_region(region, image.shape[1])
        if second is not None:
            second = second.mirrored(image.shape[1])
    if fr is not None:
        out = annotate_result(image, fr.result, region, second=second)
    else:
        out = np.array(image, np.uint8, copy=True)
    return RecBadge(corner="top" if second is None else "bottom").annotate(out, elapsed_s)
