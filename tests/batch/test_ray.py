"""``--ray`` on a local 2-CPU Ray instance: the same records, in the same order, as locally."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..conftest import DATA, PHOTOS, camviz

pytest.importorskip("ray")
pytestmark = [pytest.mark.ray, pytest.mark.slow]


def _run(*args: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in _stdout(*args).splitlines()]


def _stdout(*args: str) -> str:
    run = camviz(*args, timeout=240)
    assert run.returncode in (0, 1), run.stderr[-2000:]
    return run.stdout


def test_classify_on_ray_gives_the_local_top1_for_every_file(
    big_photos: list[Path], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"no image")
    paths = [*map(str, big_photos), str(bad), *map(str, sorted((PHOTOS / "skimage").glob("*")))]
    local = _run("classify", "--json", "--threads", "1", *paths)
    on_ray = _run("classify", "--json", "--threads", "1", "--ray", "--", *paths)
    assert [r["path"] for r in on_ray] == [r["path"] for r in local] == paths
    for a, b in zip(local, on_ray, strict=True):
        if "error" in a:
            assert a["error"] == b["error"]
        else:
            assert a["top"][0]["index"] == b["top"][0]["index"], a["path"]  # type: ignore[index]


def test_eval_on_ray_scores_as_the_local_run() -> None:
    data = str(DATA / "eval_photos.csv")
    local = json.loads(_stdout("eval", data, "--json", "--no-progress", "--threads", "1"))
    on_ray = json.loads(
        _stdout("eval", data, "--json", "--no-progress", "--threads", "1", "--ray=")
    )
    for key in ("images", "top1", "top5"):
        assert on_ray["results"][0][key] == local["results"][0][key]
