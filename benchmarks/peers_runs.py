"""The contenders of ``peers.py``: camviz, MediaPipe, OpenCV DNN and a decode-only floor.

Each ``*_memory`` function classifies frames already decoded into memory, each ``*_live``
function decodes the video itself; all return a :class:`Run`. Per-call timing is
``camviz.bench.time_calls`` (camviz's one timing loop); camviz's pipeline runs through
``camviz.pipeline.run_pipeline`` (its one harness).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from camviz.bench import time_calls

MS_PER_TICK = 33  # MediaPipe timestamps: one frame every 33 ms (only their order matters)

INFER = "inference-only (frames decoded once, in memory)"
E2E = "end-to-end (decoded live from the file, unpaced)"


# ----------------------------------------------------------------------------- records


@dataclass(slots=True)
class Run:
    """One contender over ``frames`` frames, once."""

    frames: int  # results delivered
    wall_s: float
    cpu_s: float
    intervals_ms: list[float]  # between consecutive results
    latency_ms: list[float]  # per frame: call time, or captured/submitted -> result
    tops: list[int] = field(default_factory=list)  # top-1 class per delivered frame, in order
    stages_ms: dict[str, list[float]] = field(default_factory=dict)
    submitted: int = 0  # live-stream: frames handed to MediaPipe
    result_frames: list[int] = field(default_factory=list)  # frame index of each result

    @property
    def fps(self) -> float:
        return self.frames / self.wall_s if self.wall_s > 0 else 0.0


@dataclass(slots=True)
class Contender:
    key: str
    section: str
    label: str
    run: Callable[[], Run] | None
    note: str = ""
    error: str = ""
    runs: list[Run] = field(default_factory=list)


def _cpu() -> float:
    """Process CPU time, all threads, user + sys (what ``RunRecord.cpu_s`` measures too)."""
    return time.process_time()


class _Clock:
    """Wall and CPU time of a measured span."""

    def __enter__(self) -> _Clock:
        self.cpu0, self.t0 = _cpu(), time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.t0
        self.cpu = _cpu() - self.cpu0


# ------------------------------------------------------------------------------ frames


def decode_frames(video: Path, count: int) -> list[np.ndarray]:
    """The first ``count`` frames as camviz decodes them, in RGB (``Frame.image``, uint8,
    C-contiguous): what MediaPipe takes, so every contender gets the same arrays."""
    from camviz.sources import VideoSource

    frames: list[np.ndarray] = []
    with VideoSource(video, pace=False) as source:
        source.open()
        while len(frames) < count:
            frame = source.read()
            if frame is None:
                break
            frames.append(frame.image)
    if len(frames) < count:
        raise SystemExit(f"{video} has only {len(frames)} frames, {count} asked")
    return frames


@contextlib.contextmanager
def _capture(video: Path) -> Iterator[Any]:
    cap = cv2.VideoCapture(str(video))
    if not cap.isOpened():
        raise SystemExit(f"cannot open {video}")
    try:
        yield cap
    finally:
        cap.release()


def centre_square(width: int, height: int, fraction: float) -> tuple[int, int, int]:
    """camviz's centre crop: (left, top, side), as ``camviz.preprocess.center_crop``."""
    side = max(1, round(min(height, width) * fraction))
    return (width - side) // 2, (height - side) // 2, side


# ------------------------------------------------------------------------------ camviz


def camviz_sequential_memory(clf: Any, frames: list[np.ndarray]) -> Run:
    with _Clock() as clock:
        lat, results = time_calls(clf.classify, frames)
    tops = [r.categories[0].index for r in results]
    stages = {
        "preprocess": [r.times.preprocess_ms for r in results],
        "invoke": [r.times.invoke_ms for r in results],
        "postprocess": [r.times.postprocess_ms for r in results],
    }
    return Run(len(frames), clock.wall, clock.cpu, lat, lat, tops, stages)


