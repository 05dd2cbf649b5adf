"""`camviz bench` end to end on a real video with the real model (small frame counts),
and its verdict and per-run figures in-process."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest

from camviz.bench import BenchResult, e2e_series, overhead_ms, time_calls
from camviz.metrics import BudgetLight, MetricsSnapshot, Percentiles
from camviz.pipeline import Backpressure, FrameRecord, FrameStamps, RunRecord

from ..conftest import VIDEOS, camviz


@pytest.mark.slow
def test_bench_json_has_the_documented_fields(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="bench --plot needs the 'plot' extra (matplotlib)")
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
    for run_name in ("pipeline", "lossless"):  # the meter's CPU share: the process was busy
        share, per_frame = data[run_name]["cpu_share"], data[run_name]["cpu_ms_per_frame"]
        assert share is not None and 0 < share <= 2.5  # at most the cores there are (plus slack)
        assert per_frame is not None and per_frame > 0
    assert data["sequential_fps"] > 0 and data["peak_rss_mb"] > 50
    assert data["over_budget"] is False
    image = cv2.imread(str(plot))
    assert image is not None and image.shape[0] > 200


@pytest.mark.slow
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


# ------------------------------------------------------------------ bench's pieces, in-process
def _run(p50: float, p95: float, count: int, budget: float) -> RunRecord:
    stamps = FrameStamps(1.0, 1.001, 1.002, 1.004, 1.010, 1.011, 1.012)
    frames = tuple(FrameRecord(i, i, "m", 0, stamps) for i in range(count))
    snapshot = MetricsSnapshot(e2e_ms=Percentiles(p50=p50, p95=p95, count=count), budget_ms=budget)
    return RunRecord(Backpressure.LATEST, frames, (), (), snapshot, 0.5, 1.5, 0.1, False)


@pytest.mark.parametrize(
    ("p50", "p95", "count", "light"),
    [
        (10.0, 30.0, 5, BudgetLight.GREEN),
        (20.0, 40.0, 5, BudgetLight.AMBER),
        (40.0, 50.0, 5, BudgetLight.RED),
        (0.0, 0.0, 0, BudgetLight.IDLE),
    ],
)
def test_bench_verdict_is_the_meters_light(
    p50: float, p95: float, count: int, light: BudgetLight
) -> None:
    run = _run(p50, p95, count, 33.0)
    result = BenchResult("m", 2, "demo", 1.0, 1.0, Percentiles(), run, run, 10.0, 100.0, 33.0)
    assert result.light is light
    assert result.over_budget is (light in (BudgetLight.AMBER, BudgetLight.RED))
    assert result.to_dict()["over_budget"] is result.over_budget


def test_overhead_and_series_come_from_the_stamps() -> None:
    run = _run(12.0, 12.0, 3, 33.0)
    # e2e 12 ms minus preprocess + invoke (dequeued 1.002 -> inferred 1.010: 8 ms)
    assert overhead_ms(run).p50 == pytest.approx(4.0)
    assert e2e_series(run) == [(1.012, pytest.approx(12.0))] * 3
    assert run.fps == pytest.approx(3.0)


def test_time_calls_times_each_call_and_keeps_what_it_returned() -> None:
    times, returned = time_calls(lambda x: x * 2, [1, 2, 3])
    assert returned == [2, 4, 6] and len(times) == 3 and min(times) >= 0.0


@pytest.mark.slow
def test_bench_runs_on_the_delegate_it_is_given_and_says_so() -> None:
    import json
    import subprocess
    import sys

    from ..conftest import ROOT

    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "camviz",
            "bench",
            "--frames",
            "10",
            "--invokes",
            "10",
            "--delegate",
            "cpu",
            "--json",
            "--quiet",
            "--budget-ms",
            "1000",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    payload = json.loads(run.stdout)
    record = payload[0] if isinstance(payload, list) else payload  # one run: one object
    assert (record["delegate"], record["runtime"], record["device"]) == ("cpu", "litert", "CPU")
    assert record["invoke_ms"]["p50"] > 0


@pytest.mark.slow
def test_bench_runs_its_pipeline_on_the_runtime_asked_for_and_names_it_and_the_device(
    tmp_path: Path,
) -> None:
    pytest.importorskip("openvino", reason="OpenVINO (camviz[openvino])")
    from ..conftest import MODELS

    model = MODELS / "efficientnet_lite0_int8.tflite"  # the zoo's own file, read by OpenVINO
    table = tmp_path / "bench.csv"
    run = camviz(
        "bench",
        "--model",
        model,
        "--backend",
        "openvino",
        "--accelerator",
        "cpu",
        "--frames",
        "20",
        "--invokes",
        "20",
        "--ceiling-frames",
        "0",
        "--budget-ms",
        "10000",
        "--csv",
        table,
        "--json",
        "--quiet",
    )
    assert run.returncode == 0, run.stderr
    record = json.loads(run.stdout)
    assert (record["runtime"], record["device"], record["delegate"]) == ("openvino", "CPU", None)
    assert record["invoke_ms"]["p50"] > 0 and record["first_invoke_ms"] > 0
    assert record["pipeline"]["frames"] == 20 and record["lossless"]["frames"] == 20
    assert record["sequential_fps"] > 0 and record["errors"] == []
    import csv

    rows = list(csv.DictReader(table.read_text(encoding="utf-8").splitlines()))
    assert [(r["runtime"], r["device"]) for r in rows] == [("openvino", "CPU")]


def test_bench_options_name_the_runtime_canonically_and_refuse_one_that_is_none() -> None:
    from camviz.backends import Accelerator
    from camviz.bench import BenchOptions
    from camviz.errors import OptionsError

    opts = BenchOptions(backend="TFLite", accelerator=Accelerator.parse("GPU"))
    options = opts.classifier_options("m.tflite", 3)
    assert (options.backend, options.accelerator, options.threads) == ("litert", "gpu", 3)
    with pytest.raises(OptionsError, match="backend must be one of auto, litert"):
        BenchOptions(backend="tpu")


def test_bench_refuses_an_operator_profile_on_a_runtime_that_does_not_time_operators() -> None:
    run = camviz("bench", "--backend", "openvino", "--op-profile", "--frames", "20")
    assert run.returncode == 1 and run.stdout == ""
    assert "--op-profile times each operator on LiteRT, not openvino" in run.stderr
