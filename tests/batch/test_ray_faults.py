"""Ray faults (issue 24 item 8, issue 20 item 5): a worker that dies has its photos retried
on another actor; a run that cannot finish ends with a one-line error and its output valid
for --resume; Ray's own INFO/WARNING lines stay off the terminal unless --verbose."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from camviz.batch.records import ResultsFile
from camviz.classifier import ClassifierOptions

from ..conftest import PHOTOS, ROOT

pytest.importorskip("ray", reason="needs the 'ray' extra")
pytestmark = [pytest.mark.ray, pytest.mark.slow]

from camviz.batch.ray_runner import RayBatch, WorkerLostError  # noqa: E402


@pytest.fixture
def photos(tmp_path: Path) -> list[str]:
    folder = tmp_path / "photos"
    folder.mkdir()
    sources = [PHOTOS / "skimage/coffee.png", PHOTOS / "opencv/orange.jpg"]
    out = []
    for i in range(24):
        target = folder / f"p{i:02d}{sources[i % 2].suffix}"
        shutil.copy(sources[i % 2], target)
        out.append(str(target))
    return out


def test_a_killed_actor_has_its_photos_retried_on_another(photos: list[str]) -> None:
    with RayBatch(ClassifierOptions(threads=1), actors=2) as batch:
        outcomes = []
        for outcome in batch.classify_paths(photos):
            outcomes.append(outcome)
            if len(outcomes) == 3:
                os.kill(batch.pids[0], signal.SIGKILL)  # a worker dies mid-run
        assert batch.restarts >= 1 and batch.retried >= 1
    assert [o.path for o in outcomes] == photos  # every photo once, in order
    assert all(o.ok for o in outcomes)
    labels = {o.result.categories[0].label for o in outcomes if o.result is not None}
    assert labels == {"espresso", "orange"}


def test_a_run_that_cannot_finish_is_one_error_and_resume_finishes(
    photos: list[str], tmp_path: Path
) -> None:
    out = tmp_path / "out.jsonl"
    with (
        pytest.raises(WorkerLostError, match="Ray worker died") as caught,
        ResultsFile(out) as results,
        RayBatch(ClassifierOptions(threads=1), actors=1, max_attempts=1, max_restarts=0) as batch,
    ):
        for n, outcome in enumerate(batch.classify_paths(photos)):
            results.write(json.dumps(outcome.record()) + "\n")
            if n == 2:
                os.kill(batch.pids[0], signal.SIGKILL)
    assert "\n" not in str(caught.value) and "--resume" in str(caught.value)
    kept = [json.loads(line) for line in out.read_text().splitlines()]
    assert 3 <= len(kept) < len(photos)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "camviz",
            "classify",
            "--threads",
            "1",
            "--quiet",
            "--out",
            str(out),
            "--resume",
            "--ray",
            "--",
            *photos,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=240,
    )
    assert run.returncode == 0, run.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(r["path"] for r in records) == sorted(photos)  # exactly one line per input


def test_ray_logs_stay_off_the_terminal_unless_verbose(photos: list[str]) -> None:
    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "camviz",
                "classify",
                "--threads",
                "1",
                "--quiet",
                *extra,
                "--ray",
                "--",
                *photos[:2],
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=240,
        )

    quiet = run()
    assert quiet.returncode == 0
    assert quiet.stderr == "", quiet.stderr
    assert "espresso" in quiet.stdout
    loud = run("--verbose")
    assert loud.returncode == 0 and "Started a local Ray instance" in loud.stderr
