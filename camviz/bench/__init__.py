"""`camviz bench`: does a model meet a frame budget on this device?

For each model and thread count it measures, in one run on the same frames:

* the raw interpreter: load time, first invoke, invoke p50/p95/p99 after warm-up;
* the pipeline in real time (source paced at its own fps, latest-frame-wins, as a
  camera runs): delivered fps, per-stage and end-to-end percentiles, the pipeline's
  own overhead (end-to-end minus preprocess and invoke), drops, over-budget fraction;
* the pipeline in lossless mode as fast as possible, against a sequential
  single-thread loop (decode, preprocess, invoke) over the same frames: the speed-up
  that overlapping capture with inference buys.

Every millisecond outside the invoke stays in sight: :func:`format_stages` gives,
per configuration and run, decode (the sequential loop's unpaced reads), queue,
preprocess, invoke, postprocess, delivery and their sum outside the invoke, at p50
and p95. :class:`ThreadPlan` is the one plan of the threads (the interpreter's,
OpenCV's pool, the capture thread) on the cores there are; ``--op-profile`` times
each operator (:mod:`camviz.bench_ops`), ``--csv`` writes the results as CSV.

The exit code is 1 when any configuration's real-time p95 end-to-end latency is
over the budget, so the command can gate CI on a device.
"""

from __future__ import annotations

from collections.abc import Callable

from camviz.bench.records import (
    BenchOptions,
    BenchResult,
    SequentialRun,
    ThreadPlan,
    e2e_series,
    outside_invoke_ms,
    overhead_ms,
    peak_rss_mb,
)
from camviz.bench.report import (
    STAGE_COLUMNS,
    format_stages,
    format_table,
    machine_description,
    pick_threads,
    plot,
    results_csv,
    results_json,
    stage_rows,
)
from camviz.bench.runs import bench_one, time_calls, time_invokes
from camviz.loading import check_model_file, needs_check

__all__ = [
    "STAGE_COLUMNS",
    "BenchOptions",
    "BenchResult",
    "SequentialRun",
    "ThreadPlan",
    "bench_one",
    "e2e_series",
    "format_stages",
    "format_table",
    "machine_description",
    "outside_invoke_ms",
    "overhead_ms",
    "peak_rss_mb",
    "pick_threads",
    "plot",
    "results_csv",
    "results_json",
    "run_bench",
    "stage_rows",
    "time_calls",
    "time_invokes",
]


def run_bench(
    opts: BenchOptions, progress: Callable[[str], None] | None = None
) -> list[BenchResult]:
    say = progress or (lambda _msg: None)
    for model in dict.fromkeys(opts.models):
        if needs_check(model):  # a user's file: test-load it in a child first, as classify does
            say(f"{model}: test load in a child process")
            check_model_file(model, backend=opts.backend)
    return [
        bench_one(opts, model, threads, say) for model in opts.models for threads in opts.threads
    ]
