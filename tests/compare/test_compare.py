"""camviz compare: agreement of two models on the same frames, checked against classify."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from camviz.classifier import ClassifierOptions
from camviz.compare import Aligner, Comparison, RollingAgreement, compare_inputs
from camviz.loading import open_classifier
from tests.conftest import ROOT, camviz

PHOTOS = ROOT / "assets" / "photos"
REEL = ROOT / "assets" / "demo" / "demo_reel.mp4"
FLOAT, INT8 = "efficientnet_lite0_float32", "efficientnet_lite0_int8"


def _top1(stdout: str) -> dict[str, str]:
    rows = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    return {row["path"]: row["top"][0]["label"] for row in rows}


@pytest.mark.slow
def test_agreement_equals_the_one_two_classify_runs_give(tmp_path: Path) -> None:
    runs = [camviz("classify", "--json", "--model", m, PHOTOS) for m in (FLOAT, INT8)]
    for run in runs:
        assert run.returncode == 0, run.stderr
    a, b = (_top1(run.stdout) for run in runs)
    assert set(a) == set(b) and len(a) == 27
    expected = sum(a[p] == b[p] for p in a) / len(a)
    out = camviz("compare", FLOAT, INT8, PHOTOS, "--json", "--thumbs", tmp_path / "t")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["frames"] == 27
    assert report["top1_agreement"] == pytest.approx(expected, abs=1e-6)
    disagreeing = sorted((a[p], b[p]) for p in a if a[p] != b[p])
    listed = sorted((d["a"], d["b"]) for d in report["disagreements"] for _ in range(d["count"]))
    assert listed == disagreeing
    assert 0 < report["top5_overlap"] <= 1 and report["mean_kl"] > 0
    assert report["latency"]["a"]["p95_ms"] > 0 and report["latency"]["b"]["p95_ms"] > 0
    thumbs = sorted((tmp_path / "t").iterdir())
    assert len(thumbs) == len(report["thumbnails"]) == 8
    # the first thumbnail is a frame where the two disagree, when there is one
    if disagreeing:
        first = next(r for r in report["frames_detail"] if Path(r["name"]).name in thumbs[0].name)
        assert not first["agree"]


def test_markdown_table_by_default() -> None:
    out = camviz("compare", FLOAT, INT8, PHOTOS / "skimage" / "chelsea.png")
    assert out.returncode == 0, out.stderr
    assert "| top-1 agreement | 100.0% |" in out.stdout
    assert "| frames | 1 |" in out.stdout


def test_a_model_against_itself_agrees_fully_with_zero_divergence() -> None:
    with (
        open_classifier(ClassifierOptions(model=INT8)) as a,
        open_classifier(ClassifierOptions(model=INT8)) as b,
    ):
        comparison = compare_inputs(a, b, [str(PHOTOS / "skimage")])
    report = comparison.report()
    assert report.frames == 7
    assert report.agreement == 1.0 and report.top5_overlap == 1.0
    assert report.mean_kl == pytest.approx(0.0, abs=1e-6)
    assert report.largest_diff is not None and report.largest_diff["value"] < 1e-6
    assert report.disagreements == ()


def test_video_frames_are_seen_by_both_models_and_every_nth_kept() -> None:
    with (
        open_classifier(ClassifierOptions(model=FLOAT)) as a,
        open_classifier(ClassifierOptions(model=INT8)) as b,
    ):
        comparison = compare_inputs(a, b, [str(REEL)], every=10, max_frames=6, keep=2)
    names = [r.name for r in comparison.records]
    assert names == [f"{REEL}#{i}" for i in range(0, 60, 10)]
    assert len(comparison.thumbnails()) == 2
    ranks = [(not r.agree, r.distance) for r, _ in comparison.thumbnails()]
    assert ranks == sorted(ranks, reverse=True)
    kept = {r.name for r, _ in comparison.thumbnails()}
    worst = sorted(comparison.records, key=lambda r: (not r.agree, r.distance))[-2:]
    assert kept == {r.name for r in worst}


def test_same_labels_align_by_index_and_equal_results_agree() -> None:
    with open_classifier(ClassifierOptions(model=INT8)) as a:
        aligner = Aligner.of(a, a)
        assert aligner.how == "index"
        probs = np.linspace(0, 1, a.info.num_classes, dtype=np.float32)
        pa, pb = aligner(probs, probs)
        assert pa.sum() == pytest.approx(1.0) and np.array_equal(pa, pb)
        comparison = Comparison("a", "b", aligner)
        image = np.full((240, 320, 3), 90, np.uint8)
        result = a.classify(image)
        record = comparison.add("grey", result, result)
        assert record.agree and record.kl == pytest.approx(0.0, abs=1e-9)


def test_missing_input_is_named_and_fails() -> None:
    out = camviz("compare", FLOAT, INT8, ROOT / "no_such_photo.jpg")
    assert out.returncode != 0
    assert "no_such_photo.jpg" in out.stderr


def test_models_of_different_input_sizes_see_the_same_decoded_photo() -> None:
    with (
        open_classifier(ClassifierOptions(model=INT8)) as a,
        open_classifier(ClassifierOptions(model="efficientnet_lite2_int8")) as b,
    ):
        assert a.info.input_size != b.info.input_size
        comparison = compare_inputs(a, b, [str(PHOTOS / "opencv" / "fruits.jpg")])
    (record,) = comparison.records
    assert 0.0 <= record.overlap <= 1.0 and record.kl >= 0.0
    assert comparison.report().matched_by == "index"


@pytest.mark.slow
def test_one_model_on_two_runtimes(tmp_path: Path) -> None:
    pytest.importorskip("openvino", reason="the OpenVINO backend needs camviz[openvino]")
    out = camviz("compare", INT8, INT8, PHOTOS, "--backend-b", "openvino", "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["model_a"] != report["model_b"] and "openvino" in report["model_b"].lower()
    assert report["frames"] == 27 and report["top1_agreement"] >= 25 / 27


def test_rolling_agreement_counts_the_window_only() -> None:
    with (
        open_classifier(ClassifierOptions(model=FLOAT)) as a,
        open_classifier(ClassifierOptions(model=INT8)) as b,
    ):
        comparison = compare_inputs(a, b, [str(PHOTOS)])
    records = comparison.records
    rolling = RollingAgreement(window_s=5.0)
    for second, record in enumerate(records):  # one pair a second
        rolling.add(float(second), record)
    last = records[-6:]  # stamps 21..26: within 5 s of the last
    assert rolling.count == 6
    assert rolling.agreement == pytest.approx(sum(r.agree for r in last) / 6)
    assert rolling.overlap == pytest.approx(sum(r.overlap for r in last) / 6)
    assert RollingAgreement().agreement is None
