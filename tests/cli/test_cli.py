"""The `camviz` command line, run as a real subprocess on real photos and models."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import DATA, MODELS, PHOTOS, ROOT, camviz


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
        assert set(record) >= {"path", "top", "uncertain", "latency_ms", "model"}
        assert set(record["top"][0]) >= {"index", "label", "score"}
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


# ------------------------------------------------------------- in-process: the thin layer
def test_parser_defaults_are_the_cores() -> None:
    from camviz import defaults
    from camviz.bench import BenchOptions
    from camviz.cli import build_parser
    from camviz.teach import TrainOptions
    from camviz.zoo_report import INVOKE_RUNS

    parser = build_parser()
    classify = parser.parse_args(["classify", "x.jpg"])
    assert (classify.threads, classify.top_k) == (defaults.THREADS, defaults.TOP_K)
    bench = parser.parse_args(["bench"])
    assert bench.budget_ms == defaults.BUDGET_MS and bench.frames == defaults.BENCH_FRAMES
    assert bench.invokes == BenchOptions().invokes
    assert parser.parse_args(["models"]).runs == INVOKE_RUNS
    teach = parser.parse_args(["teach", "data", "--out", "m.head.npz"])
    train = TrainOptions()
    assert (teach.val, teach.l2, teach.frames_per_video) == (
        train.val,
        train.l2,
        train.frames_per_video,
    )


def test_zoo_report_records_without_measuring() -> None:
    from camviz.zoo import load_zoo
    from camviz.zoo_report import ModelEntry, zoo_report

    report = zoo_report(threads=1, measure=False)
    assert [m.name for m in report.models] == [s.name for s in load_zoo().models]
    data = report.to_dict()
    assert data["runtime_threads"] == 1
    first = data["models"][0]
    assert set(first) == {
        "name",
        "default",
        "input_size",
        "dtype",
        "file_bytes",
        "published_top1",
        "published_top5",
        "threads",
    }
    assert sum(m["default"] for m in data["models"]) == 1
    failed = ModelEntry("m", False, (1, 1), "uint8", None, None, None, 2, error="ModelError: x")
    assert failed.to_dict()["error"] == "ModelError: x" and "latency_ms" not in failed.to_dict()


def test_zoo_report_measures_one_model(monkeypatch: pytest.MonkeyPatch) -> None:
    from camviz.zoo import load_zoo
    from camviz.zoo_report import zoo_report

    zoo = load_zoo()
    default = next(s for s in zoo.models if s.name == zoo.default)
    one = dataclasses.replace(zoo, models=(default,))
    monkeypatch.setattr("camviz.zoo_report.load_zoo", lambda: one)
    (entry,) = zoo_report(threads=1, runs=2).models
    assert entry.error is None and entry.latency_ms and entry.latency_ms > 0
    assert entry.to_dict()["load_ms"] == entry.load_ms


def test_classify_json_is_the_results_to_dict(capsys: pytest.CaptureFixture[str]) -> None:
    from camviz.cli import main
    from camviz.imageio import load_image
    from camviz.loading import open_classifier

    photo = PHOTOS / "skimage/coffee.png"
    assert main(["classify", "--json", "--threads", "1", str(photo)]) == 0
    (record,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    with open_classifier(threads=1) as clf:
        expected = clf.classify(load_image(photo)).to_dict()
    assert record["path"] == str(photo)
    assert set(record) == {"path", *expected}
    assert record["top"] == expected["top"] and record["model"] == expected["model"]


def test_error_record_splits_type_and_message() -> None:
    from camviz.cli.classify import error_record
    from camviz.errors import ImageDecodeError

    record = error_record(Path("a.jpg"), ImageDecodeError("a.jpg: not a decodable image"))
    assert record == {
        "path": "a.jpg",
        "error": {"type": "ImageDecodeError", "message": "a.jpg: not a decodable image"},
    }


def test_evaluation_record(tmp_path: Path) -> None:
    from camviz.evaluate import Evaluation, ModelScore

    score = ModelScore("m", 10, images=2, top1=1, top5=2, failures=["x.jpg: ImageError: bad"])
    evaluation = Evaluation("data/", 3, (score,))
    assert evaluation.failures == ["x.jpg: ImageError: bad"]
    data = evaluation.to_dict()
    assert data["data"] == "data/" and data["threads"] == 3
    assert data["results"] == [score.to_dict()]


def test_usage_error_exits_2_and_module_entry_points() -> None:
    run = camviz("--threads", "0")
    assert run.returncode == 2 and "expected at least 1, got 0" in run.stderr
    version = subprocess.run(
        [sys.executable, "-m", "camviz.cli", "--version"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert version.returncode == 0 and version.stdout.startswith("camviz ")


# ------------------------------------------------------------------ models users bring
FOREIGN = ROOT.parent / "shared" / "foreign-models"
NO_METADATA = FOREIGN / "tfls_metadata_tests_mobilenet_v2_1.0_224_quant.tflite"
needs_foreign = pytest.mark.skipif(
    not NO_METADATA.is_file(), reason=f"{FOREIGN} (shared/ beside the checkout) is absent"
)


@pytest.mark.slow
@needs_foreign
def test_models_describes_any_file_and_reports_a_bad_one() -> None:
    run = camviz("models", NO_METADATA, "efficientnet_lite0_int8", "nosuchmodel", "--json")
    assert run.returncode == 1
    assert "nosuchmodel: ModelNotFoundError: no model named 'nosuchmodel'" in run.stderr
    first, zoo, bad = json.loads(run.stdout)["models"]
    assert first["input_quantization"] == {"scale": 0.0078125, "zero_point": 128}
    assert first["preprocessing"]["mapping"] == "raw" and "raw pixels" in first["mapping_source"]
    assert first["num_classes"] == 1001 and first["background_index"] == 0
    assert first["label_layout"] == "imagenet-1k+background" and first["output"] == "logits"
    assert first["latency_ms"] > 0 and first["load_ms"] > 0
    assert zoo["mapping_source"] == "zoo manifest" and zoo["label_layout"] == "imagenet-1k"
    assert "error" in bad and "nosuchmodel" in bad["error"]
    table = camviz("models", NO_METADATA, "--no-measure")
    assert table.returncode == 0, table.stderr
    assert "normalisation  raw pixels" in table.stdout
    assert "1x224x224x3 uint8 (scale 0.0078125, zero point 128)" in table.stdout


@needs_foreign
def test_classify_a_model_without_metadata_right() -> None:
    """The classic hosted mobilenet_v2 quant model: raw pixels, 'background' first."""
    run = camviz("classify", "--json", "--model", NO_METADATA, PHOTOS / "skimage/coffee.png")
    assert run.returncode == 0, run.stderr
    top = json.loads(run.stdout)["top"][0]
    assert top["imagenet_index"] == 967 and top["index"] == 968  # espresso
    assert json.loads(run.stdout)["input_clipped"] < 0.2


def test_classify_reporting_options_and_delegate() -> None:
    run = camviz(
        "classify",
        "--json",
        "--allow",
        "Egyptian cat",
        "--allow",
        "lynx",
        "--score-threshold",
        "0.01",
        "--delegate",
        "cpu",
        PHOTOS / "skimage/chelsea.png",
    )
    assert run.returncode == 0, run.stderr
    labels = [c["label"] for c in json.loads(run.stdout)["top"]]
    assert labels == ["Egyptian cat", "lynx, catamount"]
    both = camviz("classify", "--allow", "lynx", "--deny", "tabby", PHOTOS / "skimage/chelsea.png")
    assert both.returncode == 2 and "not allowed with argument" in both.stderr
    bad = camviz(
        "classify", "--delegate", "/nowhere/libedgetpu.so.1", PHOTOS / "skimage/chelsea.png"
    )
    assert bad.returncode == 1
    assert "DelegateError: delegate library /nowhere/libedgetpu.so.1 does not exist" in bad.stderr


# ------------------------------------------------------------------ command-line manners
def test_options_before_the_command_are_honoured_or_refused() -> None:
    photo = PHOTOS / "skimage/chelsea.png"
    run = camviz("--model", "squeezenet1_1_int8", "--threads", "1", "classify", "--json", photo)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["model"] == "squeezenet1_1_int8"
    same = camviz(
        "--model", "squeezenet1_1_int8", "classify", "--model", "squeezenet1_1_int8", photo
    )
    assert same.returncode == 0, same.stderr
    twice = camviz(
        "--model", "squeezenet1_1_int8", "classify", "--model", "efficientnet_lite0_int8", photo
    )
    assert twice.returncode == 2 and "--model given twice with different values" in twice.stderr
    foreign = camviz("--quit-after", "3", "classify", photo)
    assert foreign.returncode == 2 and "`camviz classify` has no --quit-after" in foreign.stderr


def test_global_model_reaches_eval_as_its_one_model() -> None:
    from camviz.cli import build_parser
    from camviz.cli.globals import apply_global_options

    parser = build_parser()
    args = parser.parse_args(["--model", "m1", "eval", "data.csv"])
    apply_global_options(parser, args)
    assert args.model == ["m1"]
    args = parser.parse_args(["--source", "demo"])
    apply_global_options(parser, args)
    assert (args.source, args.model, args.threads) == ("demo", "", 2)


def test_a_closed_pipe_ends_quietly() -> None:
    folder = PHOTOS / "opencv"
    proc = subprocess.Popen(
        [sys.executable, "-m", "camviz", "classify", "--json", folder],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()  # one line, then hang up like `| head -1`
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0
    assert "Traceback" not in err and "BrokenPipeError" not in err


def test_progress_shows_rate_and_time_left_on_a_terminal_only() -> None:
    import io

    from camviz.cli.output import ProgressBar

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty, log = Terminal(), io.StringIO()
    for stream in (tty, log):
        bar = ProgressBar("classify", stream=stream, unit="photo")
        for done in range(1, 11):
            bar(done, 10)
    assert log.getvalue() == ""  # a pipe or a log file gets no bar
    text = tty.getvalue()
    assert "classify: 100%" in text and "10/10" in text and "photo/s" in text
    quiet = Terminal()
    ProgressBar("x", stream=quiet, enabled=False)(1, 2)
    assert quiet.getvalue() == ""


def test_a_missing_extra_is_named_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib.util

    from camviz.cli import main

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "matplotlib" else real(name, *a),
    )
    out = tmp_path / "m.head.npz"
    code = main(
        [
            "teach",
            str(tmp_path / "no-such-data"),
            "--out",
            str(out),
            "--confusion-png",
            str(tmp_path / "c.png"),
        ]
    )
    assert code == 1 and not out.exists()
    assert "Confusion plot needs the 'plot' extra" in capsys.readouterr().err
