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
lossless pipeline measured divided by it. :func:`paired_share` measures the two back to
back, round after round, so that the share compares the same machine (what bench reports).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

from camviz.classifier import ClassifierOptions
from camviz.loading import open_classifier
from camviz.sources import make_source

__all__ = ["Ceiling", "PairedShare", "measure_ceiling", "paired_share"]


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

    Each frame is decoded (timed), then classified (timed), then let go: memory stays
    that of one frame whatever the frame size or ``frames`` (a 4K clip kept whole was
    2 GB). Each time is the lowest median of 10 consecutive frames (:func:`_quiet`).
    """
    decode: list[float] = []
    wall: list[float] = []
    core: list[float] = []
    source = make_source(spec, pace=False, loop=True)
    source.open()
    try:
        with open_classifier(options) as clf:
            for _ in range(warmup):
                frame = source.read()
                if frame is None:
                    break
                clf.classify(frame.pixels, color=frame.color)
            for _ in range(frames):
                start = time.perf_counter()
                frame = source.read()
                if frame is None:
                    break
                decode.append((time.perf_counter() - start) * 1000.0)
                wall0, cpu0 = time.perf_counter(), time.process_time()
                clf.classify(frame.pixels, color=frame.color)
                wall.append((time.perf_counter() - wall0) * 1000.0)
                core.append((time.process_time() - cpu0) * 1000.0)
                del frame
    finally:
        source.close()
    if not decode:
        return Ceiling(0.0, 0.0, 0.0, os.cpu_count() or 1, 0)
    return Ceiling(_quiet(decode), _quiet(wall), _quiet(core), os.cpu_count() or 1, len(decode))


@dataclass(frozen=True, slots=True)
class PairedShare:
    """The ceiling and the lossless pipeline's fps, measured back to back, round after round.

    A shared machine's speed drifts within a minute (other tenants, clock changes): a
    ceiling measured once and a pipeline run measured later compare two different
    machines. Each round here measures both within a second, and :attr:`share` is the
    median of the rounds' ratios, so drift between rounds cancels out.
    """

    rounds: tuple[tuple[Ceiling, float], ...]  # (ceiling, lossless fps) of each round

    @property
    def share(self) -> float:
        return _median([c.share(fps) for c, fps in self.rounds])

    @property
    def ceiling(self) -> Ceiling:
        """The round whose ceiling is the median one."""
        ordered = sorted(self.rounds, key=lambda r: r[0].fps)
        return ordered[len(ordered) // 2][0]

    @property
    def lossless_fps(self) -> float:
        return _median([fps for _, fps in self.rounds])

    def to_dict(self) -> dict[str, Any]:
        record = self.ceiling.to_dict()
        record["lossless_share"] = round(self.share, 3)
        record["rounds"] = [
            {
                "ceiling_fps": round(c.fps, 2),
                "lossless_fps": round(fps, 2),
                "share": round(c.share(fps), 3),
            }
            for c, fps in self.rounds
        ]
        return record


def paired_share(
    spec: str,
    options: ClassifierOptions,
    *,
    rounds: int = 5,
    ceiling_frames: int = 40,
    pipeline_frames: int = 120,
) -> PairedShare:
    """Alternate :func:`measure_ceiling` and a lossless run of ``spec``, ``rounds`` times."""
    from camviz.pipeline import Backpressure, PipelineOptions, run_pipeline

    pairs = []
    for _ in range(rounds):
        ceiling = measure_ceiling(spec, options, ceiling_frames, warmup=5)
        run = run_pipeline(
            make_source(spec, pace=False, loop=True),
            PipelineOptions(
                classifier=options, backpressure=Backpressure.LOSSLESS, check_models=False
            ),
            frames=pipeline_frames,
            timeout=pipeline_frames / 5.0 + 60.0,
        )
        pairs.append((ceiling, run.fps))
    return PairedShare(tuple(pairs))
