"""``--threads auto`` on the commands and the window: the thread plan's count for the
command's work, and OpenCV's pool off for every command that runs a model."""

from __future__ import annotations

import json

import cv2
import pytest

from camviz.cli import build_parser, main
from camviz.pipeline.threads import ThreadPlan, Workload

from ..conftest import PHOTOS


def test_auto_is_the_plan_s_count_for_the_command_s_work() -> None:
    parser = build_parser()
    lossless = ThreadPlan.auto_plan(Workload.LOSSLESS).interpreter
    live = ThreadPlan.auto_plan(Workload.LIVE, gui=True).interpreter
    assert parser.parse_args(["classify", "--threads", "auto", "x.jpg"]).threads == lossless
    assert parser.parse_args(["eval", "data", "--threads", "AUTO"]).threads == lossless
    assert parser.parse_args(["--threads", "auto"]).g_threads == live
    assert parser.parse_args(["classify", "--threads", "3", "x.jpg"]).threads == 3


def test_a_bad_count_names_auto(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["classify", "--threads", "many", "x.jpg"])
    assert "(or auto)" in capsys.readouterr().err


def test_classify_with_auto_runs_with_opencv_s_pool_off(
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = cv2.getNumThreads()
    try:
        cv2.setNumThreads(2)
        photo = PHOTOS / "skimage" / "chelsea.png"
        code = main(["classify", "--threads", "auto", "--format", "json", str(photo)])
        assert code == 0
        assert cv2.getNumThreads() == 1
        line = json.loads(capsys.readouterr().out.splitlines()[0])
        assert line["top"][0]["label"] in {"tiger cat", "tabby, tabby cat", "Egyptian cat"}
    finally:
        cv2.setNumThreads(before)


def test_bench_auto_reports_the_plan_and_why(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["bench", "--threads", "auto", "--frames", "12", "--invokes", "5", "--warmup", "1"]
    code = main([*args, "--ceiling-frames", "0", "--budget-ms", "10000", "--json"])
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    planned = payload["threads_plan"]
    assert planned["lossless"]["interpreter"] == ThreadPlan.auto_plan(Workload.LOSSLESS).interpreter
    assert planned["live"]["gui"] and "auto for live work" in planned["live"]["why"]
    assert payload["threads_auto"] in [r["threads"] for r in payload["results"]]
