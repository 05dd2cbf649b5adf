"""MediaPipe's ImageClassifier on a zoo model: are its scores probabilities, with display names?

For every photo in ``assets/photos`` (both folders), MediaPipe 1.2.3 classifies the photo with
``max_results=-1`` (all 1000 categories) and this prints, per photo: the number of categories,
the sum of their scores (1 for a model that ends in a softmax), the top category with its
category name and display name, and how many categories would keep a non-zero score if the
probabilities were rounded to multiples of 1/256 as an int8 SOFTMAX output would (the zoo's
int8 models use a float32 softmax instead, so they keep every one). Exits 1 if a sum is off by
more than ``--tolerance`` or a display name is missing.

Setup: the MediaPipe venv of ``benchmarks/peers.py`` (``make .venv-mediapipe/.installed``).
Run::

    .venv-mediapipe/bin/python benchmarks/mediapipe_scores.py
    .venv-mediapipe/bin/python benchmarks/mediapipe_scores.py \\
        --model models/efficientnet_lite0_float32.tflite
    .venv-mediapipe/bin/python benchmarks/mediapipe_scores.py --json     # one JSON object
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path

from harness import machine, markdown_table

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = ROOT / "assets" / "photos"
DEFAULT_MODEL = ROOT / "models" / "efficientnet_lite0_int8.tflite"


@dataclass(frozen=True)
class PhotoScores:
    photo: str
    categories: int
    score_sum: float
    top_index: int
    top_score: float
    category_name: str
    display_name: str
    nonzero_at_1_256: int


def photos() -> list[Path]:
    return sorted(p for p in PHOTOS.rglob("*") if p.suffix.lower() in {".png", ".jpg", ".jpeg"})


def run(model: Path, files: list[Path]) -> list[PhotoScores]:
    import cv2
    import mediapipe as mp
    import numpy as np
    from mediapipe.tasks.python import vision
    from mediapipe.tasks.python.core.base_options import BaseOptions

    options = vision.ImageClassifierOptions(
        base_options=BaseOptions(model_asset_path=str(model)),
        max_results=-1,
        display_names_locale="en",
    )
    rows = []
    with vision.ImageClassifier.create_from_options(options) as classifier:
        for path in files:
            bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)  # grey photos too: 3 channels
            rgb = np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            image = mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)
            cats = classifier.classify(image).classifications[0].categories
            top = max(cats, key=lambda c: c.score)
            rows.append(
                PhotoScores(
                    photo=str(path.relative_to(PHOTOS)),
                    categories=len(cats),
                    score_sum=float(sum(c.score for c in cats)),
                    top_index=int(top.index),
                    top_score=float(top.score),
                    category_name=str(top.category_name),
                    display_name=str(top.display_name or ""),
                    nonzero_at_1_256=sum(round(c.score * 256) > 0 for c in cats),
                )
            )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--tolerance", type=float, default=1e-3, help="allowed |sum - 1|")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    rows = run(args.model, photos())
    bad = [
        r
        for r in rows
        if abs(r.score_sum - 1.0) > args.tolerance or not r.display_name or r.categories < 2
    ]
    model = args.model.resolve()
    name = str(model.relative_to(ROOT)) if model.is_relative_to(ROOT) else str(model)
    if args.json:
        report = {
            "mediapipe": version("mediapipe"),
            "model": name,
            "machine": machine(extra=("mediapipe",)).line(),
            "photos": [asdict(r) for r in rows],
            "ok": not bad,
        }
        print(json.dumps(report, indent=1))
    else:
        print(f"mediapipe {version('mediapipe')}, {name}, max_results=-1, display_names_locale=en")
        print(f"machine: {machine(extra=('mediapipe',)).line()}")
        print(
            markdown_table(
                (
                    "photo",
                    "categories",
                    "sum of scores",
                    "top (index, score)",
                    "category name",
                    "display name",
                    "> 0 at 1/256",
                ),
                (
                    (
                        r.photo,
                        r.categories,
                        f"{r.score_sum:.6f}",
                        f"{r.top_index}, {r.top_score:.3f}",
                        r.category_name,
                        r.display_name,
                        r.nonzero_at_1_256,
                    )
                    for r in rows
                ),
            )
        )
        sums = [r.score_sum for r in rows]
        print(f"{len(rows)} photos; sums {min(sums):.6f} .. {max(sums):.6f}; "
              f"{'all sum to 1 with display names' if not bad else f'{len(bad)} NOT'}")  # fmt: skip
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
