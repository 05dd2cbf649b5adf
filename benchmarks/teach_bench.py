"""How long teaching takes here: 5 classes x 100 frames of real video clips.

    .venv/bin/python benchmarks/teach_bench.py [--frames 100] [--threads 2] [--json]

Measures, separately: decoding the clips, feature extraction (ms per frame,
preprocessing included), and fitting the softmax head (L-BFGS), then the
time-split validation accuracy (first 60% of each clip trains, last 40% tests).
The target is teaching 5 classes x 100 samples in <= 10 s on this 2-core machine.
Timings on shared machines vary run to run; compare within one run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness import Span, machine  # noqa: E402

from camviz.defaults import THREADS  # noqa: E402
from camviz.features import FeatureExtractor  # noqa: E402
from camviz.teach import TeachSession, TrainOptions, video_frames  # noqa: E402

VIDEOS = ROOT / "assets" / "video"
CLIPS = {
    "pedestrians": VIDEOS / "vtest.avi",
    "tree": VIDEOS / "tree.avi",
    "animation": VIDEOS / "bigbuckbunny.mp4",
    "bikes": VIDEOS / "bikes.mp4",
    "carphone": VIDEOS / "carphone_pristine.mp4",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=100, help="frames per clip")
    parser.add_argument("--threads", type=int, default=THREADS)
    parser.add_argument("--val", type=float, default=0.4)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with Span() as total:
        with Span() as decode:
            frames = {label: video_frames(path, args.frames) for label, path in CLIPS.items()}
        with Span() as load:
            extractor = FeatureExtractor.create("efficientnet_lite0_int8", threads=args.threads)
        session = TeachSession(options=TrainOptions(val=args.val), extractor=extractor)
        with Span() as extract:
            for label, items in frames.items():
                for n, image in items:
                    session.add_sample(label, image, recording=label, order=n)
        report = session.train()
    decode_s, load_s, extract_s, total_s = decode.wall_s, load.wall_s, extract.wall_s, total.wall_s
    n = session.extracted
    result = {
        "machine": machine().to_dict(),
        "classes": len(CLIPS),
        "frames": {label: len(items) for label, items in frames.items()},
        "threads": args.threads,
        "decode_s": round(decode_s, 3),
        "backbone_load_s": round(load_s, 3),
        "extract_s": round(extract_s, 3),
        "extract_ms_per_frame": round(extract_s * 1000 / n, 2),
        "fit_s": round(report.train_seconds, 3),
        "fit_iterations": report.iterations,
        "teach_total_s": round(total_s, 3),
        "val_accuracy": report.val_accuracy,
        "class_accuracy": dict(zip(report.labels, report.class_accuracy, strict=True)),
    }
    extractor.close()
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(report.format())
    print()
    print(f"machine: {machine().line()}")
    print(
        f"{len(CLIPS)} classes, {n} frames: decode {decode_s:.2f} s, backbone load {load_s:.2f} s, "
        f"features {extract_s:.2f} s ({result['extract_ms_per_frame']} ms/frame), "
        f"fit {report.train_seconds * 1000:.0f} ms ({report.iterations} iterations); "
        f"total {total_s:.2f} s (target <= 10 s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
