"""A Ray run whose own node dies (issue 24.4/24.8, found by V24): with the local node's
agent killed, the raylet goes with it, no task can finish and ``ray.wait`` never
returned; ``classify --ray --out`` hung until killed. Now it ends within seconds with
one WorkerLostError line, the output whole, and ``--resume`` finishes it with exactly
one line per input."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ..conftest import PHOTOS, ROOT

pytest.importorskip("ray", reason="needs the 'ray' extra")
pytestmark = [pytest.mark.ray, pytest.mark.slow]

PHOTO_COUNT = 600


def _descendants(root: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _named(pid: int, name: str) -> bool:
    try:
        return name in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False


def _camviz(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "camviz", "classify", "--quiet", *map(str, args)]


def test_a_run_whose_raylet_dies_ends_in_one_line_and_resumes(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    sources = [PHOTOS / "skimage/coffee.png", PHOTOS / "opencv/orange.jpg"]
    for i in range(PHOTO_COUNT):
        shutil.copy(sources[i % 2], folder / f"p{i:03d}{sources[i % 2].suffix}")
    out = tmp_path / "out.jsonl"
    run = subprocess.Popen(
        _camviz("--ray", "--out", out, folder),
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not (out.exists() and out.read_text().count("\n") >= 20):
            assert run.poll() is None and time.monotonic() < deadline, "no results came"
            time.sleep(0.1)
        # the node's agent: its death takes the raylet with it (a raylet killed alone is
        # restarted by Ray and the run finishes)
        agents = [p for p in _descendants(run.pid) if _named(p, "ray::DashboardAgent")]
        if not agents:
            pytest.skip("this Ray starts no DashboardAgent under the run")
        os.kill(agents[0], signal.SIGKILL)
        killed = time.monotonic()
        _, stderr = run.communicate(timeout=60)
        waited = time.monotonic() - killed
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
    assert run.returncode == 1
    assert waited < 30
    assert "WorkerLostError: the Ray node running this run is gone" in stderr
    assert "Traceback" not in stderr
    kept = out.read_text()
    assert kept.endswith("\n") and 20 <= kept.count("\n") < PHOTO_COUNT
    again = subprocess.run(
        _camviz("--out", out, "--resume", folder),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=240,
    )
    assert again.returncode == 0, again.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(r["path"] for r in records) == sorted(str(p) for p in folder.iterdir())
    assert {r["top"][0]["label"] for r in records} == {"espresso", "orange"}