def camviz_sequential_live(clf: Any, video: Path, count: int) -> Run:
    from camviz.sources import VideoSource

    lat, tops = [], []
    stages: dict[str, list[float]] = {"decode": [], "preprocess": [], "invoke": []}
    with VideoSource(video, pace=False) as source:
        source.open()  # opening decodes frame 0, outside the clock as for every contender
        with _Clock() as clock:
            for _ in range(count):
                t0 = time.perf_counter()
                frame = source.read()
                if frame is None:
                    break
                t1 = time.perf_counter()
                result = clf.classify(frame.pixels, color=frame.color)
                lat.append((time.perf_counter() - t0) * 1e3)
                tops.append(result.categories[0].index)
                stages["decode"].append((t1 - t0) * 1e3)
                stages["preprocess"].append(result.times.preprocess_ms)
                stages["invoke"].append(result.times.invoke_ms)
    return Run(len(tops), clock.wall, clock.cpu, lat, lat, tops, stages)


def camviz_lossless(model: str, threads: int, video: Path, count: int) -> Run:
    """camviz's lossless pipeline on the unlooped video, stopped at ``count`` results."""
    from camviz.classifier import ClassifierOptions
    from camviz.pipeline import Backpressure, PipelineOptions, run_pipeline
    from camviz.sources import VideoSource

    run = run_pipeline(
        VideoSource(video, pace=False),
        PipelineOptions(
            classifier=ClassifierOptions(model=model, threads=threads),
            backpressure=Backpressure.LOSSLESS,
        ),
        frames=count,
        timeout=count * 2.0 + 60.0,
    )
    if run.errors or run.timed_out:
        raise RuntimeError("; ".join(run.errors) or f"camviz pipeline: timed out ({run.count})")
    stamps = run.stamps
    delivered = [s.delivered for s in stamps]
    stages = {
        "queue": [(s.dequeued - s.captured) * 1e3 for s in stamps],
        # inference thread: previous result delivered -> this frame dequeued
        "gap": [(s.dequeued - d) * 1e3 for s, d in zip(stamps[1:], delivered, strict=False)],
        "preprocess": [(s.preprocessed - s.dequeued) * 1e3 for s in stamps],
        "invoke": [(s.inferred - s.preprocessed) * 1e3 for s in stamps],
        "deliver": [(s.delivered - s.inferred) * 1e3 for s in stamps],
    }
    # The first interval is from the release of capture, so fps and intervals agree.
    marks = [run.started, *delivered]
    intervals = [(b - a) * 1e3 for a, b in itertools.pairwise(marks)]
    e2e = [s.e2e_ms for s in stamps]
    tops = [-1 if f.top is None else f.top for f in run.frames]
    ids = [f.index for f in run.frames]
    return Run(run.count, run.wall_s, run.cpu_s, intervals, e2e, tops, stages, 0, ids)


# --------------------------------------------------------------------------- MediaPipe


