"""One result path: what the pipeline delivers is what the classifier made, every field kept.

Real zoo model, real video frames. No zoo model clips its input on real frames, so the
clipped share is stamped on the real classifier's results (0.5, as a wrong mapping would
give); the pipeline must carry it through smoothing unchanged.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

import camviz.pipeline.core
from camviz.classifier import Classifier, ClassifierOptions
from camviz.loading import open_classifier
from camviz.pipeline import Backpressure, EventKind, FrameResult, PipelineOptions, run_pipeline
from camviz.results import ClassificationResult
from camviz.sources import make_source

from ..conftest import MODELS, VIDEOS

LITE0 = "efficientnet_lite0_int8"
pytestmark = pytest.mark.skipif(
    not (MODELS / f"{LITE0}.tflite").is_file(), reason=f"models/{LITE0}.tflite"
)
CLIP = VIDEOS / "vtest.avi"


def _clipping(monkeypatch: pytest.MonkeyPatch) -> list[ClassificationResult]:
    """The pipeline's classifier is the real model whose results report half the input
    clipped; returns the list of what classify() made, in order."""
    made: list[ClassificationResult] = []

    def opened(options: ClassifierOptions) -> Classifier:
        clf = open_classifier(options)
        real = clf.classify

        def classify(image: Any, **kw: Any) -> ClassificationResult:
            result = dataclasses.replace(real(image, **kw), input_clipped=0.5)
            made.append(result)
            return result

        monkeypatch.setattr(clf, "classify", classify)
        return clf

    monkeypatch.setattr(camviz.pipeline.core, "open_classifier", opened)
    return made


def _run(smoothing: float, keep_inputs: bool = False) -> tuple[FrameResult, ...]:
    options = PipelineOptions(
        ClassifierOptions(model=LITE0, top_k=3), Backpressure.LOSSLESS, smoothing=smoothing
    )

    def ready(pipeline: camviz.pipeline.Pipeline) -> None:
        if keep_inputs:
            pipeline.keep_model_inputs()

    record = run_pipeline(
        make_source(str(CLIP), pace=False), options, frames=12, keep_results=True, on_ready=ready
    )
    assert not [e for e in record.events if e.kind is EventKind.ERROR]
    return record.results


def test_smoothing_keeps_every_field_of_the_result(monkeypatch: pytest.MonkeyPatch) -> None:
    made = _clipping(monkeypatch)
    results = _run(smoothing=0.8)
    assert len(results) == 12 and len(made) >= 12  # the run may classify one more
    made = made[: len(results)]  # lossless: the results in the order classify() made them
    for fr, original in zip(results, made, strict=True):
        got = fr.result
        assert got.input_clipped == 0.5  # was 0.0 when smoothing rebuilt the result
        assert got.times == original.times and got.model == original.model
        assert len(got.categories) <= 3
    # smoothing did smooth: after the first frame the probabilities differ from the frame's
    assert np.array_equal(results[0].result.probabilities, made[0].probabilities)
    assert not np.array_equal(results[-1].result.probabilities, made[-1].probabilities)
    smoothed = 0.8 * results[-2].result.probabilities + 0.2 * made[-1].probabilities
    assert np.allclose(results[-1].result.probabilities, smoothed, atol=1e-6)


def test_without_smoothing_the_result_is_the_classifiers(monkeypatch: pytest.MonkeyPatch) -> None:
    made = _clipping(monkeypatch)
    results = _run(smoothing=0.0)
    assert [fr.result for fr in results] == made[: len(results)]


def test_the_model_input_is_the_tensor_fed_only_when_asked() -> None:
    assert all(fr.model_input is None for fr in _run(smoothing=0.0))  # not asked: no copies
    results = _run(smoothing=0.0, keep_inputs=True)
    with open_classifier(ClassifierOptions(model=LITE0)) as clf:
        for fr in results:
            tensor = fr.model_input
            assert tensor is not None and tensor.shape == (*clf.info.input_size[::-1], 3)
            assert np.array_equal(tensor, clf.preprocess(fr.frame.image))  # what was fed
        assert results[0].model_input is not results[1].model_input  # a copy per frame
        assert not np.array_equal(results[0].model_input, results[-1].model_input)
