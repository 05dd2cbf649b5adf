"""Words that match what happened: ``models --no-measure`` says nothing was measured, and
Ctrl-C says what it stopped, that the output written is valid, and --resume where a
command has it (exit 130)."""

from __future__ import annotations

import argparse

import pytest

from camviz.cli import main
from camviz.cli.output import EXIT_INTERRUPTED

from ..conftest import MODELS, camviz


def test_models_no_measure_does_not_claim_a_median() -> None:
    model = MODELS / "squeezenet1_1_int8.tflite"
    run = camviz("models", model, "--no-measure")
    assert run.returncode == 0, run.stderr
    assert "median" not in run.stdout and "invoke: not measured (--no-measure)" in run.stdout
    zoo = camviz("models", "--no-measure")
    assert "median" not in zoo.stdout and "latency: not measured" in zoo.stdout


def _interrupt(_args: argparse.Namespace) -> int:
    raise KeyboardInterrupt


@pytest.mark.parametrize(
    ("argv", "command", "resume"),
    [(["classify", "x.jpg"], "cmd_classify", True), (["models"], "cmd_models", False)],
)
def test_ctrl_c_says_what_it_stopped_and_exits_130(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    command: str,
    resume: bool,
) -> None:
    monkeypatch.setattr(f"camviz.cli.parser.{command}", _interrupt)
    assert main(argv) == EXIT_INTERRUPTED == 130
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"Interrupted: camviz {argv[0]} was stopped")
    assert "written is valid" in err
    assert ("--resume" in err) is resume
