"""``camviz eval DATA``: top-1/top-5 accuracy and latency of models on a labelled set.

The scoring is :func:`camviz.batch.scoring.score_model` (the decode pool, or Ray
actors with ``--ray``; latency percentiles over every image); this prints it,
then writes the optional files: ``--predictions`` (JSON lines, one per image and
model), ``--confusion`` (confusion matrix and per-class recall, one PNG per model)
and ``--plot`` (accuracy vs latency of the models). The 'plot' extra is checked
before any work starts; results are printed before the plots are drawn.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import sys
from pathlib import Path
from typing import Any

from camviz.cli.classify import add_batch_options
from camviz.cli.output import (
    EXIT_FAILED,
    EXIT_OK,
    ProgressBar,
    json_line,
    mb,
    print_json,
    table,
    terminal_safe,
)

__all__ = ["cmd_eval", "add_eval_options", "confusion_path"]


def add_eval_options(p: argparse.ArgumentParser) -> None:
    """The batch, plot and Ray options of ``camviz eval`` (called by the parser)."""
    p.add_argument(
        "--predictions",
        type=Path,
        default=None,
        metavar="FILE",
        help="per-image JSON lines (default: none)",
    )
    p.add_argument(
        "--confusion",
        type=Path,
        default=None,
        metavar="FILE.png",
        help="confusion matrix and per-class recall (one PNG per model; 'plot' extra; "
        "default: none)",
    )
    p.add_argument(
        "--plot",
        type=Path,
        default=None,
        metavar="FILE.png",
        help="accuracy vs latency of the models compared ('plot' extra; default: none)",
    )
    add_batch_options(p, "score")


def confusion_path(base: Path, model: str, models: int) -> Path:
    """``--confusion`` for one model: the path itself, or ``stem-MODEL.png`` for several."""
    if models <= 1:
        return base
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(model).stem or "model")
    return base.with_name(f"{base.stem}-{safe}{base.suffix or '.png'}")


def cmd_eval(args: argparse.Namespace) -> int:
    from camviz.backends import Accelerator, Delegate
    from camviz.batch.scoring import score_model
    from camviz.classifier import ClassifierOptions
    from camviz.errors import OptionsError
    from camviz.evaluate import Evaluation

    if args.workers is not None and args.workers < 1:
        raise OptionsError(f"--workers must be at least 1, got {args.workers}")
    if args.confusion or args.plot:
        from camviz.batch.plots import require_plot

        require_plot()  # before the work, not after it
    if args.ray is not None:
        from camviz.batch.ray_runner import require_ray

        require_ray()
    from camviz.sources import SourceKind, parse_source

    # the one source grammar: a camera, the screen, a URL or a glob are sources, not data sets
    # (a missing file is left to the reader, which says so); a CSV is a file of no photo kind
    parse_source(args.data, missing_ok=True).require(
        {SourceKind.FOLDER, SourceKind.VIDEO},
        "camviz eval",
        "a folder with one subfolder a class, or a CSV file of labelled paths",
    )
    models = args.model or [""]
    delegate = Delegate.parse(args.delegate)
    scores = []
    with contextlib.ExitStack() as stack:
        sink = None
        if args.predictions is not None:  # whole lines; a FIFO or device refused at once
            from camviz.batch.records import ResultsFile

            results = stack.enter_context(ResultsFile(args.predictions, truncate=True))

            def sink(record: dict[str, Any]) -> None:
                results.write(json_line(record) + "\n")

        for model in models:
            options = ClassifierOptions(
                model=model,
                threads=args.threads,
                delegate=delegate,
                backend=args.backend,
                accelerator=Accelerator.parse(args.accelerator),
            )
            progress = ProgressBar(f"eval {model or 'default model'}", enabled=not args.no_progress)
            scores.append(
                score_model(
                    options,
                    Path(args.data),
                    ray=args.ray,
                    workers=args.workers,
                    reduce=not args.full_decode,
                    progress=progress,
                    predictions=sink,
                )
            )
    evaluation = Evaluation(args.data, args.threads, tuple(s.score for s in scores))
    for note in evaluation.notes:
        print(terminal_safe(f"note: {note}"), file=sys.stderr)
    for failure in evaluation.failures:
        print(terminal_safe(failure), file=sys.stderr)
    code = EXIT_FAILED if evaluation.failures else EXIT_OK
    if args.json:
        payload = evaluation.to_dict()
        payload["results"] = [s.to_dict() for s in scores]
        print_json(payload)
    else:
        _print_table(scores, args.threads)
    sys.stdout.flush()
    _write_plots(args, scores)
    return code


def _print_table(scores: list[Any], threads: int) -> None:
    rows = [
        [
            "model",
            "images",
            "top-1",
            "top-5",
            "scored in",
            "latency p50",
            "latency p95",
            "images/s",
            "size",
        ]
    ]
    for batch in scores:
        s = batch.score
        latency = s.latency.percentiles()
        rows.append(
            [
                s.model,
                str(s.images),
                f"{s.top1_acc * 100:.1f}%",
                f"{s.top5_acc * 100:.1f}%",
                s.index_space,
                f"{latency.p50:.2f} ms",
                f"{latency.p95:.2f} ms",
                f"{s.images / batch.wall_s:.1f}" if batch.wall_s else "-",
                mb(s.file_bytes),
            ]
        )
    table(rows)
    print(
        f"latency: preprocess + invoke + postprocess per image, {threads} threads, "
        "percentiles over every image"
    )
    print(
        "scored in: imagenet-1k (a 1001-class model's output i is ImageNet class i-1), "
        "or model (its own output indices)"
    )


def _write_plots(args: argparse.Namespace, scores: list[Any]) -> None:
    if not (args.confusion or args.plot):
        return
    from camviz.errors import OutputError, WriteRefusedError

    try:
        _draw(args, scores)
    except WriteRefusedError:
        raise
    except OSError as exc:  # a full disk, a read-only folder: one line, not a traceback
        raise OutputError(
            f"cannot write {exc.filename or 'a plot'}: {exc.strerror or exc}"
        ) from exc


def _draw(args: argparse.Namespace, scores: list[Any]) -> None:
    from camviz.batch.plots import accuracy_latency_png, confusion_png

    if args.confusion:
        for batch in scores:
            path = confusion_path(args.confusion, batch.score.model, len(scores))
            confusion_png(batch, path)
            print(terminal_safe(f"wrote {path}"), file=sys.stderr)
    if args.plot:
        accuracy_latency_png(scores, args.plot)
        print(terminal_safe(f"wrote {args.plot}"), file=sys.stderr)
