"""How bench runs: the interpreter alone, the sequential loop, the pipeline in both modes."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

import numpy as np

from camviz.backends import delegate_runs
from camviz.bench.records import (
    BenchOptions,
    BenchResult,
    SequentialRun,
    ThreadPlan,
    peak_rss_mb,
)
from camviz.classifier import Classifier, ClassifierOptions
from camviz.loading import open_classifier
from camviz.metrics import LatencyStats, Percentiles
from camviz.pipeline import Backpressure, PipelineOptions, RunRecord, run_pipeline
from camviz.pipeline.threads import Workload
from camviz.sources import Source, make_source

__all__ = ["bench_one", "sequential_run", "skipped_entries", "time_calls", "time_invokes"]

T = TypeVar("T")
R = TypeVar("R")


#: What the sources of one configuration skipped: ``path: reason``, in the order met.
Skipped = dict[str, None]


def _open(spec: str, *, pace: bool, skipped: Skipped | None = None) -> Source:
    source = make_source(spec, pace=pace, loop=True)
    try:
        source.open()
    finally:
        if skipped is not None:
            skipped.update(dict.fromkeys(skipped_entries(source)))
    return source


def skipped_entries(source: Source) -> list[str]:
    """The entries of a folder, glob, list or image sequence ``source`` skipped so far
    because they could not be read (:attr:`camviz.sources.ImageSource.skipped`,
    :attr:`camviz.sources.playlist.PlaylistSource.skipped`), as ``path: reason``."""
    found: list[tuple[Path, str]] = list(getattr(source, "skipped", ()))
    return [reason if str(path) in reason else f"{path}: {reason}" for path, reason in found]


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
    spec: str,
    options: ClassifierOptions,
    frames: int,
    budget_ms: float,
    *,
    realtime: bool,
    skipped: Skipped | None = None,
) -> RunRecord:
    """Run ``frames`` frames of the looped source through a pipeline (what its source
    skipped added to ``skipped``)."""
    policy = Backpressure.LATEST if realtime else Backpressure.LOSSLESS
    source = _open(spec, pace=realtime, skipped=skipped)
    try:
        return run_pipeline(
            source,
            # the model was test-loaded once already, by run_bench
            PipelineOptions(
                classifier=options, backpressure=policy, budget_ms=budget_ms, check_models=False
            ),
            frames=frames,
            timeout=frames / 5.0 + 60.0,
        )
    finally:
        if skipped is not None:
            skipped.update(dict.fromkeys(skipped_entries(source)))


def sequential_run(
    spec: str, options: ClassifierOptions, frames: int, skipped: Skipped | None = None
) -> SequentialRun:
    """Decode, preprocess and invoke the same frames one after another on one thread,
    each read timed (the decode stage) and each classification's stages kept (what the
    source skipped added to ``skipped``)."""
    source = _open(spec, pace=False, skipped=skipped)
    stages = {name: LatencyStats(frames) for name in ("decode", *_CLASSIFY_STAGES)}
    try:
        with open_classifier(options) as clf:
            start = time.monotonic()
            done = 0
            while done < frames:
                read0 = time.perf_counter()
                frame = source.read()
                if frame is None:
                    break
                stages["decode"].add((time.perf_counter() - read0) * 1000.0)
                times = clf.classify(frame.pixels, color=frame.color).times
                stages["preprocess"].add(times.preprocess_ms)
                stages["invoke"].add(times.invoke_ms)
                stages["postprocess"].add(times.postprocess_ms)
                done += 1
            elapsed = time.monotonic() - start
    finally:
        source.close()
        if skipped is not None:
            skipped.update(dict.fromkeys(skipped_entries(source)))
    fps = done / elapsed if elapsed > 0 else 0.0
    return SequentialRun(fps, {k: v.percentiles() for k, v in stages.items()})


_CLASSIFY_STAGES = ("preprocess", "invoke", "postprocess")


def bench_one(
    opts: BenchOptions, model: str, threads: int, progress: Callable[[str], None]
) -> BenchResult:
    options = opts.classifier_options(model, threads)
    plan = ThreadPlan.for_threads(threads, workload=Workload.LOSSLESS)
    plan.apply()
    skipped: Skipped = {}  # what every run's source skipped, reported with the result
    probe_source = _open(opts.source, pace=False, skipped=skipped)
    try:
        first = probe_source.read()
    finally:
        probe_source.close()
        skipped.update(dict.fromkeys(skipped_entries(probe_source)))
    assert first is not None
    with open_classifier(options) as clf:
        name = clf.info.name
        progress(f"{name}, {threads} threads: interpreter")
        invoke = _interpreter_stats(clf, first.image, opts.invokes, opts.warmup)
        load_ms, first_ms = clf.info.load_ms, clf.info.first_invoke_ms
        runtime, device = clf.info.runtime, clf.info.device
    progress(f"{name}, {threads} threads: sequential loop")
    sequential = sequential_run(opts.source, options, opts.frames, skipped)
    progress(f"{name}, {threads} threads: lossless pipeline")
    lossless = _run_pipeline(
        opts.source, options, opts.frames, opts.budget_ms, realtime=False, skipped=skipped
    )
    progress(f"{name}, {threads} threads: real-time pipeline")
    realtime = _run_pipeline(
        opts.source, options, opts.frames, opts.budget_ms, realtime=True, skipped=skipped
    )
    return BenchResult(
        model=name,
        threads=threads,
        delegate=str(opts.delegate) if delegate_runs(runtime, device) else None,
        runtime=runtime,
        device=device,
        source=opts.source,
        load_ms=load_ms,
        first_invoke_ms=first_ms,
        invoke=invoke,
        realtime=realtime,
        lossless=lossless,
        sequential_fps=sequential.fps,
        peak_rss_mb=peak_rss_mb(),
        budget_ms=opts.budget_ms,
        sequential=sequential,
        plan=plan,
        skipped=list(skipped),
    )
