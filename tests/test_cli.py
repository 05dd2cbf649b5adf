"""The `camviz` command line, run as a real subprocess on real photos and models."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import DATA, MODELS, PHOTOS, ROOT


def camviz(
    *args: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "camviz", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env=env,
    )


def test_classify_json_cat_and_espresso() -> None:
    run = camviz(
        "classify", "--json", PHOTOS / "skimage/chelsea.png", PHOTOS / "skimage/coffee.png"
    )
    assert run.returncode == 0, run.stderr
    records = [json.loads(line) for line in run.stdout.splitlines()]
    assert [Path(r["path"]).name for r in records] == ["chelsea.png", "coffee.png"]
    assert records[0]["top"][0]["index"] in {281, 282, 285}
    assert records[1]["top"][0]["index"] == 967
    for record in records:
        assert set(record) >= {"path", "top", "uncertain", "latency_ms"}
        assert set(record["top"][0]) == {"index", "label", "score"}
        assert len(record["top"]) == 5 and record["latency_ms"] > 0


def test_classify_folder_recursive_human_output(tmp_path: Path) -> None:
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    (nested / "orange.jpg").write_bytes((PHOTOS / "opencv/orange.jpg").read_bytes())
    (tmp_path / "a" / "squirrel.jpg").write_bytes((PHOTOS / "opencv/squirrel_cls.jpg").read_bytes())
    run = camviz("classify", "--top-k", "2", tmp_path)
    assert run.returncode == 0, run.stderr
    assert "orange  (950)" in run.stdout
    assert "fox squirrel" in run.stdout
    assert run.stdout.count("  1. ") == 2 and run.stdout.count("  3. ") == 0


BAD_INPUTS = {
    "missing path": (lambda d: d / "nope.jpg", "ImageNotFoundError", "nope.jpg does not exist"),
    "folder without images": (lambda d: d, "ImageNotFoundError", "holds no images"),
    "text renamed .jpg": (
        lambda d: _write(d / "text.jpg", b"hello\n" * 50),
        "ImageDecodeError",
        "not a decodable image",
    ),
    "truncated JPEG": (
        lambda d: _write(d / "cut.jpg", (PHOTOS / "opencv/orange.jpg").read_bytes()[:9000]),
        "ImageDecodeError",
        "truncated JPEG",
    ),
    "empty file": (lambda d: _write(d / "empty.png", b""), "ImageDecodeError", "empty file"),
}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_image_is_one_clear_line_and_others_still_run(case: str, tmp_path: Path) -> None:
    make, error_type, text = BAD_INPUTS[case]
    empty = tmp_path / "empty_dir"
    empty.mkdir()
    bad = make(empty)
    run = camviz("classify", "--json", bad, PHOTOS / "skimage/coffee.png")
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if error_type in line]
    assert len(errors) == 1 and text in errors[0], run.stderr
    records = [json.loads(line) for line in run.stdout.splitlines()]
    assert any(r.get("error", {}).get("type") == error_type for r in records)
    good = [r for r in records if "top" in r]
    assert len(good) == 1 and good[0]["top"][0]["index"] == 967


MODEL_ERRORS = {
    "not a classifier": (["--model", DATA / "not_a_classifier.tflite"], "NotAClassifierError"),
    "corrupt tflite": (["--model", "CORRUPT"], "ModelLoadError"),
    "labels of wrong count": (["--labels", "LABELS"], "LabelsError"),
    "unknown model": (["--model", "nosuchmodel"], "ModelNotFoundError"),
}


@pytest.mark.parametrize("case", list(MODEL_ERRORS))
def test_bad_model_is_one_clear_line(case: str, tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.tflite"
    corrupt.write_bytes((MODELS / "efficientnet_lite0_int8.tflite").read_bytes()[:50000])
    labels = tmp_path / "labels.txt"
    labels.write_text("cat\ndog\n")
    args, error_type = MODEL_ERRORS[case]
    args = [{"CORRUPT": corrupt, "LABELS": labels}.get(str(a), a) for a in args]
    run = camviz("classify", *args, PHOTOS / "skimage/coffee.png")
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{error_type}: "), run.stderr


def test_models_table_measures_latency() -> None:
    run = camviz("models", "--json", "--runs", "3")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    names = [m["name"] for m in data["models"]]
    assert "efficientnet_lite0_int8" in names and "efficientnet_lite0_float32" in names
    for model in data["models"]:
        assert model["latency_ms"] > 0 and model["file_bytes"] > 100_000
    human = camviz("models", "--no-measure")
    assert "efficientnet_lite0_int8 *" in human.stdout and "224x224" in human.stdout


def test_eval_on_csv_compares_models(tmp_path: Path) -> None:
    run = camviz(
        "eval",
        DATA / "eval_photos.csv",
        "--model",
        "efficientnet_lite0_int8",
        "--model",
        "efficientnet_lite0_float32",
        "--json",
    )
    assert run.returncode == 0, run.stderr
    results = json.loads(run.stdout)["results"]
    assert [r["model"] for r in results] == [
        "efficientnet_lite0_int8",
        "efficientnet_lite0_float32",
    ]
    for r in results:
        assert r["images"] >= 12
        assert r["top1"] >= 0.7 and r["top5"] >= r["top1"]
        assert r["latency_ms"]["p95"] >= r["latency_ms"]["p50"] > 0


def test_eval_on_class_folders(tmp_path: Path) -> None:
    (tmp_path / "950").mkdir()
    (tmp_path / "950" / "o.jpg").write_bytes((PHOTOS / "opencv/orange.jpg").read_bytes())
    (tmp_path / "espresso").mkdir()
    (tmp_path / "espresso" / "c.png").write_bytes((PHOTOS / "skimage/coffee.png").read_bytes())
    run = camviz("eval", tmp_path, "--json")
    assert run.returncode == 0, run.stderr
    (result,) = json.loads(run.stdout)["results"]
    assert result["images"] == 2 and result["top1"] == 1.0


def test_eval_unknown_class_folder(tmp_path: Path) -> None:
    (tmp_path / "unicorns").mkdir()
    run = camviz("eval", tmp_path)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr.startswith("DatasetError: folder 'unicorns'")


def test_cameras_without_camera() -> None:
    run = camviz("cameras", "--max-index", "2")
    assert run.returncode == 0
    assert "no camera answered" in run.stdout


def test_window_without_a_display_says_what_to_do() -> None:
    import os

    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    run = camviz("--quit-after", "1", env=env)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr and "qt.qpa" not in run.stderr
    assert run.stderr.startswith("DisplayUnavailableError: no display to open the window on")
    assert "QT_QPA_PLATFORM=offscreen" in run.stderr
