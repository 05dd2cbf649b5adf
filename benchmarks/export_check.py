"""Run an exported taught model (``camviz export-head``) in MediaPipe's ImageClassifier.

Checks that the standalone int8 ``.tflite`` loads in MediaPipe with its labels from the
metadata, and how often MediaPipe's top-1 is the expected class on held-out video frames.
Not part of CI: run it in a venv with ``mediapipe`` (it needs neither camviz nor TensorFlow)::

    .venv-build/bin/camviz teach DATA --out clips.head.npz --frames-per-video 100 --val 0.4 \\
        --export-tflite clips.tflite
    .venv-mediapipe/bin/python benchmarks/export_check.py --model clips.tflite

``DATA`` has one subfolder per class holding one clip, named as in ``CLIPS`` below (see
``tests/export/test_export.py``). Test frames are picked as ``camviz teach`` picks them:
``--frames`` frames spread evenly over each clip (re-spread over the part that decodes when
a container declares too many); the last ``--val`` of them were held out of training.
Each frame is classified twice: whole (MediaPipe's default: the frame is resized to the input
size) and with a region of interest equal to camviz's centre crop (0.875 of the short side).
MediaPipe's "scores" are the model's outputs: logits.
"""

from __future__ import annotations

import argparse
import math
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
VIDEOS = ROOT / "assets" / "video"
CLIPS = {
    "animation": VIDEOS / "bigbuckbunny.mp4",
    "bikes": VIDEOS / "bikes.mp4",
    "carphone": VIDEOS / "carphone_pristine.mp4",
    "pedestrians": VIDEOS / "vtest.avi",
    "tree": VIDEOS / "tree.avi",
}
CROP_FRACTION = 0.875


def held_out_frames(path: Path, frames: int, val: float) -> list[tuple[int, np.ndarray]]:
    """(frame number, RGB frame) of the validation part of a clip, as ``camviz teach`` splits."""
    capture = cv2.VideoCapture(str(path))
    declared = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    decodable = 0
    while capture.grab():
        decodable += 1
    capture.release()
    count = declared if 0 < declared <= decodable else decodable
    spots = sorted({int(i) for i in np.linspace(0, count - 1, min(frames, count)).round()})
    n_val = min(len(spots) - 1, math.floor(len(spots) * val + 0.5))
    wanted = set(spots[len(spots) - n_val :])
    out = []
    capture = cv2.VideoCapture(str(path))
    index = 0
    while wanted and index <= max(wanted):
        ok, bgr = capture.read()
        if not ok:
            break
        if index in wanted:
            out.append((index, np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))))
        index += 1
    capture.release()
    return out


def centre_roi(height: int, width: int) -> Any:
    from mediapipe.tasks.python.components.containers.rect import RectF

    side = max(1, round(min(height, width) * CROP_FRACTION))
    top, left = (height - side) // 2, (width - side) // 2
    return RectF(
        left=left / width, top=top / height, right=(left + side) / width,
        bottom=(top + side) / height,
    )  # fmt: skip


def main() -> int:
    import mediapipe as mp
    from mediapipe.tasks.python import vision
    from mediapipe.tasks.python.core.base_options import BaseOptions

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True, help="the exported .tflite")
    parser.add_argument("--frames", type=int, default=100, help="frames spread over each clip")
    parser.add_argument("--val", type=float, default=0.4, help="held-out fraction of each clip")
    parser.add_argument("--quiet", action="store_true", help="only the summary, not every frame")
    args = parser.parse_args()

    options = vision.ImageClassifierOptions(
        base_options=BaseOptions(model_asset_path=str(args.model)), max_results=2
    )
    print(
        f"mediapipe {version('mediapipe')}, model {args.model} ({args.model.stat().st_size:,} "
        f"bytes); held-out frames: the last {args.val:.0%} of {args.frames} per clip"
    )
    totals = {"whole": 0, "crop": 0}
    per_class: dict[str, list[int]] = {}
    n = 0
    with vision.ImageClassifier.create_from_options(options) as classifier:
        for expected, clip in CLIPS.items():
            hits = per_class.setdefault(expected, [0, 0, 0])
            for index, rgb in held_out_frames(clip, args.frames, args.val):
                image = mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)
                whole = classifier.classify(image).classifications[0].categories[0]
                roi = vision.ImageProcessingOptions(region_of_interest=centre_roi(*rgb.shape[:2]))
                crop = classifier.classify(image, roi).classifications[0].categories[0]
                n += 1
                hits[0] += 1
                hits[1] += whole.category_name == expected
                hits[2] += crop.category_name == expected
                totals["whole"] += whole.category_name == expected
                totals["crop"] += crop.category_name == expected
                if not args.quiet:
                    mark = "ok " if crop.category_name == expected else "MISS"
                    print(
                        f"{mark} {clip.name}#{index}: expected {expected!r}; MediaPipe top-1 "
                        f"whole {whole.category_name!r} {whole.score:.2f}, "
                        f"centre crop {crop.category_name!r} {crop.score:.2f}"
                    )
    for label, (count, whole_ok, crop_ok) in per_class.items():
        print(f"{label}: {count} frames, top-1 = expected: whole {whole_ok}, centre crop {crop_ok}")
    print(
        f"overall {n} frames: MediaPipe top-1 = expected class {totals['whole']}/{n} "
        f"({100 * totals['whole'] / n:.1f}%) on whole frames, {totals['crop']}/{n} "
        f"({100 * totals['crop'] / n:.1f}%) with camviz's centre crop as region of interest"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
