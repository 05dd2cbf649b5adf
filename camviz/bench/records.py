"""What bench measures and keeps: options, one configuration's result and its thread plan
(:class:`camviz.pipeline.threads.ThreadPlan`, the one plan the app and the CLI use too).

Statistics only (percentiles, stamps without pixels): nothing here grows with the
frame size.
"""

from __future__ import annotations

import math
import resource
from dataclasses import dataclass, field
from typing import Any

from camviz.backends import Accelerator, Delegate
from camviz.classifier import ClassifierOptions
from camviz.defaults import BACKEND, BENCH_FRAMES, BUDGET_MS, DELEGATE, THREADS
from camviz.errors import OptionsError
from camviz.metrics import BudgetLight, LatencyStats, Percentiles, budget_light
from camviz.pipeline import RunRecord
from camviz.pipeline.threads import ThreadPlan

__all__ = [
    "MIN_FRAMES",
    "BenchOptions",
    "BenchResult",
    "SequentialRun",
    "ThreadPlan",
    "e2e_series",
    "outside_invoke_ms",
    "overhead_ms",
    "peak_rss_mb",
]


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


@dataclass(frozen=True, slots=True)
class SequentialRun:
    """The sequential loop: decode (unpaced ``source.read``), then classify, on one thread."""

    fps: float
    stages_ms: dict[str, Percentiles]  # decode, preprocess, invoke, postprocess

    @property
    def outside_invoke_ms(self) -> float:
        """p50 of decode + preprocess + postprocess (the loop's work outside the invoke)."""
        return sum(self.stages_ms[k].p50 for k in ("decode", "preprocess", "postprocess"))


#: The fewest frames a pipeline run may time (``--frames``; fewer give no p95 worth the name).
MIN_FRAMES = 10


@dataclass(frozen=True, slots=True)
class BenchOptions:
    models: tuple[str, ...] = ("",)
    threads: tuple[int, ...] = (THREADS,)
    source: str = "demo"
    frames: int = BENCH_FRAMES
    budget_ms: float = BUDGET_MS
    invokes: int = 200
    warmup: int = 10
    delegate: Delegate = field(default_factory=Delegate)
    #: the runtime (``--backend``: ``auto`` or a registry name) and device (``--accelerator``)
    backend: str = BACKEND
    accelerator: Accelerator = Accelerator.CPU

    def __post_init__(self) -> None:
        checked = self.classifier_options("", THREADS)  # the backend's name checked, canonical
        object.__setattr__(self, "backend", checked.backend)
        object.__setattr__(self, "accelerator", checked.accelerator)
        if self.frames < MIN_FRAMES:  # the API's check; the command line's type is the same
            raise OptionsError(f"--frames must be at least {MIN_FRAMES}, got {self.frames}")
        if not (math.isfinite(self.budget_ms) and self.budget_ms > 0):
            raise OptionsError(
                f"--budget-ms must be a finite positive number, got {self.budget_ms}"
            )
        for t in self.threads:
            ClassifierOptions(threads=t)  # validates

    def classifier_options(self, model: str, threads: int) -> ClassifierOptions:
        """How every run of ``model`` at ``threads`` opens it: this delegate, runtime, device."""
        return ClassifierOptions(
            model=model,
            threads=threads,
            delegate=self.delegate,
            backend=self.backend,
            accelerator=self.accelerator,
        )


def overhead_ms(run: RunRecord) -> Percentiles:
    """The pipeline's own cost per frame: end-to-end minus preprocess and invoke."""
    stats = LatencyStats(max(1, run.count))
    for s in run.stamps:
        stats.add(s.e2e_ms - (s.inferred - s.dequeued) * 1000.0)
    return stats.percentiles()


def outside_invoke_ms(run: RunRecord) -> Percentiles:
    """Per frame, end-to-end minus the invoke: decode wait, queue, preprocess, postprocess
    and delivery (the lossless run's includes the time a frame waits in its full queue)."""
    stats = LatencyStats(max(1, run.count))
    for s in run.stamps:
        stats.add(s.e2e_ms - (s.inferred - s.preprocessed) * 1000.0)
    return stats.percentiles()


