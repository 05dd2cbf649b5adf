"""Peers, side by side: camviz against MediaPipe's ImageClassifier and OpenCV DNN (issue 3).

The SAME .tflite file and the SAME decoded frames of a real video go through:

* camviz: the lossless pipeline (capture thread -> bounded queue -> inference thread, the
  reference every ratio is taken against) and the sequential loop (decode, preprocess,
  invoke on one thread);
* MediaPipe ``ImageClassifier`` in VIDEO mode (``classify_for_video``, synchronous) and in
  LIVE_STREAM mode (``classify_async`` + result callback; MediaPipe drops frames that arrive
  while its graph is busy: submitted - completed = drops);
* OpenCV DNN's TFLite reader (``cv2.dnn.readNetFromTFLite``), where it loads the model
  (``blobFromImage`` + ``setInput`` + ``forward``, blob preparation included).

Two sections:

* **inference-only**: the first ``--frames`` frames are decoded once into memory (camviz's
  ``VideoSource``, RGB) and every contender classifies those arrays on one thread;
* **end-to-end**: each contender decodes the video itself, live and unpaced, from frame 0.

Contenders run in interleaved rounds (the order rotates every round) so that the load of a
shared machine hits them alike; fps is the median over rounds and each ratio is the median
of the per-round ratios to camviz's lossless pipeline in the same round. "cpu ms/frame" is
the process's user+sys CPU time per frame: much less sensitive than wall time to other
processes on a shared machine (but spin-waiting worker threads count).

Same thread budget: camviz and OpenCV get ``--threads`` (ai-edge-litert ``num_threads``;
``cv2.setNumThreads``). MediaPipe 1.2.3's Python API has no thread option (``BaseOptions``
has only the model and ``delegate`` CPU/GPU); it runs with its built-in default, CPU delegate,
and its measured CPU use is reported instead (per-thread /proc accounting showed it
splitting each frame over two internal threads on a 2-core machine).

Same crop: camviz takes a centre square of 0.875 of the short side and resizes it to the
model input. MediaPipe does not crop by default (it resizes the whole frame); the script
passes the same centre square as ``ImageProcessingOptions(region_of_interest=...)`` and also
reports the uncropped default. OpenCV DNN gets the same crop (a NumPy view) before
``blobFromImage``.

Setup (not in CI; the app venv .venv is not touched)::

    python3 -m venv .venv-mediapipe && .venv-mediapipe/bin/pip install mediapipe==1.2.3
    .venv-mediapipe/bin/pip install --no-deps -e .          # camviz, without its deps
    .venv-mediapipe/bin/pip install ai-edge-litert==2.3.0 psutil
    # mediapipe brings opencv-contrib-python (cv2); camviz needs only cv2, so
    # opencv-python-headless is NOT installed: exactly one cv2 in the venv (checked below).

Run::

    .venv-mediapipe/bin/python benchmarks/peers.py                       # table
    .venv-mediapipe/bin/python benchmarks/peers.py --json > peers.json
    .venv-mediapipe/bin/python benchmarks/peers.py --markdown \\
        --model efficientnet_lite0_int8 --model efficientnet_lite0_float32
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import itertools
import json
import os
import platform
import resource
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
VIDEO = ROOT / "assets" / "video" / "vtest.avi"
PHOTOS = ROOT / "assets" / "photos" / "skimage"
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
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


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
    """The first ``count`` frames as camviz decodes them (RGB uint8, C-contiguous)."""
    from camviz.sources import VideoSource

    frames = []
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
    lat, tops = [], []
    stages: dict[str, list[float]] = {"preprocess": [], "invoke": [], "postprocess": []}
    with _Clock() as clock:
        for image in frames:
            t0 = time.perf_counter()
            result = clf.classify(image)
            lat.append((time.perf_counter() - t0) * 1e3)
            tops.append(result.categories[0].index)
            stages["preprocess"].append(result.times.preprocess_ms)
            stages["invoke"].append(result.times.invoke_ms)
            stages["postprocess"].append(result.times.postprocess_ms)
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
                result = clf.classify(frame.image)
                lat.append((time.perf_counter() - t0) * 1e3)
                tops.append(result.categories[0].index)
                stages["decode"].append((t1 - t0) * 1e3)
                stages["preprocess"].append(result.times.preprocess_ms)
                stages["invoke"].append(result.times.invoke_ms)
    return Run(len(tops), clock.wall, clock.cpu, lat, lat, tops, stages)


def camviz_lossless(model: str, threads: int, video: Path, count: int) -> Run:
    """As ``camviz.bench._run_pipeline(..., realtime=False)``, unlooped, stopped at ``count``."""
    from camviz.classifier import ClassifierOptions
    from camviz.pipeline import Backpressure, EventKind, Pipeline, PipelineOptions
    from camviz.sources import VideoSource

    delivered: list[float] = []
    e2e: list[float] = []
    tops: list[int] = []
    ids: list[int] = []
    stages: dict[str, list[float]] = {
        "queue": [],
        "gap": [],  # inference thread: previous result delivered -> this frame dequeued
        "preprocess": [],
        "invoke": [],
        "deliver": [],
    }
    errors: list[str] = []
    loaded, finished = threading.Event(), threading.Event()

    def on_result(item: Any) -> None:
        st = item.stamps
        delivered.append(st.delivered)
        e2e.append(st.e2e_ms)
        tops.append(item.result.categories[0].index)
        ids.append(item.frame.index)
        stages["queue"].append((st.dequeued - st.captured) * 1e3)
        if len(delivered) > 1:
            stages["gap"].append((st.dequeued - delivered[-2]) * 1e3)
        stages["preprocess"].append(item.result.times.preprocess_ms)
        stages["invoke"].append(item.result.times.invoke_ms)
        stages["deliver"].append((st.delivered - st.inferred) * 1e3)
        if len(tops) >= count:
            finished.set()

    def on_event(event: Any) -> None:
        if event.kind is EventKind.MODEL_LOADED:
            loaded.set()
        elif event.kind in (EventKind.ERROR, EventKind.FRAME_FAILED, EventKind.MODEL_FAILED):
            errors.append(event.message)
            finished.set()
        elif event.kind in (EventKind.ENDED, EventKind.STOPPED):
            finished.set()

    source = VideoSource(video, pace=False)
    pipe = Pipeline(
        source,
        PipelineOptions(
            classifier=ClassifierOptions(model=model, threads=threads),
            backpressure=Backpressure.LOSSLESS,
        ),
        on_result=on_result,
        on_event=on_event,
    )
    pipe.pause()  # hold capture until the model is loaded: load time is not throughput
    pipe.start()
    try:
        if not loaded.wait(60):
            raise RuntimeError(f"camviz pipeline: model not loaded ({errors})")
        with _Clock() as clock:
            pipe.resume()
            finished.wait(count * 2.0 + 60.0)
    finally:
        pipe.stop(timeout=5.0)
    if errors:
        raise RuntimeError("; ".join(errors))
    start = time.monotonic() - clock.wall  # approximately the resume instant
    # The first interval is from resume, so fps and intervals agree.
    stamps = [start, *delivered]
    intervals = [(b - a) * 1e3 for a, b in itertools.pairwise(stamps)]
    return Run(len(tops), clock.wall, clock.cpu, intervals, e2e, tops, stages, 0, ids)


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
    lat, tops = [], []
    with _Clock() as clock:
        for image in frames:
            t0 = time.perf_counter()
            tops.append(mpc.classify(image))
            lat.append((time.perf_counter() - t0) * 1e3)
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


def opencv_memory(net: OpenCvNet, frames: list[np.ndarray]) -> Run:
    lat, tops = [], []
    with _Clock() as clock:
        for image in frames:
            t0 = time.perf_counter()
            tops.append(net.classify(image, is_bgr=False))
            lat.append((time.perf_counter() - t0) * 1e3)
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


# ------------------------------------------------------------------------------- bench


@dataclass(slots=True)
class ModelReport:
    model: str
    path: Path
    dtype: str
    contenders: list[Contender]
    photo_tops: dict[str, dict[str, int | str]]
    notes: list[str]


def _photos() -> list[Path]:
    return sorted(p for p in PHOTOS.iterdir() if p.suffix.lower() in (".png", ".jpg"))


def bench_model(
    model: str, threads: int, frames: list[np.ndarray], video: Path, rounds: int, say: Any
) -> ModelReport:
    from camviz.classifier import ClassifierOptions
    from camviz.imageio import load_image
    from camviz.loading import open_classifier

    clf = open_classifier(ClassifierOptions(model=model, threads=threads))
    clf1 = open_classifier(ClassifierOptions(model=model, threads=1))
    info = clf.info
    assert info.path is not None
    crop = info.preprocessing.crop_fraction
    bgr_model = info.preprocessing.color_order.value == "BGR"
    count = len(frames)
    notes: list[str] = []

    mp_crop = MediaPipeClassifier(info.path, "video", crop)
    mp_full = MediaPipeClassifier(info.path, "video", None)
    mp_live = MediaPipeClassifier(info.path, "live", crop)
    notes.append(
        f"MediaPipe: delegate CPU, no thread option in its API; creating one classifier "
        f"added {mp_crop.os_threads_added} OS threads to the process"
    )
    net: OpenCvNet | None = None
    cv_error = ""
    try:
        net = OpenCvNet(info.path, info.input_size, crop, bgr_model)
        net.classify(frames[0], is_bgr=False)
    except cv2.error as exc:
        net = None
        cv_error = " ".join(str(exc).split())

    c: list[Contender] = [
        Contender(
            "camviz_seq_mem", INFER, f"camviz classify() loop, {threads} threads",
            lambda: camviz_sequential_memory(clf, frames),
        ),
        Contender(
            "camviz_seq1_mem", INFER, "camviz classify() loop, 1 thread",
            lambda: camviz_sequential_memory(clf1, frames),
            "for MediaPipe's thread count",
        ),
        Contender(
            "mp_video_crop_mem", INFER, "MediaPipe VIDEO, centre-crop ROI",
            lambda: mediapipe_video_memory(mp_crop, frames),
        ),
        Contender(
            "mp_video_full_mem", INFER, "MediaPipe VIDEO, default (no crop)",
            lambda: mediapipe_video_memory(mp_full, frames),
        ),
        Contender(
            "cv_dnn_mem", INFER, "OpenCV DNN blob+forward",
            (lambda: opencv_memory(net, frames)) if net else None,
            error=cv_error,
        ),
        Contender(
            "camviz_lossless", E2E, "camviz lossless pipeline",
            lambda: camviz_lossless(model, threads, video, count),
            "capture thread -> queue(4) -> inference thread",
        ),
        Contender(
            "camviz_seq_live", E2E, "camviz sequential loop",
            lambda: camviz_sequential_live(clf, video, count),
            "VideoSource.read + classify on one thread",
        ),
        Contender(
            "mp_video_crop_live", E2E, "MediaPipe VIDEO, centre-crop ROI",
            lambda: mediapipe_video_live(mp_crop, video, count),
            "cv2 read + cvtColor + classify_for_video on one thread",
        ),
        Contender(
            "mp_live_crop_live", E2E, "MediaPipe LIVE_STREAM, centre-crop ROI",
            lambda: mediapipe_live_live(mp_live, video, count),
            "cv2 read + cvtColor + classify_async; drops = submitted - completed",
        ),
        Contender(
            "cv_dnn_live", E2E, "OpenCV DNN, decode + blob + forward",
            (lambda: opencv_live(net, video, count)) if net else None,
            "BGR frame, swapRB in blobFromImage",
            error=cv_error,
        ),
        Contender(
            "decode_only", E2E, "(decode only: cv2 read + cvtColor)",
            lambda: decode_only(video, count),
            "no inference: the ceiling any contender decoding on one thread can reach",
        ),
    ]  # fmt: skip

    # Warm-up: one short pass of each (first invokes, allocator, codec), not measured.
    warm = frames[: min(10, count)]
    camviz_sequential_memory(clf, warm)
    camviz_sequential_memory(clf1, warm)
    mediapipe_video_memory(mp_crop, warm)
    mediapipe_video_memory(mp_full, warm)
    mediapipe_live_memory(mp_live, warm)  # the live-stream graph, warmed once
    if net is not None:
        opencv_memory(net, warm)

    runnable = [x for x in c if x.run is not None]
    for r in range(rounds):
        order = runnable[r % len(runnable) :] + runnable[: r % len(runnable)]
        for x in order:
            say(f"{info.name} round {r + 1}/{rounds}: {x.section.split(' ')[0]} {x.label}")
            assert x.run is not None
            x.runs.append(x.run())

    photo_tops: dict[str, dict[str, int | str]] = {}
    for photo in _photos():
        rgb = np.ascontiguousarray(load_image(photo))
        row: dict[str, int | str] = {
            "camviz": clf.classify(rgb).categories[0].index,
            "mediapipe_crop": mp_crop.classify(rgb),
            "mediapipe_full": mp_full.classify(rgb),
        }
        row["opencv_dnn"] = net.classify(rgb, is_bgr=False) if net else "n/a"
        photo_tops[photo.name] = row

    for m in (mp_crop, mp_full, mp_live):
        m.close()
    clf.close()
    clf1.close()
    return ModelReport(info.name, info.path, info.dtype, c, photo_tops, notes)


# ------------------------------------------------------------------------------ report


def _agreement(x: Contender, ref: Contender) -> float | None:
    """Top-1 agreement with camviz on the same frames (round 1), by frame index."""
    if not x.runs or not ref.runs or not x.runs[0].tops or x is ref:
        return None
    mine = x.runs[0]
    theirs = ref.runs[0].tops
    ids = mine.result_frames or list(range(len(mine.tops)))
    pairs = [(t, theirs[i]) for t, i in zip(mine.tops, ids, strict=True) if 0 <= i < len(theirs)]
    return sum(a == b for a, b in pairs) / len(pairs) if pairs else None


def summarise(report: ModelReport) -> list[dict[str, Any]]:
    by_key = {x.key: x for x in report.contenders}
    base = by_key["camviz_lossless"]
    camviz_top = by_key["camviz_seq_mem"]
    rows = []
    for x in report.contenders:
        row: dict[str, Any] = {
            "key": x.key,
            "section": x.section,
            "contender": x.label,
            "note": x.note,
        }
        if x.error or not x.runs:
            row["error"] = x.error or "not run"
            rows.append(row)
            continue
        fps = [run.fps for run in x.runs]
        ratios = [run.fps / b.fps for run, b in zip(x.runs, base.runs, strict=False) if b.fps > 0]
        intervals = [v for run in x.runs for v in run.intervals_ms]
        latency = [v for run in x.runs for v in run.latency_ms]
        frames = sum(run.frames for run in x.runs)
        row.update(
            {
                "rounds": len(x.runs),
                "frames_per_round": x.runs[0].frames,
                "fps": round(statistics.median(fps), 2),
                "fps_min": round(min(fps), 2),
                "fps_max": round(max(fps), 2),
                "fps_rounds": [round(f, 2) for f in fps],
                "ms_per_frame_p50": round(_pct(intervals, 50), 2),
                "ms_per_frame_p95": round(_pct(intervals, 95), 2),
                "latency_ms_p50": round(_pct(latency, 50), 2),
                "latency_ms_p95": round(_pct(latency, 95), 2),
                "cpu_ms_per_frame": round(
                    1e3 * sum(run.cpu_s for run in x.runs) / max(frames, 1), 2
                ),
                "cores_busy": round(
                    sum(run.cpu_s for run in x.runs) / sum(run.wall_s for run in x.runs), 2
                ),
                "ratio_vs_camviz_lossless": round(statistics.median(ratios), 3),
                "ratio_min": round(min(ratios), 3),
                "ratio_max": round(max(ratios), 3),
                "stages_ms_mean": {
                    k: round(float(np.mean([v for run in x.runs for v in run.stages_ms[k]])), 2)
                    for k in x.runs[0].stages_ms
                },
                "ms_per_frame_mean": round(1e3 * sum(r.wall_s for r in x.runs) / max(frames, 1), 2),
                "stages_ms_p50": {
                    k: round(_pct([v for run in x.runs for v in run.stages_ms.get(k, [])], 50), 2)
                    for k in x.runs[0].stages_ms
                },
            }
        )
        if any(run.submitted for run in x.runs):
            submitted = sum(run.submitted for run in x.runs)
            row["submitted"] = submitted
            row["dropped"] = submitted - frames
        agree = _agreement(x, camviz_top if x.section == INFER else by_key["camviz_seq_live"])
        if agree is not None and x.key != "decode_only":
            row["top1_agreement_with_camviz"] = round(agree, 4)
        rows.append(row)
    return rows


_OPENCV_PACKAGES = (
    "opencv-contrib-python",
    "opencv-python",
    "opencv-python-headless",
    "opencv-contrib-python-headless",
)


_OPENCV_PACKAGES = (
    "opencv-contrib-python",
    "opencv-python",
    "opencv-python-headless",
    "opencv-contrib-python-headless",
)


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break

    def ver(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "-"

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "mediapipe": ver("mediapipe"),
        "opencv": cv2.__version__,
        "opencv_package": next((p for p in _OPENCV_PACKAGES if ver(p) != "-"), "-"),
        "ai_edge_litert": ver("ai-edge-litert"),
        "numpy": np.__version__,
        "cv2_threads": cv2.getNumThreads(),
    }


def _fmt(row: dict[str, Any], markdown: bool) -> list[str]:
    if "error" in row:
        return [row["contender"], *(["—"] * 6), f"fails to load: {row['error']}"]
    extras = []
    if "dropped" in row:
        extras.append(f"{row['dropped']}/{row['submitted']} dropped")
    if "top1_agreement_with_camviz" in row:
        extras.append(f"top-1 = camviz on {row['top1_agreement_with_camviz'] * 100:.0f}%")
    if row["note"]:
        extras.append(row["note"])
    bold = "**" if markdown and row["key"] == "camviz_lossless" else ""
    return [
        f"{bold}{row['contender']}{bold}",
        f"{row['fps']:.1f} ({row['fps_min']:.1f}–{row['fps_max']:.1f})",
        f"{row['ms_per_frame_p50']:.1f} / {row['ms_per_frame_p95']:.1f}",
        f"{row['latency_ms_p50']:.1f} / {row['latency_ms_p95']:.1f}",
        f"{row['cpu_ms_per_frame']:.1f} ({row['cores_busy']:.2f})",
        f"{row['ratio_vs_camviz_lossless']:.2f} ({row['ratio_min']:.2f}–{row['ratio_max']:.2f})",
        ", ".join(
            f"{k} {v:.1f}" for k, v in row["stages_ms_p50"].items()
        ) if row["stages_ms_p50"] else "",
        "; ".join(extras),
    ]  # fmt: skip


HEAD = [
    "contender",
    "fps median (min–max)",
    "ms/frame p50 / p95",
    "latency ms p50 / p95",
    "CPU ms/frame (cores busy)",
    "x camviz lossless",
    "stages p50 ms",
    "notes",
]


def text_table(rows: list[dict[str, Any]]) -> str:
    out = []
    for section in (INFER, E2E):
        table = [HEAD] + [_fmt(r, False) for r in rows if r["section"] == section]
        widths = [max(len(t[i]) for t in table) for i in range(len(HEAD) - 1)]
        out.append(f"-- {section}")
        for t in table:
            out.append(
                "  ".join(c.ljust(w) for c, w in zip(t, widths, strict=False)) + "  " + t[-1]
            )
    return "\n".join(out)


def markdown(reports: list[tuple[ModelReport, list[dict[str, Any]]]], meta: dict[str, Any]) -> str:
    m = meta["machine"]
    lines = [
        f"Machine: {m['cpu']}, {m['cores']} cores (shared; 1-min load average "
        f"{meta['load_before']:.1f} before, {meta['load_after']:.1f} after), Python {m['python']}, "
        f"mediapipe {m['mediapipe']}, OpenCV {m['opencv']} ({m['opencv_package']}), "
        f"ai-edge-litert {m['ai_edge_litert']}, NumPy {m['numpy']}.",
        f"Video {meta['video']}, first {meta['frames']} frames ({meta['size']}), "
        f"{meta['threads']} threads for camviz and OpenCV, {meta['rounds']} interleaved rounds; "
        f"{meta['date']}.",
        "",
        "ms/frame = time between consecutive results; latency = per frame, from the call / "
        "capture / submission to its result (includes queueing). CPU ms/frame = process "
        "user+sys CPU per delivered frame; cores busy = CPU time / wall time. "
        "x camviz lossless = median over rounds of fps / the lossless pipeline's fps "
        "in the same round (range in brackets).",
    ]
    for report, rows in reports:
        lines += ["", f"### `{report.model}` ({report.dtype})", ""]
        for section in (INFER, E2E):
            lines += [f"**{section}**", ""]
            lines.append("| " + " | ".join(HEAD) + " |")
            lines.append("|" + "---|" * len(HEAD))
            for r in rows:
                if r["section"] == section:
                    cells = [c.replace("|", "\\|") for c in _fmt(r, True)]
                    lines.append("| " + " | ".join(cells) + " |")
            lines.append("")
        agree = _photo_agreement(report)
        lines.append(
            f"Top-1 on the {len(report.photo_tops)} photos of `assets/photos/skimage`: {agree}."
        )
        for note in report.notes:
            lines.append(f"{note}.")
    return "\n".join(lines)


def _photo_agreement(report: ModelReport) -> str:
    tops = report.photo_tops
    parts = []
    for key in ("mediapipe_crop", "mediapipe_full", "opencv_dnn"):
        values = [row[key] for row in tops.values()]
        if any(v == "n/a" for v in values):
            parts.append(f"{key} n/a")
            continue
        same = sum(row[key] == row["camviz"] for row in tops.values())
        parts.append(f"{key} = camviz on {same}/{len(tops)}")
    return ", ".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", help="zoo name (repeatable)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--video", type=Path, default=VIDEO)
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--markdown", action="store_true", help="print a README-ready table")
    parser.add_argument("--save-json", type=Path, help="also write the JSON to this file")
    args = parser.parse_args()
    models = args.model or ["efficientnet_lite0_int8"]

    cv2_dirs = [
        d
        for d in (Path(p) / "cv2" for p in sys.path if p)
        if (d / "__init__.py").is_file() or d.with_suffix(".so").is_file()
    ]
    opencv_dists = [
        d.metadata["Name"]
        for d in metadata.distributions()
        if d.metadata["Name"] and d.metadata["Name"].lower().startswith("opencv")
    ]
    if len(set(opencv_dists)) > 1:
        raise SystemExit(f"more than one OpenCV package installed: {opencv_dists}")
    cv2.setNumThreads(args.threads)

    def say(msg: str) -> None:
        print(f"[peers] {msg}", file=sys.stderr, flush=True)

    load_before = os.getloadavg()[0]
    frames = decode_frames(args.video, args.frames)
    reports = []
    for model in models:
        report = bench_model(model, args.threads, frames, args.video, args.rounds, say)
        reports.append((report, summarise(report)))
    meta = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": machine(),
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
        "video": str(
            args.video.relative_to(ROOT) if args.video.is_relative_to(ROOT) else args.video
        ),
        "size": f"{frames[0].shape[1]}x{frames[0].shape[0]}",
        "frames": args.frames,
        "threads": args.threads,
        "rounds": args.rounds,
        "cv2_dirs": [str(d) for d in cv2_dirs],
    }
    out = {
        **meta,
        "models": [
            {
                "model": rep.model,
                "dtype": rep.dtype,
                "rows": rows,
                "photo_top1": rep.photo_tops,
                "notes": rep.notes,
            }
            for rep, rows in reports
        ],
    }
    if args.save_json:
        args.save_json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(out, indent=2))
    elif args.markdown:
        print(markdown(reports, meta))
    else:
        print(f"{meta['machine']['cpu']}, {meta['machine']['cores']} cores, load {load_before:.1f}")
        for rep, rows in reports:
            print(f"\n== {rep.model} ({rep.dtype}), {args.threads} threads, {args.frames} frames")
            print(text_table(rows))
            print("photos top-1:", _photo_agreement(rep))
            for note in rep.notes:
                print(note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
