"""Peers, side by side: camviz against MediaPipe's ImageClassifier and OpenCV DNN.

The SAME .tflite file and the SAME decoded frames of a real video go through:

* camviz: the lossless pipeline (capture thread -> bounded queue -> inference thread, the
  reference every ratio is taken against) and the sequential loop (decode, preprocess,
  invoke on one thread);
* MediaPipe ``ImageClassifier`` in VIDEO mode (``classify_for_video``, synchronous) and in
  LIVE_STREAM mode (``classify_async`` + result callback; MediaPipe drops frames that arrive
  while its graph is busy: submitted - completed = drops);
* OpenCV DNN's TFLite reader (``cv2.dnn.readNetFromTFLite``), where it loads the model
  (``blobFromImage`` + ``setInput`` + ``forward``, blob preparation included).

Two sections:

* **inference-only**: the first ``--frames`` frames are decoded once into memory (camviz's
  ``VideoSource``, RGB) and every contender classifies those arrays on one thread;
* **end-to-end**: each contender decodes the video itself, live and unpaced, from frame 0.

Contenders run in interleaved rounds (the order rotates every round) so that the load of a
shared machine hits them alike; fps is the median over rounds and each ratio is the median
of the per-round ratios to camviz's lossless pipeline in the same round. "cpu ms/frame" is
the process's user+sys CPU time per frame: much less sensitive than wall time to other
processes on a shared machine (but spin-waiting worker threads count).

Same thread budget: camviz and OpenCV get ``--threads`` (ai-edge-litert ``num_threads``;
``cv2.setNumThreads``), each at its best: camviz runs with OpenCV's pool off, as its
thread plan has it (``camviz.bench.ThreadPlan``: its resizes are small and a pool would
compete with the interpreter's threads), OpenCV DNN with ``--threads`` pool threads,
set before each contender's run. MediaPipe 1.2.3's Python API has no thread option (``BaseOptions``
has only the model and ``delegate`` CPU/GPU); it runs with its built-in default, CPU delegate,
and its measured CPU use is reported instead (per-thread /proc accounting showed it
splitting each frame over two internal threads on a 2-core machine).

Same crop: camviz takes a centre square of 0.875 of the short side and resizes it to the
model input. MediaPipe does not crop by default (it resizes the whole frame); the script
passes the same centre square as ``ImageProcessingOptions(region_of_interest=...)`` and also
reports the uncropped default. OpenCV DNN gets the same crop (a NumPy view) before
``blobFromImage``.

Files: this script (the contender list and ``main``), ``peers_runs.py`` (how each contender
runs: camviz through ``camviz.pipeline.run_pipeline`` and ``camviz.bench.time_calls``,
MediaPipe, OpenCV DNN) and ``peers_report.py`` (summaries, tables); run this file, whose
folder Python puts on ``sys.path``.

Setup (not in CI; the app venv .venv is not touched)::

    make .venv-mediapipe/.installed   # or by hand:
    python3 -m venv .venv-mediapipe && .venv-mediapipe/bin/pip install mediapipe==1.2.3
    .venv-mediapipe/bin/pip install --no-deps -e .          # camviz, without its deps
    .venv-mediapipe/bin/pip install ai-edge-litert==2.3.0 psutil
    # mediapipe brings opencv-contrib-python (cv2); camviz needs only cv2, so
    # opencv-python-headless is NOT installed: exactly one cv2 in the venv (checked below).

Run::

    .venv-mediapipe/bin/python benchmarks/peers.py                       # table
    .venv-mediapipe/bin/python benchmarks/peers.py --json > peers.json
    .venv-mediapipe/bin/python benchmarks/peers.py --markdown \\
        --model efficientnet_lite0_int8 --model efficientnet_lite0_float32
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from peers_report import ModelReport, machine, markdown, photo_agreement, summarise, text_table
from peers_runs import (
    E2E,
    INFER,
    Contender,
    MediaPipeClassifier,
    OpenCvNet,
    camviz_lossless,
    camviz_sequential_live,
    camviz_sequential_memory,
    decode_frames,
    decode_only,
    mediapipe_live_live,
    mediapipe_live_memory,
    mediapipe_video_live,
    mediapipe_video_memory,
    opencv_live,
    opencv_memory,
)

from camviz.bench import ThreadPlan
from camviz.defaults import BENCH_FRAMES, THREADS

ROOT = Path(__file__).resolve().parents[1]
VIDEO = ROOT / "assets" / "video" / "vtest.avi"
PHOTOS = ROOT / "assets" / "photos" / "skimage"


def _photos() -> list[Path]:
    return sorted(p for p in PHOTOS.iterdir() if p.suffix.lower() in (".png", ".jpg"))


def _cv2_threads(count: int, run: Any) -> Any:
    """``run`` with OpenCV's pool set to ``count`` threads first (0: off)."""

    def wrapped() -> Any:
        cv2.setNumThreads(count)
        return run()

    return wrapped


