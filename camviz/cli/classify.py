"""``camviz classify PATH...``: the top labels of photos and folders of photos."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from camviz.cli.output import EXIT_FAILED, EXIT_OK
from camviz.errors import CamvizError, format_error

__all__ = ["cmd_classify", "error_record"]


def error_record(path: Path | str, exc: BaseException) -> dict[str, Any]:
    """The JSON line of an image that could not be classified."""
    kind, _, text = format_error(exc).partition(": ")
    return {"path": str(path), "error": {"type": kind, "message": text}}


def _write_human(out: TextIO, path: Path, result: Any, clip_warn: float) -> None:
    note = "  (not sure: no label is likely)" if result.uncertain else ""
    if result.input_clipped > clip_warn:
        note += (
            f"  (warning: {result.input_clipped:.0%} of the model's input is clipped; "
            "its input normalisation looks wrong)"
        )
    out.write(f"{path}  [{result.times.total_ms:.1f} ms]{note}\n")
    for rank, cat in enumerate(result.categories, start=1):
        where = f"{cat.index}"
        if cat.imagenet_index is not None and cat.imagenet_index != cat.index:
            where += f"; ImageNet {cat.imagenet_index}"
        out.write(f"  {rank}. {cat.score * 100:5.1f}%  {cat.label}  ({where})\n")


def cmd_classify(args: argparse.Namespace) -> int:
    from camviz.backends import Delegate
    from camviz.classifier import CLIP_WARN_FRACTION, ClassifierOptions
    from camviz.imageio import find_images, load_image
    from camviz.loading import check_model_file, needs_check, open_classifier

    out = sys.stdout
    failed = False

    def report_error(path: Path | str, exc: BaseException) -> None:
        nonlocal failed
        failed = True
        if args.json:
            out.write(json.dumps(error_record(path, exc)) + "\n")
        message = format_error(exc)
        print(message if str(path) in message else f"{path}: {message}", file=sys.stderr)

    search = find_images(args.paths)
    for path, problem in search.problems:
        report_error(path, problem)
    if not search.images:
        if not search.problems:
            print("ImageNotFoundError: no images given", file=sys.stderr)
        return EXIT_FAILED

    options = ClassifierOptions(
        model=args.model,
        threads=args.threads,
        top_k=args.top_k,
        labels=args.labels,
        score_threshold=args.score_threshold,
        min_confidence=args.min_confidence,
        category_allowlist=tuple(args.allow),
        category_denylist=tuple(args.deny),
        delegate=Delegate.parse(args.delegate),
    )
    if needs_check(options.model):  # a user's file: test-load it in a child first
        check_model_file(options.model)
    with open_classifier(options) as clf:
        for path in search.images:
            try:
                result = clf.classify(load_image(path))
            except CamvizError as exc:
                report_error(path, exc)
                continue
            if args.json:
                out.write(json.dumps({"path": str(path), **result.to_dict()}) + "\n")
            else:
                _write_human(out, path, result, CLIP_WARN_FRACTION)
            out.flush()
    return EXIT_FAILED if failed else EXIT_OK
