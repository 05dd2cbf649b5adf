"""Load a camviz zoo model into MediaPipe's ImageClassifier and print its top-3 per photo.

This checks that the standard TFLite metadata written by ``camviz.backends.add_metadata`` is
what MediaPipe expects (labels, normalisation, image properties).  Not part of CI: run it in a
venv with ``mediapipe`` and camviz (for the benchmarks' harness; no TensorFlow), e.g.::

    python3 -m venv .venv-mediapipe && .venv-mediapipe/bin/pip install mediapipe
    .venv-mediapipe/bin/pip install --no-deps -e .
    .venv-mediapipe/bin/python benchmarks/mediapipe_check.py            # print only
    .venv-mediapipe/bin/python benchmarks/mediapipe_check.py --readme   # and into models/README.md

MediaPipe reports the model's outputs as "scores": the zoo's models end in a float32 softmax,
so these are probabilities (``benchmarks/mediapipe_scores.py`` checks that they sum to 1).
"""

from __future__ import annotations

import argparse
import itertools
import sys
from importlib.metadata import version
from pathlib import Path

from harness import machine, percentiles, time_calls

ROOT = Path(__file__).resolve().parents[1]
START = "<!-- mediapipe-check:start -->"
END = "<!-- mediapipe-check:end -->"
PHOTOS = ("assets/photos/skimage/chelsea.png", "assets/photos/skimage/coffee.png")


def run(model: Path, photos: list[Path], repeats: int, threads_note: str) -> str:
    import mediapipe as mp
    from mediapipe.tasks.python import vision
    from mediapipe.tasks.python.core.base_options import BaseOptions

    options = vision.ImageClassifierOptions(
        base_options=BaseOptions(model_asset_path=str(model)), max_results=3
    )
    lines = [
        f"mediapipe {version('mediapipe')}, "
        f"model {model.relative_to(ROOT) if model.is_relative_to(ROOT) else model} "
        f"({model.stat().st_size:,} bytes); {threads_note}",
        f"machine before the run: {machine(extra=('mediapipe',)).line()} "
        "(timings on a shared machine vary up to 2x)",
    ]
    with vision.ImageClassifier.create_from_options(options) as classifier:
        for photo in photos:
            image = mp.Image.create_from_file(str(photo))
            result = classifier.classify(image)  # warm-up, and the result shown
            ms, _ = time_calls(classifier.classify, itertools.repeat(image, repeats))
            times = percentiles(ms)
            cats = result.classifications[0].categories
            top = ", ".join(f"{c.index} {c.category_name!r} {c.score:.2f}" for c in cats)
            lines.append(
                f"{photo.name} ({image.width}x{image.height}): {top} | "
                f"median {times.p50:.2f} ms/call over {repeats} calls "
                f"(p95 {times.p95:.2f})"
            )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model", type=Path, default=ROOT / "models" / "efficientnet_lite0_int8.tflite"
    )
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument(
        "--readme", action="store_true", help="write the output into models/README.md"
    )
    args = parser.parse_args()
    photos = [ROOT / p for p in PHOTOS]
    note = "scores are probabilities; latency includes preprocessing"
    out = run(args.model, photos, args.repeats, note)
    print(out)
    if args.readme:
        readme = ROOT / "models" / "README.md"
        text = readme.read_text(encoding="utf-8")
        block = f"{START}\nOutput of `benchmarks/mediapipe_check.py`:\n\n```\n{out}\n```\n{END}"
        if START in text and END in text:
            text = text[: text.index(START)] + block + text[text.index(END) + len(END) :]
        else:
            text = text.rstrip("\n") + "\n\n## MediaPipe check\n\n" + block + "\n"
        readme.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
