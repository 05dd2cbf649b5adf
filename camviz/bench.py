"""`camviz bench`: does a model meet a frame budget on this device?

For each model and thread count it measures, in one run on the same frames:

* the raw interpreter: load time, first invoke, invoke p50/p95/p99 after warm-up;
* the pipeline in real time (source paced at its own fps, latest-frame-wins, as a
  camera runs): delivered fps, per-stage and end-to-end percentiles, the pipeline's
  own overhead (end-to-end minus preprocess and invoke), drops, over-budget fraction;
* the pipeline in lossless mode as fast as possible, against a sequential
  single-thread loop (decode, preprocess, invoke) over the same frames: the speed-up
  that overlapping capture with inference buys.

The exit code is 1 when any configuration's real-time p95 end-to-end latency is
over the budget, so the command can gate CI on a device.
"""

from __future__ import annotations

import itertools
import math
import resource
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from camviz.backends import Delegate
from camviz.classifier import Classifier, ClassifierOptions
from camviz.defaults import BENCH_FRAMES, BUDGET_MS, THREADS
from camviz.errors import ExtraNotInstalledError, OptionsError
from camviz.fileio import write_atomic
from camviz.loading import check_model_file, needs_check, open_classifier
from camviz.metrics import BudgetLight, LatencyStats, Percentiles, budget_light
from camviz.pipeline import Backpressure, PipelineOptions, RunRecord, run_pipeline
from camviz.sources import Source, make_source

__all__ = [
    "BenchOptions",
    "BenchResult",
    "run_bench",
    "peak_rss_mb",
    "time_calls",
    "time_invokes",
    "overhead_ms",
    "e2e_series",
]

T = TypeVar("T")
R = TypeVar("R")


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


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

    def __post_init__(self) -> None:
        if self.frames < 10:
            raise OptionsError(f"--frames must be at least 10, got {self.frames}")
        if not (math.isfinite(self.budget_ms) and self.budget_ms > 0):
            raise OptionsError(
                f"--budget-ms must be a finite positive number, got {self.budget_ms}"
            )
        for t in self.threads:
            ClassifierOptions(threads=t)  # validates


def overhead_ms(run: RunRecord) -> Percentiles:
    """The pipeline's own cost per frame: end-to-end minus preprocess and invoke."""
    stats = LatencyStats(max(1, run.count))
    for s in run.stamps:
        stats.add(s.e2e_ms - (s.inferred - s.dequeued) * 1000.0)
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
    delegate: str = "xnnpack"
    runtime: str = ""

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
            },
            "lossless": {
                "frames": self.lossless.count,
                "fps": round(self.lossless.fps, 2),
                "e2e_ms": _p(ll.e2e_ms),
                "stages_ms": {k: _p(v) for k, v in ll.stages_ms.items()},
                "dropped": ll.dropped,
                "queue_peak": ll.queue_peak,
            },
            "sequential_fps": round(self.sequential_fps, 2),
            "speedup_vs_sequential": round(self.lossless.fps / self.sequential_fps, 3)
            if self.sequential_fps
            else None,
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "over_budget": self.over_budget,
            "errors": self.realtime.errors + self.lossless.errors,
        }


def _p(p: Percentiles) -> dict[str, float]:
    return {"p50": round(p.p50, 3), "p95": round(p.p95, 3), "p99": round(p.p99, 3)}


def _open(spec: str, *, pace: bool) -> Source:
    source = make_source(spec, pace=pace, loop=True)
    source.open()
    return source


def time_calls(call: Callable[[T], R], items: Iterable[T]) -> tuple[list[float], list[R]]:
    """Milliseconds of ``call(item)`` for each of ``items``, and what each call returned.

    The one per-call timing loop of camviz's benchmarks (``time.perf_counter``).
    """
    times: list[float] = []
    returned: list[R] = []
    for item in items:
        start = time.perf_counter()
        returned.append(call(item))
        times.append((time.perf_counter() - start) * 1000.0)
    return times, returned


def time_invokes(clf: Classifier, frame: np.ndarray, runs: int, warmup: int) -> list[float]:
    """Milliseconds of each of ``runs`` interpreter invokes on ``frame``, after ``warmup``."""
    tensor = clf.preprocess(frame)
    for _ in range(warmup):
        clf.invoke_raw(tensor)
    return time_calls(clf.invoke_raw, itertools.repeat(tensor, runs))[0]


def _interpreter_stats(
    clf: Classifier, frame: np.ndarray, invokes: int, warmup: int
) -> Percentiles:
    stats = LatencyStats(invokes)
    for ms in time_invokes(clf, frame, invokes, warmup):
        stats.add(ms)
    return stats.percentiles()


def _run_pipeline(
    spec: str, options: ClassifierOptions, frames: int, budget_ms: float, *, realtime: bool
) -> RunRecord:
    """Run ``frames`` frames of the looped source through a pipeline."""
    policy = Backpressure.LATEST if realtime else Backpressure.LOSSLESS
    return run_pipeline(
        _open(spec, pace=realtime),
        # the model was test-loaded once already, by run_bench
        PipelineOptions(
            classifier=options, backpressure=policy, budget_ms=budget_ms, check_models=False
        ),
        frames=frames,
        timeout=frames / 5.0 + 60.0,
    )