class MediaPipeClassifier:
    """One MediaPipe ImageClassifier (VIDEO or LIVE_STREAM) with increasing timestamps."""

    def __init__(self, model: Path, mode: str, crop: float | None) -> None:
        import mediapipe as mp
        from mediapipe.tasks.python import vision
        from mediapipe.tasks.python.core.base_options import BaseOptions

        self.mp = mp
        self.crop = crop
        self.mode = mode
        self._ts = 0
        self._lock = threading.Lock()
        self._done: dict[int, tuple[float, int]] = {}  # timestamp -> (time, top-1)
        self._last_done = 0.0
        kwargs: dict[str, Any] = {}
        if mode == "live":
            kwargs["result_callback"] = self._on_result
        options = vision.ImageClassifierOptions(
            base_options=BaseOptions(
                model_asset_path=str(model), delegate=BaseOptions.Delegate.CPU
            ),
            running_mode=vision.RunningMode.LIVE_STREAM
            if mode == "live"
            else vision.RunningMode.VIDEO,
            max_results=1,
            **kwargs,
        )
        threads_before = _os_threads()
        self.classifier = vision.ImageClassifier.create_from_options(options)
        self.os_threads_added = _os_threads() - threads_before
        self._rois: dict[tuple[int, int], Any] = {}

    def _roi(self, width: int, height: int) -> Any:
        if self.crop is None:
            return None
        key = (width, height)
        if key not in self._rois:
            from mediapipe.tasks.python.components.containers.rect import RectF
            from mediapipe.tasks.python.vision.core.image_processing_options import (
                ImageProcessingOptions,
            )

            left, top, side = centre_square(width, height, self.crop)
            rect = RectF(
                left=left / width,
                top=top / height,
                right=(left + side) / width,
                bottom=(top + side) / height,
            )
            self._rois[key] = ImageProcessingOptions(region_of_interest=rect)
        return self._rois[key]

    def _image(self, rgb: np.ndarray) -> Any:
        return self.mp.Image(image_format=self.mp.ImageFormat.SRGB, data=rgb)

    def classify(self, rgb: np.ndarray) -> int:
        self._ts += MS_PER_TICK
        result = self.classifier.classify_for_video(
            self._image(rgb), self._ts, self._roi(rgb.shape[1], rgb.shape[0])
        )
        return int(result.classifications[0].categories[0].index)

    def submit(self, rgb: np.ndarray) -> int:
        self._ts += MS_PER_TICK
        self.classifier.classify_async(
            self._image(rgb), self._ts, self._roi(rgb.shape[1], rgb.shape[0])
        )
        return self._ts

    def _on_result(self, result: Any, _image: Any, timestamp_ms: int) -> None:
        now = time.perf_counter()
        cats = result.classifications[0].categories if result.classifications else []
        with self._lock:
            self._done[timestamp_ms] = (now, int(cats[0].index) if cats else -1)
            self._last_done = now

    def take_done(self) -> tuple[dict[int, tuple[float, int]], float]:
        with self._lock:
            done, self._done = self._done, {}
            return done, self._last_done

    def close(self) -> None:
        self.classifier.close()


def _os_threads() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return -1


def mediapipe_video_memory(mpc: MediaPipeClassifier, frames: list[np.ndarray]) -> Run:
    with _Clock() as clock:
        lat, tops = time_calls(mpc.classify, frames)
    return Run(len(frames), clock.wall, clock.cpu, lat, lat, tops)


def mediapipe_video_live(mpc: MediaPipeClassifier, video: Path, count: int) -> Run:
    lat, tops = [], []
    stages: dict[str, list[float]] = {"decode": [], "classify_for_video": []}
    with _capture(video) as cap, _Clock() as clock:
        for _ in range(count):
            t0 = time.perf_counter()
            ok, bgr = cap.read()
            if not ok:
                break
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            t1 = time.perf_counter()
            tops.append(mpc.classify(rgb))
            t2 = time.perf_counter()
            lat.append((t2 - t0) * 1e3)
            stages["decode"].append((t1 - t0) * 1e3)
            stages["classify_for_video"].append((t2 - t1) * 1e3)
    return Run(len(tops), clock.wall, clock.cpu, lat, lat, tops, stages)


def _submit_all(mpc: MediaPipeClassifier, frames: Iterator[np.ndarray]) -> dict[int, float]:
    submitted: dict[int, float] = {}
    for rgb in frames:
        t = time.perf_counter()
        submitted[mpc.submit(rgb)] = t
    return submitted


