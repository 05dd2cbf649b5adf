"""Where samples come from and how they split: frames picked from videos, by time, by shuffle."""

from __future__ import annotations

from camviz.teach import SampleKey, assign_splits

from .conftest import ClipFeatures


def test_every_clip_gives_enough_frames(clip_features: ClipFeatures) -> None:
    counts = {label: len(keys) for label, (keys, _) in clip_features.items()}
    # tree.avi declares 444 frames but only 68 decode: the frames are re-spread over those
    assert counts == {
        "pedestrians": 100,
        "tree": 68,
        "animation": 100,
        "bikes": 100,
        "carphone": 100,
    }


def test_split_by_time_and_photos_by_seeded_shuffle() -> None:
    keys = [SampleKey("a", "clip.mp4", n, True) for n in range(10)]
    keys += [SampleKey("b", f"photo{i}.jpg", 0, False) for i in range(10)]
    splits = assign_splits(keys, 0.4, seed=3)
    assert splits[:10] == ["train"] * 6 + ["val"] * 4  # first 60% of the video trains
    assert splits[10:].count("val") == 4
    assert assign_splits(keys, 0.4, seed=3) == splits  # deterministic
    assert assign_splits(list(reversed(keys)), 0.4, seed=3) == list(reversed(splits))
    assert assign_splits(keys, 0.0) == ["train"] * 20
    # a class never loses all its training data
    assert assign_splits([SampleKey("c", "x", 0, True)], 0.9) == ["train"]
