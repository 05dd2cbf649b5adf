"""How long "where does the model look" takes here: the occlusion map of a photo.

    .venv/bin/python benchmarks/explain_bench.py [--model M] [--threads 2] [--runs 3] [--json]

Times :class:`camviz.explain.Explainer` with the default grid and patch (what
``camviz explain`` uses) on chelsea and two more photos, after one untimed warm-up: wall
and process CPU seconds per map, invokes per map and milliseconds per invoke, and whether
the classifier took the occluded inputs batched. The target is a map in under 10 s on
this 2-core machine (issue 22). Timings on shared machines vary; compare within one run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness import Span, machine, markdown_table, percentiles  # noqa: E402

from camviz.classifier import ClassifierOptions  # noqa: E402
from camviz.defaults import THREADS  # noqa: E402
from camviz.explain import Explainer, ExplainOptions  # noqa: E402
from camviz.imageio import load_image  # noqa: E402
from camviz.loading import open_classifier  # noqa: E402

PHOTOS = ROOT / "assets" / "photos"
IMAGES = (
    PHOTOS / "skimage" / "chelsea.png",
    PHOTOS / "skimage" / "coffee.png",
    PHOTOS / "opencv" / "fruits.jpg",
)
TARGET_S = 10.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="", help="zoo model or file (default: the zoo's)")
    parser.add_argument("--threads", type=int, default=THREADS)
    parser.add_argument("--runs", type=int, default=3, help="timed maps per photo")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    options = ExplainOptions()
    rows, report = [], []
    with open_classifier(ClassifierOptions(model=args.model, threads=args.threads)) as clf:
        explainer = Explainer(clf, options)
        explainer.explain(load_image(IMAGES[0]))  # warm-up, untimed
        for path in IMAGES:
            image = load_image(path)
            walls, cpus, invokes, label = [], [], 0, ""
            for _ in range(args.runs):
                with Span() as span:
                    result = explainer.explain(image)
                assert result is not None
                walls.append(span.wall_s)
                cpus.append(span.cpu_s)
                invokes, label = result.invokes, result.label
            wall = percentiles(walls)
            entry = {
                "photo": path.name,
                "label": label,
                "invokes": invokes,
                "wall_s_p50": round(wall.p50, 3),
                "wall_s_max": round(wall.max, 3),
                "cpu_s_p50": round(percentiles(cpus).p50, 3),
                "ms_per_invoke": round(wall.p50 * 1000.0 / invokes, 2),
                "batched": explainer.batched,
            }
            report.append(entry)
            rows.append([entry[k] for k in entry])
        model = clf.info.name
    worst = max(e["wall_s_max"] for e in report)
    summary = {
        "model": model,
        "threads": args.threads,
        "grid": options.grid,
        "patch": options.patch,
        "runs": args.runs,
        "photos": report,
        "worst_wall_s": worst,
        "target_s": TARGET_S,
        "target_met": worst < TARGET_S,
        "machine": machine().to_dict(),
    }
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(machine().line())
        print(
            f"{model}, {args.threads} threads, grid {options.grid}, patch {options.patch} cells, "
            f"{args.runs} runs a photo"
        )
        print(markdown_table(list(report[0]), rows))
        verdict = "met" if worst < TARGET_S else "MISSED"
        print(f"slowest map {worst:.2f} s; target < {TARGET_S:.0f} s {verdict}")
    return 0 if worst < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
