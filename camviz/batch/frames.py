"""Classifying the frames of a video file or a live stream: one record per kept frame.

A reader thread pulls frames from the source (:func:`camviz.sources.make_source`:
video files unpaced, stream URLs, GStreamer pipelines) and keeps those the
:class:`Sampling` selects; the calling thread, which owns the classifier,
classifies them in order. Each record carries the source's frame index and a
time stamp: for files the frame's position in the file (``clock: "position"``,
seconds from the start), for live streams, cameras and the screen the time since
the source's first frame (``clock: "stream"``, seconds; ``"capture"``, Unix
seconds, for a live source that gives no position). For files every kept frame
is classified; for live sources the hand-over queue drops the oldest kept frame
when inference falls behind (the record's frame indices show the gap).
"""

from __future__ import annotations

import contextlib
import logging
import math
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from camviz.classifier import Classifier
from camviz.errors import CamvizError, OptionsError, SourceError, format_error
from camviz.results import ClassificationResult
from camviz.sources import Frame, Source, is_stream, make_source, redact
from camviz.sources.http import UrlKind, UrlSource

__all__ = ["VIDEO_EXTENSIONS", "Sampling", "classify_frames", "classify_source", "is_video_input"]

#: File extensions ``camviz classify`` treats as videos (streams are recognised by URL).
VIDEO_EXTENSIONS = frozenset(
    {".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv", ".ts"}
    | {".3gp", ".ogv", ".mjpeg", ".mjpg", ".h264", ".y4m"}
)
_QUEUE = 4


def is_video_input(text: str) -> bool:
    """A stream URL / GStreamer pipeline, or an existing file with a video extension."""
    path = Path(text)
    if is_stream(text) and not path.exists():
        return True
    # not only regular files: a FIFO named clip.mp4 is refused as a video, by VideoSource
    return path.exists() and not path.is_dir() and path.suffix.lower() in VIDEO_EXTENSIONS


@dataclass(frozen=True, slots=True)
class Sampling:
    """Which frames to classify: every ``every``-th frame, or ``fps`` frames per second of
    the source's clock (position in a file, time since a stream's first frame); default
    all; at most ``max_frames`` classified, and none past ``max_seconds`` of that clock."""

    every: int | None = None
    fps: float | None = None
    max_frames: int | None = None
    max_seconds: float | None = None

    def __post_init__(self) -> None:
        if self.every is not None and self.fps is not None:
            raise OptionsError("give --every or --fps, not both")
        if self.every is not None and self.every < 1:
            raise OptionsError(f"--every must be at least 1, got {self.every}")
        if self.fps is not None and not (math.isfinite(self.fps) and self.fps > 0):
            raise OptionsError(f"--fps must be a positive number, got {self.fps}")
        if self.max_seconds is not None and not (
            math.isfinite(self.max_seconds) and self.max_seconds > 0
        ):
            raise OptionsError(f"--max-seconds must be a positive number, got {self.max_seconds}")


class _Selector:
    def __init__(self, sampling: Sampling) -> None:
        self.sampling = sampling
        self._t0: float | None = None
        self._last_slot = -1

    def keep(self, index: int, seconds: float) -> bool:
        if self.sampling.every is not None:
            return index % self.sampling.every == 0
        if self.sampling.fps is None:
            return True
        if self._t0 is None:
            self._t0 = seconds
        slot = math.floor((seconds - self._t0) * self.sampling.fps + 1e-9)
        if slot > self._last_slot:
            self._last_slot = slot
            return True
        return False


def _clock(source: Source, frame: Frame) -> tuple[float, str]:
    """The frame's time stamp in seconds and the clock it is on."""
    if frame.position_ms is not None:  # live sources: seconds since their first frame
        return frame.position_ms / 1000.0, "stream" if source.is_live else "position"
    if source.is_live:
        return time.time() - (time.monotonic() - frame.captured), "capture"
    fps = source.nominal_fps or 25.0
    return frame.index / fps, "position"


