"""Run N frames (default 10,000) through the lossless pipeline and watch memory and queues.

    .venv/bin/python benchmarks/memory_soak.py --frames 10000 --csv soak.csv

Resident memory is sampled every 250 frames; growth is measured from the sample taken
after warm-up (the first 1,000 frames) to the end. Exits 1 if memory grows by 20 MB or
more, or if a queue ever passed its bound.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import psutil

from camviz.classifier import ClassifierOptions
from camviz.defaults import THREADS
from camviz.pipeline import (
    CLOCK,
    Backpressure,
    FrameResult,
    Pipeline,
    PipelineOptions,
    run_pipeline,
)
from camviz.sources import make_source


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=10_000)
    parser.add_argument("--source", default="demo")
    parser.add_argument("--model", default="")
    parser.add_argument("--threads", type=int, default=THREADS)
    parser.add_argument("--warmup", type=int, default=1000)
    parser.add_argument("--csv", type=Path, default=None)
    parser.add_argument("--limit-mb", type=float, default=20.0)
    args = parser.parse_args()

    process = psutil.Process()
    samples: list[tuple[int, float, float, int]] = []
    pipes: list[Pipeline] = []
    count = 0
    started = CLOCK()

    def on_result(item: FrameResult) -> None:
        nonlocal count
        count += 1
        if count % 250 == 0:
            snap = pipes[0].metrics.snapshot()
            rss = process.memory_info().rss / 2**20
            samples.append((count, CLOCK() - started, rss, snap.queue_peak))

    options = PipelineOptions(
        classifier=ClassifierOptions(model=args.model, threads=args.threads),
        backpressure=Backpressure.LOSSLESS,
    )
    run = run_pipeline(
        make_source(args.source, pace=False, loop=True),
        options,
        frames=args.frames,
        timeout=None,
        on_result=on_result,
        on_ready=pipes.append,
    )
    snap = run.snapshot
    after_warmup = [s for s in samples if s[0] >= args.warmup]
    growth = after_warmup[-1][2] - after_warmup[0][2] if len(after_warmup) >= 2 else float("nan")
    summary = {
        "frames": run.count,
        "seconds": round(CLOCK() - started, 1),
        "fps": round(run.fps, 1),
        "rss_start_mb": round(samples[0][2], 1) if samples else None,
        "rss_after_warmup_mb": round(after_warmup[0][2], 1) if after_warmup else None,
        "rss_end_mb": round(samples[-1][2], 1) if samples else None,
        "growth_after_warmup_mb": round(growth, 2),
        "queue_peak": snap.queue_peak,
        "queue_bound": options.queue_size,
        "dropped": run.dropped,
        "errors": run.errors,
    }
    if args.csv:
        with args.csv.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["frames", "seconds", "rss_mb", "queue_peak"])
            writer.writerows(samples)
    print(json.dumps(summary, indent=2))
    ok = growth < args.limit_mb and snap.queue_peak <= options.queue_size and not run.errors
    return 0 if ok and run.count >= args.frames else 1


if __name__ == "__main__":
    sys.exit(main())
