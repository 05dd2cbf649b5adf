"""Threads planned as a whole: the lossless pipeline, the sequential loop and the ceiling per plan.

    .venv/bin/python benchmarks/threads_check.py [--source assets/video/vtest.avi] [--rounds 3]

For each plan (interpreter threads x OpenCV's pool: off, or one thread per core), in
interleaved rounds (the order rotates every round, so a shared machine's load hits
every plan alike): the device's ceiling and the lossless pipeline back to back
(:func:`camviz.batch.ceiling.paired_share`, one round each time), and the sequential
loop's stages (:mod:`camviz.bench`). Reports per plan the median lossless fps, its
share of the ceiling, the sequential fps and the preprocess p50 of the sequential
loop; the plan ``camviz bench`` uses is marked.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

import cv2
from harness import machine, markdown_table

from camviz.batch.ceiling import paired_share
from camviz.bench import ThreadPlan
from camviz.bench.runs import sequential_run
from camviz.classifier import ClassifierOptions

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class PlanRuns:
    interpreter: int
    opencv: int
    shares: list[float] = field(default_factory=list)
    lossless: list[float] = field(default_factory=list)
    ceiling: list[float] = field(default_factory=list)
    sequential: list[float] = field(default_factory=list)
    preprocess: list[float] = field(default_factory=list)

    @property
    def name(self) -> str:
        pool = "off" if self.opencv == 0 else f"{self.opencv} threads"
        return f"{self.interpreter} interpreter thread(s), OpenCV pool {pool}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=str(ROOT / "assets/video/vtest.avi"))
    parser.add_argument("--model", default="")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--frames", type=int, default=200, help="lossless frames per round")
    args = parser.parse_args(argv)
    cores = os.cpu_count() or 1
    plans = [PlanRuns(t, pool) for t in range(1, cores + 1) for pool in (0, cores)]
    default = {(t, ThreadPlan.for_threads(t).opencv) for t in range(1, cores + 1)}
    for r in range(args.rounds):
        order = plans[r % len(plans) :] + plans[: r % len(plans)]
        for plan in order:
            print(f"[threads] round {r + 1}/{args.rounds}: {plan.name}", file=sys.stderr)
            cv2.setNumThreads(plan.opencv)
            options = ClassifierOptions(model=args.model, threads=plan.interpreter)
            paired = paired_share(
                args.source, options, rounds=1, ceiling_frames=40, pipeline_frames=args.frames
            )
            plan.shares.append(paired.share)
            plan.lossless.append(paired.lossless_fps)
            plan.ceiling.append(paired.ceiling.fps)
            seq = sequential_run(args.source, options, 100)
            plan.sequential.append(seq.fps)
            plan.preprocess.append(seq.stages_ms["preprocess"].p50)
    rows = []
    for plan in plans:
        mark = " (bench's plan)" if (plan.interpreter, plan.opencv) in default else ""
        rows.append(
            [
                plan.name + mark,
                f"{median(plan.lossless):.1f}",
                f"{median(plan.ceiling):.1f}",
                f"{median(plan.shares):.2f} ({min(plan.shares):.2f}-{max(plan.shares):.2f})",
                f"{median(plan.sequential):.1f}",
                f"{median(plan.preprocess):.2f}",
            ]
        )
    print(machine().line())
    print(f"source {args.source}, {args.rounds} interleaved rounds, {args.frames} frames each")
    header = ["plan", "lossless fps", "ceiling fps", "share", "sequential fps", "preprocess ms"]
    print(markdown_table(header, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
