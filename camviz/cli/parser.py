"""The argparse tree of ``camviz``: every command, its options, and the function it runs.

Each subparser sets ``func`` to its ``cmd_*`` function; :func:`camviz.cli.main` calls it.
The command modules import their work lazily, so building the parser stays cheap.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

from camviz import __version__
from camviz.cli.bench import add_bench_options, cmd_bench, thread_spec
from camviz.cli.cameras import cmd_cameras
from camviz.cli.classify import add_classify_options, cmd_classify
from camviz.cli.compare import add_compare_command
from camviz.cli.evaluate import add_eval_options, cmd_eval
from camviz.cli.explain import add_explain_command
from camviz.cli.flags import (
    DELEGATE_HELP,
    SHARED_HELP,
    THREADS_AUTO_HELP,
    THREADS_HELP,
    add_backend_options,
    add_delegate,
    add_threads,
    thread_request,
)
from camviz.cli.gui import cmd_gui
from camviz.cli.models import cmd_models
from camviz.cli.numbers import (
    bounded_int,
    camera_index_count,
    finite_float,
    non_negative_float,
    positive_float,
    positive_int,
    seed_int,
    timer_seconds,
    unit_float,
)
from camviz.cli.teach import cmd_export_head, cmd_teach
from camviz.defaults import (
    BENCH_FRAMES,
    BUDGET_MS,
    DEMO,
    DISPLAY_NAMES_LOCALE,
    MIN_CONFIDENCE,
    SCORE_THRESHOLD,
    THREADS,
    TOP_K,
)
from camviz.live_options import option_specs

__all__ = ["build_parser", "finite_float", "positive_float", "positive_int", "unit_float"]

# Defaults of options that camviz.defaults does not hold (yet).
MODELS_RUNS: Final = 20  # camviz.zoo_report.INVOKE_RUNS (not imported: it loads numpy)
MODELS_WARMUP: Final = 3  # camviz.zoo_report.INVOKE_WARMUP
BENCH_INVOKES: Final = 200  # camviz.bench.BenchOptions.invokes
BENCH_MIN_FRAMES: Final = 10  # camviz.bench.records.MIN_FRAMES (it loads numpy)
TEACH_VAL: Final = 0.2  # camviz.teach.TrainOptions.val
TEACH_L2: Final = 1e-4  # camviz.teach.TrainOptions.l2
TEACH_FRAMES_PER_VIDEO: Final = 50  # camviz.teach.TrainOptions.frames_per_video
CAMERAS_MAX_INDEX: Final = 5  # camviz.sources.list_cameras


MODEL_HELP = "zoo model name or model file (.tflite, .onnx, .xml, .head.npz; default: the zoo's)"
TOP_K_HELP = "how many labels to report"
JSON_HELP = "print JSON instead of text"


def _add_quiet(parser: argparse.ArgumentParser, dest: str, help: str) -> None:
    """``--quiet``, the one name for "no progress output" (``--no-progress`` still works)."""
    parser.add_argument("--quiet", dest=dest, action="store_true", help=help)
    parser.add_argument("--no-progress", dest=dest, action="store_true", help=argparse.SUPPRESS)


def _add_invokes(parser: argparse.ArgumentParser, dest: str, default: int, help: str) -> None:
    """``--invokes``, the one name for "timed interpreter invokes" (``--runs`` still works)."""
    parser.add_argument(
        "--invokes", dest=dest, type=positive_int, default=default, metavar="N", help=help
    )
    parser.add_argument("--runs", dest=dest, type=positive_int, help=argparse.SUPPRESS)


class HelpFormatter(argparse.HelpFormatter):
    """Every option's help ends with its default, unless it says it already (the word, or
    ``%(default)s`` in its text: never twice) or has none."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (
            action.option_strings
            and text != argparse.SUPPRESS
            and "default" not in text
            and "%(default)" not in text
            and not (default is None or default is False or default is argparse.SUPPRESS)
            and default not in ("", [])
            and action.nargs != 0
        ):
            text += " (default: %(default)s)"
        return text


class TopHelpFormatter(argparse.RawDescriptionHelpFormatter, HelpFormatter):
    """``camviz --help``: defaults shown, and the grammar's table kept as it is written."""


class CommandParser(argparse.ArgumentParser):
    """A command's parser; it remembers which of its options collect a list (``append``),
    for :mod:`camviz.cli.globals` (``--model`` before ``eval`` is one model of a list)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.repeatable: set[str] = set()

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        action = super().add_argument(*args, **kwargs)
        if kwargs.get("action") == "append":
            self.repeatable.add(action.dest)
        return action


class CamvizParser(argparse.ArgumentParser):
    """The top parser: its help ends with what a source can be (the grammar's one text,
    loaded only when help is printed: camviz.sources imports OpenCV); :attr:`commands`
    are the commands' parsers by name."""

    commands: dict[str, argparse.ArgumentParser]

    def format_help(self) -> str:
        if self.epilog is None:
            from camviz.sources import SOURCE_GRAMMAR

            self.epilog = SOURCE_GRAMMAR
        return super().format_help()