def e2e_series(run: RunRecord) -> list[tuple[float, float]]:
    """(delivered stamp, end-to-end ms) of every frame of a run, in order."""
    return [(s.delivered, s.e2e_ms) for s in run.stamps]


@dataclass(slots=True)
class BenchResult:
    model: str
    threads: int
    source: str
    load_ms: float
    first_invoke_ms: float
    invoke: Percentiles
    realtime: RunRecord
    lossless: RunRecord
    sequential_fps: float
    peak_rss_mb: float
    budget_ms: float
    delegate: str | None = DELEGATE  # None: the runtime takes no delegate (it names a device)
    runtime: str = ""
    device: str = "CPU"  # where the model ran, as its runtime names it (ModelInfo.device)
    sequential: SequentialRun | None = None
    plan: ThreadPlan | None = None
    op_profile: list[dict[str, Any]] = field(default_factory=list)
    #: the source's entries that could not be read, skipped by every run: ``path: reason``
    skipped: list[str] = field(default_factory=list)

    @property
    def light(self) -> BudgetLight:
        """The budget light of the real-time run's end-to-end latency."""
        e2e = self.realtime.snapshot.e2e_ms
        return budget_light(e2e.p50, e2e.p95, self.budget_ms, e2e.count)

    @property
    def over_budget(self) -> bool:
        return self.light.over_budget

    def to_dict(self) -> dict[str, Any]:
        rt = self.realtime.snapshot
        ll = self.lossless.snapshot
        return {
            "model": self.model,
            "threads": self.threads,
            "runtime": self.runtime,
            "device": self.device,
            "delegate": self.delegate,
            "source": self.source,
            "budget_ms": self.budget_ms,
            "load_ms": round(self.load_ms, 3),
            "first_invoke_ms": round(self.first_invoke_ms, 3),
            "invoke_ms": _p(self.invoke),
            "pipeline": {
                "mode": "realtime (paced, latest frame wins)",
                "frames": self.realtime.count,
                "fps": round(self.realtime.fps, 2),
                "e2e_ms": _p(rt.e2e_ms),
                "overhead_ms": _p(overhead_ms(self.realtime)),
                "stages_ms": {k: _p(v) for k, v in rt.stages_ms.items()},
                "captured": rt.captured,
                "dropped": rt.dropped,
                "over_budget_frac": round(rt.over_budget_frac, 4),
                "queue_peak": rt.queue_peak,
                "outside_invoke_ms": _p(outside_invoke_ms(self.realtime)),
                **rt.meter_dict(),  # the meter's own metrics (CPU share), as the window shows them
            },
            "lossless": {
                "frames": self.lossless.count,
                "fps": round(self.lossless.fps, 2),
                "e2e_ms": _p(ll.e2e_ms),
                "stages_ms": {k: _p(v) for k, v in ll.stages_ms.items()},
                "dropped": ll.dropped,
                "queue_peak": ll.queue_peak,
                "outside_invoke_ms": _p(outside_invoke_ms(self.lossless)),
                **ll.meter_dict(),
            },
            "sequential_fps": round(self.sequential_fps, 2),
            "sequential": {
                "fps": round(self.sequential_fps, 2),
                "stages_ms": {k: _p(v) for k, v in self.sequential.stages_ms.items()},
            }
            if self.sequential is not None
            else None,
            "threads_plan": self.plan.to_dict() if self.plan is not None else None,
            "speedup_vs_sequential": round(self.lossless.fps / self.sequential_fps, 3)
            if self.sequential_fps
            else None,
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "over_budget": self.over_budget,
            "errors": self.skipped + self.realtime.errors + self.lossless.errors,
            **({"op_profile": self.op_profile} if self.op_profile else {}),
        }


def _p(p: Percentiles) -> dict[str, float]:
    return {"p50": round(p.p50, 3), "p95": round(p.p95, 3), "p99": round(p.p99, 3)}
