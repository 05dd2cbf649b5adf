"""How bench reports: the summary table, the stage table, the thread choice, CSV, the plot."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
from typing import Any

import numpy as np

from camviz.bench.records import BenchResult, e2e_series, outside_invoke_ms
from camviz.errors import ExtraNotInstalledError
from camviz.fileio import write_atomic
from camviz.metrics import LatencyStats, Percentiles
from camviz.pipeline import RunRecord

__all__ = [
    "STAGE_COLUMNS",
    "format_stages",
    "format_table",
    "machine_description",
    "pick_threads",
    "plot",
    "results_csv",
    "results_json",
    "stage_rows",
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


def _percentiles(values: list[float]) -> Percentiles:
    stats = LatencyStats(max(1, len(values)))
    for value in values:
        stats.add(value)
    return stats.percentiles()


def _pq(p: Percentiles) -> str:
    return f"{p.p50:.2f}/{p.p95:.2f}"


def _stages_of(run: RunRecord) -> dict[str, Percentiles]:
    """A run's stages from its own stamps: every frame it delivered, not a window."""
    values: dict[str, list[float]] = {}
    for stamps in run.stamps:
        for name, ms in stamps.stages_ms().items():
            values.setdefault(name, []).append(ms)
    return {name: _percentiles(v) for name, v in values.items()}


STAGE_COLUMNS = ("decode", "queue", "preprocess", "invoke", "postprocess", "deliver")


def stage_rows(r: BenchResult) -> list[tuple[str, dict[str, Percentiles], Percentiles]]:
    """(run, stage percentiles, outside-invoke percentiles) of the three runs of ``r``."""
    rows = []
    for label, run in (("real time", r.realtime), ("lossless", r.lossless)):
        rows.append((label, _stages_of(run), outside_invoke_ms(run)))
    if r.sequential is not None:
        seq = r.sequential.stages_ms
        outside = _percentiles([seq["decode"].p50 + seq["preprocess"].p50 + seq["postprocess"].p50])
        rows.append(("sequential", seq, outside))
    return rows


def format_stages(results: list[BenchResult]) -> str:
    """Milliseconds per frame of every stage, p50/p95, per configuration and run.

    decode: the sequential loop's unpaced ``source.read`` (decoding and colour conversion
    of the frame); queue: capture to the inference thread (in the lossless run, the wait
    in its full queue); outside invoke: end-to-end minus the invoke (the sequential
    loop's: decode + preprocess + postprocess p50).
    """
    head = ["model", "thr", "run", *STAGE_COLUMNS, "outside invoke"]
    rows = [head]
    for r in results:
        for label, stages, outside in stage_rows(r):
            cells = [_pq(stages[k]) if k in stages else "-" for k in STAGE_COLUMNS]
            out = f"{outside.p50:.2f}" if label == "sequential" else _pq(outside)
            rows.append([r.model, str(r.threads), label, *cells, out])
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "stage ms per frame, p50/p95\n" + "\n".join(lines)


def pick_threads(results: list[BenchResult]) -> dict[str, dict[str, Any]]:
    """``--threads auto``: the thread count each goal is best served by (first model's).

    ``realtime``: the lowest real-time p95 end-to-end latency (a camera's goal);
    ``lossless``: the highest lossless fps (files, benchmarks). Each with its value and why.
    """
    first = [r for r in results if r.model == results[0].model]
    rt = min(first, key=lambda r: r.realtime.snapshot.e2e_ms.p95)
    ll = max(first, key=lambda r: r.lossless.fps)
    tried = ", ".join(str(r.threads) for r in first)
    return {
        "realtime": {
            "threads": rt.threads,
            "p95_e2e_ms": round(rt.realtime.snapshot.e2e_ms.p95, 3),
            "why": f"lowest real-time p95 end-to-end of {tried} thread(s)",
            "plan": rt.plan.to_dict() if rt.plan is not None else None,
        },
        "lossless": {
            "threads": ll.threads,
            "fps": round(ll.lossless.fps, 2),
            "why": f"highest lossless fps of {tried} thread(s)",
            "plan": ll.plan.to_dict() if ll.plan is not None else None,
        },
    }


def results_csv(results: list[BenchResult], ceilings: list[dict[str, Any]] | None = None) -> str:
    """One CSV row per configuration: invoke, fps, every stage's p50/p95 per run, the ceiling."""
    rows: list[dict[str, Any]] = []
    for i, r in enumerate(results):
        d = r.to_dict()
        row: dict[str, Any] = {
            "model": r.model,
            "threads": r.threads,
            "runtime": r.runtime,
            "device": r.device,
            "delegate": r.delegate,
            "source": r.source,
            "load_ms": d["load_ms"],
            "first_invoke_ms": d["first_invoke_ms"],
            "invoke_p50_ms": d["invoke_ms"]["p50"],
            "invoke_p95_ms": d["invoke_ms"]["p95"],
            "realtime_fps": d["pipeline"]["fps"],
            "realtime_e2e_p50_ms": d["pipeline"]["e2e_ms"]["p50"],
            "realtime_e2e_p95_ms": d["pipeline"]["e2e_ms"]["p95"],
            "realtime_dropped": d["pipeline"]["dropped"],
            "lossless_fps": d["lossless"]["fps"],
            "sequential_fps": d["sequential_fps"],
        }
        for label, stages, outside in stage_rows(r):
            key = label.replace(" ", "")
            for stage in STAGE_COLUMNS:
                if stage in stages:
                    row[f"{key}_{stage}_p50_ms"] = round(stages[stage].p50, 3)
                    row[f"{key}_{stage}_p95_ms"] = round(stages[stage].p95, 3)
            row[f"{key}_outside_invoke_p50_ms"] = round(outside.p50, 3)
        if ceilings and i < len(ceilings):
            row["ceiling_fps"] = ceilings[i].get("fps")
            row["ceiling_limit"] = ceilings[i].get("limit")
            row["lossless_share"] = ceilings[i].get("lossless_share")
        row["peak_rss_mb"] = d["peak_rss_mb"]
        row["over_budget"] = "true" if r.over_budget else "false"
        rows.append(row)
    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


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
