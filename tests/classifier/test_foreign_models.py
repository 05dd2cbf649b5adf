"""camviz on real TFLite classifiers published by Google (../shared/foreign-models/SOURCES.md).

The models live beside the checkout (``../shared/foreign-models``) and are never copied into
the repository; every test here skips, saying why, when that folder is absent. Each model
file is checked for what SOURCES.md says about it (labels, index layout, input mapping),
against the real photos in ``assets/photos`` (no input tensor may be clipped much), and,
for the ImageNet models, for top-1 on the labelled photos of ``tests/data/eval_photos.csv``
(acceptable classes chosen by subject, independently of any model).

The top-1 floors were measured with camviz (ai-edge-litert 2.3.0, opencv 5.1) and set about
two photos below: MobileNet v1 0.25 models got 5-6 of 14, v1 0.5 8, v1 0.75 and v2 11.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from camviz.classifier import Classifier, ClassifierOptions
from camviz.imageio import load_image
from camviz.labels import LabelLayout
from camviz.preprocess import InputMapping, MappingSource

ROOT = Path(__file__).resolve().parents[2]
FOREIGN = ROOT / ".." / "shared" / "foreign-models"
PHOTOS = sorted(p for p in (ROOT / "assets" / "photos").glob("*/*") if p.is_file())
EVAL_CSV = Path(__file__).resolve().parents[1] / "data" / "eval_photos.csv"
MAX_CLIPPED = 0.20

META = MappingSource.METADATA.value
RAW_DEFAULT = MappingSource.RAW_DEFAULT.value
FLOAT_DEFAULT = MappingSource.FLOAT_DEFAULT.value
#: uint8 models whose metadata (mean/std 127.5) and input quantisation (scale 1/128 or
#: 1/127.5, zero point 128 or 127) put every pixel within one step of itself: the Task
#: Library and MediaPipe feed such models raw pixels, and so does camviz
FOLDED = MappingSource.RAW_FOLDED.value
#: an integer model whose metadata says mean 0 / std 1 gets raw pixels; camviz may name that
#: source on its own or as the raw default
RAW_SOURCES = {s.value for s in MappingSource if s.value.endswith("raw pixels")}
FLOWERS = ("daisy", "dandelion", "roses", "sunflowers", "tulips")


@dataclass(frozen=True)
class Expected:
    """What SOURCES.md says of one model (and the top-1 floor measured for it)."""

    classes: int
    labels_from_metadata: bool
    first: str
    last: str  # the last label starts with this
    layout: LabelLayout
    mapping_sources: frozenset[str]
    mean_std: tuple[float, float] | None  # None: raw pixels
    top1_floor: int | None = None  # of the labelled photos; None: not an ImageNet model


def imagenet(metadata: bool, floor: int, mapping: str | None = None) -> Expected:
    mapping = mapping or (FOLDED if metadata else RAW_DEFAULT)
    return Expected(
        1001,
        metadata,
        "background",
        "toilet tissue",
        LabelLayout.IMAGENET_BACKGROUND,
        frozenset({mapping}),
        None if mapping in (RAW_DEFAULT, FOLDED) else (127.5, 127.5),
        floor,
    )


EXPECTED = {
    "coral_mobilenet_v1_0.25_128_quant.tflite": imagenet(True, 4),
    "coral_mobilenet_v1_0.5_160_quant.tflite": imagenet(True, 6),
    "coral_mobilenet_v1_0.75_192_quant.tflite": imagenet(True, 9),
    "coral_mobilenet_v2_1.0_224_quant.tflite": imagenet(True, 9),
    "coral_tf2_mobilenet_v2_1.0_224_ptq.tflite": imagenet(True, 9),
    "tfls_metadata_tests_mobilenet_v2_1.0_224_quant.tflite": imagenet(False, 9),
    "tfls_mobilenet_v1_0.25_224_1_default_1.tflite": imagenet(False, 3, FLOAT_DEFAULT),
    "tfls_mobilenet_v1_0.25_224_1_metadata_1.tflite": imagenet(True, 3, META),  # float input
    "tfls_mobilenet_v1_0.25_224_quant.tflite": imagenet(True, 4),
    "tfls_mobilenet_v1_0.25_224_quant_without_subgraph_metadata.tflite": imagenet(False, 4),
    "coral_mobilenet_v2_1.0_224_inat_bird_quant.tflite": Expected(
        965,
        True,
        "Haemorhous cassinii (Cassin's Finch)",
        "background",
        LabelLayout.OTHER,
        frozenset({FOLDED}),
        None,
    ),
    "tfls_automl_labeler_model.tflite": Expected(
        5,
        True,
        "daisy",
        "tulips",
        LabelLayout.OTHER,
        frozenset(RAW_SOURCES),
        None,
    ),
}

MODELS = sorted(FOREIGN.glob("*.tflite")) if FOREIGN.is_dir() else []
_ABSENT = (
    f"third-party models not found: {FOREIGN.resolve()} is absent (shared/ beside the checkout)"
)


def params(models: list[Path], what: str) -> list:
    return [pytest.param(m, id=m.stem) for m in models] or [
        pytest.param(None, id=f"no-{what}", marks=pytest.mark.skip(reason=_ABSENT))
    ]


PARAMS = params(MODELS, "foreign-models")
IMAGENET_PARAMS = params(
    [m for m in MODELS if m.name in EXPECTED and EXPECTED[m.name].top1_floor is not None],
    "imagenet-models",
)


@dataclass(frozen=True)
class Run:
    """One model loaded and run over every real photo (computed once per model)."""

    info: object
    results: dict[Path, object]


@cache
def photos() -> dict[Path, npt.NDArray[np.uint8]]:
    return {p: load_image(p) for p in PHOTOS}


@cache
def run(model: Path) -> Run:
    with Classifier.create(ClassifierOptions(model=model, top_k=5)) as clf:
        return Run(clf.info, {p: clf.classify(im) for p, im in photos().items()})


def expected(model: Path) -> Expected:
    if model.name not in EXPECTED:
        pytest.skip(f"{model.name} is not described in SOURCES.md / this test's table")
    return EXPECTED[model.name]


def labelled_photos() -> dict[Path, set[int]]:
    with EVAL_CSV.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    return {
        (EVAL_CSV.parent / r["path"]).resolve(): {int(c) for c in r["classes"].split()}
        for r in rows
    }


def test_photos_are_there() -> None:
    assert len(PHOTOS) == 27
    assert set(labelled_photos()) <= {p.resolve() for p in PHOTOS}
    assert len(labelled_photos()) == 14


@pytest.mark.parametrize("model", PARAMS)
def test_labels(model: Path) -> None:
    want = expected(model)
    info = run(model).info
    assert len(info.labels) == want.classes == info.num_classes
    if want.labels_from_metadata:
        assert info.labels_source == "model metadata"
    else:  # no labels in the file: camviz's 'background' + ImageNet-1k default
        assert info.labels_source.startswith("default"), info.labels_source
    assert info.labels[0] == want.first
    assert info.labels[-1].startswith(want.last)
    if model.name == "tfls_automl_labeler_model.tflite":
        assert info.labels == FLOWERS


@pytest.mark.parametrize("model", PARAMS)
def test_label_layout_and_imagenet_index(model: Path) -> None:
    want = expected(model)
    r = run(model)
    assert r.info.label_layout is want.layout
    for result in r.results.values():
        for cat in result.categories:
            if want.layout is LabelLayout.IMAGENET_BACKGROUND:
                assert cat.imagenet_index == (cat.index - 1 if cat.index > 0 else None)
            else:
                assert cat.imagenet_index is None


@pytest.mark.parametrize("model", PARAMS)
def test_input_mapping(model: Path) -> None:
    want = expected(model)
    info = run(model).info
    assert info.mapping_source in want.mapping_sources
    spec = info.preprocessing
    assert spec.crop_fraction == 0.875
    if want.mean_std is None:
        assert spec.mapping is InputMapping.RAW
        assert info.dtype == "uint8"
    else:
        assert spec.mapping is InputMapping.NORMALIZE
        assert spec.mean == (want.mean_std[0],) * 3
        assert spec.std == (want.mean_std[1],) * 3


@pytest.mark.parametrize("model", PARAMS)
def test_real_photos_are_not_clipped_and_give_probabilities(model: Path) -> None:
    r = run(model)
    clipped = {p.name: res.input_clipped for p, res in r.results.items()}
    worst = max(clipped, key=clipped.__getitem__)
    assert clipped[worst] <= MAX_CLIPPED, f"{worst}: {clipped[worst]:.0%} of the input clipped"
    for res in r.results.values():
        probs = np.asarray(res.probabilities)
        assert probs.shape == (len(r.info.labels),)
        assert np.all(probs >= 0) and abs(float(probs.sum()) - 1.0) < 1e-3
        assert probs[res.top.index] == probs.max()  # quantised outputs tie often
        assert res.top.label == r.info.labels[res.top.index]


@pytest.mark.parametrize("model", IMAGENET_PARAMS)
def test_top1_on_labelled_photos(model: Path) -> None:
    floor = EXPECTED[model.name].top1_floor
    r = run(model)
    truth = labelled_photos()
    hits = {
        p.name: r.results[p].top.imagenet_index in ok
        for p in r.results
        if (ok := truth.get(p.resolve())) is not None
    }
    assert len(hits) == 14
    correct = sum(hits.values())
    assert floor is not None and correct >= floor, f"top-1 {correct}/14 on {model.name}: {hits}"


def test_automl_flowers_model() -> None:
    """assets/photos holds no flower photo (all 27 checked by eye), so: valid results only.

    Every photo gives a probability distribution over exactly the five flower labels,
    computed from unclipped raw pixels (the model's metadata says mean 0 / std 1).
    """
    model = FOREIGN / "tfls_automl_labeler_model.tflite"
    if not model.is_file():
        pytest.skip(f"{model.resolve()} is absent (shared/ beside the checkout)")
    r = run(model)
    assert r.info.labels == FLOWERS
    for res in r.results.values():
        assert res.input_clipped == 0.0
        assert len(res.probabilities) == 5
        assert {c.label for c in res.categories} <= set(FLOWERS)
        assert abs(sum(c.score for c in res.categories) - 1.0) < 1e-3
