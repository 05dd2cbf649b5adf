"""The manners of the command line: one name for one idea, help and a default for every
option, `camviz --help` saying what a source can be, the window without PySide6."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pytest

from camviz.cli import main
from camviz.cli.parser import build_parser
from camviz.errors import ExtraNotInstalledError
from camviz.sources import SOURCE_GRAMMAR

from ..conftest import camviz


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    return dict(parser.commands)  # type: ignore[attr-defined]  # CamvizParser's


def test_one_name_for_one_idea_and_the_old_names_still_work() -> None:
    parser = build_parser()
    for command in ("classify", "bench", "eval", "teach", "export-head"):
        sub = _commands(parser)[command]
        assert "--quiet" in sub._option_string_actions, command
        help_text = sub.format_help()
        assert "--quiet" in help_text and "--no-progress" not in help_text, command
    quiet = parser.parse_args(["eval", "data", "--quiet"])
    old = parser.parse_args(["eval", "data", "--no-progress"])
    assert quiet.no_progress is True and old.no_progress is True
    assert parser.parse_args(["teach", "d", "--out", "x.head.npz", "--quiet"]).no_progress
    assert parser.parse_args(["classify", "x.jpg", "--no-progress"]).quiet
    # timed invokes: --invokes on models and bench; models' --runs still works, hidden
    assert parser.parse_args(["models", "--invokes", "3"]).runs == 3
    assert parser.parse_args(["models", "--runs", "4"]).runs == 4
    assert parser.parse_args(["models"]).runs == 20
    assert parser.parse_args(["bench", "--invokes", "5"]).invokes == 5
    # --warmup: the untimed invokes, on models as on bench
    assert parser.parse_args(["models", "--warmup", "0"]).warmup == 0
    assert parser.parse_args(["models"]).warmup == 3 and parser.parse_args(["bench"]).warmup == 10
    assert "--runs" not in _commands(parser)["models"].format_help()


def test_every_option_has_help_and_shows_its_default() -> None:
    parser = build_parser()
    missing = []
    for name, sub in {"camviz": parser, **_commands(parser)}.items():
        if name in ("compare", "explain"):  # H7's new commands: their own flags
            continue
        for action in sub._actions:
            if action.option_strings and not action.help:
                missing.append(f"{name} {action.option_strings[0]}")
    assert not missing, missing
    classify = _commands(parser)["classify"].format_help()
    assert "how many labels to report (default: 5)" in classify
    assert "interpreter threads (default: 2)" in " ".join(classify.split())
    bench = " ".join(_commands(parser)["bench"].format_help().split())
    assert "default: demo)" in bench and "(default: 200)" in bench


def test_camviz_help_says_what_a_source_can_be() -> None:
    run = camviz("--help")
    assert run.returncode == 0
    assert SOURCE_GRAMMAR in run.stdout
    for kind in ("screen:X,Y,W,H", "img_%03d.jpg", "'photos/*.jpg'", "/dev/video0", "demo"):
        assert kind in run.stdout


def test_verbose_is_taken_before_and_after_the_command() -> None:
    parser = build_parser()
    assert parser.parse_args(["--verbose", "cameras"]).verbose is True
    assert parser.parse_args(["cameras", "--verbose"]).verbose is True
    assert parser.parse_args(["cameras"]).verbose is False


def test_the_window_without_pyside6_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "PySide6", None)  # as if it were not installed
    assert main(["--source", "demo", "--quit-after", "1"]) == 1
    err = capsys.readouterr().err
    assert "The window needs the 'gui' extra (PySide6 is not installed)" in err
    assert "pip install 'camviz[gui]'" in err
    assert issubclass(ExtraNotInstalledError, ImportError)


def test_the_command_line_and_the_api_run_without_pyside6() -> None:
    import subprocess

    from ..conftest import PHOTOS, ROOT

    script = (
        "import sys; sys.modules['PySide6'] = None\n"
        "from camviz.cli import main\n"
        f"code = main(['classify', {str(PHOTOS / 'opencv' / 'orange.jpg')!r}, '--top-k', '1'])\n"
        "import camviz\n"
        "from camviz import ClassifierOptions, open_classifier, load_image, open_source\n"
        "with open_source('demo', pace=False) as source: assert source.read() is not None\n"
        "assert not any(m.startswith('PySide6.') for m in sys.modules)\n"
        "sys.exit(code)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert "orange" in run.stdout


def test_window_options_before_a_command_fill_its_own_and_lists_stay_lists() -> None:
    from camviz.cli.globals import apply_global_options

    parser = build_parser()
    cases = {
        ("--model", "m.tflite", "eval", "data"): ("model", ["m.tflite"]),  # eval's is a list
        ("--threads", "3", "bench"): ("threads", [3]),  # a sweep in bench
        ("--threads", "3", "classify", "x.jpg"): ("threads", 3),
        ("--model", "m.tflite", "classify", "x.jpg"): ("model", "m.tflite"),
    }
    for argv, (name, wanted) in cases.items():
        args = parser.parse_args(list(argv))
        apply_global_options(parser, args)
        assert getattr(args, name) == wanted, argv


@pytest.mark.slow
def test_bench_backend_all_times_every_installed_runtime_on_the_sources_frames(
    tmp_path: Path,
) -> None:
    import json
    import os

    env = {**os.environ, "CAMVIZ_CACHE_DIR": str(tmp_path)}  # auto's choice: not the user's
    run = camviz("bench", "--backend", "all", "--invokes", "10", "--json", "--quiet", env=env)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    runs = report["models"]["default"]
    assert report["source"] == "demo" and runs[0]["backend"] == "litert"
    assert all(r["error"] or r["invoke_ms"]["p50"] > 0 for r in runs)
    refused = camviz("bench", "--backend", "tpu")  # not a runtime: its choices named
    assert refused.returncode == 1 and "--backend must be one of auto, litert" in refused.stderr


def test_the_windows_backend_and_accelerator_come_from_the_live_options_table() -> None:
    from camviz.cli.globals import apply_global_options
    from camviz.cli.parser import build_parser
    from camviz.live_options import option_specs

    parser = build_parser()
    flags = {s.cli_flag: s.name for s in option_specs() if s.cli_flag}
    assert {"--backend", "--accelerator"} <= set(flags)
    args = parser.parse_args(["--backend", "openvino", "--accelerator", "gpu"])
    apply_global_options(parser, args)
    assert (args.command, args.backend, args.accelerator) == (None, "openvino", "gpu")
    args = parser.parse_args([])
    apply_global_options(parser, args)
    assert (args.backend, args.accelerator) == (None, None)  # the session's own defaults
    args = parser.parse_args(["--backend", "openvino", "classify", "x.jpg"])
    apply_global_options(parser, args)
    assert (args.command, args.backend, args.accelerator) == ("classify", "openvino", "cpu")
