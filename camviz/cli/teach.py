"""``camviz teach DATA --out M.head.npz`` and ``camviz export-head M.head.npz --out M.tflite``.

Teaching is :func:`camviz.teach.teach_folder`, exporting :func:`camviz.export.export_head`
(the ``build`` extra); these commands check their arguments first and print the reports.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from camviz.cli.output import EXIT_FAILED, EXIT_OK, ProgressBar, print_json, stderr_log
from camviz.errors import CamvizError

__all__ = ["cmd_export_head", "cmd_teach"]


def cmd_teach(args: argparse.Namespace) -> int:
    from camviz.sources import SourceKind, parse_source
    from camviz.teach import TrainOptions, is_head_path, save_confusion_png, teach_folder

    if not is_head_path(args.out):
        raise CamvizError(f"--out {args.out} must end in .head.npz (so --model recognises it)")
    if args.confusion_png:
        from camviz.batch.plots import require_plot

        require_plot("Confusion plot")  # before the work, not after it
    if args.export_model:
        from camviz.export import check_target, require_export

        check_target(args.export_model)  # fail before the work, not after
        require_export(args.backbone)
    # the one source grammar, after the extras (named before any work): a camera, a URL or a
    # glob are sources, but not a data set
    parse_source(args.data).require(
        {SourceKind.FOLDER},
        "camviz teach",
        "a folder with one subfolder of photos or videos a class",
    )
    options = TrainOptions(
        val=args.val,
        seed=args.seed,
        l2=args.l2,
        frames_per_video=args.frames_per_video,
        augment=args.augment,
    )
    progress = ProgressBar("features", enabled=not args.no_progress)
    head, report = teach_folder(
        args.data, backbone=args.backbone, options=options, threads=args.threads, progress=progress
    )
    for problem in report.skipped:
        print(problem, file=sys.stderr)
    saved = head.save(args.out)
    if not args.json:  # the results first: an export or a plot that fails cannot hide them
        print(report.format())
        print(f"saved {saved}; use it with  camviz classify --model {saved} PHOTO")
    exported = None
    if args.export_model:
        from camviz.export import export_head

        exported = export_head(head, args.export_model, log=stderr_log("export", args.no_progress))
        if not args.json:
            print(exported.format())
    if args.json:
        record: dict[str, Any] = {"out": str(saved), **report.to_dict()}
        if exported is not None:
            record["export"] = exported.to_dict()
        print_json(record)
    if args.confusion_png:
        save_confusion_png(report, args.confusion_png)
    # as classify and eval: a file that could not be used fails the run (the model is saved)
    return EXIT_FAILED if report.skipped else EXIT_OK


def cmd_export_head(args: argparse.Namespace) -> int:
    from camviz.export import check_target, export_head, require_export
    from camviz.teach import load_head

    check_target(args.out)
    head = load_head(args.head)
    require_export(head.backbone)
    exported = export_head(head, args.out, log=stderr_log("export", args.quiet))
    if args.json:
        print_json(exported.to_dict())
    else:
        print(exported.format())
        print(f"use it with  camviz classify --model {exported.path} PHOTO  (or in MediaPipe)")
    return EXIT_OK
