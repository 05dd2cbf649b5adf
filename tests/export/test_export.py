"""Exporting a taught head as one standalone int8 .tflite (``camviz export-head``).

The first part runs everywhere (no TensorFlow): the missing 'build' extra is named, before
any training. The rest needs TensorFlow (the 'build' extra), which ``make test`` does not
install, so it skips without it; run it with::

    .venv-build/bin/python -m pytest tests/export/test_export.py

It teaches five real clips (the first 60% of 100 frames of each), exports the head through
the CLI and checks the .tflite against the TaughtClassifier on the held-out 40%.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from camviz.backends.tflite_metadata import read_metadata_file
from camviz.classifier import ClassifierOptions
from camviz.errors import ExtraNotInstalledError, ModelLoadError, OptionsError
from camviz.export import export_head, fold_head
from camviz.loading import open_classifier
from camviz.teach import (
    HEAD_SUFFIX,
    Head,
    SampleKey,
    TeachSession,
    TrainOptions,
    assign_splits,
    video_frames,
)

from ..conftest import ROOT, VIDEOS

CLIPS = {
    "animation": VIDEOS / "bigbuckbunny.mp4",
    "bikes": VIDEOS / "bikes.mp4",
    "carphone": VIDEOS / "carphone_pristine.mp4",
    "pedestrians": VIDEOS / "vtest.avi",
    "tree": VIDEOS / "tree.avi",
}
FRAMES = 100
VAL = 0.4
MISSING = "ExtraNotInstalledError: Exporting a taught model needs the 'build' extra"


def _toy_head(dim: int = 1280) -> Head:
    rng = np.random.default_rng(0)
    return Head(
        labels=("a", "b", "c"),
        weights=rng.normal(size=(3, dim)).astype(np.float32),
        bias=rng.normal(size=3).astype(np.float32),
        mean=rng.normal(size=dim).astype(np.float32),
        std=rng.uniform(0.5, 2.0, dim).astype(np.float32),
        backbone="efficientnet_lite0_int8",
        backbone_sha256="0" * 64,
        feature_tensor="",
    )


def _camviz(args: list[str], *, hide_tensorflow: bool = False) -> subprocess.CompletedProcess[str]:
    """``python -m camviz ARGS`` in this interpreter, optionally as if TensorFlow were absent."""
    hide = "sys.modules['tensorflow'] = None; " if hide_tensorflow else ""
    code = f"import sys; {hide}from camviz.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True, text=True, cwd=ROOT, timeout=900, check=False,
    )  # fmt: skip


# ------------------------------------------------------------------ always run (no TensorFlow)
def test_fold_head_gives_the_heads_logits() -> None:
    head = _toy_head(64)
    weights, bias = fold_head(head)
    features = np.random.default_rng(1).normal(2.0, 3.0, (10, 64)).astype(np.float32)
    assert np.allclose(features @ weights.T + bias, head.logits(features), atol=1e-4)


def test_export_without_tensorflow_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "tensorflow", None)
    with pytest.raises(ExtraNotInstalledError) as info:
        export_head(_toy_head(), tmp_path / "m.tflite")
    assert info.value.extra == "build" and info.value.missing == "tensorflow-cpu"
    assert "pip install 'camviz[build]'" in str(info.value)
    assert not list(tmp_path.iterdir())


def test_cli_fails_before_training_without_the_build_extra(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for label in ("carphone", "tree"):
        (data / label).mkdir(parents=True)
        (data / label / CLIPS[label].name).symlink_to(CLIPS[label])
    out = tmp_path / f"m{HEAD_SUFFIX}"
    taught = _camviz(
        ["teach", str(data), "--out", str(out), "--export-tflite", str(tmp_path / "m.tflite")],
        hide_tensorflow=True,
    )
    assert taught.returncode == 1
    assert taught.stderr.startswith(MISSING) and taught.stderr.count("\n") == 1, taught.stderr
    assert "features" not in taught.stderr and not out.exists()  # no training started
    head = _toy_head().save(tmp_path / f"toy{HEAD_SUFFIX}")
    exported = _camviz(
        ["export-head", str(head), "--out", str(tmp_path / "m.tflite")], hide_tensorflow=True
    )
    assert exported.returncode == 1
    assert exported.stderr.startswith(MISSING) and exported.stderr.count("\n") == 1
    assert not (tmp_path / "m.tflite").exists()


def test_cli_refuses_an_output_that_is_not_tflite(tmp_path: Path) -> None:
    bad = _camviz(
        ["teach", str(tmp_path), "--out", str(tmp_path / f"m{HEAD_SUFFIX}"),
         "--export-tflite", str(tmp_path / "m.bin")],
    )  # fmt: skip
    assert bad.returncode == 1 and bad.stderr.startswith("OptionsError: --out"), bad.stderr


# ------------------------------------------------------------------ needs TensorFlow
@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Teach the five clips (60% of each), save the head, export it with the CLI."""
    pytest.importorskip("tensorflow", reason="exporting needs the 'build' extra")
    folder = tmp_path_factory.mktemp("export")
    session = TeachSession("efficientnet_lite0_int8", options=TrainOptions(val=VAL))
    held_out: dict[str, list[np.ndarray]] = {}
    with session:
        for label, clip in CLIPS.items():
            frames = video_frames(clip, FRAMES)
            keys = [SampleKey(label, clip.name, n, True) for n, _ in frames]
            for key, (_, image), split in zip(keys, frames, assign_splits(keys, VAL), strict=True):
                session.add_sample(label, image, recording=clip.name, order=key.order)
                if split == "val":
                    held_out.setdefault(label, []).append(image)
        session.train()
        head_path = session.save(folder / f"clips{HEAD_SUFFIX}")
    model = folder / "clips.tflite"
    run = _camviz(["export-head", str(head_path), "--out", str(model), "--json", "--quiet"])
    assert run.returncode == 0, run.stderr
    return {
        "head": head_path,
        "model": model,
        "record": json.loads(run.stdout),
        "held_out": held_out,
        "folder": folder,
    }