_END = object()


def classify_frames(
    clf: Classifier, spec: str, sampling: Sampling | None = None
) -> Iterator[dict[str, Any]]:
    """The JSON records of the kept frames of ``spec``, in frame order.

    A source that cannot be opened or fails mid-way yields one error record
    (``{"path", "error"}``) and ends. A URL whose server sends one image is a photo:
    one record shaped like a photo file's (no frame, time stamp nor clock).
    """
    for record, _ in classify_source(clf, spec, sampling):
        yield record


def classify_source(
    clf: Classifier, spec: str, sampling: Sampling | None = None
) -> Iterator[tuple[dict[str, Any], ClassificationResult | None]]:
    """As :func:`classify_frames`, each record with the result of a photo (a URL that
    served one image: listed as photos are), None for a frame or an error."""
    sampling = sampling or Sampling()
    name = redact(spec) if is_stream(spec) else spec
    try:
        source = make_source(spec, pace=False)
        source.open()
    except CamvizError as exc:
        yield _error(name, exc), None
        return
    if isinstance(source, UrlSource) and source.kind is UrlKind.PHOTO:
        try:
            yield _photo(clf, source, name)
        finally:
            source.close()
        return
    live = source.is_live
    handoff: queue.Queue[Any] = queue.Queue(_QUEUE)
    stop = threading.Event()
    failure: list[CamvizError] = []

    def put(item: Any) -> None:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return
            except queue.Full:
                if live:  # latest wins: make room by dropping the oldest kept frame
                    with contextlib.suppress(queue.Empty):
                        handoff.get_nowait()

    def read() -> None:
        selector = _Selector(sampling)
        try:
            while not stop.is_set():
                frame = source.read()
                if frame is None:
                    break
                stamp, clock = _clock(source, frame)
                limit = sampling.max_seconds  # the duration limit, on the source's clock
                if limit is not None and clock != "capture" and stamp > limit:
                    break
                if selector.keep(frame.index, stamp):
                    put((frame, stamp, clock))
        except CamvizError as exc:
            failure.append(exc)
        except Exception as exc:  # a reader's bug (OpenCV raising on a bad buffer...): said
            logging.getLogger(__name__).debug("reading %s failed", name, exc_info=True)
            failure.append(SourceError(f"{name}: reading failed ({type(exc).__name__}: {exc})"))
        finally:
            put(_END)

    reader = threading.Thread(target=read, name="camviz-frames", daemon=True)
    reader.start()
    done = 0
    try:
        while sampling.max_frames is None or done < sampling.max_frames:
            item = handoff.get()
            if item is _END:
                break
            frame, stamp, clock = item
            base = {"path": name, "frame": frame.index, "timestamp_s": round(stamp, 3)}
            base["clock"] = clock
            try:
                result = clf.classify(frame.pixels, color=frame.color)
            except CamvizError as exc:
                yield {**base, **_error(name, exc)}, None
                continue
            done += 1
            yield {**base, **result.to_dict()}, None
        if failure:
            yield _error(name, failure[0]), None
    finally:
        stop.set()
        source.close()
        reader.join(timeout=5.0)


def _photo(
    clf: Classifier, source: UrlSource, name: str
) -> tuple[dict[str, Any], ClassificationResult | None]:
    """The record of the one image a URL served, as a photo file's (the path is the URL)."""
    try:
        frame = source.read()
        if frame is None:
            raise SourceError(f"{name}: the server's image could not be read")
        result = clf.classify(frame.pixels, color=frame.color)
    except CamvizError as exc:
        return _error(name, exc), None
    return {"path": name, **result.to_dict()}, result


def _error(name: str, exc: BaseException) -> dict[str, Any]:
    kind, _, text = format_error(exc).partition(": ")
    return {"path": name, "error": {"type": kind, "message": text}}
