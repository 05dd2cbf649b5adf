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
from collections.abc import Generator, Iterator
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
#: What the text listing says when ``--score-threshold`` leaves no label (as the annotators).
NO_LABEL = "no label above the threshold"
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
        "beside it while it runs); - for standard output (default: no file, standard output)",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="with --out: cut a torn last line, then skip photos FILE has a result for",
    )
    add_batch_options(p, "classify")
    sampling = p.add_mutually_exclusive_group()
    sampling.add_argument(
        "--every",
        type=positive_int,
        default=None,
        metavar="N",
        help="classify every Nth frame of a video or stream (default: every frame)",
    )
    sampling.add_argument(
        "--fps",
        type=positive_float,
        default=None,
        metavar="N",
        help="classify N frames a second of a video or stream, on its clock (default: every "
        "frame; not with --every)",
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
        help="record the annotated frames of one video or stream (.mp4, or MJPG .avi; default: "
        "no recording)",
    )


def add_batch_options(p: argparse.ArgumentParser, verb: str) -> None:
    """How many photos are decoded at once, at what size, and where the work runs:
    the options ``classify`` and ``eval`` share."""
    p.add_argument(
        "--workers",
        type=worker_count,
        default=None,
        metavar="N",
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
        "('auto', 'ray://head:10001'; write --ray=ADDRESS); needs the 'ray' extra (default: "
        "no Ray, decode threads on this machine)",
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
    if not result.categories:
        lines.append(f"  {NO_LABEL}\n")
    return "".join(lines)


def _frame_line(record: dict[str, Any]) -> str:
    top = record.get("top") or []
    note = "  (not sure: no label is likely)" if record.get("uncertain") else ""
    said = f"{top[0].get('score', 0) * 100:5.1f}%  {top[0].get('label', '')}" if top else NO_LABEL
    return (
        terminal_safe(
            f"{record['path']} frame {record['frame']} at {record['timestamp_s']:.3f} s  "
            f"{said}{note}"
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


#: A step of a run, in input order: ``("photo", arg)`` (a photo, or a folder of none, for
#: :func:`~camviz.imageio.find_images`), ``("folder", (arg, videos))`` (a folder of photos
#: and maybe videos), ``("frames", spec)`` (a video, a URL, a stream...) or
#: ``("bad", (arg, error))`` (no source).
_Step = tuple[str, Any]


def _split_inputs(paths: list[str]) -> list[_Step]:
    """The inputs, read by the one source grammar (:func:`camviz.sources.parse_source`),
    in the order given: photos and folders for the batch, frame sources (videos, URLs,
    streams, cameras, the screen, the demo reel played once), and the strings that are
    no source. A URL is a frame source until its server's answer says it is a photo."""
    from camviz.errors import CamvizError
    from camviz.sources import VIDEO_EXTENSIONS, SourceKind, demo_reel_path, parse_source

    steps: list[_Step] = []
    for text in paths:
        try:
            spec = parse_source(text, missing_ok=True)
            kind = spec.kind
            if kind is SourceKind.PHOTO:
                steps.append(("photo", text))
            elif kind is SourceKind.VIDEO:  # a file the decoder reports unless it is a video
                is_video = Path(text).suffix.lower() in VIDEO_EXTENSIONS
                steps.append(("frames" if is_video else "photo", text))
            elif kind is SourceKind.DEMO:
                steps.append(("frames", str(demo_reel_path())))  # once: the live reel loops
            elif kind is SourceKind.FOLDER:  # photos through find_images, which names skips
                try:
                    media = spec.media()
                except CamvizError:  # nothing in it: find_images says so
                    steps.append(("photo", text))
                    continue
                if media.photos:  # its photos and videos in one sorted order, in _plan
                    steps.append(("folder", (text, [str(v) for v in media.videos])))
                else:
                    steps.extend(("frames", str(v)) for v in media.videos)
            elif kind.files:  # a glob or an image sequence, in its sorted order
                media = spec.media()
                photos = set(media.photos)
                steps.extend(("photo" if f in photos else "frames", str(f)) for f in media.files)
            else:
                steps.append(("frames", text))
        except CamvizError as exc:
            steps.append(("bad", (text, exc)))
    return steps


#: A run of the plan: ``("photos", [(path, problem or None), ...])`` (consecutive photo
#: inputs, decoded ahead together), ``("frames", spec)`` or ``("bad", (arg, error))``.
_Run = tuple[str, Any]


def _plan(steps: list[_Step]) -> list[_Run]:
    """The steps with each photo input expanded (folders in their sorted order, the
    problems found where they were found) and runs of consecutive photos merged."""
    from camviz.imageio import find_images

    plan: list[_Run] = []

    def add_photos(entries: list[tuple[str, Exception | None]]) -> None:
        if plan and plan[-1][0] == "photos":
            plan[-1][1].extend(entries)
        elif entries:
            plan.append(("photos", entries))

    for kind, value in steps:
        if kind not in ("photo", "folder"):
            plan.append((kind, value))
            continue
        arg, videos = value if kind == "folder" else (value, [])
        search = find_images([arg])
        add_photos([(str(p), e) for p, e in search.problems])
        files = sorted([*((str(p), True) for p in search.images), *((v, False) for v in videos)])
        for path, is_photo in files:  # a folder's own sorted order
            if is_photo:
                add_photos([(path, None)])
            else:
                plan.append(("frames", path))
    return plan


def cmd_classify(args: argparse.Namespace) -> int:
    from camviz.backends import Delegate
    from camviz.batch.frames import Sampling
    from camviz.batch.records import (
        STDOUT_NAMES,
        ResultsFile,
        check_layout,
        done_paths,
        is_done,
    )
    from camviz.classifier import ClassifierOptions

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
    plan = _plan(_split_inputs([str(p) for p in args.paths]))
    photos = [p for kind, run in plan if kind == "photos" for p, problem in run if not problem]
    videos = [str(spec) for kind, spec in plan if kind == "frames"]
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
        todo = len(photos) - skipped
        sink = _Sink(fmt, write, new_file)
        if not photos and not videos:
            for kind, run in plan:
                for path, problem in run if kind == "photos" else [run] if kind == "bad" else ():
                    sink.error(path, problem)
            if not plan:
                print("ImageNotFoundError: no images given", file=sys.stderr)
            return EXIT_FAILED
        start = time.monotonic()
        work = stack.enter_context(_Work(args, options))
        progress = ProgressBar("classify", enabled=not args.quiet and todo > 1, unit="photo")
        count = 0
        for kind, run in plan:
            if kind == "bad":
                sink.error(*run)
            elif kind == "frames":
                for record, result in work.frames(run, sampling):
                    key = record["path"] + (f"#{record['frame']}" if "frame" in record else "")
                    if done and "error" not in record and key in done:
                        continue
                    sink.record(record, result)
            else:
                entries = [(p, e) for p, e in run if e is not None or not is_done(p, done)]
                outcomes = work.photos([p for p, e in entries if e is None])
                for path, problem in entries:
                    if problem is not None:
                        sink.error(path, problem)
                        continue
                    outcome = next(outcomes)
                    sink.record(outcome.record(), outcome.result)
                    count += 1
                    progress(count, todo)
                outcomes.close()
        progress.close()
        if args.out is not None:
            where = "standard output" if str(args.out) in STDOUT_NAMES else str(args.out)
            print(
                terminal_safe(
                    f"camviz classify: {_count(sink.written, 'record')} to {where}"
                    + (
                        f" ({_count(skipped, 'photo')} skipped: already there)"
                        if args.resume
                        else ""
                    )
                    + f", {sink.failed} failed, in {time.monotonic() - start:.1f} s"
                ),
                file=sys.stderr,
            )
    return EXIT_FAILED if sink.failed else EXIT_OK


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


class _Work:
    """Where the photos and frames are classified, opened when first needed and kept for
    the run: one classifier (the photos' decode pool feeds it; videos and streams use it
    too), or Ray actors for the photos with ``--ray``. A context manager."""

    def __init__(self, args: argparse.Namespace, options: Any) -> None:
        self.args = args
        self.options = options
        self._stack = contextlib.ExitStack()
        self._clf: Any = None
        self._ray: Any = None

    def __enter__(self) -> _Work:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def classifier(self) -> Any:
        if self._clf is None:
            from camviz.loading import check_model_file, needs_check, open_classifier

            if needs_check(self.options.model):  # a user's file: test-load it in a child first
                check_model_file(self.options.model)
            self._clf = self._stack.enter_context(open_classifier(self.options))
        return self._clf

    def photos(self, paths: list[str]) -> Generator[Any, None, None]:
        if not paths:
            return
        reduce = not self.args.full_decode
        if self.args.ray is not None:
            if self._ray is None:
                from camviz.batch.ray_runner import RayBatch

                batch = RayBatch(self.options, self.args.ray or None, reduce=reduce)
                self._ray = self._stack.enter_context(batch)
            yield from self._ray.classify_paths(paths)
            return
        from camviz.batch.runner import classify_paths

        clf = self.classifier()
        yield from classify_paths(clf, paths, workers=self.args.workers, reduce=reduce)

    def frames(self, spec: str, sampling: Any) -> Iterator[tuple[dict[str, Any], Any]]:
        from camviz.batch.frames import classify_source
        from camviz.cli.record import recording

        args = self.args
        with recording(self.classifier(), spec, args.record, args.every, args.fps) as clf:
            yield from classify_source(clf, spec, sampling)