def _house_rules(commands: Iterable[argparse.ArgumentParser]) -> None:
    """What every command shares: the help formatter, and ``--verbose`` after the command."""
    for command in commands:
        command.formatter_class = HelpFormatter
        with contextlib.suppress(argparse.ArgumentError):  # a command that has its own
            command.add_argument(
                "--verbose", action="store_true", default=argparse.SUPPRESS, help=VERBOSE
            )


VERBOSE = "also show the log lines of OpenCV and camviz on stderr"


def _add_live_flags(parser: argparse.ArgumentParser, declared: Iterable[str]) -> None:
    """The window's flags the live-options table declares (``cli_flag``: ``--backend``,
    ``--accelerator``), but those in ``declared`` (given their own types above): dest g_NAME,
    the commands' help where they share the flag (:data:`camviz.cli.flags.SHARED_HELP`: one
    wording), else the table's with its default; the session checks the value
    (camviz.qt.app.run_gui, before the window)."""
    for spec in option_specs():
        if spec.cli_flag and spec.name not in declared:
            text = SHARED_HELP.get(spec.name)
            if text is None:
                text = f"{spec.help[:1].lower() + spec.help[1:]} (default: {spec.default})"
            parser.add_argument(
                spec.cli_flag,
                dest=f"g_{spec.name}",
                metavar=spec.label.upper(),
                default=None,
                help=text,
            )


def _add_gui_options(parser: argparse.ArgumentParser) -> None:
    """The window's options. Their dests are g_*: camviz.cli.globals maps them to the window,
    or to the command given after them (honoured there, or refused)."""
    parser.add_argument(
        "--source",
        dest="g_source",
        metavar="SOURCE",
        default=None,
        help="what the window shows: a camera, a file, a folder, a URL, the screen, demo... "
        "(the kinds are listed below; default: camera 0, else the demo)",
    )
    parser.add_argument(
        "--model",
        dest="g_model",
        metavar="MODEL",
        default=None,
        help=MODEL_HELP,
    )
    parser.add_argument("--delegate", dest="g_delegate", metavar="DELEGATE", help=DELEGATE_HELP)
    _add_live_flags(parser, declared=("delegate", "threads"))
    parser.add_argument(
        "--threads",
        dest="g_threads",
        metavar="N",
        type=thread_request("live", gui=True),
        default=None,
        help=f"{THREADS_HELP} (default: {THREADS}), {THREADS_AUTO_HELP}",
    )
    parser.add_argument(
        "--quit-after",
        dest="g_quit_after",
        type=timer_seconds,
        default=None,
        metavar="SECONDS",
        help="close the window after this many seconds (default: stay open)",
    )
    parser.add_argument(
        "--stats-json",
        dest="g_stats_json",
        type=Path,
        default=None,
        metavar="PATH",
        help="write final metrics and the last result here on exit (default: not written)",
    )
    parser.set_defaults(func=cmd_gui)


