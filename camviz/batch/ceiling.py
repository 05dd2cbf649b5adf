"""The device's ceiling for a model and source: the highest fps any pipeline could reach here.

Two measurements on the bench's own frames, each alone on an idle process:

* ``decode_ms``: reading (decoding and converting) one frame of the source on one
  thread, the capture stage; a video is decoded in order, so one thread is all any
  pipeline can give it;
* ``infer_ms`` / ``infer_core_ms``: one classification (preprocess, invoke,
  postprocess) in wall time and in CPU time over all the interpreter's threads.

No pipeline beats its slowest stage, ``1000 / max(decode_ms, infer_ms)``, nor the
machine's cores, ``cores * 1000 / (decode_ms + infer_core_ms)`` (every frame needs
that much CPU). The ceiling is the lower of the two (an upper bound: the times are
the quietest stretch of frames measured); ``share`` is the fps the
lossless pipeline measured divided by it.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

from camviz.classifier import ClassifierOptions
from camviz.loading import open_classifier
from camviz.sources import make_source

__all__ = ["Ceiling", "measure_ceiling"]


@dataclass(frozen=True, slots=True)
class Ceiling:
    decode_ms: float  # per frame, one thread
    infer_ms: float  # wall, per frame
    infer_core_ms: float  # CPU over all threads, per frame
    cores: int
    frames: int

    @property
    def stage_bound_fps(self) -> float:
        slowest = max(self.decode_ms, self.infer_ms)
        return 1000.0 / slowest if slowest > 0 else 0.0

    @property
    def cpu_bound_fps(self) -> float:
        cost = self.decode_ms + self.infer_core_ms
        return self.cores * 1000.0 / cost if cost > 0 else 0.0

    @property
    def fps(self) -> float:
        return min(self.stage_bound_fps, self.cpu_bound_fps)

    @property
    def limit(self) -> str:
        """What bounds the ceiling: 'decode', 'inference' or 'cpu'."""
        if self.cpu_bound_fps < self.stage_bound_fps:
            return "cpu"
        return "decode" if self.decode_ms >= self.infer_ms else "inference"

    def share(self, fps: float) -> float:
        return fps / self.fps if self.fps > 0 else 0.0

    def to_dict(self, fps: float | None = None) -> dict[str, Any]:
        record: dict[str, Any] = {
            "fps": round(self.fps, 2),
            "limit": self.limit,
            "decode_ms": round(self.decode_ms, 3),
            "infer_ms": round(self.infer_ms, 3),
            "infer_core_ms": round(self.infer_core_ms, 3),
            "cores": self.cores,
            "frames": self.frames,
        }
        if fps is not None:
            record["lossless_share"] = round(self.share(fps), 3)
        return record


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else 0.0


def _quiet(values: list[float], chunk: int = 10) -> float:
    """The lowest median of ``chunk`` consecutive frames: the device when nothing else ran
    (on a shared machine other processes slow whole stretches of frames, not the device)."""
    chunks = [values[i : i + chunk] for i in range(0, len(values), chunk)]
    return min((_median(c) for c in chunks if len(c) == chunk), default=_median(values))


def measure_ceiling(
    spec: str, options: ClassifierOptions, frames: int = 100, warmup: int = 10
) -> Ceiling:
    """Measure decode and inference per frame of ``spec`` (looped) with ``options``.

    Each time is the lowest median of 10 consecutive frames (:func:`_quiet`).
    """
    source = make_source(spec, pace=False, loop=True)
    source.open()
    images = []
    decode: list[float] = []
    try:
        for _ in range(warmup):
            source.read()
        for _ in range(frames):
            start = time.perf_counter()
            frame = source.read()
            if frame is None:
                break
            decode.append((time.perf_counter() - start) * 1000.0)
            images.append(frame.image)
    finally:
        source.close()
    if not images:
        return Ceiling(0.0, 0.0, 0.0, os.cpu_count() or 1, 0)
    wall: list[float] = []
    core: list[float] = []
    with open_classifier(options) as clf:
        for image in images[:warmup]:
            clf.classify(image)
        for image in images:
            wall0, cpu0 = time.perf_counter(), time.process_time()
            clf.classify(image)
            wall.append((time.perf_counter() - wall0) * 1000.0)
            core.append((time.process_time() - cpu0) * 1000.0)
    return Ceiling(_quiet(decode), _quiet(wall), _quiet(core), os.cpu_count() or 1, len(images))
