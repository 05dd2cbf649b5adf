"""What a second model (A/B) costs the pipeline, and that both models see the same frames.

    .venv/bin/python benchmarks/ab_bench.py [--a M] [--b M] [--frames 150] [--pairs 2] [--json]

The window's A/B runs model B on the inference thread right after model A, on the frame A
just classified (:meth:`camviz.pipeline.Pipeline.compare_with`). Where the two cannot keep
up with a live source together, the queue drops frames before either model sees them, so
both see the same subsampled frames. This measures it, A alone against A with B, alternated
``--pairs`` times (interleaved, so the machine's drift hits both alike), on two paths:

* **live**: the demo reel paced at 30 fps (newest frame wins): A's results a second,
  frames dropped, A's end-to-end p95; with B, the frames A and B classified (the same set,
  each pair one frame: same id, same ``Frame``) and the share of frames both saw;
* **lossless**: the demo reel unpaced (every frame, no drops): fps, against the fps each
  model's own time a frame predicts, ``1000 / (a_ms + b_ms)``.

Timings on shared machines vary; compare within one run.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness import machine, markdown_table, percentiles  # noqa: E402

from camviz.classifier import ClassifierOptions  # noqa: E402
from camviz.defaults import THREADS  # noqa: E402
from camviz.pipeline import (  # noqa: E402
    Backpressure,
    EventKind,
    FrameResult,
    Pipeline,
    PipelineEvent,
    PipelineOptions,
    run_pipeline,
)
from camviz.sources import make_source  # noqa: E402

A, B = "efficientnet_lite0_int8", "efficientnet_lite0_float32"


def _run(a: str, b: str | None, threads: int, frames: int, *, live: bool) -> dict[str, Any]:
    """One run: A's results, and B's on the same frames when ``b`` is given."""
    seconds: list[FrameResult] = []
    firsts: dict[int, FrameResult] = {}
    lock = threading.Lock()
    b_loaded = threading.Event()
    b_failed: list[str] = []

    def on_second(fr: FrameResult) -> None:
        with lock:
            seconds.append(fr)

    def on_b_event(event: PipelineEvent) -> None:
        if event.kind is EventKind.MODEL_LOADED:
            b_loaded.set()
        elif event.kind is EventKind.MODEL_FAILED:
            b_failed.append(event.message)
            b_loaded.set()

    def ready(pipe: Pipeline) -> None:  # before capture is released: B loads first
        if b is not None:
            pipe.compare_with(ClassifierOptions(model=b, threads=threads), on_second, on_b_event)
            if not b_loaded.wait(120.0) or b_failed:
                raise SystemExit(f"model B did not load: {b_failed or 'timed out'}")

    def on_first(fr: FrameResult) -> None:
        with lock:
            firsts[fr.frame_id] = fr

    policy = Backpressure.LATEST if live else Backpressure.LOSSLESS
    options = PipelineOptions(
        classifier=ClassifierOptions(model=a, threads=threads), backpressure=policy
    )
    run = run_pipeline(
        make_source("demo", pace=live, loop=True),
        options,
        frames=frames,
        on_result=on_first,
        on_ready=ready,
        timeout=frames / 2.0 + 60.0,
    )
    out: dict[str, Any] = {
        "results": run.count,
        "fps": run.fps,
        "dropped": run.dropped,
        "e2e_ms": [s.e2e_ms for s in run.stamps],
        "a_ms": [r.result.times.total_ms for r in firsts.values()],
    }
    if b is not None:
        with lock:
            pairs = list(seconds)
        # the last frames' B results may come after the run stopped: compare up to B's last
        last = max((p.frame_id for p in pairs), default=-1)
        a_ids = {i for i in firsts if i <= last}
        b_ids = {p.frame_id for p in pairs}
        same_frame = all(p.frame is firsts[p.frame_id].frame for p in pairs if p.frame_id in firsts)
        out |= {
            "pairs": len(pairs),
            "a_only": len(a_ids - b_ids),  # A classified, B did not
            "b_only": len(b_ids - a_ids),
            "same_frame": same_frame,
            "b_ms": [p.result.times.total_ms for p in pairs],
        }
    return out


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    e2e = percentiles(v for r in runs for v in r["e2e_ms"])
    a_ms = percentiles(v for r in runs for v in r["a_ms"])
    out: dict[str, Any] = {
        "results": sum(r["results"] for r in runs),
        "fps": round(sum(r["fps"] for r in runs) / len(runs), 2),
        "dropped": sum(r["dropped"] for r in runs),
        "e2e_p50_ms": round(e2e.p50, 2),
        "e2e_p95_ms": round(e2e.p95, 2),
        "a_ms_p50": round(a_ms.p50, 2),
    }
    if "pairs" in runs[0]:
        b_ms = percentiles(v for r in runs for v in r["b_ms"])
        out |= {
            "pairs": sum(r["pairs"] for r in runs),
            "a_only": sum(r["a_only"] for r in runs),
            "b_only": sum(r["b_only"] for r in runs),
            "same_frame": all(r["same_frame"] for r in runs),
            "b_ms_p50": round(b_ms.p50, 2),
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--a", default=A, help=f"model A (default {A})")
    parser.add_argument("--b", default=B, help=f"model B (default {B})")
    parser.add_argument("--threads", type=int, default=THREADS)
    parser.add_argument("--frames", type=int, default=150, help="A's results a run")
    parser.add_argument("--pairs", type=int, default=2, help="alone/with-B pairs, interleaved")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    result: dict[str, Any] = {"a": args.a, "b": args.b, "threads": args.threads, "paths": {}}
    for path, live in (("live", True), ("lossless", False)):
        alone: list[dict[str, Any]] = []
        both: list[dict[str, Any]] = []
        for _ in range(args.pairs):
            alone.append(_run(args.a, None, args.threads, args.frames, live=live))
            both.append(_run(args.a, args.b, args.threads, args.frames, live=live))
        one, two = _summary(alone), _summary(both)
        entry: dict[str, Any] = {"alone": one, "with_b": two}
        if two["results"]:
            entry["both_saw"] = round(1.0 - two["a_only"] / max(1, two["pairs"] + two["a_only"]), 4)
        if not live:
            predicted = 1000.0 / (two["a_ms_p50"] + two["b_ms_p50"])
            entry["predicted_fps_with_b"] = round(predicted, 2)
            entry["fps_ratio_to_predicted"] = round(two["fps"] / predicted, 3)
        result["paths"][path] = entry
    result["machine"] = machine().to_dict()
    ok = all(
        e["with_b"]["same_frame"] and e["with_b"]["b_only"] == 0 for e in result["paths"].values()
    )
    result["pairs_are_one_frame"] = ok
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(machine().line())
        print(
            f"A {args.a}, B {args.b}, {args.threads} threads, {args.frames} results a run, "
            f"{args.pairs} pairs interleaved; demo reel"
        )
        header = [
            "path",
            "mode",
            "fps",
            "dropped",
            "A e2e p95 ms",
            "A ms",
            "B ms",
            "pairs",
            "A only",
        ]
        rows = []
        for path, e in result["paths"].items():
            for mode in ("alone", "with_b"):
                s = e[mode]
                rows.append(
                    [
                        path,
                        mode,
                        s["fps"],
                        s["dropped"],
                        s["e2e_p95_ms"],
                        s["a_ms_p50"],
                        s.get("b_ms_p50", ""),
                        s.get("pairs", ""),
                        s.get("a_only", ""),
                    ]
                )
        print(markdown_table(header, rows))
        lossless = result["paths"]["lossless"]
        print(
            f"lossless with B: {lossless['with_b']['fps']} fps against "
            f"{lossless['predicted_fps_with_b']} predicted from each model's time "
            f"({lossless['fps_ratio_to_predicted']:.3f}); live: both saw "
            f"{result['paths']['live'].get('both_saw', 0):.1%} of the frames A classified; "
            f"every pair one frame: {ok}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
