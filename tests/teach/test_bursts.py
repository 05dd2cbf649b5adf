"""Camera bursts go whole to one side of the split; near-duplicate validation is warned of."""

from __future__ import annotations

import numpy as np

from camviz.teach import SampleKey, TeachSession, TrainOptions, assign_splits
from camviz.teach.report import NEAR_DUPLICATE, nearest_similarity, split_warnings

from .conftest import ClipFeatures


def _burst(label: str, take: int, n: int) -> list[SampleKey]:
    return [SampleKey(label, f"{label}#{take}", i, True, burst=True) for i in range(n)]


def test_bursts_split_whole_the_latest_validating() -> None:
    keys = _burst("mug", 1, 10) + _burst("mug", 2, 10) + _burst("mug", 3, 10)
    splits = assign_splits(keys, 0.2)
    assert splits == ["train"] * 20 + ["val"] * 10  # the last take, whole
    # one take only: it all trains (no near-duplicate can validate)
    assert assign_splits(_burst("cup", 1, 30), 0.2) == ["train"] * 30
    # two takes: the second validates; other kinds of sample split as before
    mixed = (
        _burst("a", 1, 5)
        + _burst("a", 2, 5)
        + [SampleKey("b", "v.mp4", n, True) for n in range(10)]
    )
    got = assign_splits(mixed, 0.2)
    assert got[:10] == ["train"] * 5 + ["val"] * 5
    assert got[10:] == ["train"] * 8 + ["val"] * 2


def test_nearest_similarity_is_per_class() -> None:
    train = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    val = np.array([[2.0, 0.1], [1.0, 0.0]], np.float32)
    sims = nearest_similarity(val, np.array([0, 1]), train, np.array([0, 1]))
    assert sims[0] > 0.99  # nearly the class-0 training sample
    assert abs(sims[1]) < 1e-6  # class 1's training sample is orthogonal to it
    assert nearest_similarity(val[:0], np.array([], np.int64), train, np.array([0, 1])).size == 0


def test_split_warnings_say_why_a_score_is_optimistic() -> None:
    near = split_warnings(("mug", "bg"), np.array([0, 0, 1]), np.array([0.99, 0.995, 0.98]))
    assert len(near) == 1 and "near-duplicates" in near[0] and "100%" in near[0]
    missing = split_warnings(("mug", "bg"), np.array([0, 0]), np.array([0.5, 0.6]))
    assert len(missing) == 1 and "'bg'" in missing[0] and "two or more" in missing[0]
    assert split_warnings(("mug", "bg"), np.array([0, 1]), np.array([0.6, 0.8])) == ()
    assert NEAR_DUPLICATE > 0.9


def test_a_burst_of_one_scene_per_class_warns(extractor, clip_features: ClipFeatures) -> None:
    """30 near-identical frames per class, captured as the window does, in one take: the
    old per-recording time split validated on neighbours of training frames; now the
    report has no validation for them and says so, and with near-identical takes it warns."""
    session = TeachSession(options=TrainOptions(val=0.2), extractor=extractor)
    rng = np.random.default_rng(0)
    for label in ("tree", "carphone"):
        base = clip_features[label][1][0]
        for take in (1, 2):  # two takes of the very same view
            for i in range(15):
                noisy = base + rng.normal(0, 0.01, base.shape).astype(np.float32)
                session.add_features(
                    label, noisy, SampleKey(label, f"{label}#{take}", i, True, True)
                )
    report = session.train()
    assert report.val_counts == (15, 15)
    assert report.val_similarity is not None and report.val_similarity > NEAR_DUPLICATE
    assert any("near-duplicates" in w for w in report.warnings)
    assert "warning: " in report.format() and report.to_dict()["warnings"]
    assert report.format().startswith(f"features from {extractor.name}")
