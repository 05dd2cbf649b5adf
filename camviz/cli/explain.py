"""``camviz explain PHOTO --out heat.png``: where the model looks (occlusion sensitivity).

A grey square slides over the crop the model sees; the map of how much the top class's
probability drops is drawn over that crop and saved as a PNG (or JPEG, by the extension).
The work lives in :mod:`camviz.explain`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Final

from camviz.cli.flags import add_runtime_options
from camviz.cli.numbers import positive_float, positive_int
from camviz.cli.output import EXIT_OK, ProgressBar, print_json
from camviz.cli.subcommands import Subcommands

__all__ = ["add_explain_command", "cmd_explain"]

# camviz.explain's defaults (not imported: it loads numpy and OpenCV); a test holds them equal.
GRID: Final = 12  # camviz.explain.EXPLAIN_GRID
PATCH: Final = 2.0  # camviz.explain.EXPLAIN_PATCH


def add_explain_command(sub: Subcommands) -> None:
    """The ``explain`` subcommand (registered by :mod:`camviz.cli.parser`)."""
    p = sub.add_parser("explain", help="where the model looks: an occlusion map of a photo")
    p.add_argument("photo", type=Path, help="the photo to explain")
    p.add_argument("--out", type=Path, required=True, metavar="FILE.png", help="the map to write")
    p.add_argument("--model", default="", help="zoo model name or model file")
    add_runtime_options(p)
    p.add_argument("--grid", type=positive_int, default=GRID, help=f"cells a side ({GRID})")
    p.add_argument(
        "--patch",
        type=positive_float,
        default=PATCH,
        help=f"the grey square's side in cells ({PATCH})",
    )
    p.add_argument("--json", action="store_true", help="print the map and its top class as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar on stderr")
    p.set_defaults(func=cmd_explain)


def cmd_explain(args: argparse.Namespace) -> int:
    import cv2

    from camviz.backends import Delegate
    from camviz.classifier import ClassifierOptions
    from camviz.errors import OptionsError
    from camviz.explain import Explainer, ExplainOptions
    from camviz.fileio import write_bytes_atomic
    from camviz.imageio import load_image
    from camviz.loading import open_classifier

    suffix = args.out.suffix.lower()
    if suffix not in (".png", ".jpg", ".jpeg"):
        raise OptionsError(f"--out {args.out}: give a .png or .jpg file for the map")
    options = ExplainOptions(grid=args.grid, patch=args.patch)
    image = load_image(args.photo)
    clf_options = ClassifierOptions(
        model=args.model,
        threads=args.threads,
        delegate=Delegate.parse(args.delegate),
        backend=args.backend,
        accelerator=args.accelerator,
    )
    with open_classifier(clf_options) as clf:
        progress = ProgressBar("explain", enabled=not args.quiet, unit="patch")
        explanation = Explainer(clf, options).explain(image, on_progress=progress)
        progress.close()
    assert explanation is not None  # no cancel here
    drawn = explanation.draw(image)
    ok, data = cv2.imencode(suffix, cv2.cvtColor(drawn, cv2.COLOR_RGB2BGR))
    if not ok:
        raise OptionsError(f"--out {args.out}: OpenCV cannot encode {suffix}")
    path = write_bytes_atomic(args.out, data.tobytes())
    if args.json:
        print_json({**explanation.to_dict(), "photo": str(args.photo), "out": str(path)})
    else:
        row, col = explanation.hottest
        x, y, w, h = explanation.cell_box(row, col)
        print(
            f"{args.photo}: {explanation.label} {explanation.probability * 100:.1f}% "
            f"({explanation.model}); hottest cell row {row}, col {col} "
            f"(x {x}..{x + w}, y {y}..{y + h}), a drop of {explanation.heat[row, col] * 100:.1f} "
            f"points; {explanation.invokes} invokes in {explanation.seconds:.2f} s -> {path}",
            file=sys.stdout,
        )
    return EXIT_OK
