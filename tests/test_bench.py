"""`camviz bench` end to end on a real video with the real model (small frame counts)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest

from .conftest import VIDEOS
from .test_cli import camviz

pytestmark = pytest.mark.slow


def test_bench_json_has_the_documented_fields(tmp_path: Path) -> None:
    plot = tmp_path / "latency.png"
    run = camviz(
        "bench",
        "--source",
        VIDEOS / "tree.avi",
        "--frames",
        "40",
        "--invokes",
        "20",
        "--budget-ms",
        "10000",
        "--json",
        "--plot",
        plot,
        "--quiet",
    )
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["model"] == "efficientnet_lite0_int8" and data["threads"] == 2
    assert set(data["invoke_ms"]) == {"p50", "p95", "p99"}
    assert data["invoke_ms"]["p50"] <= data["invoke_ms"]["p95"] <= data["invoke_ms"]["p99"]
    pipe = data["pipeline"]
    for key in ("fps", "e2e_ms", "stages_ms", "dropped", "over_budget_frac"):
        assert key in pipe
    assert set(pipe["stages_ms"]) >= {"queue", "preprocess", "invoke"}
    assert pipe["e2e_ms"]["p95"] > pipe["stages_ms"]["invoke"]["p50"] > 0
    assert data["lossless"]["frames"] == 40 and data["lossless"]["dropped"] == 0
    assert data["sequential_fps"] > 0 and data["peak_rss_mb"] > 50
    assert data["over_budget"] is False
    image = cv2.imread(str(plot))
    assert image is not None and image.shape[0] > 200


def test_bench_exits_1_when_over_budget_and_sweeps_threads() -> None:
    run = camviz(
        "bench",
        "--source",
        VIDEOS / "tree.avi",
        "--frames",
        "20",
        "--invokes",
        "10",
        "--threads",
        "1",
        "--threads",
        "2",
        "--budget-ms",
        "0.01",
        "--json",
        "--quiet",
    )
    assert run.returncode == 1
    results = json.loads(run.stdout)
    assert [r["threads"] for r in results] == [1, 2]
    assert all(r["over_budget"] for r in results)
    assert "over budget: efficientnet_lite0_int8 with 1 threads" in run.stderr
