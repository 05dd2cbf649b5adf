"""camviz eval scores every model in the right index space (and says which)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from camviz.classifier import Classifier, ClassifierOptions
from camviz.evaluate import evaluate_models, load_dataset
from camviz.imageio import load_image
from camviz.zoo import imagenet_labels

from ..conftest import DATA, ROOT

FOREIGN = ROOT.parent / "shared" / "foreign-models"
BACKGROUND_MODEL = FOREIGN / "coral_mobilenet_v2_1.0_224_quant.tflite"
needs_foreign = pytest.mark.skipif(
    not BACKGROUND_MODEL.is_file(), reason=f"{FOREIGN} (shared/ beside the checkout) is absent"
)
CSV = DATA / "eval_photos.csv"


def _by_hand(model: Path) -> tuple[int, int]:
    """Top-1/top-5 hits with the ImageNet mapping written out here: output i is class i - 1."""
    samples = load_dataset(CSV, imagenet_labels())
    top1 = top5 = 0
    with Classifier.create(ClassifierOptions(model=model)) as clf:
        assert clf.info.num_classes == 1001
        for sample in samples:
            probs = clf.classify(load_image(sample.path)).probabilities
            ranked = [int(i) - 1 for i in np.argsort(-probs) if int(i) != 0][:5]
            top1 += ranked[0] in sample.classes
            top5 += any(r in sample.classes for r in ranked)
    return top1, top5


@needs_foreign
def test_a_1001_class_model_is_scored_as_the_imagenet_mapping_scores_it() -> None:
    evaluation = evaluate_models([str(BACKGROUND_MODEL)], CSV)
    score = evaluation.scores[0]
    assert score.index_space == "imagenet-1k" and score.images == 14
    assert (score.top1, score.top5) == _by_hand(BACKGROUND_MODEL)
    assert score.top1_acc > 0.6  # was 8.9% when outputs were compared off by one


def test_zoo_models_are_scored_in_imagenet_space() -> None:
    score = evaluate_models(["efficientnet_lite0_int8"], CSV).scores[0]
    assert score.index_space == "imagenet-1k" and score.top1_acc > 0.8


@needs_foreign
def test_cli_eval_reports_the_index_space() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "camviz",
            "eval",
            str(CSV),
            "--model",
            str(BACKGROUND_MODEL),
            "--json",
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    result = json.loads(out.stdout)["results"][0]
    assert result["index_space"] == "imagenet-1k" and result["top1"] > 0.6
