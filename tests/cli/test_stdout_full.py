"""Standard output that cannot be written (issue 24.5, found by V24): ``camviz classify
... > /dev/full`` or ``> file`` under ``ulimit -f`` ends with one line naming standard
output and the cause, exit 1 (it was an ``OSError`` traceback)."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import PHOTOS, ROOT

GOOD = [PHOTOS / "opencv" / "orange.jpg", PHOTOS / "skimage" / "chelsea.png"]


def _run(
    args: list[str], stdout: int, limit: int | None = None
) -> subprocess.CompletedProcess[str]:
    def preexec() -> None:
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run(
        [sys.executable, "-m", "camviz", *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        timeout=120,
        preexec_fn=preexec,
    )


@pytest.mark.parametrize(
    "args", [["classify", "--quiet", "--json"], ["classify", "--quiet"], ["--help"]]
)
def test_dev_full_is_one_line_not_a_traceback(args: list[str]) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    with open("/dev/full", "w") as full:
        result = _run([*args, *map(str, GOOD)] if args[0] == "classify" else args, full.fileno())
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "StdoutError: cannot write to standard output: No space left on device"
    ]


def test_a_size_limit_on_redirected_output_is_one_line(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    with out.open("w") as handle:
        result = _run(["classify", "--quiet", "--json", *map(str, GOOD * 10)], handle.fileno(), 512)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "StdoutError: cannot write to standard output: File too large"
    ]
    assert out.stat().st_size <= 512


def test_output_that_fits_is_unchanged(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    with out.open("w") as handle:
        result = _run(["classify", "--quiet", "--json", *map(str, GOOD)], handle.fileno())
    assert result.returncode == 0, result.stderr
    assert len(out.read_text().splitlines()) == 2
