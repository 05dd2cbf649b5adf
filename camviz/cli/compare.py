"""``camviz compare MODEL_A MODEL_B SOURCE...``: how far two models agree on the same frames.

Both models classify every frame of the sources (any of the one grammar,
:func:`camviz.sources.parse_source`; a live one bounded by ``--max-frames``) decoded once; the
summary (top-1 agreement, top-5 overlap, mean KL divergence, the largest probability difference, the
classes they disagree on, each model's latency) prints as a markdown table, or as JSON with
``--json``. ``--thumbs DIR`` saves the frames that disagree most, both models' labels drawn on.
The work lives in :mod:`camviz.compare`.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from camviz.cli.flags import add_runtime_options
from camviz.cli.numbers import positive_int
from camviz.cli.output import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, print_json
from camviz.cli.subcommands import Subcommands
from camviz.errors import terminal_safe

__all__ = ["add_compare_command", "cmd_compare"]

#: Thumbnails kept by ``--thumbs`` unless ``--keep`` says otherwise.
KEEP: int = 8


def add_compare_command(sub: Subcommands) -> None:
    """The ``compare`` subcommand (registered by :mod:`camviz.cli.parser`)."""
    p = sub.add_parser(
        "compare",
        help="how far two models agree on the same photos, videos or live frames",
        description="Both models classify the same frames of every SOURCE (any source of "
        "camviz --help: photos, folders, globs, image sequences, videos, demo, URLs, "
        "streams, cameras, the screen). A camera, the screen or a stream has no end: "
        "compare refuses it unless --max-frames bounds it. A SOURCE that cannot be "
        "compared is named on stderr, the others still run, and the exit status is 1.",
    )
    p.add_argument("model_a", metavar="MODEL_A", help="zoo model name or model file")
    p.add_argument("model_b", metavar="MODEL_B", help="zoo model name or model file")
    p.add_argument(
        "sources",
        nargs="+",
        metavar="SOURCE",
        help="photos, folders (photos and videos, recursively), globs, image sequences "
        "(img_%%03d.jpg), videos, demo (the reel, once), URLs, and with --max-frames "
        "streams, cameras and the screen",
    )
    add_runtime_options(p)  # --threads, --delegate, --backend, --accelerator: both models'
    p.add_argument(
        "--backend-b",
        default=None,
        metavar="RUNTIME",
        help="model B's runtime when it differs, one of --backend's (the same model on two "
        "runtimes: compare M M --backend-b RUNTIME; default: --backend's)",
    )
    p.add_argument("--json", action="store_true", help="the report as JSON (with every frame)")
    p.add_argument(
        "--thumbs",
        type=Path,
        default=None,
        metavar="DIR",
        help="save the most disagreeing frames in DIR (default: none saved)",
    )
    p.add_argument(
        "--keep", type=positive_int, default=KEEP, metavar="N", help="how many --thumbs saves"
    )
    p.add_argument(
        "--every",
        type=positive_int,
        default=1,
        metavar="N",
        help="every Nth frame of a video, stream, camera or the screen",
    )
    p.add_argument(
        "--max-frames",
        type=positive_int,
        default=None,
        metavar="N",
        help="at most N frames of each video, stream, camera or the screen (default: all "
        "of a video; a camera, the screen or a stream needs it: they have no end)",
    )
    p.add_argument(
        "--workers",
        type=positive_int,
        default=None,
        metavar="N",
        help="photo decode threads (default: one per core)",
    )
    p.add_argument("--full-decode", action="store_true", help="decode every JPEG at full size")
    p.set_defaults(func=cmd_compare)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name.split("#")[0]).name)[:60] + (
        f"_f{name.rsplit('#', 1)[1]}" if "#" in name else ""
    )


def cmd_compare(args: argparse.Namespace) -> int:
    import cv2

    from camviz.backends import Delegate
    from camviz.classifier import ClassifierOptions
    from camviz.compare import compare_inputs
    from camviz.fileio import write_bytes_atomic
    from camviz.loading import open_classifier

    delegate = Delegate.parse(args.delegate)
    common = {
        "threads": args.threads,
        "delegate": delegate,
        "top_k": 5,
        "score_threshold": 0.0,
        "accelerator": args.accelerator,
    }
    options_a = ClassifierOptions(model=args.model_a, backend=args.backend, **common)
    options_b = ClassifierOptions(
        model=args.model_b, backend=args.backend_b or args.backend, **common
    )
    with open_classifier(options_a) as a, open_classifier(options_b) as b:
        comparison = compare_inputs(
            a,
            b,
            args.sources,
            keep=args.keep if args.thumbs is not None else 0,
            every=args.every,
            max_frames=args.max_frames,
            workers=args.workers,
            reduce=not args.full_decode,
        )
    report = comparison.report()
    for failure in report.failures:
        error = failure["error"]
        message = f"{error['type']}: {error['message']}"
        name = failure["name"]  # said once: most messages name their source
        line = message if name in error["message"] else f"{name}: {message}"
        print(terminal_safe(line), file=sys.stderr)
    written: list[str] = []
    if args.thumbs is not None:
        for rank, (record, image) in enumerate(comparison.thumbnails(), start=1):
            ok, data = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
            if ok:
                path = args.thumbs / f"{rank:02d}_{_slug(record.name)}.jpg"
                written.append(str(write_bytes_atomic(path, data.tobytes())))
    if args.json:
        print_json({**report.to_dict(), "thumbnails": written})
    else:
        sys.stdout.write(report.markdown())
        if written:
            print(f"\n{len(written)} thumbnails in {args.thumbs}")
    if report.frames == 0:
        if not report.failures:  # else each failure said why
            print("ImageNotFoundError: no frame to compare", file=sys.stderr)
        return EXIT_FAILED
    if report.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_FAILED if report.failures else EXIT_OK
