"""Does recording the annotated view slow the live pipeline? Recording off against on, one run.

    .venv/bin/python benchmarks/record_bench.py [--model M] [--frames 240] [--pairs 2] [--json]
        [--via window|tap]

Runs the paced demo reel (a live source: 30 frames a second, newest frame wins) through
:func:`camviz.pipeline.run_pipeline`, alternating recording off and on (off, on, off, on,
...: interleaved, so drift of the machine's load hits both alike). With ``--via tap``, every
delivered frame goes to a :class:`camviz.videoout.VideoRecorder` from the result callback
(on the inference thread), which draws the overlay (crop box, top
labels) and encodes MP4 on its own thread. Reported per mode: frames dropped by the pipeline
(summed over the runs) and the end-to-end latency p95 (capture to delivery, all frames of the
mode's runs); per recording: frames offered, written, dropped by the recorder, and the
frames the file plays back.

``--via window`` (the default) records the way the window does: a headless
:class:`camviz.app.LiveSession` on the demo reel with a
:class:`camviz.app.video_recording.VideoRecording` listening to its frame slot (every captured
frame, copied on the capture thread, drawn and encoded on the recorder's thread), a run being
the time the source takes to send ``--frames`` frames. ``--via tap`` records each delivered
result from the pipeline's result callback, as ``classify --record`` does.

The target (issue 22): with recording on, drops and p95 within 10% of recording off.
Timings on shared machines vary; compare within one run.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
from harness import machine, markdown_table, percentiles  # noqa: E402

from camviz.annotate import annotate_result  # noqa: E402
from camviz.app import LiveSession  # noqa: E402
from camviz.app.video_recording import VideoRecording  # noqa: E402
from camviz.classifier import ClassifierOptions  # noqa: E402
from camviz.defaults import THREADS  # noqa: E402
from camviz.loading import open_classifier  # noqa: E402
from camviz.pipeline import FrameResult, PipelineOptions, run_pipeline  # noqa: E402
from camviz.preprocess import PreprocessSpec, input_region  # noqa: E402
from camviz.sources import make_source  # noqa: E402
from camviz.videoout import VideoRecorder  # noqa: E402

TOLERANCE = 0.10


def _played(path: Path) -> int:
    capture = cv2.VideoCapture(str(path))
    count = 0
    while capture.grab():
        count += 1
    capture.release()
    return count


def _run(
    options: PipelineOptions, frames: int, record: Path | None, crop: PreprocessSpec
) -> dict[str, Any]:
    recorder = None if record is None else VideoRecorder(record, 30.0)

    def tap(item: FrameResult) -> None:  # on the inference thread, as the window's would be
        assert recorder is not None
        image = item.frame.image
        region = input_region(image.shape[1], image.shape[0], crop)
        recorder.write(image, functools.partial(annotate_result, result=item.result, region=region))

    if recorder is not None:
        recorder.start()
    source = make_source("demo", pace=True)
    run = run_pipeline(source, options, frames=frames, on_result=None if recorder is None else tap)
    out: dict[str, Any] = {
        "frames": run.count,
        "dropped": run.dropped,
        "e2e_ms": [s.e2e_ms for s in run.stamps],
        "wall_s": round(run.wall_s, 2),
    }
    if recorder is not None and record is not None:
        stats = recorder.stop()
        out["recorder"] = {**stats.to_dict(), "played": _played(record)}
    return out


def _run_window(model: str, threads: int, frames: int, record: Path | None) -> dict[str, Any]:
    """One run of the window's path: a LiveSession, recording through VideoRecording."""
    import threading
    import time

    from camviz.zoo import load_zoo

    e2e: list[float] = []
    lock = threading.Lock()
    session = LiveSession(zoo=load_zoo(), fallback_to_demo=False)
    session.update(threads=threads)

    def result(fr: FrameResult) -> None:
        with lock:
            e2e.append(fr.stamps.e2e_ms)

    session.events.result.connect(result)
    recording = VideoRecording(
        session.frames,
        last_result=lambda: session.last_result,
        model_info=lambda: session.model_info,
        source_fps=lambda: 30.0,
    )
    try:
        session.start("demo", model or None)
        deadline = time.monotonic() + 120.0
        while session.model_info is None or not e2e:  # the model loaded and classifying
            if time.monotonic() > deadline:
                raise SystemExit("the session classified nothing in 120 s")
            time.sleep(0.05)
        first = session.metrics_snapshot()
        assert first is not None
        with lock:
            e2e.clear()
        if record is not None:
            recording.start(record)
        time.sleep(frames / 30.0)
        last = session.metrics_snapshot()
        stats = recording.stop()
    finally:
        session.close()
    assert last is not None
    with lock:
        values = list(e2e)
    out: dict[str, Any] = {
        "frames": last.captured - first.captured,
        "dropped": last.dropped - first.dropped,
        "e2e_ms": values,
        "wall_s": round(frames / 30.0, 2),
    }
    if stats is not None and record is not None:
        out["recorder"] = {**stats.to_dict(), "played": _played(record)}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="", help="zoo model or file (default: the zoo's)")
    parser.add_argument("--threads", type=int, default=THREADS)
    parser.add_argument("--frames", type=int, default=240, help="frames a run (30 a second)")
    parser.add_argument("--pairs", type=int, default=2, help="off/on pairs, interleaved")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--via",
        choices=("window", "tap"),
        default="window",
        help="record as the window does (every captured frame, LiveSession + VideoRecording) "
        "or from the result callback (as classify --record)",
    )
    args = parser.parse_args()

    classifier = ClassifierOptions(model=args.model, threads=args.threads)
    options = PipelineOptions(classifier=classifier)
    with open_classifier(classifier) as clf:  # the model's crop rule, before any run
        crop = clf.info.preprocessing
    runs: dict[str, list[dict[str, Any]]] = {"off": [], "on": []}
    with tempfile.TemporaryDirectory(prefix="camviz-record-bench-") as folder:
        for pair in range(args.pairs):
            path = Path(folder) / f"on{pair}.mp4"
            if args.via == "window":
                runs["off"].append(_run_window(args.model, args.threads, args.frames, None))
                runs["on"].append(_run_window(args.model, args.threads, args.frames, path))
            else:
                runs["off"].append(_run(options, args.frames, None, crop))
                runs["on"].append(_run(options, args.frames, path, crop))
    summary: dict[str, Any] = {}
    for mode, done in runs.items():
        e2e = percentiles(v for r in done for v in r["e2e_ms"])
        summary[mode] = {
            "frames": sum(r["frames"] for r in done),
            "dropped": sum(r["dropped"] for r in done),
            "e2e_p50_ms": round(e2e.p50, 2),
            "e2e_p95_ms": round(e2e.p95, 2),
        }
    recordings = [r["recorder"] for r in runs["on"]]
    off, on = summary["off"], summary["on"]
    p95_ratio = on["e2e_p95_ms"] / off["e2e_p95_ms"]
    drops_ok = on["dropped"] <= off["dropped"] * (1 + TOLERANCE) + 0.5  # 0 against 0 is equal
    met = p95_ratio <= 1 + TOLERANCE and drops_ok
    played_ok = all(abs(r["played"] - r["offered"]) <= 0.05 * r["offered"] for r in recordings)
    result = {
        "model": classifier.model or "(zoo default)",
        "threads": args.threads,
        "via": args.via,
        "frames_per_run": args.frames,
        "pairs": args.pairs,
        "modes": summary,
        "p95_ratio_on_off": round(p95_ratio, 3),
        "recordings": recordings,
        "target_met": met,
        "recordings_play_back": played_ok,
        "machine": machine().to_dict(),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(machine().line())
        print(
            f"demo reel, paced, {args.frames} frames a run, {args.pairs} off/on pairs "
            f"interleaved, recording via the {args.via}"
        )
        rows = [[mode, *summary[mode].values()] for mode in summary]
        print(markdown_table(["recording", *summary["off"]], rows))
        rec_rows = [
            [r["offered"], r["written"], r["dropped"], r["played"], r["codec"]] for r in recordings
        ]
        print(
            markdown_table(["offered", "written", "recorder dropped", "played", "codec"], rec_rows)
        )
        verdict = "met" if met else "MISSED"
        print(
            f"p95 on/off {p95_ratio:.3f}, drops on {on['dropped']} vs off {off['dropped']}: "
            f"target (within {TOLERANCE:.0%}) {verdict}; recordings play back "
            f"{'within 5%' if played_ok else 'SHORT'} of the frames offered"
        )
    return 0 if met and played_ok else 1


if __name__ == "__main__":
    sys.exit(main())
