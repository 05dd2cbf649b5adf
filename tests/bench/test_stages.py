"""bench's stage table, thread plan and choice, CSV and per-operator profile, on real runs."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from camviz.bench import (
    STAGE_COLUMNS,
    BenchOptions,
    ThreadPlan,
    format_stages,
    pick_threads,
    results_csv,
    run_bench,
)
from camviz.bench.ops import format_op_profile, op_profile
from camviz.bench.runs import time_invokes
from camviz.classifier import Classifier, ClassifierOptions
from camviz.errors import OptionsError
from camviz.imageio import load_image

from ..conftest import PHOTOS, VIDEOS, camviz


@pytest.fixture(scope="module")
def results() -> list:
    opts = BenchOptions(
        threads=(1, 2), source=str(VIDEOS / "vtest.avi"), frames=20, invokes=10, warmup=2
    )
    return run_bench(opts)


def test_every_run_has_every_stage_outside_the_invoke(results: list) -> None:
    table = format_stages(results)
    lines = table.splitlines()
    assert lines[0] == "stage ms per frame, p50/p95"
    for stage in (*STAGE_COLUMNS, "outside invoke"):
        assert stage in lines[1]
    rows = [line.split() for line in lines[3:]]
    assert len(rows) == 6  # two thread counts x real time, lossless, sequential
    for r in results:
        seq = r.sequential
        assert seq is not None and seq.fps > 0
        assert set(seq.stages_ms) == {"decode", "preprocess", "invoke", "postprocess"}
        assert seq.stages_ms["decode"].count == 20 and seq.stages_ms["decode"].p50 > 0
        assert seq.stages_ms["preprocess"].p50 <= seq.stages_ms["preprocess"].p95
        record = r.to_dict()
        for run in ("pipeline", "lossless"):
            outside = record[run]["outside_invoke_ms"]
            assert 0 < outside["p50"] <= outside["p95"]
        assert record["sequential"]["stages_ms"]["decode"]["p50"] > 0
        assert record["threads_plan"]["interpreter"] == r.threads


def test_the_thread_plan_says_what_runs_where(results: list) -> None:
    plan = ThreadPlan.for_threads(2, cores=2)
    assert plan.opencv == 0 and "OpenCV's pool off" in plan.why
    assert "1 thread(s) more than cores" in plan.why
    assert "1 core(s) spare" in ThreadPlan.for_threads(1, cores=3).why
    for r in results:
        assert r.plan is not None and r.plan.interpreter == r.threads


def test_auto_names_a_count_for_each_goal_from_the_measurements(results: list) -> None:
    chosen = pick_threads(results)
    best_rt = min(results, key=lambda r: r.realtime.snapshot.e2e_ms.p95)
    best_ll = max(results, key=lambda r: r.lossless.fps)
    assert chosen["realtime"]["threads"] == best_rt.threads
    assert chosen["lossless"]["threads"] == best_ll.threads
    assert chosen["lossless"]["fps"] == round(best_ll.lossless.fps, 2)
    assert "1, 2" in chosen["lossless"]["why"]


def test_csv_has_one_row_per_configuration_with_the_stage_columns(results: list) -> None:
    rows = list(csv.DictReader(io.StringIO(results_csv(results))))
    assert [int(r["threads"]) for r in rows] == [1, 2]
    for row, r in zip(rows, results, strict=True):
        assert float(row["lossless_fps"]) == round(r.lossless.fps, 2)
        assert float(row["sequential_decode_p50_ms"]) > 0
        assert float(row["lossless_preprocess_p95_ms"]) >= float(row["lossless_preprocess_p50_ms"])
        assert row["over_budget"] in ("true", "false")


def test_the_operator_profile_adds_up_to_about_one_invoke() -> None:
    times = op_profile("squeezenet1_1_int8", 1, runs=5, warmup=1)
    assert len(times) > 10 and [t.index for t in times] == list(range(len(times)))
    assert {t.op for t in times} >= {"CONV_2D"}
    assert all(t.ms >= 0 for t in times)
    cumulative = [t.cumulative_ms for t in times]
    assert cumulative == sorted(cumulative)
    assert abs(sum(t.ms for t in times) - cumulative[-1]) < 1e-6
    with Classifier.create(ClassifierOptions(model="squeezenet1_1_int8", threads=1)) as clf:
        photo = load_image(PHOTOS / "skimage/chelsea.png")
        invoke = sorted(time_invokes(clf, photo, 20, 3))[10]
    # the whole model's quickest invoke against a median of the real one: same order
    assert 0.3 * invoke < cumulative[-1] < 3.0 * invoke
    text = format_op_profile("squeezenet1_1_int8", 1, times)
    assert "by type:" in text and "CONV_2D" in text


def test_the_operator_profile_refuses_what_is_not_a_litert_model(tmp_path: Path) -> None:
    onnx = tmp_path / "model.onnx"
    onnx.write_bytes(b"\x08\x07")
    with pytest.raises(OptionsError, match="LiteRT"):
        op_profile(str(onnx), 1)


@pytest.mark.slow
def test_bench_cli_writes_csv_and_the_op_profile(tmp_path: Path) -> None:
    table = tmp_path / "bench.csv"
    run = camviz(
        "bench",
        "--source",
        VIDEOS / "tree.avi",
        "--model",
        "squeezenet1_1_int8",
        "--frames",
        "20",
        "--invokes",
        "10",
        "--ceiling-frames",
        "0",
        "--budget-ms",
        "10000",
        "--csv",
        table,
        "--op-profile",
        "--quiet",
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert "stage ms per frame, p50/p95" in run.stdout
    assert "operators of squeezenet1_1_int8" in run.stdout
    rows = list(csv.DictReader(table.open()))
    assert len(rows) == 1 and rows[0]["model"] == "squeezenet1_1_int8"
    run = camviz(
        "bench",
        "--source",
        VIDEOS / "tree.avi",
        "--model",
        "squeezenet1_1_int8",
        "--frames",
        "20",
        "--invokes",
        "10",
        "--ceiling-frames",
        "0",
        "--budget-ms",
        "10000",
        "--json",
        "--op-profile",
        "--quiet",
        timeout=300,
    )
    data = json.loads(run.stdout)
    assert data["op_profile"][0]["index"] == 0 and "op" in data["op_profile"][0]
    assert data["sequential"]["stages_ms"]["decode"]["p50"] > 0
