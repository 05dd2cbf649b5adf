"""Results and ``camviz models`` name the runtime and the device that ran the model.

Real subprocesses on the zoo's models and photos: classify's JSON lines, CSV rows and text
listing carry ``runtime``/``device``; ``camviz models`` names the runtime, the device and,
for LiteRT's Interpreter only, the delegate.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from ..conftest import MODELS, PHOTOS, camviz

CHELSEA = PHOTOS / "skimage/chelsea.png"
COFFEE = PHOTOS / "skimage/coffee.png"
INT8 = MODELS / "efficientnet_lite0_int8.tflite"


def _openvino() -> None:
    pytest.importorskip("openvino", reason="the OpenVINO backend needs camviz[openvino]")


def _models_runtime_row(*args: str | Path) -> str:
    run = camviz("models", *args, "--no-measure")
    assert run.returncode == 0, run.stderr
    rows = [line for line in run.stdout.splitlines() if line.startswith("runtime ")]
    assert len(rows) == 1, run.stdout
    return rows[0].split(None, 1)[1].strip()


def test_classify_json_names_litert_and_the_cpu_by_default() -> None:
    run = camviz("classify", "--json", CHELSEA, COFFEE)
    assert run.returncode == 0, run.stderr
    records = [json.loads(line) for line in run.stdout.splitlines()]
    assert [(r["runtime"], r["device"]) for r in records] == [("litert", "CPU")] * 2
    assert records[1]["top"][0]["index"] == 967


def test_classify_json_csv_and_text_name_openvino_when_it_runs() -> None:
    _openvino()
    common = ("--backend", "openvino", "--model", str(INT8))
    run = camviz("classify", "--json", *common, CHELSEA)
    assert run.returncode == 0, run.stderr
    record = json.loads(run.stdout)
    assert (record["runtime"], record["device"]) == ("openvino", "CPU")
    assert record["top"][0]["index"] in {281, 282, 285}

    run = camviz("classify", "--csv", *common, CHELSEA, COFFEE)
    assert run.returncode == 0, run.stderr
    rows = list(csv.DictReader(io.StringIO(run.stdout)))
    assert [(r["runtime"], r["device"], r["index"]) for r in rows][1] == ("openvino", "CPU", "967")
    assert {(r["runtime"], r["device"]) for r in rows} == {("openvino", "CPU")}

    run = camviz("classify", *common, CHELSEA, COFFEE)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "model efficientnet_lite0_int8: openvino on CPU"
    assert sum(line.startswith("model ") for line in lines) == 1  # once: the same model ran
    assert Path(lines[1].split("  [")[0]).name == "chelsea.png"


def test_a_video_s_frames_in_text_come_after_the_line_naming_the_runtime() -> None:
    video = Path(__file__).parents[2] / "assets/video/tree.avi"
    run = camviz("classify", "--max-frames", "2", video)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "model efficientnet_lite0_int8: litert on CPU"
    assert [line.split(" frame ")[1][:1] for line in lines[1:]] == ["0", "1"]


def test_models_names_the_delegate_only_for_litert() -> None:
    assert _models_runtime_row(INT8) == "litert on CPU, delegate xnnpack"
    assert _models_runtime_row(INT8, "--delegate", "cpu") == "litert on CPU, delegate cpu"
    _openvino()
    assert _models_runtime_row(INT8, "--backend", "openvino") == "openvino on CPU"
    run = camviz("models", INT8, "--backend", "openvino", "--no-measure", "--json")
    assert run.returncode == 0, run.stderr
    (model,) = json.loads(run.stdout)["models"]
    assert (model["runtime"], model["device"], model["delegate"]) == ("openvino", "CPU", None)
    run = camviz("models", INT8, "--no-measure", "--json")
    (model,) = json.loads(run.stdout)["models"]
    assert (model["runtime"], model["device"], model["delegate"]) == ("litert", "CPU", "xnnpack")


def test_models_names_onnx_runtime_without_a_delegate(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime", reason="the ONNX backend needs camviz[onnx]")
    pytest.importorskip("onnx", reason="the ONNX export needs the onnx package")
    from tests.backends.onnx_export import export

    path = export(MODELS / "efficientnet_lite0_float32.tflite", tmp_path)["float"]
    # the device as ONNX Runtime names it: its execution provider
    assert _models_runtime_row(path) == "onnxruntime on CPUExecutionProvider"
    run = camviz("classify", "--json", "--model", str(path), COFFEE)
    assert run.returncode == 0, run.stderr
    record = json.loads(run.stdout)
    assert (record["runtime"], record["device"]) == ("onnxruntime", "CPUExecutionProvider")
    assert record["top"][0]["index"] == 967


def test_the_zoo_table_and_json_name_what_ran_each_model() -> None:
    run = camviz("models", "--json", "--runs", "1", "--warmup", "0")
    assert run.returncode == 0, run.stderr
    models = json.loads(run.stdout)["models"]
    assert len(models) == 7
    assert {(m["runtime"], m["device"], m["delegate"]) for m in models} == {
        ("litert", "CPU", "xnnpack")
    }
    run = camviz("models", "--runs", "1", "--warmup", "0")
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[0].split()[-1] == "runtime"
    assert run.stdout.count("litert on CPU, delegate xnnpack") == 7
    run = camviz("models", "--no-measure", "--json")
    assert all("runtime" not in m for m in json.loads(run.stdout)["models"])  # not loaded