def _collect_live(
    mpc: MediaPipeClassifier, submitted: dict[int, float], t0: float, cpu0: float
) -> Run:
    """Wait for MediaPipe's callbacks (last frame done, or 2 s without a result)."""
    last_ts = max(submitted)
    deadline = time.perf_counter() + 120.0
    done: dict[int, tuple[float, int]] = {}
    while time.perf_counter() < deadline:
        with mpc._lock:
            finished = last_ts in mpc._done
            quiet = time.perf_counter() - max(mpc._last_done, t0) > 2.0
        if finished or quiet:
            break
        time.sleep(0.005)
    more, _ = mpc.take_done()
    done.update(more)
    cpu = _cpu() - cpu0
    order = sorted(done)
    stamps = [t0] + [done[ts][0] for ts in order]
    wall = (stamps[-1] - t0) if order else time.perf_counter() - t0
    intervals = [(b - a) * 1e3 for a, b in itertools.pairwise(stamps)]
    latency = [(done[ts][0] - submitted[ts]) * 1e3 for ts in order]
    first_ts = min(submitted)
    ids = [(ts - first_ts) // MS_PER_TICK for ts in order]
    return Run(
        len(order), wall, cpu, intervals, latency, [done[ts][1] for ts in order], {},
        len(submitted), ids,
    )  # fmt: skip


def mediapipe_live_live(mpc: MediaPipeClassifier, video: Path, count: int) -> Run:
    mpc.take_done()
    with _capture(video) as cap:

        def frames() -> Iterator[np.ndarray]:
            for _ in range(count):
                ok, bgr = cap.read()
                if not ok:
                    return
                yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

        cpu0, t0 = _cpu(), time.perf_counter()
        submitted = _submit_all(mpc, frames())
    return _collect_live(mpc, submitted, t0, cpu0)


def mediapipe_live_memory(mpc: MediaPipeClassifier, frames: list[np.ndarray]) -> Run:
    mpc.take_done()
    cpu0, t0 = _cpu(), time.perf_counter()
    submitted = _submit_all(mpc, iter(frames))
    return _collect_live(mpc, submitted, t0, cpu0)


# -------------------------------------------------------------------------- OpenCV DNN


class OpenCvNet:
    def __init__(self, model: Path, input_size: tuple[int, int], crop: float, bgr_model: bool):
        self.net = cv2.dnn.readNetFromTFLite(str(model))
        self.size = input_size
        self.crop = crop
        self.bgr_model = bgr_model

    def classify(self, image: np.ndarray, *, is_bgr: bool) -> int:
        height, width = image.shape[:2]
        left, top, side = centre_square(width, height, self.crop)
        crop = image[top : top + side, left : left + side]
        blob = cv2.dnn.blobFromImage(
            crop, 1.0, self.size, swapRB=is_bgr != self.bgr_model, crop=False
        )
        self.net.setInput(blob)
        out = self.net.forward()
        return int(np.argmax(out.reshape(-1)))

    def classify_rgb(self, image: np.ndarray) -> int:
        return self.classify(image, is_bgr=False)


def opencv_memory(net: OpenCvNet, frames: list[np.ndarray]) -> Run:
    with _Clock() as clock:
        lat, tops = time_calls(net.classify_rgb, frames)
    return Run(len(frames), clock.wall, clock.cpu, lat, lat, tops)


def opencv_live(net: OpenCvNet, video: Path, count: int) -> Run:
    """Idiomatic OpenCV: decode BGR, and let blobFromImage swap to RGB (no cvtColor)."""
    lat, tops = [], []
    stages: dict[str, list[float]] = {"decode": [], "blob+forward": []}
    with _capture(video) as cap, _Clock() as clock:
        for _ in range(count):
            t0 = time.perf_counter()
            ok, bgr = cap.read()
            if not ok:
                break
            t1 = time.perf_counter()
            tops.append(net.classify(bgr, is_bgr=True))
            t2 = time.perf_counter()
            lat.append((t2 - t0) * 1e3)
            stages["decode"].append((t1 - t0) * 1e3)
            stages["blob+forward"].append((t2 - t1) * 1e3)
    return Run(len(tops), clock.wall, clock.cpu, lat, lat, tops, stages)


def decode_only(video: Path, count: int) -> Run:
    lat = []
    with _capture(video) as cap, _Clock() as clock:
        for _ in range(count):
            t0 = time.perf_counter()
            ok, bgr = cap.read()
            if not ok:
                break
            cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            lat.append((time.perf_counter() - t0) * 1e3)
    return Run(len(lat), clock.wall, clock.cpu, lat, lat)
