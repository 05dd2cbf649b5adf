"""``camviz classify PATH...``: the top labels of photos, folders of photos, videos and streams.

Photos are decoded on a thread pool (reduced when much larger than the model's
crop) while one classifier invokes them in input order (:mod:`camviz.batch.runner`),
or on Ray actors with ``--ray [ADDRESS]`` (:mod:`camviz.batch.ray_runner`), with
the same output in the same order. A video file or stream URL gives one record per
kept frame (``--every N``, ``--fps N``) with its frame index and time stamp.
``--out FILE`` appends JSON lines (or CSV rows) to FILE; ``--resume`` skips the
photos FILE already has a result for.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from camviz.cli.numbers import MAX_WORKERS, positive_float, positive_int, worker_count
from camviz.cli.output import EXIT_FAILED, EXIT_OK, ProgressBar, json_line
from camviz.errors import OptionsError, format_error, terminal_safe

__all__ = [
    "FORMATS",
    "add_batch_options",
    "add_classify_options",
    "cmd_classify",
    "error_record",
    "output_format",
]

FORMATS = ("json", "csv", "text")
_SUFFIX_FORMATS = {".csv": "csv", ".jsonl": "json", ".json": "json", ".ndjson": "json"}
_SUFFIX_FORMATS[".txt"] = "text"


def output_format(args: argparse.Namespace) -> str:
    """The one output format: from ``--format``, ``--json``, ``--csv``, else ``--out``'s suffix.

    Flags that disagree (``--json --csv``, ``--format csv --out x.jsonl``) are refused.
    """
    chosen = {
        flag: fmt
        for flag, fmt in (
            (f"--format {args.format}", args.format),
            ("--json", "json" if args.json else None),
            ("--csv", "csv" if args.csv else None),
        )
        if fmt is not None
    }
    out = args.out
    suffix = _SUFFIX_FORMATS.get(out.suffix.lower()) if out is not None else None
    if suffix is not None and out is not None:
        chosen[f"--out {out.name}"] = suffix
    if len(set(chosen.values())) > 1:
        raise OptionsError(
            "contradictory output formats: "
            + ", ".join(f"{flag} ({fmt})" for flag, fmt in chosen.items())
            + "; give one (--format json|csv|text, or --out's suffix)"
        )
    if chosen:
        return next(iter(chosen.values()))
    return "json" if out is not None and str(out) not in ("-", "/dev/stdout") else "text"


def error_record(path: Path | str, exc: BaseException) -> dict[str, Any]:
    """The JSON line of an image that could not be classified."""
    kind, _, text = format_error(exc).partition(": ")
    return {"path": str(path), "error": {"type": kind, "message": text}}


def add_classify_options(p: argparse.ArgumentParser) -> None:
    """The batch, video and Ray options of ``camviz classify`` (called by the parser)."""
    p.add_argument(
        "--csv", action="store_true", help="one CSV row a photo or frame (top-1); --format csv"
    )
    p.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="json (JSON lines), csv (top-1 rows) or text (default: from --out's suffix, "
        ".csv or .jsonl/.json/.ndjson/.txt, else json for a file and text on the terminal)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="FILE",
        help="append the records to FILE, whole lines only, one writer at a time (a FILE.lock "
        "beside it); - for standard output",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="with --out: cut a torn last line, then skip photos FILE has a result for",
    )
    add_batch_options(p, "classify")
    sampling = p.add_mutually_exclusive_group()
    sampling.add_argument(
        "--every", type=positive_int, default=None, metavar="N", help="every Nth frame"
    )
    sampling.add_argument(
        "--fps", type=positive_float, default=None, metavar="N", help="N frames a second of video"
    )
    p.add_argument(
        "--max-frames",
        type=positive_int,
        default=None,
        metavar="N",
        help="stop a video or stream after N frames (default: all; live sources: until stopped)",
    )
    p.add_argument(
        "--max-seconds",
        type=positive_float,
        default=None,
        metavar="S",
        help="stop a video or stream after S seconds of it (its position, or the time since a "
        "stream's first frame; default: no limit)",
    )
    p.add_argument(
        "--record",
        type=Path,
        default=None,
        metavar="FILE.mp4",
        help="record the annotated frames of one video or stream (.mp4, or MJPG .avi)",
    )


def add_batch_options(p: argparse.ArgumentParser, verb: str) -> None:
    """How many photos are decoded at once, at what size, and where the work runs:
    the options ``classify`` and ``eval`` share."""
    p.add_argument(
        "--workers",
        type=worker_count,
        default=None,
        help=f"decode threads (default: one per core; at most {MAX_WORKERS})",
    )
    p.add_argument(
        "--full-decode",
        action="store_true",
        help="decode every JPEG at full size (default: reduced when much larger than the model)",
    )
    p.add_argument(
        "--ray",
        nargs="?",
        const="",
        default=None,
        metavar="ADDRESS",
        help=f"{verb} on Ray actors: a local 2-CPU instance, or ray.init(ADDRESS) "
        "('auto', 'ray://head:10001'; write --ray=ADDRESS); needs the 'ray' extra",
    )


def _human(path: str, result: Any, clip_warn: float) -> str:
    from camviz.results import short_label

    safe = terminal_safe
    note = "  (not sure: no label is likely)" if result.uncertain else ""
    if result.input_clipped > clip_warn:
        note += (
            f"  (warning: {result.input_clipped:.0%} of the model's input is clipped; "
            "its input normalisation looks wrong)"
        )
    lines = [f"{safe(path)}  [{result.times.total_ms:.1f} ms]{note}\n"]
    for rank, cat in enumerate(result.categories, start=1):
        where = f"{cat.index}"
        if cat.imagenet_index is not None and cat.imagenet_index != cat.index:
            where += f"; ImageNet {cat.imagenet_index}"
        name = cat.label
        if cat.display_name != short_label(cat.label):  # a display name from the metadata
            name = f"{cat.display_name} [{cat.label}]"
        lines.append(f"  {rank}. {cat.score * 100:5.1f}%  {safe(name)}  ({where})\n")
    return "".join(lines)


def _frame_line(record: dict[str, Any]) -> str:
    top = (record.get("top") or [{}])[0]
    note = "  (not sure: no label is likely)" if record.get("uncertain") else ""
    return (
        terminal_safe(
            f"{record['path']} frame {record['frame']} at {record['timestamp_s']:.3f} s  "
            f"{top.get('score', 0) * 100:5.1f}%  {top.get('label', '')}{note}"
        )
        + "\n"
    )


class _Sink:
    """Where records go: JSON lines, CSV rows or the text listing; errors also to stderr.

    ``write`` takes whole lines (a :class:`~camviz.batch.records.ResultsFile`, or stdout).
    """

    def __init__(self, fmt: str, write: Any, new_file: bool) -> None:
        from camviz.batch.records import csv_line

        self.write = write
        self.mode = fmt
        if fmt == "csv" and new_file:
            write(csv_line())
        self.failed = 0
        self.written = 0
        self._ran_on: tuple[str, str, str] | None = None  # the last text header's

    def error(self, path: str, exc: BaseException) -> None:
        self.record(error_record(path, exc))

    def record(self, record: dict[str, Any], result: Any = None) -> None:
        from camviz.batch.records import csv_line

        if "error" in record:
            self.failed += 1
            message = f"{record['error']['type']}: {record['error']['message']}"
            line = message if record["path"] in message else f"{record['path']}: {message}"
            print(terminal_safe(line), file=sys.stderr)
            if self.mode == "text":
                return
        self.written += 1
        if self.mode == "csv":
            self.write(csv_line(record))
        elif self.mode == "json":
            self.write(json_line(record) + "\n")
        else:
            self._header(record)
            self._text(record, result)

    def _text(self, record: dict[str, Any], result: Any) -> None:
        if result is None:  # a video frame: only its record
            self.write(_frame_line(record))
            return
        from camviz.classifier import CLIP_WARN_FRACTION

        label = (
            record["path"]
            if "frame" not in record
            else (f"{record['path']} frame {record['frame']} at {record['timestamp_s']:.3f} s")
        )
        self.write(_human(label, result, CLIP_WARN_FRACTION))

    def _header(self, record: dict[str, Any]) -> None:
        """The text listing's line naming what runs the model (``model NAME: openvino on CPU``),
        written before the first result and again when the model, runtime or device changes."""
        ran_on = (str(record.get("model")), str(record.get("runtime")), str(record.get("device")))
        if ran_on != self._ran_on:
            self._ran_on = ran_on
            self.write(terminal_safe(f"model {ran_on[0]}: {ran_on[1]} on {ran_on[2]}") + "\n")


def _stdout_write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _split_inputs(paths: list[str]) -> tuple[list[str], list[str], list[tuple[str, Exception]]]:
    """The inputs, read by the one source grammar (:func:`camviz.sources.parse_source`):
    photos and folders for the batch, then frame sources (videos, URLs, streams, cameras,
    the screen, the demo reel played once), then the strings that are no source."""
    from camviz.errors import CamvizError
    from camviz.sources import VIDEO_EXTENSIONS, SourceKind, demo_reel_path, parse_source

    photos: list[str] = []
    frames: list[str] = []
    bad: list[tuple[str, Exception]] = []
    for text in paths:
        try:
            spec = parse_source(text, missing_ok=True)
            kind = spec.kind
            if kind is SourceKind.PHOTO:
                photos.append(text)
            elif kind is SourceKind.VIDEO:  # a file the decoder reports unless it is a video
                is_video = Path(text).suffix.lower() in VIDEO_EXTENSIONS
                (frames if is_video else photos).append(text)
            elif kind is SourceKind.DEMO:
                frames.append(str(demo_reel_path()))  # once: the live reel loops for ever
            elif kind is SourceKind.FOLDER:  # photos through find_images, which names skips
                try:
                    media = spec.media()
                except CamvizError:  # nothing in it: find_images says so
                    photos.append(text)
                    continue
                if media.photos:
                    photos.append(text)
                frames.extend(str(v) for v in media.videos)
            elif kind.files:  # a glob or an image sequence
                media = spec.media()
                photos.extend(str(p) for p in media.photos)
                frames.extend(str(v) for v in media.videos)
            else:
                frames.append(text)
        except CamvizError as exc:
            bad.append((text, exc))
    return photos, frames, bad


def cmd_classify(args: argparse.Namespace) -> int:
    from camviz.backends import Delegate
    from camviz.batch.frames import Sampling
    from camviz.batch.records import ResultsFile, check_layout, done_paths, is_done
    from camviz.classifier import ClassifierOptions
    from camviz.imageio import find_images
    from camviz.loading import check_model_file, needs_check

    if args.ray and Path(args.ray).exists():  # `--ray photo.jpg`: a path, not an address
        args.paths, args.ray = [args.ray, *args.paths], ""
    if args.resume and args.out is None:
        raise OptionsError("--resume needs --out FILE (the file whose photos to skip)")
    fmt = output_format(args)
    if args.resume and fmt == "text":
        raise OptionsError("--resume reads JSON lines or CSV rows; give --format json or csv")
    if args.ray is not None:
        from camviz.batch.ray_runner import require_ray

        require_ray()  # before any work
    sampling = Sampling(args.every, args.fps, args.max_frames, args.max_seconds)
    photo_args, videos, not_sources = _split_inputs([str(p) for p in args.paths])
    search = find_images(photo_args) if photo_args else None
    photos = [str(p) for p in search.images] if search else []
    from camviz.cli.record import check_record

    check_record(args.record, photos, videos)  # before any work
    options = ClassifierOptions(
        model=args.model,
        threads=args.threads,
        top_k=args.top_k,
        labels=args.labels,
        score_threshold=args.score_threshold,
        min_confidence=args.min_confidence,
        category_allowlist=tuple(args.allow),
        category_denylist=tuple(args.deny),
        display_names_locale=args.display_names_locale,
        delegate=Delegate.parse(args.delegate),
        backend=args.backend,
        accelerator=args.accelerator,
        mean=args.mean,
        std=args.std,
    )
    with contextlib.ExitStack() as stack:
        if args.out is not None:  # locked, refused if special, torn tail cut: before reading it
            results = stack.enter_context(ResultsFile(args.out))
            if results.torn:
                print(
                    terminal_safe(
                        f"camviz classify: cut a torn last line ({results.torn} bytes) "
                        f"off {args.out}"
                    ),
                    file=sys.stderr,
                )
            if not results.new_file:
                check_layout(args.out, fmt)
            new_file, write = results.new_file, results.write
        else:
            new_file, write = True, _stdout_write
        done = done_paths(args.out) if args.resume else set()
        skipped = sum(is_done(p, done) for p in photos)
        todo = [p for p in photos if not is_done(p, done)]
        sink = _Sink(fmt, write, new_file)
        for text, problem in not_sources:
            sink.error(text, problem)
        for path, problem in search.problems if search else ():
            sink.error(str(path), problem)
        if not photos and not videos:
            if not (search and search.problems) and not not_sources:
                print("ImageNotFoundError: no images given", file=sys.stderr)
            return EXIT_FAILED
        if needs_check(options.model):  # a user's file: test-load it in a child first
            check_model_file(options.model)
        start = time.monotonic()
        progress = ProgressBar("classify", enabled=not args.quiet and len(todo) > 1, unit="photo")
        for done_count, outcome in enumerate(_photo_outcomes(args, options, todo), start=1):
            sink.record(outcome.record(), outcome.result)
            progress(done_count, len(todo))
        progress.close()
        if videos:
            _run_videos(options, videos, sampling, sink, done, args)
        if args.out is not None:
            print(
                terminal_safe(
                    f"camviz classify: {sink.written} records to {args.out}"
                    + (f" ({skipped} photos skipped: already there)" if args.resume else "")
                    + f", {sink.failed} failed, in {time.monotonic() - start:.1f} s"
                ),
                file=sys.stderr,
            )
    return EXIT_FAILED if sink.failed else EXIT_OK


def _photo_outcomes(args: argparse.Namespace, options: Any, photos: list[str]) -> Iterator[Any]:
    if not photos:
        return
    reduce = not args.full_decode
    if args.ray is not None:
        from camviz.batch.ray_runner import RayBatch

        with RayBatch(options, args.ray or None, reduce=reduce) as batch:
            yield from batch.classify_paths(photos)
        return
    from camviz.batch.runner import classify_paths
    from camviz.loading import open_classifier

    with open_classifier(options) as clf:
        yield from classify_paths(clf, photos, workers=args.workers, reduce=reduce)


def _run_videos(
    options: Any,
    videos: list[str],
    sampling: Any,
    sink: _Sink,
    done: set[str],
    args: argparse.Namespace,
) -> None:
    from camviz.batch.frames import classify_frames
    from camviz.cli.record import recording
    from camviz.loading import open_classifier

    with open_classifier(options) as opened:
        for spec in videos:
            with recording(opened, spec, args.record, args.every, args.fps) as clf:
                for record in classify_frames(clf, spec, sampling):
                    if done and f"{record['path']}#{record.get('frame')}" in done:
                        continue
                    sink.record(record)
