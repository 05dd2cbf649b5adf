"""Bilinear vs area vs halving downscaling: top-1/top-5 on the labelled photos, every zoo model.

    .venv/bin/python benchmarks/resize_check.py [--big 4000x3000] [--json out.json]

Each photo of tests/data/eval_photos.csv is scored as shipped and re-encoded at
a large size (a 12-megapixel camera photo: the crop is then 10-15x the model
input). The resize rules run in the same process on the same decoded pixels:
``bilinear`` (cv2.INTER_LINEAR whatever the reduction), ``area`` (one fractional
cv2.INTER_AREA once the crop is at least
:data:`camviz.preprocess.AREA_DOWNSCALE_FACTOR` times the input: camviz's rule
until issue 23) and ``halving`` (camviz's rule now: exact 2x2 area averages down to
under twice the input, then bilinear; :data:`camviz.preprocess.DOWNSCALE`). The
last column is the median time of the resize alone on a crop of that size.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from pathlib import Path

import cv2
import numpy as np

import camviz.preprocess as preprocess
from camviz.classifier import Classifier, ClassifierOptions
from camviz.imageio import load_image
from camviz.zoo import load_zoo

ROOT = Path(__file__).resolve().parent.parent
CSV = ROOT / "tests" / "data" / "eval_photos.csv"


def _photos() -> list[tuple[Path, set[int]]]:
    rows = [r for r in CSV.read_text().splitlines() if r and not r.startswith("#")]
    out = []
    for row in csv.DictReader(rows):
        out.append(((CSV.parent / row["path"]).resolve(), {int(c) for c in row["classes"].split()}))
    return out


def _big(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The photo as a big camera would deliver it: upscaled, then JPEG-encoded at quality 92."""
    up = cv2.resize(image, size, interpolation=cv2.INTER_CUBIC)
    ok, data = cv2.imencode(
        ".jpg", cv2.cvtColor(up, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92]
    )
    assert ok
    decoded = cv2.imdecode(data, cv2.IMREAD_COLOR)
    return cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB)


def _resize_ms(clf: Classifier, frames: list[np.ndarray]) -> float:
    """Median ms of preprocessing one of ``frames`` (3 passes), under the rule in force."""
    times = []
    for _ in range(3):
        for frame in frames:
            start = time.perf_counter()
            clf.preprocess(frame)
            times.append((time.perf_counter() - start) * 1000.0)
    return sorted(times)[len(times) // 2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", default="4000x3000", help="size of the re-encoded photos, WxH")
    parser.add_argument("--json", type=Path, help="also write the table as JSON here")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.big.lower().split("x"))
    photos = _photos()
    images = {"shipped": [load_image(p) for p, _ in photos]}
    images[f"{width}x{height}"] = [_big(im, (width, height)) for im in images["shipped"]]
    # rule -> (area threshold, anti-aliasing when over it)
    rules = {
        "bilinear": (math.inf, preprocess.Downscale.HALVING),
        "area": (preprocess.AREA_DOWNSCALE_FACTOR, preprocess.Downscale.AREA),
        "halving": (preprocess.AREA_DOWNSCALE_FACTOR, preprocess.Downscale.HALVING),
    }
    default = (preprocess.AREA_DOWNSCALE_FACTOR, preprocess.DOWNSCALE)
    rows = []
    for spec in load_zoo().models:
        with Classifier.create(ClassifierOptions(model=spec.name, top_k=5)) as clf:
            for size, frames in images.items():
                row: dict[str, object] = {"model": spec.name, "photos": size, "n": len(frames)}
                for rule, (factor, downscale) in rules.items():
                    preprocess.AREA_DOWNSCALE_FACTOR, preprocess.DOWNSCALE = factor, downscale
                    top1 = top5 = 0
                    for frame, (_, wanted) in zip(frames, photos, strict=True):
                        result = clf.classify(frame)
                        ranks = [c.imagenet_index for c in result.categories]
                        top1 += ranks[0] in wanted
                        top5 += any(r in wanted for r in ranks)
                    row[f"{rule}_top1"] = top1
                    row[f"{rule}_top5"] = top5
                    row[f"{rule}_ms"] = _resize_ms(clf, frames)
                preprocess.AREA_DOWNSCALE_FACTOR, preprocess.DOWNSCALE = default
                rows.append(row)
    names = list(rules)
    print(
        "| model | photos | "
        + " | ".join(f"{n} top-1" for n in names)
        + " | "
        + " | ".join(f"{n} top-5" for n in names)
        + " | preprocess ms "
        + " / ".join(names)
        + " |"
    )
    print("|---|---|" + "---|" * (2 * len(names) + 1))
    for r in rows:
        print(
            f"| {r['model']} | {r['photos']} ({r['n']}) | "
            + " | ".join(str(r[f"{n}_top1"]) for n in names)
            + " | "
            + " | ".join(str(r[f"{n}_top5"]) for n in names)
            + " | "
            + " / ".join(f"{r[f'{n}_ms']:.2f}" for n in names)
            + " |"
        )
    for size in images:
        totals = {
            n: sum(int(str(r[f"{n}_top1"])) for r in rows if r["photos"] == size) for n in names
        }
        print(f"total top-1, {size}: " + ", ".join(f"{n} {v}" for n, v in totals.items()))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
