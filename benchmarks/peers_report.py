"""The report of ``peers.py``: per-contender summaries, machine description, tables."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from harness import machine as harness_machine
from harness import percentiles
from peers_runs import E2E, INFER, Contender


@dataclass(slots=True)
class ModelReport:
    model: str
    path: Path
    dtype: str
    contenders: list[Contender]
    photo_tops: dict[str, dict[str, int | str]]
    notes: list[str]


# ------------------------------------------------------------------------------ report


def _agreement(x: Contender, ref: Contender) -> float | None:
    """Top-1 agreement with camviz on the same frames (round 1), by frame index."""
    if not x.runs or not ref.runs or not x.runs[0].tops or x is ref:
        return None
    mine = x.runs[0]
    theirs = ref.runs[0].tops
    ids = mine.result_frames or list(range(len(mine.tops)))
    pairs = [(t, theirs[i]) for t, i in zip(mine.tops, ids, strict=True) if 0 <= i < len(theirs)]
    return sum(a == b for a, b in pairs) / len(pairs) if pairs else None


def summarise(report: ModelReport) -> list[dict[str, Any]]:
    by_key = {x.key: x for x in report.contenders}
    base = by_key["camviz_lossless"]
    camviz_top = by_key["camviz_seq_mem"]
    rows = []
    for x in report.contenders:
        row: dict[str, Any] = {
            "key": x.key,
            "section": x.section,
            "contender": x.label,
            "note": x.note,
        }
        if x.error or not x.runs:
            row["error"] = x.error or "not run"
            rows.append(row)
            continue
        fps = [run.fps for run in x.runs]
        ratios = [run.fps / b.fps for run, b in zip(x.runs, base.runs, strict=False) if b.fps > 0]
        intervals = [v for run in x.runs for v in run.intervals_ms]
        latency = [v for run in x.runs for v in run.latency_ms]
        frames = sum(run.frames for run in x.runs)
        row.update(
            {
                "rounds": len(x.runs),
                "frames_per_round": x.runs[0].frames,
                "fps": round(statistics.median(fps), 2),
                "fps_min": round(min(fps), 2),
                "fps_max": round(max(fps), 2),
                "fps_rounds": [round(f, 2) for f in fps],
                "ms_per_frame_p50": round(percentiles(intervals).p50, 2),
                "ms_per_frame_p95": round(percentiles(intervals).p95, 2),
                "latency_ms_p50": round(percentiles(latency).p50, 2),
                "latency_ms_p95": round(percentiles(latency).p95, 2),
                "cpu_ms_per_frame": round(
                    1e3 * sum(run.cpu_s for run in x.runs) / max(frames, 1), 2
                ),
                "cores_busy": round(
                    sum(run.cpu_s for run in x.runs) / sum(run.wall_s for run in x.runs), 2
                ),
                "ratio_vs_camviz_lossless": round(statistics.median(ratios), 3),
                "ratio_min": round(min(ratios), 3),
                "ratio_max": round(max(ratios), 3),
                "stages_ms_mean": {
                    k: round(float(np.mean([v for run in x.runs for v in run.stages_ms[k]])), 2)
                    for k in x.runs[0].stages_ms
                },
                "ms_per_frame_mean": round(1e3 * sum(r.wall_s for r in x.runs) / max(frames, 1), 2),
                "stages_ms_p50": {
                    k: round(
                        percentiles([v for run in x.runs for v in run.stages_ms.get(k, [])]).p50, 2
                    )
                    for k in x.runs[0].stages_ms
                },
            }
        )
        if any(run.submitted for run in x.runs):
            submitted = sum(run.submitted for run in x.runs)
            row["submitted"] = submitted
            row["dropped"] = submitted - frames
        agree = _agreement(x, camviz_top if x.section == INFER else by_key["camviz_seq_live"])
        if agree is not None and x.key != "decode_only":
            row["top1_agreement_with_camviz"] = round(agree, 4)
        rows.append(row)
    return rows


_OPENCV_PACKAGES = (
    "opencv-contrib-python",
    "opencv-python",
    "opencv-python-headless",
    "opencv-contrib-python-headless",
)


def machine() -> dict[str, Any]:
    """The shared harness's machine description, in the keys this report prints."""
    m = harness_machine(extra=("mediapipe",))
    versions = m.versions
    return {
        "cpu": m.cpu,
        "cores": m.cores,
        "flags": list(m.flags),
        "python": m.python,
        "platform": m.platform,
        "mediapipe": versions.get("mediapipe", "-"),
        "opencv": cv2.__version__,
        "opencv_package": next((p for p in _OPENCV_PACKAGES if p in versions), "-"),
        "ai_edge_litert": versions.get("ai-edge-litert", "-"),
        "numpy": np.__version__,
        "cv2_threads": cv2.getNumThreads(),
    }