def _sequential_fps(spec: str, options: ClassifierOptions, frames: int) -> float:
    """Decode, preprocess and invoke the same frames one after another on one thread."""
    source = _open(spec, pace=False)
    try:
        with open_classifier(options) as clf:
            start = time.monotonic()
            done = 0
            while done < frames:
                frame = source.read()
                if frame is None:
                    break
                clf.classify(frame.image)
                done += 1
            elapsed = time.monotonic() - start
    finally:
        source.close()
    return done / elapsed if elapsed > 0 else 0.0


def bench_one(
    opts: BenchOptions, model: str, threads: int, progress: Callable[[str], None]
) -> BenchResult:
    options = ClassifierOptions(model=model, threads=threads, delegate=opts.delegate)
    probe_source = _open(opts.source, pace=False)
    try:
        first = probe_source.read()
    finally:
        probe_source.close()
    assert first is not None
    with open_classifier(options) as clf:
        name = clf.info.name
        progress(f"{name}, {threads} threads: interpreter")
        invoke = _interpreter_stats(clf, first.image, opts.invokes, opts.warmup)
        load_ms, first_ms = clf.info.load_ms, clf.info.first_invoke_ms
        runtime = clf.info.runtime
    progress(f"{name}, {threads} threads: sequential loop")
    sequential = _sequential_fps(opts.source, options, opts.frames)
    progress(f"{name}, {threads} threads: lossless pipeline")
    lossless = _run_pipeline(opts.source, options, opts.frames, opts.budget_ms, realtime=False)
    progress(f"{name}, {threads} threads: real-time pipeline")
    realtime = _run_pipeline(opts.source, options, opts.frames, opts.budget_ms, realtime=True)
    return BenchResult(
        model=name,
        threads=threads,
        delegate=str(opts.delegate),
        runtime=runtime,
        source=opts.source,
        load_ms=load_ms,
        first_invoke_ms=first_ms,
        invoke=invoke,
        realtime=realtime,
        lossless=lossless,
        sequential_fps=sequential,
        peak_rss_mb=peak_rss_mb(),
        budget_ms=opts.budget_ms,
    )


def run_bench(
    opts: BenchOptions, progress: Callable[[str], None] | None = None
) -> list[BenchResult]:
    say = progress or (lambda _msg: None)
    for model in dict.fromkeys(opts.models):
        if needs_check(model):  # a user's file: test-load it in a child first, as classify does
            say(f"{model}: test load in a child process")
            check_model_file(model)
    return [
        bench_one(opts, model, threads, say) for model in opts.models for threads in opts.threads
    ]


def format_table(results: list[BenchResult]) -> str:
    head = [
        "model",
        "thr",
        "invoke p50/p95",
        "e2e p50/p95/p99",
        "overhead p95",
        "fps rt",
        "drops",
        "over",
        "lossless fps",
        "seq fps",
        "x",
    ]
    rows = [head]
    for r in results:
        d = r.to_dict()
        pipe = d["pipeline"]
        rows.append(
            [
                r.model,
                str(r.threads),
                f"{d['invoke_ms']['p50']:.2f}/{d['invoke_ms']['p95']:.2f}",
                "/".join(f"{pipe['e2e_ms'][k]:.1f}" for k in ("p50", "p95", "p99")),
                f"{pipe['overhead_ms']['p95']:.2f}",
                f"{pipe['fps']:.1f}",
                str(pipe["dropped"]),
                f"{pipe['over_budget_frac'] * 100:.1f}%",
                f"{d['lossless']['fps']:.1f}",
                f"{d['sequential_fps']:.1f}",
                f"{d['speedup_vs_sequential'] or 0:.2f}",
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def plot(results: list[BenchResult], path: Path) -> None:
    """Latency histogram and timeline (real-time run) with the budget line."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ExtraNotInstalledError("Plotting benchmark results", "plot", "matplotlib") from exc
    fig, (hist, line) = plt.subplots(1, 2, figsize=(12, 4.5))
    for r in results:
        series = e2e_series(r.realtime)
        if not series:
            continue
        t0 = series[0][0]
        values = [ms for _, ms in series]
        label = f"{r.model} ({r.threads} thr)"
        hist.hist(values, bins=40, alpha=0.55, label=label)
        line.plot([t - t0 for t, _ in series], values, lw=0.8, label=label)
    budget = results[0].budget_ms
    for axis in (hist, line):
        (axis.axvline if axis is hist else axis.axhline)(
            budget, color="red", ls="--", label=f"budget {budget:g} ms"
        )
    hist.set_xlabel("end-to-end latency (ms)")
    hist.set_ylabel("frames")
    hist.set_title("Latency distribution (real-time run)")
    line.set_xlabel("time (s)")
    line.set_ylabel("end-to-end latency (ms)")
    line.set_title("Latency over time")
    line.legend(fontsize=8)
    fig.tight_layout()
    try:
        write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=110))
    finally:
        plt.close(fig)


def machine_description() -> dict[str, Any]:
    import os
    import platform

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from camviz.backends import runtime_status

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "runtimes": runtime_status(),
        "platform": platform.platform(),
        "argv": sys.argv[1:],
    }


def results_json(results: list[BenchResult]) -> Any:
    """The results as JSON-ready data (print it with ``allow_nan=False``: see
    :func:`camviz.cli.output.print_json`, which writes non-finite numbers as null)."""
    records = [r.to_dict() for r in results]
    return records[0] if len(records) == 1 else records