def bench_model(
    model: str, threads: int, frames: list[np.ndarray], video: Path, rounds: int, say: Any
) -> ModelReport:
    from camviz.classifier import ClassifierOptions
    from camviz.imageio import load_image
    from camviz.loading import open_classifier

    clf = open_classifier(ClassifierOptions(model=model, threads=threads))
    clf1 = open_classifier(ClassifierOptions(model=model, threads=1))
    info = clf.info
    assert info.path is not None
    crop = info.preprocessing.crop_fraction
    bgr_model = info.preprocessing.color_order.value == "BGR"
    count = len(frames)
    notes: list[str] = []

    mp_crop = MediaPipeClassifier(info.path, "video", crop)
    mp_full = MediaPipeClassifier(info.path, "video", None)
    mp_live = MediaPipeClassifier(info.path, "live", crop)
    notes.append(
        f"MediaPipe: delegate CPU, no thread option in its API; creating one classifier "
        f"added {mp_crop.os_threads_added} OS threads to the process"
    )
    net: OpenCvNet | None = None
    cv_error = ""
    try:
        net = OpenCvNet(info.path, info.input_size, crop, bgr_model)
        net.classify(frames[0], is_bgr=False)
    except cv2.error as exc:
        net = None
        cv_error = " ".join(str(exc).split())

    c: list[Contender] = [
        Contender(
            "camviz_seq_mem", INFER, f"camviz classify() loop, {threads} threads",
            lambda: camviz_sequential_memory(clf, frames),
        ),
        Contender(
            "camviz_seq1_mem", INFER, "camviz classify() loop, 1 thread",
            lambda: camviz_sequential_memory(clf1, frames),
            "for MediaPipe's thread count",
        ),
        Contender(
            "mp_video_crop_mem", INFER, "MediaPipe VIDEO, centre-crop ROI",
            lambda: mediapipe_video_memory(mp_crop, frames),
        ),
        Contender(
            "mp_video_full_mem", INFER, "MediaPipe VIDEO, default (no crop)",
            lambda: mediapipe_video_memory(mp_full, frames),
        ),
        Contender(
            "cv_dnn_mem", INFER, "OpenCV DNN blob+forward",
            (lambda: opencv_memory(net, frames)) if net else None,
            error=cv_error,
        ),
        Contender(
            "camviz_lossless", E2E, "camviz lossless pipeline",
            lambda: camviz_lossless(model, threads, video, count),
            "capture thread -> queue(4) -> inference thread",
        ),
        Contender(
            "camviz_lossless1", E2E, "camviz lossless pipeline, 1 thread",
            lambda: camviz_lossless(model, 1, video, count),
            "1 interpreter thread: the capture thread gets the other core",
        ),
        Contender(
            "camviz_seq_live", E2E, "camviz sequential loop",
            lambda: camviz_sequential_live(clf, video, count),
            "VideoSource.read + classify on one thread",
        ),
        Contender(
            "mp_video_crop_live", E2E, "MediaPipe VIDEO, centre-crop ROI",
            lambda: mediapipe_video_live(mp_crop, video, count),
            "cv2 read + cvtColor + classify_for_video on one thread",
        ),
        Contender(
            "mp_live_crop_live", E2E, "MediaPipe LIVE_STREAM, centre-crop ROI",
            lambda: mediapipe_live_live(mp_live, video, count),
            "cv2 read + cvtColor + classify_async; drops = submitted - completed",
        ),
        Contender(
            "cv_dnn_live", E2E, "OpenCV DNN, decode + blob + forward",
            (lambda: opencv_live(net, video, count)) if net else None,
            "BGR frame, swapRB in blobFromImage",
            error=cv_error,
        ),
        Contender(
            "decode_only", E2E, "(decode only: cv2 read + cvtColor)",
            lambda: decode_only(video, count),
            "no inference: the ceiling any contender decoding on one thread can reach",
        ),
    ]  # fmt: skip

    # Warm-up: one short pass of each (first invokes, allocator, codec), not measured.
    warm = frames[: min(10, count)]
    camviz_sequential_memory(clf, warm)
    camviz_sequential_memory(clf1, warm)
    mediapipe_video_memory(mp_crop, warm)
    mediapipe_video_memory(mp_full, warm)
    mediapipe_live_memory(mp_live, warm)  # the live-stream graph, warmed once
    if net is not None:
        opencv_memory(net, warm)

    camviz_pool = ThreadPlan.for_threads(threads).opencv
    for x in c:
        if x.run is not None:
            x.run = _cv2_threads(camviz_pool if x.key.startswith("camviz") else threads, x.run)
    runnable = [x for x in c if x.run is not None]
    for r in range(rounds):
        order = runnable[r % len(runnable) :] + runnable[: r % len(runnable)]
        for x in order:
            say(f"{info.name} round {r + 1}/{rounds}: {x.section.split(' ')[0]} {x.label}")
            assert x.run is not None
            x.runs.append(x.run())

    photo_tops: dict[str, dict[str, int | str]] = {}
    for photo in _photos():
        rgb = np.ascontiguousarray(load_image(photo))
        row: dict[str, int | str] = {
            "camviz": clf.classify(rgb).categories[0].index,
            "mediapipe_crop": mp_crop.classify(rgb),
            "mediapipe_full": mp_full.classify(rgb),
        }
        row["opencv_dnn"] = net.classify(rgb, is_bgr=False) if net else "n/a"
        photo_tops[photo.name] = row

    for m in (mp_crop, mp_full, mp_live):
        m.close()
    clf.close()
    clf1.close()
    return ModelReport(info.name, info.path, info.dtype, c, photo_tops, notes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", help="zoo name (repeatable)")
    parser.add_argument("--threads", type=int, default=THREADS)
    parser.add_argument("--frames", type=int, default=BENCH_FRAMES)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--video", type=Path, default=VIDEO)
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--markdown", action="store_true", help="print a README-ready table")
    parser.add_argument("--save-json", type=Path, help="also write the JSON to this file")
    args = parser.parse_args()
    models = args.model or ["efficientnet_lite0_int8"]

    cv2_dirs = [
        d
        for d in (Path(p) / "cv2" for p in sys.path if p)
        if (d / "__init__.py").is_file() or d.with_suffix(".so").is_file()
    ]
    opencv_dists = [
        d.metadata["Name"]
        for d in metadata.distributions()
        if d.metadata["Name"] and d.metadata["Name"].lower().startswith("opencv")
    ]
    if len(set(opencv_dists)) > 1:
        raise SystemExit(f"more than one OpenCV package installed: {opencv_dists}")
    cv2.setNumThreads(args.threads)

    def say(msg: str) -> None:
        print(f"[peers] {msg}", file=sys.stderr, flush=True)

    load_before = os.getloadavg()[0]
    frames = decode_frames(args.video, args.frames)
    reports = []
    for model in models:
        report = bench_model(model, args.threads, frames, args.video, args.rounds, say)
        reports.append((report, summarise(report)))
    meta = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": machine(),
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
        "video": str(
            args.video.relative_to(ROOT) if args.video.is_relative_to(ROOT) else args.video
        ),
        "size": f"{frames[0].shape[1]}x{frames[0].shape[0]}",
        "frames": args.frames,
        "threads": args.threads,
        "rounds": args.rounds,
        "cv2_dirs": [str(d) for d in cv2_dirs],
    }
    out = {
        **meta,
        "models": [
            {
                "model": rep.model,
                "dtype": rep.dtype,
                "rows": rows,
                "photo_top1": rep.photo_tops,
                "notes": rep.notes,
            }
            for rep, rows in reports
        ],
    }
    if args.save_json:
        args.save_json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(out, indent=2))
    elif args.markdown:
        print(markdown(reports, meta))
    else:
        print(f"{meta['machine']['cpu']}, {meta['machine']['cores']} cores, load {load_before:.1f}")
        for rep, rows in reports:
            print(f"\n== {rep.model} ({rep.dtype}), {args.threads} threads, {args.frames} frames")
            print(text_table(rows))
            print("photos top-1:", photo_agreement(rep))
            for note in rep.notes:
                print(note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
