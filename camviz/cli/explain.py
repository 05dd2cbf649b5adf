"""``camviz explain SOURCE --out heat.png``: where the model looks (occlusion sensitivity).

SOURCE is read by the one source grammar (:func:`camviz.sources.parse_source`): a photo
file, or a URL that serves one image (fetched by :class:`camviz.sources.UrlSource`, as
classify fetches it), is explained; a video file (or ``demo``, the bundled reel) on one
frame (``--frame N``, the first by default); any other kind is refused, naming it.

A grey square slides over the crop the model sees; the map of how much the top class's
probability drops is drawn over that crop and saved as a PNG (or JPEG, by the extension).
The work lives in :mod:`camviz.explain`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Final

from camviz.cli.flags import add_runtime_options
from camviz.cli.numbers import MAX_COUNT, bounded_int, positive_float, positive_int
from camviz.cli.output import EXIT_OK, ProgressBar, print_json
from camviz.cli.subcommands import Subcommands
from camviz.errors import OptionsError, terminal_safe

__all__ = ["add_explain_command", "cmd_explain"]

# camviz.explain's defaults (not imported: it loads numpy and OpenCV); a test holds them equal.
GRID: Final = 12  # camviz.explain.EXPLAIN_GRID
PATCH: Final = 2.0  # camviz.explain.EXPLAIN_PATCH


def add_explain_command(sub: Subcommands) -> None:
    """The ``explain`` subcommand (registered by :mod:`camviz.cli.parser`)."""
    p = sub.add_parser(
        "explain",
        help="where the model looks: an occlusion map of a photo (or of a video frame)",
        description="Explains one photo: a photo file, or a URL that serves one image. A "
        "video file (or demo, the bundled reel) is explained on one frame: --frame N, the "
        "first by default. Other sources (folders, globs, image sequences, cameras, the "
        "screen, streams) are refused: explain maps one photo.",
    )
    p.add_argument(
        "photo",
        metavar="SOURCE",
        help="a photo file, a URL of one image, or a video file or demo (its --frame N)",
    )
    p.add_argument("--out", type=Path, required=True, metavar="FILE.png", help="the map to write")
    p.add_argument(
        "--model",
        default="",
        metavar="MODEL",
        help="zoo model name or model file, as --model of classify (default: the zoo's)",
    )
    add_runtime_options(p)
    p.add_argument(
        "--frame",
        type=bounded_int(0, MAX_COUNT, "a C int"),
        default=0,
        metavar="N",
        help="of a video, the frame to explain, counted from 0",
    )
    p.add_argument("--grid", type=positive_int, default=GRID, metavar="N", help="cells a side")
    p.add_argument(
        "--patch",
        type=positive_float,
        default=PATCH,
        metavar="CELLS",
        help="the grey square's side in cells",
    )
    p.add_argument("--json", action="store_true", help="print the map and its top class as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar on stderr")
    p.set_defaults(func=cmd_explain)


def cmd_explain(args: argparse.Namespace) -> int:
    import cv2

    from camviz.backends import Delegate
    from camviz.classifier import ClassifierOptions
    from camviz.explain import Explainer, ExplainOptions
    from camviz.fileio import write_bytes_atomic
    from camviz.loading import open_classifier

    suffix = args.out.suffix.lower()
    if suffix not in (".png", ".jpg", ".jpeg"):
        raise OptionsError(f"--out {args.out}: give a .png or .jpg file for the map")
    options = ExplainOptions(grid=args.grid, patch=args.patch)
    name, image = _frame_of(args.photo, args.frame)
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
        print_json({**explanation.to_dict(), "photo": name, "out": str(path)})
    else:
        row, col = explanation.hottest
        x, y, w, h = explanation.cell_box(row, col)
        print(
            f"{terminal_safe(name)}: {explanation.label} {explanation.probability * 100:.1f}% "
            f"({explanation.model}); hottest cell row {row}, col {col} "
            f"(x {x}..{x + w}, y {y}..{y + h}), a drop of {explanation.heat[row, col] * 100:.1f} "
            f"points; {explanation.invokes} invokes in {explanation.seconds:.2f} s -> {path}",
            file=sys.stdout,
        )
    return EXIT_OK


#: Why a kind of source cannot be explained, and what to give instead.
_REFUSED: Final = {
    "folder": "a folder: name one of its photos or videos",
    "glob": "a glob: name one of the photos it matches",
    "sequence": "an image sequence: name one of its files",
    "camera": "a camera: save a frame of it (a snapshot in the window) and explain that photo",
    "screen": "a screen capture: save a screenshot and explain that photo",
    "stream": "a stream: save a frame of it and explain that photo",
}
_MAPS_ONE = "explain maps one photo (or one frame of a video)"


def _frame_of(text: str, index: int) -> tuple[str, Any]:
    """The name and RGB image of the one photo or video frame ``text`` names (the grammar
    reads it); :class:`OptionsError` for a kind of source that is not one photo."""
    from camviz.imageio import load_image
    from camviz.sources import (
        VIDEO_EXTENSIONS,
        SourceKind,
        demo_reel_path,
        make_source,
        parse_source,
    )

    spec = parse_source(text)
    kind = spec.kind
    if kind is SourceKind.PHOTO or (
        kind is SourceKind.VIDEO and Path(text).suffix.lower() not in VIDEO_EXTENSIONS
    ):  # a photo, or a file of no known kind: the decoder says what it is
        return spec.label, load_image(text)
    if kind is SourceKind.DEMO:
        spec = parse_source(demo_reel_path())
    if kind not in (SourceKind.URL, SourceKind.VIDEO, SourceKind.DEMO):
        raise OptionsError(f"{_MAPS_ONE}; {spec.label} is {_REFUSED[kind.value]}")
    source = make_source(spec, pace=False)  # a URL: one photo or a stream, as the server says
    try:
        source.open()
        if source.is_live:
            raise OptionsError(
                f"{_MAPS_ONE}; {spec.label} is a stream (the server sends a video, not one "
                "image): save a frame of it and explain that photo"
            )
        if kind is SourceKind.URL:
            frame = source.read()
            if frame is None:  # pragma: no cover - an open photo URL has its frame
                raise OptionsError(f"{spec.label} gave no image")
            return spec.label, frame.image
        name = text if kind is SourceKind.DEMO else spec.label
        count = 0
        for frame in source:
            if frame.index >= index:
                return f"{name} frame {frame.index}", frame.image
            count += 1
        raise OptionsError(
            f"--frame {index}: {name} has no frame {index} (it has {count}; they count from 0)"
        )
    finally:
        source.close()
