"""Exporting a taught head as one standalone int8 .tflite (``camviz export-head``).

The export is graph surgery on the shipped int8 backbone (no TensorFlow, no torch, no extra):
these tests run in the main venv, and the CLI runs with both made unimportable. The slow part
teaches five real clips (the first 60% of 100 frames of each), exports the head through the
CLI and checks the .tflite against the TaughtClassifier on the held-out 40%: in camviz, in
LiteRT directly, and in MediaPipe when ``.venv-mediapipe`` is there.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from camviz.backends import load_model
from camviz.backends.tflite_graph import (
    dense_input_quantization,
    last_dense_layer,
    output_producer,
    with_last_dense,
)
from camviz.backends.tflite_metadata import read_metadata_file
from camviz.classifier import ClassifierOptions
from camviz.errors import ModelLoadError, OptionsError
from camviz.export import export_head, fold_head
from camviz.features import FeatureExtractor, load_backbone
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
MEDIAPIPE = ROOT / ".venv-mediapipe" / "bin" / "python"
HIDE = "sys.modules.update(dict.fromkeys(('tensorflow', 'torch', 'tf_keras'))); "


def _toy_head(dim: int = 1280, sha256: str = "0" * 64, scale: float = 1.0) -> Head:
    rng = np.random.default_rng(0)
    return Head(
        labels=("a", "b", "c"),
        weights=(scale * rng.normal(size=(3, dim))).astype(np.float32),
        bias=rng.normal(size=3).astype(np.float32),
        mean=rng.normal(size=dim).astype(np.float32),
        std=rng.uniform(0.5, 2.0, dim).astype(np.float32),
        backbone="efficientnet_lite0_int8",
        backbone_sha256=sha256,
        feature_tensor="",
    )


def _camviz(args: list[str]) -> subprocess.CompletedProcess[str]:
    """``python -m camviz ARGS`` in this interpreter, with TensorFlow and torch unimportable."""
    code = f"import sys; {HIDE}from camviz.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True, text=True, cwd=ROOT, timeout=900, check=False,
    )  # fmt: skip


# ------------------------------------------------------------------ quick
def test_fold_head_gives_the_heads_logits() -> None:
    head = _toy_head(64)
    weights, bias = fold_head(head)
    features = np.random.default_rng(1).normal(2.0, 3.0, (10, 64)).astype(np.float32)
    assert np.allclose(features @ weights.T + bias, head.logits(features), atol=1e-4)


def test_export_is_surgery_on_the_shipped_backbone(tmp_path: Path) -> None:
    """A head on the real backbone: only the last dense layer and the softmax are new."""
    backbone = load_backbone("efficientnet_lite0_int8")
    head = _toy_head(sha256=backbone.sha256, scale=0.05)  # logits of a few units, as taught
    result = export_head(head, tmp_path / "toy.tflite")
    content = result.path.read_bytes()
    assert output_producer(content) == "SOFTMAX"
    assert result.feature_max_abs_diff == 0.0  # every op before the head is the shipped one
    assert result.output_scale == 1 / 256 and result.output_zero_point == 0
    assert result.probability_max_abs_diff < 0.03
    low, high = result.logit_range
    assert low < 0 < high
    meta = read_metadata_file(result.path)
    assert meta is not None and meta.labels == ("a", "b", "c")
    shipped = backbone.spec.path.read_bytes()
    assert len(content) < len(shipped)  # 3 classes instead of 1000


@pytest.mark.parametrize("name", ["efficientnet_lite0_int8", "efficientnet_lite0_float32"])
def test_the_backbones_own_layer_put_back_gives_its_softmax(name: str, chelsea: np.ndarray) -> None:
    """with_last_dense with the ImageNet layer itself: the zoo model's softmax, in the graph."""
    backbone = load_backbone(name)
    shipped = backbone.spec.path.read_bytes()
    dense = last_dense_layer(shipped)
    with FeatureExtractor.create(backbone) as extractor:
        tensor = extractor.preprocess(chelsea)
        logits = extractor.logits(extractor.features_of_tensor(tensor)[None])[0]
    new = with_last_dense(shipped, dense.weights, dense.bias, (-20.0, 20.0))
    assert output_producer(new) == "SOFTMAX"
    model = load_model(new, threads=1, source=name)
    try:
        out = model.outputs[0]
        raw = model.run(tensor[None]).reshape(-1).astype(np.float64)
    finally:
        model.close()
    probabilities = (raw - out.zero_point) * out.scale if out.quantized else raw
    expected = np.exp(logits - logits.max())
    expected /= expected.sum()
    assert int(np.argmax(probabilities)) == int(np.argmax(expected))
    if out.quantized:  # int8: the new layer's int32 bias is at input scale x weight scale
        assert out.dtype == np.uint8 and (out.scale, out.zero_point) == (1 / 256, 0)
        assert np.abs(probabilities - expected).max() < 0.02
        in_scale, _ = dense_input_quantization(new)
        layer = last_dense_layer(new)
        assert in_scale > 0 and np.allclose(layer.bias, dense.bias, atol=in_scale * 0.02)
    else:
        assert abs(probabilities.sum() - 1) < 1e-5
        assert np.abs(probabilities - expected).max() < 1e-5


