"""MediaPipe-style reporting options: score threshold, min confidence, allow and deny lists."""

from __future__ import annotations

import numpy as np
import pytest

from camviz.classifier import Classifier, ClassifierOptions
from camviz.errors import OptionsError


def test_allow_and_deny_are_mutually_exclusive() -> None:
    with pytest.raises(OptionsError, match="mutually exclusive"):
        ClassifierOptions(category_allowlist=("tabby",), category_denylist=("tiger cat",))
    assert ClassifierOptions(category_allowlist="tabby").category_allowlist == ("tabby",)


def test_allowlist_reports_only_those_categories(
    default_classifier: Classifier, chelsea: np.ndarray
) -> None:
    clf = default_classifier
    before = clf.classify(chelsea)
    assert [c.index for c in before.categories[:3]] == [282, 285, 281]  # tiger, Egyptian, tabby
    try:
        clf.update(category_allowlist=("Egyptian cat", "lynx"), top_k=5)
        allowed = clf.classify(chelsea)
        assert [c.label.split(",")[0] for c in allowed.categories] == ["Egyptian cat", "lynx"]
        # probabilities stay those of the whole model
        assert np.array_equal(allowed.probabilities, before.probabilities)
        clf.update(category_allowlist=(), category_denylist=("tiger cat", "tabby cat"))
        denied = clf.classify(chelsea)
        assert [c.index for c in denied.categories[:2]] == [285, 287]  # Egyptian cat, lynx
    finally:
        clf.update(category_allowlist=(), category_denylist=(), top_k=5)


def test_unknown_category_names_get_suggestions(default_classifier: Classifier) -> None:
    with pytest.raises(OptionsError, match="no category 'tabby kat'.*did you mean 'tabby cat'"):
        default_classifier.update(category_allowlist=("tabby kat",))


def test_model_info_says_where_everything_came_from(default_classifier: Classifier) -> None:
    info = default_classifier.info
    assert info.mapping_source == "zoo manifest"
    assert info.labels_source.startswith("zoo") and info.label_layout.value == "imagenet-1k"
    assert info.background_index is None and info.delegate == "xnnpack"
    result = default_classifier.classify(np.full((300, 300, 3), 90, np.uint8))
    assert all(c.imagenet_index == c.index for c in result.categories)
    assert result.input_clipped == 0.0