def _add_classify(sub: Any) -> None:  # argparse's subparsers
    p = sub.add_parser(
        "classify", help="classify photos, folders, videos, streams, a camera or the screen"
    )
    p.add_argument(
        "paths",
        nargs="+",
        metavar="SOURCE",
        help="photos, folders (photos and videos, recursively), globs, image sequences, "
        "videos, URLs, a camera, the screen or demo (see `camviz --help` for each)",
    )
    p.add_argument("--model", default="", metavar="MODEL", help=MODEL_HELP)
    p.add_argument("--top-k", type=positive_int, default=TOP_K, metavar="K", help=TOP_K_HELP)
    add_threads(p)
    p.add_argument(
        "--labels",
        type=Path,
        default=None,
        metavar="FILE",
        help="labels file, one a line (default: the model's)",
    )
    p.add_argument(
        "--score-threshold",
        type=unit_float,
        default=SCORE_THRESHOLD,
        metavar="P",
        help="report only labels with at least this probability (0..1)",
    )
    p.add_argument(
        "--min-confidence",
        type=unit_float,
        default=MIN_CONFIDENCE,
        metavar="P",
        help="below this top probability, say that no label is likely (0..1)",
    )
    p.add_argument(
        "--display-names-locale",
        default=DISPLAY_NAMES_LOCALE,
        metavar="LOCALE",
        help="name categories from the model metadata's display names in this locale "
        f"(MediaPipe's display_names_locale; default {DISPLAY_NAMES_LOCALE})",
    )
    lists = p.add_mutually_exclusive_group()
    lists.add_argument(
        "--allow",
        action="append",
        default=[],
        metavar="LABEL",
        help="report only these categories (repeatable; MediaPipe's category_allowlist; "
        "default: all)",
    )
    lists.add_argument(
        "--deny",
        action="append",
        default=[],
        metavar="LABEL",
        help="never report these categories (repeatable; MediaPipe's category_denylist; "
        "default: none)",
    )
    add_delegate(p)
    add_backend_options(p)
    p.add_argument(
        "--mean",
        default=None,
        metavar="M[,M,M]",
        help="a user's model's input mean on the 0..255 scale (with --std; 127.5 127.5 is "
        "[-1, 1]; default: the model's metadata)",
    )
    p.add_argument(
        "--std",
        default=None,
        metavar="S[,S,S]",
        help="its input std, 0..255 scale (default: the model's metadata)",
    )
    p.add_argument("--json", action="store_true", help="one JSON object a line")
    _add_quiet(p, "quiet", "no progress bar on stderr (none without a terminal)")
    add_classify_options(p)  # --out, --resume, --csv, --ray, --every, --fps ...
    p.set_defaults(func=cmd_classify)


def _add_models(sub: Any) -> None:  # argparse's subparsers
    p = sub.add_parser(
        "models", help="describe the model zoo, or any model files, with latency measured here"
    )
    p.add_argument(
        "paths", nargs="*", metavar="MODEL", help="model files or zoo names (default: the zoo)"
    )
    add_threads(p)
    add_delegate(p)
    add_backend_options(p)
    _add_invokes(p, "runs", MODELS_RUNS, "interpreter invokes timed per model (after warm-up)")
    p.add_argument(
        "--warmup",
        type=bounded_int(0, 1_000_000, "invokes"),
        default=MODELS_WARMUP,
        metavar="N",
        help="untimed invokes before the timed ones (as bench's; benchmark_model's --warmup_runs)",
    )
    p.add_argument("--no-measure", action="store_true", help="skip the latency measurement")
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p.set_defaults(func=cmd_models)


def _add_eval(sub: Any) -> None:  # argparse's subparsers
    p = sub.add_parser("eval", help="top-1/top-5 accuracy on a labelled folder or CSV")
    p.add_argument("data", help="folder with one subfolder per class, or a CSV of path,indices")
    p.add_argument(
        "--model",
        action="append",
        metavar="MODEL",
        help="model to compare (repeatable; default: the zoo's default)",
    )
    add_threads(p)
    add_delegate(p)
    add_backend_options(p)
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    _add_quiet(p, "no_progress", "no progress bar on stderr")
    add_eval_options(p)  # --predictions, --confusion, --plot, --ray ...
    p.set_defaults(func=cmd_eval)


def _add_bench(sub: Any) -> None:  # argparse's subparsers
    p = sub.add_parser(
        "bench",
        help="does a model meet the frame budget on this device?",
        description="Does a model meet the frame budget on this device? The live pipeline on "
        "SOURCE, timed end to end; --backend all instead times every installed runtime "
        "(LiteRT, ONNX Runtime, OpenVINO...) on the same frames of the source. Exit status 1: "
        "a configuration is over budget, or an entry of the source (a photo or video of a "
        "folder, glob or image sequence) could not be read: each is named on stderr and in "
        "--json's errors, and the others are still benched.",
    )
    p.add_argument(
        "source",
        nargs="?",
        default=None,
        metavar="SOURCE",
        help="what the pipeline reads: demo, a video, photos, a folder (photos and videos, "
        "recursively), a glob, an image sequence, a URL, a camera or the screen (see "
        f"`camviz --help` for each; default: {DEMO})",
    )
    p.add_argument(
        "--source",
        dest="source_option",
        default=None,
        metavar="SOURCE",
        help=f"the same as SOURCE (give one of the two; default: {DEMO})",
    )
    p.add_argument(
        "--model",
        action="append",
        metavar="MODEL",
        help="model to bench (repeatable; default: the zoo's default)",
    )
    p.add_argument(
        "--threads",
        action="append",
        type=thread_spec,
        metavar="N",
        help="thread count (repeatable: a sweep), or auto: the best real-time p95 of 1..cores "
        f"(default: {THREADS})",
    )
    p.add_argument(
        "--frames",
        type=bounded_int(BENCH_MIN_FRAMES, 10_000_000, "frames"),
        default=BENCH_FRAMES,
        metavar="N",
        help=f"frames per pipeline run, at least {BENCH_MIN_FRAMES} (default: {BENCH_FRAMES})",
    )
    p.add_argument(
        "--budget-ms",
        type=positive_float,
        default=BUDGET_MS,
        metavar="MS",
        help="the frame budget: p95 end-to-end latency over it fails the run",
    )
    add_delegate(p)
    _add_invokes(p, "invokes", BENCH_INVOKES, "timed raw interpreter invokes")
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p.add_argument("--machine", action="store_true", help="with --json: describe this machine")
    p.add_argument(
        "--plot",
        type=Path,
        default=None,
        metavar="FILE.png",
        help="plot the latencies (plot extra; default: no plot)",
    )
    _add_quiet(p, "quiet", "no progress lines on stderr")
    add_backend_options(p)  # --backend (and `all`: every runtime), --accelerator
    add_bench_options(p)  # --warmup, --ceiling-frames
    p.set_defaults(func=cmd_bench)


