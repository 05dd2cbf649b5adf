"""The README's Python examples run as written, each in a fresh interpreter at the repo root."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def python_blocks(text: str) -> list[str]:
    """The bodies of the ```python fenced blocks of a Markdown text, in order."""
    return [m.group(1) for m in _BLOCK.finditer(text)]


BLOCKS = python_blocks(README.read_text(encoding="utf-8"))


def test_the_readme_has_its_examples() -> None:
    # a photo, a frame from OpenCV, a video, a live camera with a callback
    assert len(BLOCKS) >= 4
    joined = "\n".join(BLOCKS)
    for needle in ("load_image(", 'color="bgr"', "pipeline.results(", "on_result="):
        assert needle in joined, needle


def test_python_blocks_are_found() -> None:
    text = "a\n```python\nprint(1)\n```\n```sh\nls\n```\n```python\nx = 2\n```\n"
    assert python_blocks(text) == ["print(1)\n", "x = 2\n"]


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs(index: int) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("CAMVIZ_MODELS_DIR", None)
    run = subprocess.run(
        [sys.executable, "-c", BLOCKS[index]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, f"README example {index + 1} failed:\n{run.stderr[-3000:]}"
    assert run.stdout.strip(), f"README example {index + 1} printed nothing"
