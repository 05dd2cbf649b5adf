"""The ``camviz`` command line.

``camviz`` alone opens the window; subcommands work headless::

    camviz classify PATH...     classify photos or folders of photos
    camviz models               the model zoo, with latency measured here and now
    camviz eval DATA            top-1/top-5 accuracy and latency on a labelled set
    camviz bench                frame-budget benchmark of the live pipeline
    camviz teach DATA --out M.head.npz   teach new classes from photos and videos
    camviz export-head M.head.npz --out M.tflite   a taught model as one int8 .tflite
    camviz cameras              list the cameras OpenCV can open

Errors print as ``Type: message`` on stderr and the exit code is non-zero.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from camviz import __version__
from camviz.errors import CamvizError, format_error

__all__ = ["main", "build_parser"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


# ---------------------------------------------------------------------------------- helpers
class Progress:
    """A one-line progress bar on stderr (only redrawn when stderr is a terminal)."""

    def __init__(self, label: str, stream: TextIO | None = None, enabled: bool = True) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = self.stream.isatty()
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if self.tty and (now - self._last > 0.1 or done == total):
            self._last = now
            width = 30
            filled = int(width * done / max(total, 1))
            bar = "#" * filled + "-" * (width - filled)
            self.stream.write(f"\r{self.label} [{bar}] {done}/{total}")
            if done == total:
                self.stream.write("\n")
            self.stream.flush()
        elif not self.tty and done == total:
            self.stream.write(f"{self.label}: {done}/{total} done\n")


def _table(rows: Sequence[Sequence[str]], out: TextIO) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        out.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        out.write("\n")
        if n == 0:
            out.write("  ".join("-" * w for w in widths) + "\n")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


# ---------------------------------------------------------------------------------- classify
def cmd_classify(args: argparse.Namespace) -> int:
    from camviz.classifier import ClassifierOptions
    from camviz.imageio import find_images, load_image
    from camviz.loading import check_model_file, needs_check, open_classifier

    out = sys.stdout
    failed = False

    def report_error(path: Path | str, exc: BaseException) -> None:
        nonlocal failed
        failed = True
        message = format_error(exc)
        if args.json:
            kind, _, text = message.partition(": ")
            out.write(json.dumps({"path": str(path), "error": {"type": kind, "message": text}}))
            out.write("\n")
        print(message if str(path) in message else f"{path}: {message}", file=sys.stderr)

    search = find_images(args.paths)
    for path, problem in search.problems:
        report_error(path, problem)
    if not search.images:
        if not search.problems:
            print("ImageNotFoundError: no images given", file=sys.stderr)
        return EXIT_FAILED

    options = ClassifierOptions(
        model=args.model, threads=args.threads, top_k=args.top_k, labels=args.labels
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
                record = {
                    "path": str(path),
                    "top": [c.to_dict() for c in result.categories],
                    "uncertain": result.uncertain,
                    "latency_ms": round(result.times.total_ms, 3),
                    "model": result.model,
                }
                out.write(json.dumps(record) + "\n")
            else:
                note = "  (not sure: no label is likely)" if result.uncertain else ""
                out.write(f"{path}  [{result.times.total_ms:.1f} ms]{note}\n")
                for rank, cat in enumerate(result.categories, start=1):
                    out.write(f"  {rank}. {cat.score * 100:5.1f}%  {cat.label}  ({cat.index})\n")
            out.flush()
    return EXIT_FAILED if failed else EXIT_OK


# ---------------------------------------------------------------------------------- models
def measure_invoke_ms(clf: Any, runs: int = 20, warmup: int = 3) -> list[float]:
    """Invoke latency in ms, after warm-up, on a real-looking (seeded noise) frame."""
    from camviz.bench import time_invokes

    width, height = clf.info.input_size
    frame = np.random.default_rng(0).integers(0, 256, (height * 2, width * 2, 3), dtype=np.uint8)
    return time_invokes(clf, frame, runs, warmup)


def cmd_models(args: argparse.Namespace) -> int:
    from camviz.classifier import ClassifierOptions
    from camviz.loading import open_classifier
    from camviz.zoo import load_zoo

    zoo = load_zoo()
    records: list[dict[str, Any]] = []
    for spec in zoo.models:
        record: dict[str, Any] = {
            "name": spec.name,
            "default": spec.name == zoo.default,
            "input_size": list(spec.input_size),
            "dtype": spec.dtype,
            "file_bytes": spec.path.stat().st_size if spec.path.exists() else None,
            "published_top1": spec.published_top1,
            "published_top5": spec.published_top5,
            "threads": args.threads,
        }
        if not args.no_measure:
            try:
                with open_classifier(ClassifierOptions(model=spec.name, threads=args.threads)) as c:
                    times = measure_invoke_ms(c, runs=args.runs)
                record["latency_ms"] = round(statistics.median(times), 3)
                record["load_ms"] = round(c.info.load_ms, 3)
            except CamvizError as exc:
                record["error"] = format_error(exc)
        records.append(record)
    if args.json:
        print(json.dumps({"runtime_threads": args.threads, "models": records}, indent=2))
        return EXIT_OK
    rows = [
        ["name", "input", "dtype", "size", "top-1 (published)", f"latency ({args.threads} thr)"]
    ]
    for r in records:
        latency = r.get("latency_ms")
        rows.append(
            [
                r["name"] + (" *" if r["default"] else ""),
                "x".join(str(v) for v in r["input_size"]),
                r["dtype"],
                _mb(r["file_bytes"]) if r["file_bytes"] else "missing",
                _pct(r["published_top1"]),
                f"{latency:.2f} ms" if latency is not None else r.get("error", "-"),
            ]
        )
    _table(rows, sys.stdout)
    print("* default model; latency: median interpreter invoke here and now, after warm-up")
    return EXIT_OK


# ---------------------------------------------------------------------------------- eval
def cmd_eval(args: argparse.Namespace) -> int:
    from camviz.classifier import ClassifierOptions
    from camviz.evaluate import evaluate_model

    models = args.model or [""]
    scores = []
    for model in models:
        options = ClassifierOptions(model=model, threads=args.threads)
        label = model or "default model"
        progress = Progress(f"eval {label}", enabled=not args.no_progress)
        scores.append(evaluate_model(options, Path(args.data), progress))
    failed = any(s.failures for s in scores)
    for score in scores:
        for failure in score.failures:
            print(failure, file=sys.stderr)
    if args.json:
        print(
            json.dumps(
                {
                    "data": str(args.data),
                    "threads": args.threads,
                    "results": [s.to_dict() for s in scores],
                },
                indent=2,
            )
        )
        return EXIT_FAILED if failed else EXIT_OK
    rows = [["model", "images", "top-1", "top-5", "latency p50", "latency p95", "size"]]
    for s in scores:
        d = s.to_dict()
        rows.append(
            [
                s.model,
                str(s.images),
                f"{s.top1_acc * 100:.1f}%",
                f"{s.top5_acc * 100:.1f}%",
                f"{d['latency_ms']['p50']:.2f} ms",
                f"{d['latency_ms']['p95']:.2f} ms",
                _mb(s.file_bytes),
            ]
        )
    _table(rows, sys.stdout)
    print(f"latency: preprocess + invoke + postprocess per image, {args.threads} threads")
    return EXIT_FAILED if failed else EXIT_OK


# ---------------------------------------------------------------------------------- bench
def cmd_bench(args: argparse.Namespace) -> int:
    from camviz.bench import (
        BenchOptions,
        format_table,
        machine_description,
        plot,
        results_json,
        run_bench,
    )

    opts = BenchOptions(
        models=tuple(args.model or [""]),
        threads=tuple(args.threads or [2]),
        source=args.source,
        frames=args.frames,
        budget_ms=args.budget_ms,
        invokes=args.invokes,
    )

    def progress(message: str) -> None:
        if not args.quiet:
            print(f"bench: {message}", file=sys.stderr, flush=True)

    results = run_bench(opts, progress)
    if args.plot:
        plot(results, args.plot)
    if args.json:
        payload = results_json(results)
        if args.machine:
            payload = {"machine": machine_description(), "results": payload}
        print(json.dumps(payload, indent=2))
    else:
        print(format_table(results))
        print(
            f"budget {opts.budget_ms:g} ms; e2e = capture to result in the real-time run "
            f"(source paced, latest frame wins); x = lossless pipeline fps / sequential fps"
        )
    over = [r for r in results if r.over_budget]
    for r in over:
        print(
            f"over budget: {r.model} with {r.threads} threads has p95 end-to-end "
            f"{r.realtime.snapshot.e2e_ms.p95:.1f} ms > {opts.budget_ms:g} ms",
            file=sys.stderr,
        )
    return EXIT_FAILED if over else EXIT_OK


# ---------------------------------------------------------------------------------- teach
def cmd_teach(args: argparse.Namespace) -> int:
    from camviz.teach import TrainOptions, is_head_path, save_confusion_png, teach_folder

    if not is_head_path(args.out):
        raise CamvizError(f"--out {args.out} must end in .head.npz (so --model recognises it)")
    if args.export_tflite:
        from camviz.modelbuild.export_head import check_target
        from camviz.teach import require_export

        check_target(args.export_tflite)  # fail before the work, not after
        require_export(args.backbone)
    options = TrainOptions(
        val=args.val,
        seed=args.seed,
        l2=args.l2,
        frames_per_video=args.frames_per_video,
        augment=args.augment,
    )
    progress = Progress("features", enabled=not args.no_progress)
    head, report = teach_folder(
        args.data, backbone=args.backbone, options=options, threads=args.threads, progress=progress
    )
    for problem in report.skipped:
        print(problem, file=sys.stderr)
    saved = head.save(args.out)
    if args.confusion_png:
        save_confusion_png(report, args.confusion_png)
    exported = None
    if args.export_tflite:
        from camviz.teach import export_tflite

        exported = export_tflite(head, args.export_tflite, log=_stderr_log(args.no_progress))
    if args.json:
        record: dict[str, Any] = {"out": str(saved), **report.to_dict()}
        if exported is not None:
            record["export"] = exported.to_dict()
        print(json.dumps(record, indent=2))
    else:
        print(report.format())
        print(f"saved {saved}; use it with  camviz classify --model {saved} PHOTO")
        if exported is not None:
            print(exported.format())
    return EXIT_OK


def _stderr_log(quiet: bool) -> Any:
    def log(message: str) -> None:
        if not quiet:
            print(f"export: {message}", file=sys.stderr, flush=True)

    return log


# ---------------------------------------------------------------------------------- export-head
def cmd_export_head(args: argparse.Namespace) -> int:
    from camviz.modelbuild.export_head import check_target
    from camviz.teach import export_tflite, load_head, require_export

    check_target(args.out)
    head = load_head(args.head)
    require_export(head.backbone)
    exported = export_tflite(head, args.out, log=_stderr_log(args.quiet))
    if args.json:
        print(json.dumps(exported.to_dict(), indent=2))
    else:
        print(exported.format())
        print(f"use it with  camviz classify --model {exported.path} PHOTO  (or in MediaPipe)")
    return EXIT_OK


# ---------------------------------------------------------------------------------- cameras
def cmd_cameras(args: argparse.Namespace) -> int:
    from camviz.sources import list_cameras

    cameras = list_cameras(args.max_index)
    if not cameras:
        print(
            f"no camera answered at indices 0..{args.max_index - 1}; "
            "use --source demo, a video file or a folder of photos"
        )
        return EXIT_OK
    for cam in cameras:
        print(f"{cam.index}: {cam.width}x{cam.height}")
    return EXIT_OK


# ---------------------------------------------------------------------------------- gui
def cmd_gui(args: argparse.Namespace) -> int:
    try:
        from camviz.qt.app import run_gui
    except ImportError as exc:
        raise CamvizError(
            f"the window needs PySide6 ({exc}); install it with  pip install PySide6-Essentials"
        ) from exc
    return int(
        run_gui(
            source=args.source,
            model=args.model,
            threads=args.threads,
            quit_after=args.quit_after,
            stats_json=args.stats_json,
        )
    )


# ---------------------------------------------------------------------------------- parser
def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="camviz",
        description="Live camera image classification with TensorFlow Lite models.",
    )
    parser.add_argument("--version", action="version", version=f"camviz {__version__}")
    parser.add_argument(
        "--source",
        default=None,
        help="camera index or device, video, image, folder, or 'demo' "
        "(default: camera 0, else the demo)",
    )
    parser.add_argument("--model", default="", help="zoo model name or .tflite path")
    parser.add_argument("--threads", type=_positive_int, default=2)
    parser.add_argument(
        "--quit-after",
        type=_positive_float,
        default=None,
        metavar="SECONDS",
        help="close the window after this many seconds",
    )
    parser.add_argument(
        "--stats-json",
        type=Path,
        default=None,
        metavar="PATH",
        help="write final metrics and the last result here on exit",
    )
    parser.set_defaults(func=cmd_gui)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("classify", help="classify photos and folders of photos")
    p.add_argument("paths", nargs="+", help="image files or folders (searched recursively)")
    p.add_argument("--model", default="", help="zoo model name or .tflite path")
    p.add_argument("--top-k", type=_positive_int, default=5)
    p.add_argument("--threads", type=_positive_int, default=2)
    p.add_argument("--labels", type=Path, default=None, help="labels file, one a line")
    p.add_argument("--json", action="store_true", help="one JSON object a line")
    p.set_defaults(func=cmd_classify)

    p = sub.add_parser("models", help="list the model zoo with latency measured here")
    p.add_argument("--threads", type=_positive_int, default=2)
    p.add_argument("--runs", type=_positive_int, default=20, help="invokes timed per model")
    p.add_argument("--no-measure", action="store_true", help="skip the latency measurement")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("eval", help="top-1/top-5 accuracy on a labelled folder or CSV")
    p.add_argument("data", help="folder with one subfolder per class, or a CSV of path,indices")
    p.add_argument("--model", action="append", help="model to compare (repeatable)")
    p.add_argument("--threads", type=_positive_int, default=2)
    p.add_argument("--json", action="store_true")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("bench", help="does a model meet the frame budget on this device?")
    p.add_argument("--model", action="append", help="model to bench (repeatable)")
    p.add_argument(
        "--threads", action="append", type=_positive_int, help="thread count (repeatable: a sweep)"
    )
    p.add_argument("--source", default="demo", help="demo (default), a video, a folder, a camera")
    p.add_argument("--frames", type=_positive_int, default=300, help="frames per pipeline run")
    p.add_argument("--budget-ms", type=_positive_float, default=33.0)
    p.add_argument("--invokes", type=_positive_int, default=200, help="timed raw invokes")
    p.add_argument("--json", action="store_true")
    p.add_argument("--machine", action="store_true", help="with --json: describe this machine")
    p.add_argument("--plot", type=Path, default=None, metavar="FILE.png")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("teach", help="teach new classes from folders of photos and videos")
    p.add_argument("data", help="folder with one subfolder per class (photos and/or videos)")
    p.add_argument("--out", required=True, help="where to save the taught model (*.head.npz)")
    p.add_argument("--backbone", default="", help="zoo model whose features to use")
    p.add_argument("--val", type=float, default=0.2, help="fraction held out for validation")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--l2", type=float, default=1e-4, help="L2 penalty of the softmax head")
    p.add_argument("--frames-per-video", type=_positive_int, default=50)
    p.add_argument("--augment", action="store_true", help="add flipped/cropped/brightened copies")
    p.add_argument("--threads", type=_positive_int, default=2)
    p.add_argument("--confusion-png", type=Path, default=None, metavar="FILE")
    p.add_argument(
        "--export-tflite",
        type=Path,
        default=None,
        metavar="FILE",
        help="also write a standalone int8 .tflite (needs the 'build' extra)",
    )
    p.add_argument("--json", action="store_true")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=cmd_teach)

    p = sub.add_parser(
        "export-head", help="a taught *.head.npz as a standalone int8 .tflite (build extra)"
    )
    p.add_argument("head", type=Path, help="the taught model (*.head.npz)")
    p.add_argument("--out", type=Path, required=True, help="the .tflite to write")
    p.add_argument("--json", action="store_true")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(func=cmd_export_head)

    p = sub.add_parser("cameras", help="list the cameras that open")
    p.add_argument("--max-index", type=_positive_int, default=5)
    p.set_defaults(func=cmd_cameras)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except CamvizError as exc:
        print(format_error(exc), file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