def _fmt(row: dict[str, Any], markdown: bool) -> list[str]:
    if "error" in row:
        return [row["contender"], *(["—"] * 6), f"fails to load: {row['error']}"]
    extras = []
    if "dropped" in row:
        extras.append(f"{row['dropped']}/{row['submitted']} dropped")
    if "top1_agreement_with_camviz" in row:
        extras.append(f"top-1 = camviz on {row['top1_agreement_with_camviz'] * 100:.0f}%")
    if row["note"]:
        extras.append(row["note"])
    bold = "**" if markdown and row["key"] == "camviz_lossless" else ""
    return [
        f"{bold}{row['contender']}{bold}",
        f"{row['fps']:.1f} ({row['fps_min']:.1f}–{row['fps_max']:.1f})",
        f"{row['ms_per_frame_p50']:.1f} / {row['ms_per_frame_p95']:.1f}",
        f"{row['latency_ms_p50']:.1f} / {row['latency_ms_p95']:.1f}",
        f"{row['cpu_ms_per_frame']:.1f} ({row['cores_busy']:.2f})",
        f"{row['ratio_vs_camviz_lossless']:.2f} ({row['ratio_min']:.2f}–{row['ratio_max']:.2f})",
        ", ".join(
            f"{k} {v:.1f}" for k, v in row["stages_ms_p50"].items()
        ) if row["stages_ms_p50"] else "",
        "; ".join(extras),
    ]  # fmt: skip


HEAD = [
    "contender",
    "fps median (min–max)",
    "ms/frame p50 / p95",
    "latency ms p50 / p95",
    "CPU ms/frame (cores busy)",
    "x camviz lossless",
    "stages p50 ms",
    "notes",
]


def text_table(rows: list[dict[str, Any]]) -> str:
    out = []
    for section in (INFER, E2E):
        table = [HEAD] + [_fmt(r, False) for r in rows if r["section"] == section]
        widths = [max(len(t[i]) for t in table) for i in range(len(HEAD) - 1)]
        out.append(f"-- {section}")
        for t in table:
            out.append(
                "  ".join(c.ljust(w) for c, w in zip(t, widths, strict=False)) + "  " + t[-1]
            )
    return "\n".join(out)


def markdown(reports: list[tuple[ModelReport, list[dict[str, Any]]]], meta: dict[str, Any]) -> str:
    m = meta["machine"]
    lines = [
        f"Machine: {m['cpu']}, {m['cores']} cores (shared; 1-min load average "
        f"{meta['load_before']:.1f} before, {meta['load_after']:.1f} after), Python {m['python']}, "
        f"mediapipe {m['mediapipe']}, OpenCV {m['opencv']} ({m['opencv_package']}), "
        f"ai-edge-litert {m['ai_edge_litert']}, NumPy {m['numpy']}.",
        f"Video {meta['video']}, first {meta['frames']} frames ({meta['size']}), "
        f"{meta['threads']} threads for camviz and OpenCV, {meta['rounds']} interleaved rounds; "
        f"{meta['date']}.",
        "",
        "ms/frame = time between consecutive results; latency = per frame, from the call / "
        "capture / submission to its result (includes queueing). CPU ms/frame = process "
        "user+sys CPU per delivered frame; cores busy = CPU time / wall time. "
        "x camviz lossless = median over rounds of fps / the lossless pipeline's fps "
        "in the same round (range in brackets).",
    ]
    for report, rows in reports:
        lines += ["", f"### `{report.model}` ({report.dtype})", ""]
        for section in (INFER, E2E):
            lines += [f"**{section}**", ""]
            lines.append("| " + " | ".join(HEAD) + " |")
            lines.append("|" + "---|" * len(HEAD))
            for r in rows:
                if r["section"] == section:
                    cells = [c.replace("|", "\\|") for c in _fmt(r, True)]
                    lines.append("| " + " | ".join(cells) + " |")
            lines.append("")
        agree = photo_agreement(report)
        lines.append(
            f"Top-1 on the {len(report.photo_tops)} photos of `assets/photos/skimage`: {agree}."
        )
        for note in report.notes:
            lines.append(f"{note}.")
    return "\n".join(lines)


def photo_agreement(report: ModelReport) -> str:
    tops = report.photo_tops
    parts = []
    for key in ("mediapipe_crop", "mediapipe_full", "opencv_dnn"):
        values = [row[key] for row in tops.values()]
        if any(v == "n/a" for v in values):
            parts.append(f"{key} n/a")
            continue
        same = sum(row[key] == row["camviz"] for row in tops.values())
        parts.append(f"{key} = camviz on {same}/{len(tops)}")
    return ", ".join(parts)