def _add_teach(sub: Any) -> None:  # argparse's subparsers
    p = sub.add_parser(
        "teach",
        help="teach new classes from folders of photos and videos",
        description="Teach new classes from a folder with one subfolder of photos and/or "
        "videos a class. A file that cannot be used is named on stderr (and in --json's "
        "skipped), the others are still taught and the model still saved, and the exit "
        "status is 1, as classify's and eval's.",
    )
    p.add_argument("data", help="folder with one subfolder per class (photos and/or videos)")
    p.add_argument(
        "--out",
        required=True,
        metavar="FILE",
        help="where to save the taught model (*.head.npz; required)",
    )
    p.add_argument(
        "--backbone",
        default="",
        metavar="MODEL",
        help="zoo model whose features to use (default: the zoo's default)",
    )
    p.add_argument(
        "--val",
        type=unit_float,
        default=TEACH_VAL,
        metavar="P",
        help="fraction held out for validation",
    )
    p.add_argument(
        "--seed", type=seed_int, default=0, metavar="N", help="seed of the split and augmentation"
    )
    p.add_argument(
        "--l2",
        type=non_negative_float,
        default=TEACH_L2,
        metavar="X",
        help="L2 penalty of the softmax head",
    )
    p.add_argument(
        "--frames-per-video",
        type=positive_int,
        default=TEACH_FRAMES_PER_VIDEO,
        metavar="N",
        help="frames taken from each video, evenly spaced",
    )
    p.add_argument("--augment", action="store_true", help="add flipped/cropped/brightened copies")
    add_threads(p)
    p.add_argument(
        "--confusion-png",
        type=Path,
        default=None,
        metavar="FILE",
        help="also plot the confusion matrix here (plot extra; default: no plot)",
    )
    p.add_argument(
        "--export-tflite",
        dest="export_model",
        type=Path,
        default=None,
        metavar="FILE",
        help="also write a standalone int8 .tflite (head + softmax, labels inside; default: none)",
    )
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    _add_quiet(p, "no_progress", "no progress bar on stderr")
    p.set_defaults(func=cmd_teach)

    p = sub.add_parser(
        "export-head", help="a taught *.head.npz as one int8 .tflite (softmax, labels inside)"
    )
    p.add_argument("head", type=Path, help="the taught model (*.head.npz)")
    p.add_argument(
        "--out", type=Path, required=True, metavar="FILE", help="the .tflite to write (required)"
    )
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    _add_quiet(p, "quiet", "no progress lines on stderr")
    p.set_defaults(func=cmd_export_head)


def _add_cameras(sub: Any) -> None:  # argparse's subparsers
    p = sub.add_parser("cameras", help="list the cameras that open")
    p.add_argument(
        "--max-index",
        type=camera_index_count,
        default=CAMERAS_MAX_INDEX,
        metavar="N",
        help="try camera indices 0..N-1",
    )
    p.set_defaults(func=cmd_cameras)


def build_parser() -> argparse.ArgumentParser:
    parser = CamvizParser(
        prog="camviz",
        description="Live camera image classification with TensorFlow Lite models.",
        formatter_class=TopHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"camviz {__version__}")
    parser.add_argument("--verbose", action="store_true", help=VERBOSE)
    _add_gui_options(parser)
    # typed loosely: the command modules take argparse's own (private) type
    sub: Any = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=CommandParser)
    for add in (_add_classify, _add_models, _add_eval, _add_bench, _add_teach, _add_cameras):
        add(sub)
    add_compare_command(sub)  # camviz compare MODEL_A MODEL_B SOURCE...
    add_explain_command(sub)  # camviz explain PHOTO --out heat.png
    parser.commands = dict(sub.choices)
    _house_rules(set(parser.commands.values()))
    return parser