def test_exported_model_carries_labels_and_logits(exported: dict[str, Any]) -> None:
    model: Path = exported["model"]
    record = exported["record"]
    assert not list(exported["folder"].glob("*.tmp"))  # atomic write left nothing behind
    assert record["bytes"] == model.stat().st_size and record["output"] == "logits"
    meta = read_metadata_file(model)
    assert meta is not None and meta.labels == tuple(CLIPS)
    assert meta.mean == (0.0, 0.0, 0.0) and meta.std == (1.0, 1.0, 1.0)
    assert meta.color_space == "RGB" and "5 logits" in (meta.description or "")
    with open_classifier(ClassifierOptions(model=str(model))) as clf:
        assert clf.info.labels == tuple(CLIPS) and clf.info.output == "logits"
        assert clf.info.dtype == "uint8" and clf.info.input_size == (224, 224)
    # calibrated on exactly the zoo's crops: the int8 backbone inside is the shipped one
    assert record["feature_max_abs_diff"] == 0.0 and record["calibration_frames"] == 0


def test_exported_int8_agrees_with_the_taught_head(exported: dict[str, Any]) -> None:
    agree = total = correct = 0
    with (
        open_classifier(ClassifierOptions(model=str(exported["head"]))) as taught,
        open_classifier(ClassifierOptions(model=str(exported["model"]))) as standalone,
    ):
        for label, frames in exported["held_out"].items():
            for frame in frames:
                a = taught.classify(frame).probabilities
                b = standalone.classify(frame).probabilities
                total += 1
                agree += int(np.argmax(a)) == int(np.argmax(b))
                correct += standalone.info.labels[int(np.argmax(b))] == label
    print(f"\nexported int8 vs TaughtClassifier: top-1 agreement {agree}/{total} "
          f"({100 * agree / total:.1f}%), exported accuracy {correct}/{total}")  # fmt: skip
    assert total == 4 * 40 + 27
    assert agree / total >= 0.97
    assert correct / total >= 0.95


def test_export_refuses_a_head_of_another_backbone_file(
    exported: dict[str, Any], tmp_path: Path
) -> None:
    head = _toy_head()  # sha256 of a backbone file that is not the shipped one
    with pytest.raises(ModelLoadError, match="teach the classes again"):
        export_head(head, tmp_path / "m.tflite")
    with pytest.raises(OptionsError, match="must end in .tflite"):
        export_head(head, tmp_path / "m.onnx")
    assert not list(tmp_path.iterdir())
