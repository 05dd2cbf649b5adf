"""Text output is safe for a terminal (issue 24, item 6): control characters in names,
folder names, labels, sources and messages are escaped in text and error lines; JSON keeps
them exactly (its encoder escapes them)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from camviz.errors import ImageDecodeError, format_error, terminal_safe

from ..conftest import MODELS, PHOTOS, camviz

#: What an attacker puts in a name: clipboard write (OSC 52), clear screen, a bell, a
#: carriage return that hides what came before, a C1 CSI, DEL.
EVIL = "\x1b]52;c;aGFja2Vk\x07\x1b[2J\r\x9b31m\x7f"

CONTROLS = [chr(c) for c in (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0))]


def _raw_controls(text: str) -> list[str]:
    return [c for c in text if c in CONTROLS and c != "\n"]


@pytest.mark.parametrize("char", CONTROLS)
def test_every_control_character_is_escaped(char: str) -> None:
    safe = terminal_safe(f"a{char}b")
    assert not _raw_controls(safe) and "\n" not in safe
    assert safe.startswith("a\\") and safe.endswith("b")
    assert terminal_safe("naïve café → ok") == "naïve café → ok"  # printable text untouched
    assert terminal_safe("two\nlines\x1b", lines=True) == "two\nlines\\x1b"


def test_json_keeps_the_exact_text() -> None:
    message = format_error(ImageDecodeError(f"{EVIL}.jpg is broken"))
    assert "\x1b]52;c;aGFja2Vk\x07" in message  # as raised (whitespace folded); JSON escapes it
    assert json.loads(json.dumps({"m": message}))["m"] == message


@pytest.fixture
def evil_tree(tmp_path: Path) -> Path:
    folder = tmp_path / f"folder{EVIL}"
    folder.mkdir()
    shutil.copy(PHOTOS / "skimage/chelsea.png", folder / f"cat{EVIL}.png")
    (folder / f"broken{EVIL}.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a jpeg")
    return folder


def test_classify_text_and_error_lines_are_escaped(evil_tree: Path, tmp_path: Path) -> None:
    labels = tmp_path / "labels.txt"
    names = (MODELS / "imagenet_labels.txt").read_text().splitlines()
    labels.write_text("\n".join(f"{EVIL}{name}" for name in names) + "\n")
    missing = tmp_path / f"gone{EVIL}.png"
    run = camviz("classify", "--threads", "1", "--labels", labels, evil_tree, missing)
    assert run.returncode == 1
    assert not _raw_controls(run.stdout) and not _raw_controls(run.stderr)
    assert "\\x1b]52;c;aGFja2Vk\\x07" in run.stdout  # the name is still there, escaped
    assert run.stderr.count("ImageDecodeError") == 1  # the broken photo
    assert run.stderr.count("Error: ") == 2 and "gone\\x1b]52" in run.stderr  # the missing one
    assert "1. " in run.stdout and "tabby" in run.stdout  # the good photo still classified


def test_classify_json_keeps_the_names_exactly(evil_tree: Path) -> None:
    run = camviz("classify", "--threads", "1", "--format", "json", evil_tree)
    records = [json.loads(line) for line in run.stdout.splitlines()]
    paths = sorted(Path(r["path"]).name for r in records)
    assert paths == sorted(p.name for p in evil_tree.iterdir())
    assert not _raw_controls(run.stdout) and not _raw_controls(run.stderr)


def test_errors_of_other_commands_are_escaped(tmp_path: Path) -> None:
    model = tmp_path / f"model{EVIL}.tflite"
    model.write_bytes(b"not a model")
    for args in (
        ("models", "--no-measure", model),
        ("classify", "--model", model, PHOTOS / "skimage/coffee.png"),
        ("eval", tmp_path / f"set{EVIL}.csv"),
    ):
        run = camviz(*args)
        assert run.returncode != 0, args
        assert not _raw_controls(run.stderr), (args, run.stderr)
        assert "\\x1b" in run.stderr and "Traceback" not in run.stderr


def test_usage_errors_echo_escaped() -> None:
    for args in (("classify", f"--{EVIL}", "x.jpg"), ("classify", "--format", EVIL, "x.jpg")):
        run = camviz(*args)
        assert run.returncode == 2
        assert not _raw_controls(run.stderr) and "\\x1b" in run.stderr


def test_log_lines_are_escaped_after_the_cli_starts() -> None:
    import subprocess
    import sys

    from ..conftest import ROOT

    code = (
        "import logging; from camviz.cli import main; main(['models', '--no-measure', 'x']); "
        f"logging.getLogger('camviz.classifier').warning('model %s clipped', {EVIL!r})"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert "clipped" in run.stderr and "\\x1b]52" in run.stderr
    assert not _raw_controls(run.stderr)


def test_lines_printed_by_any_command_are_escaped(tmp_path: Path) -> None:
    """teach prints its skipped files itself: the streams of every command are escaped."""
    for name, photo in (("cat", "chelsea.png"), ("cup", "coffee.png")):
        (tmp_path / name).mkdir()
        for i in range(3):
            shutil.copy(PHOTOS / "skimage" / photo, tmp_path / name / f"{i}.png")
    (tmp_path / "cup" / f"evil{EVIL}.jpg").write_bytes(b"not a photo")
    run = camviz("teach", tmp_path, "--out", tmp_path / "m.head.npz", "--no-progress")
    assert run.returncode == 1, run.stderr  # a file was skipped (the model is saved)
    assert (tmp_path / "m.head.npz").is_file()
    assert "evil\\x1b]52" in run.stderr and not _raw_controls(run.stderr + run.stdout)