def test_cli_refuses_an_output_that_is_not_tflite(tmp_path: Path) -> None:
    bad = _camviz(
        ["teach", str(tmp_path), "--out", str(tmp_path / f"m{HEAD_SUFFIX}"),
         "--export-tflite", str(tmp_path / "m.bin")],
    )  # fmt: skip
    assert bad.returncode == 1 and bad.stderr.startswith("OptionsError: --out"), bad.stderr


# ------------------------------------------------------------------ real clips (slow)
@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Teach the five clips (60% of each), save the head, export it with the CLI."""
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


@pytest.mark.slow
def test_exported_model_carries_labels_and_probabilities(exported: dict[str, Any]) -> None:
    model: Path = exported["model"]
    record = exported["record"]
    assert not list(exported["folder"].glob("*.tmp"))  # atomic write left nothing behind
    assert record["bytes"] == model.stat().st_size and record["output"] == "probabilities"
    meta = read_metadata_file(model)
    assert meta is not None and meta.labels == tuple(CLIPS)
    assert meta.mean == (0.0, 0.0, 0.0) and meta.std == (1.0, 1.0, 1.0)
    assert meta.color_space == "RGB" and "5 probabilities" in (meta.description or "")
    with open_classifier(ClassifierOptions(model=str(model))) as clf:
        assert clf.info.labels == tuple(CLIPS) and clf.info.output == "probabilities"
        assert clf.info.dtype == "uint8" and clf.info.input_size == (224, 224)
    # every operator before the head is the shipped backbone's
    assert record["feature_max_abs_diff"] == 0.0 and record["calibration_frames"] == 0
    assert record["output_quantization"] == {"scale": 1 / 256, "zero_point": 0}


@pytest.mark.slow
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


def _centre_crop(frame: np.ndarray, size: int = 224) -> np.ndarray:
    h, w = frame.shape[:2]
    side = round(min(h, w) * 0.875)
    top, left = (h - side) // 2, (w - side) // 2
    crop = frame[top : top + side, left : left + side]
    return cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)


@pytest.mark.slow
def test_litert_alone_reads_probabilities_that_sum_to_1(exported: dict[str, Any]) -> None:
    """No camviz in the loop: LiteRT's interpreter on the file, softmax already applied."""
    litert = pytest.importorskip("ai_edge_litert.interpreter", reason="LiteRT is not installed")
    interpreter = litert.Interpreter(model_path=str(exported["model"]))
    interpreter.allocate_tensors()
    (inp,), (out,) = interpreter.get_input_details(), interpreter.get_output_details()
    assert out["dtype"] == np.uint8 and out["quantization"] == (1 / 256, 0)
    labels = tuple(CLIPS)
    correct = total = 0
    for label, frames in exported["held_out"].items():
        for frame in frames[::4]:
            interpreter.set_tensor(inp["index"], _centre_crop(frame)[None])
            interpreter.invoke()
            probabilities = interpreter.get_tensor(out["index"]).reshape(-1) / 256
            assert abs(probabilities.sum() - 1) <= len(labels) / 256, probabilities
            total += 1
            correct += labels[int(np.argmax(probabilities))] == label
    assert correct / total >= 0.9, (correct, total)


@pytest.mark.slow
def test_mediapipe_reports_the_labels_and_probabilities(
    exported: dict[str, Any], tmp_path: Path
) -> None:
    if not MEDIAPIPE.exists():
        pytest.skip(f"MediaPipe's venv {MEDIAPIPE.parent.parent} is not there")
    for label, frames in exported["held_out"].items():
        for n, frame in enumerate(frames[::8]):
            cv2.imwrite(str(tmp_path / f"{label}-{n}.png"), frame[..., ::-1])
    script = textwrap.dedent(
        """
        import json, sys
        from pathlib import Path
        import mediapipe as mp
        from mediapipe.tasks.python import BaseOptions, vision
        options = vision.ImageClassifierOptions(
            base_options=BaseOptions(model_asset_path=sys.argv[1]), max_results=-1)
        rows = []
        with vision.ImageClassifier.create_from_options(options) as classifier:
            for path in sorted(Path(sys.argv[2]).glob("*.png")):
                result = classifier.classify(mp.Image.create_from_file(str(path)))
                cats = result.classifications[0].categories
                rows.append([path.stem.split("-")[0], {c.category_name: c.score for c in cats}])
        print(json.dumps(rows))
        """
    )
    run = subprocess.run(
        [str(MEDIAPIPE), "-c", script, str(exported["model"]), str(tmp_path)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    rows = json.loads(run.stdout.strip().splitlines()[-1])
    assert len(rows) == sum(len(f[::8]) for f in exported["held_out"].values())
    correct = 0
    for label, scores in rows:
        assert set(scores) == set(CLIPS)  # display names from the metadata
        assert abs(sum(scores.values()) - 1) <= len(CLIPS) / 256, scores
        correct += max(scores, key=scores.get) == label
    assert correct / len(rows) >= 0.9, (correct, len(rows))


def test_export_refuses_a_head_of_another_backbone_file(tmp_path: Path) -> None:
    head = _toy_head()  # sha256 of a backbone file that is not the shipped one
    with pytest.raises(ModelLoadError, match="teach the classes again"):
        export_head(head, tmp_path / "m.tflite")
    with pytest.raises(OptionsError, match="must end in .tflite"):
        export_head(head, tmp_path / "m.onnx")
    assert not list(tmp_path.iterdir())
