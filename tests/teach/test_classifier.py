"""A taught head as a classifier: wherever a model is accepted, on its own backbone only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from camviz.classifier import ClassifierOptions
from camviz.errors import ModelLoadError, ModelNotFoundError
from camviz.features import FeatureExtractor
from camviz.loading import open_classifier
from camviz.teach import HEAD_SUFFIX, Head, TeachSession, video_frames

from .conftest import CLIPS


def test_head_loads_as_a_classifier_everywhere(
    trained: TeachSession, extractor: FeatureExtractor, tmp_path: Path
) -> None:
    path = trained.save(tmp_path / f"clips{HEAD_SUFFIX}")
    frame = video_frames(CLIPS["carphone"], 3)[-1][1]
    with open_classifier(ClassifierOptions(model=path, top_k=2)) as clf:
        assert clf.info.labels == trained.labels and clf.info.num_classes == 5
        assert clf.info.name == "clips" and clf.info.input_size == (224, 224)
        result = clf.classify(frame)
        assert result.top is not None and result.top.label == "carphone"
        assert len(result.categories) == 2
        # same numbers as the session's head on the same features
        expected = trained.classify_features(extractor.extract(frame))
        assert np.array_equal(result.probabilities, expected)
        assert np.array_equal(clf.probabilities(clf.invoke_raw(clf.preprocess(frame))), expected)
        clf.update(top_k=1)
        assert len(clf.classify(frame).categories) == 1


def test_session_to_classifier(trained: TeachSession) -> None:
    frame = video_frames(CLIPS["bikes"], 2)[-1][1]
    with trained.to_classifier() as clf:
        assert clf.classify(frame).top.label == "bikes"  # type: ignore[union-attr]


def test_head_for_another_backbone_is_refused(trained: TeachSession, tmp_path: Path) -> None:
    head = trained.head
    assert head is not None
    other = Head(**{**head.__dict__, "backbone_sha256": "0" * 64})
    path = other.save(tmp_path / f"old{HEAD_SUFFIX}")
    with pytest.raises(ModelLoadError, match="sha256 0000000000000000.*teach the classes again"):
        open_classifier(model=str(path))
    gone = Head(**{**head.__dict__, "backbone": "mobilenet_v9", "backbone_sha256": "1" * 64})
    with pytest.raises(ModelNotFoundError, match="'mobilenet_v9', which is not in the zoo"):
        open_classifier(model=str(gone.save(tmp_path / f"gone{HEAD_SUFFIX}")))
