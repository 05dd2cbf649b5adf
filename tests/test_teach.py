"""Teaching new classes on real footage: classes are different real video clips.

Features of each clip are extracted once per session (100 frames spread over each
clip); every clip is split by time: its first 60% trains, its last 40% tests.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from camviz.classifier import ClassifierOptions
from camviz.errors import (
    ExtraNotInstalledError,
    ModelLoadError,
    ModelNotFoundError,
    OptionsError,
    TeachError,
)
from camviz.features import FeatureExtractor
from camviz.loading import open_classifier
from camviz.teach import (
    HEAD_SUFFIX,
    Head,
    SampleKey,
    TeachSession,
    TrainOptions,
    _video_frames,
    assign_splits,
    export_tflite,
    load_head,
    save_confusion_png,
    teach_folder,
)

from .conftest import PHOTOS, ROOT, VIDEOS

# Five classes of real footage (assets/SOURCES.md); demo_reel.mp4 is derived from photos.
CLIPS = {
    "pedestrians": VIDEOS / "vtest.avi",
    "tree": VIDEOS / "tree.avi",
    "animation": VIDEOS / "bigbuckbunny.mp4",
    "bikes": VIDEOS / "bikes.mp4",
    "carphone": VIDEOS / "carphone_pristine.mp4",
}
FRAMES = 100


@pytest.fixture(scope="session")
def extractor() -> Iterator[FeatureExtractor]:
    with FeatureExtractor.create("efficientnet_lite0_int8") as fx:
        yield fx


@pytest.fixture(scope="session")
def clip_features(
    extractor: FeatureExtractor,
) -> dict[str, tuple[list[SampleKey], np.ndarray]]:
    """Per class: the sampled frames' keys (by frame number) and their features."""
    cache: dict[str, tuple[list[SampleKey], np.ndarray]] = {}
    for label, path in CLIPS.items():
        frames = _video_frames(path, FRAMES)
        keys = [SampleKey(label, path.name, n, True) for n, _ in frames]
        cache[label] = (keys, extractor.extract_many(image for _, image in frames))
    return cache


def _session(
    extractor: FeatureExtractor,
    clip_features: dict[str, tuple[list[SampleKey], np.ndarray]],
    **options: object,
) -> TeachSession:
    session = TeachSession(options=TrainOptions(**options), extractor=extractor)  # type: ignore[arg-type]
    for label, (keys, features) in clip_features.items():
        for key, row in zip(keys, features, strict=True):
            session.add_features(label, row, key)
    return session


@pytest.fixture(scope="session")
def trained(
    extractor: FeatureExtractor, clip_features: dict[str, tuple[list[SampleKey], np.ndarray]]
) -> TeachSession:
    session = _session(extractor, clip_features, val=0.4)
    session.train()
    return session


# ---------------------------------------------------------------------------- accuracy
def test_every_clip_gives_enough_frames(
    clip_features: dict[str, tuple[list[SampleKey], np.ndarray]],
) -> None:
    counts = {label: len(keys) for label, (keys, _) in clip_features.items()}
    # tree.avi declares 444 frames but only 68 decode: the frames are re-spread over those
    assert counts == {
        "pedestrians": 100,
        "tree": 68,
        "animation": 100,
        "bikes": 100,
        "carphone": 100,
    }


def test_video_split_accuracy_on_real_clips(trained: TeachSession) -> None:
    report = trained.report
    assert report is not None
    print("\n" + report.format())
    assert report.val_accuracy is not None and report.val_accuracy >= 0.95
    assert report.train_accuracy == 1.0
    assert sum(report.val_counts) == int(report.confusion.sum()) == 40 * 4 + 27
    # the last 40% of each clip is never seen in training
    assert report.train_counts == (60, 41, 60, 60, 60)
    for label, acc in zip(report.labels, report.class_accuracy, strict=True):
        assert acc is not None
        # tree's last part has a hand entering the picture that training never sees
        assert acc >= (0.75 if label == "tree" else 0.97), label


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


# ---------------------------------------------------------------------------- save and load
def test_saved_head_reloads_with_identical_probabilities(
    trained: TeachSession,
    clip_features: dict[str, tuple[list[SampleKey], np.ndarray]],
    tmp_path: Path,
) -> None:
    head = trained.head
    assert head is not None
    path = trained.save(tmp_path / f"clips{HEAD_SUFFIX}")
    assert not list(tmp_path.glob("*.tmp"))  # atomic write left nothing behind
    again = load_head(path)
    features = np.concatenate([f for _, f in clip_features.values()])
    assert np.array_equal(head.probabilities(features), again.probabilities(features))
    assert again.labels == head.labels and again.backbone == "efficientnet_lite0_int8"
    with np.load(path, allow_pickle=False) as data:
        header = json.loads(data["header"].tobytes().decode())
    assert header["format"] == "camviz-head" and header["version"] == 1
    assert header["backbone"]["sha256"] == trained.extractor.backbone.sha256


def test_head_loads_as_a_classifier_everywhere(
    trained: TeachSession, extractor: FeatureExtractor, tmp_path: Path
) -> None:
    path = trained.save(tmp_path / f"clips{HEAD_SUFFIX}")
    frame = _video_frames(CLIPS["carphone"], 3)[-1][1]
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
    frame = _video_frames(CLIPS["bikes"], 2)[-1][1]
    with trained.to_classifier() as clf:
        assert clf.classify(frame).top.label == "bikes"  # type: ignore[union-attr]


# ---------------------------------------------------------------------------- bad input
def test_too_few_samples_or_classes(
    extractor: FeatureExtractor,
    clip_features: dict[str, tuple[list[SampleKey], np.ndarray]],
) -> None:
    keys, features = clip_features["tree"]
    one_class = TeachSession(extractor=extractor)
    for key, row in zip(keys[:5], features[:5], strict=True):
        one_class.add_features("tree", row, key)
    with pytest.raises(TeachError, match="at least 2 classes.*'tree'"):
        one_class.train()
    one_class.add_features("bikes", clip_features["bikes"][1][0])
    with pytest.raises(TeachError, match="class 'bikes' has only 1 usable sample"):
        one_class.train()
    one_class.add_class("empty")
    with pytest.raises(TeachError, match="class 'empty' has no samples"):
        one_class.train()
    with pytest.raises(TeachError, match="call train"):
        TeachSession(extractor=extractor).to_classifier()
    with pytest.raises(OptionsError):
        TrainOptions(val=1.0)


def _photo_folder(root: Path) -> Path:
    data = root / "data"
    for label, names in {
        "cat": ["chelsea.png", "astronaut.png"],
        "drink": ["coffee.png", "rocket.jpg"],
    }.items():
        (data / label).mkdir(parents=True)
        for name in names:
            shutil.copy(PHOTOS / "skimage" / name, data / label / name)
    return data


def test_unreadable_files_are_skipped_unless_a_class_gets_too_small(tmp_path: Path) -> None:
    data = _photo_folder(tmp_path)
    (data / "cat" / "broken.jpg").write_bytes(b"\xff\xd8\xff not really a jpeg")
    (data / "cat" / "notes.txt").write_text("not media")
    (data / "drink" / "clip.mp4").write_text("a text file named like a video")
    shutil.copy(CLIPS["tree"], data / "drink" / "tree.avi")
    seen: list[tuple[int, int]] = []
    head, report = teach_folder(
        data,
        options=TrainOptions(val=0.0, frames_per_video=4),
        progress=lambda d, t: seen.append((d, t)),
    )
    assert head.labels == ("cat", "drink")
    skipped = "\n".join(report.skipped)
    assert "broken.jpg" in skipped and "clip.mp4" in skipped and "notes.txt" in skipped
    assert report.train_counts == (2, 6)  # 2 photos; 2 photos + 4 video frames
    assert seen[-1] == (seen[-1][1], seen[-1][1])  # the bar ends full
    assert len(seen) == len(set(seen))  # and never redraws the same state
    (data / "cat" / "astronaut.png").write_bytes(b"")
    with pytest.raises(TeachError, match="'cat' has only 1 usable sample"):
        teach_folder(data, options=TrainOptions(frames_per_video=2))


def test_folder_with_one_or_no_class(tmp_path: Path) -> None:
    with pytest.raises(TeachError, match="does not exist"):
        teach_folder(tmp_path / "missing")
    (tmp_path / "only").mkdir()
    with pytest.raises(TeachError, match="only 'only'.*at least 2 subfolders"):
        teach_folder(tmp_path)


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


def test_corrupt_and_foreign_files_are_refused(tmp_path: Path, trained: TeachSession) -> None:
    junk = tmp_path / f"junk{HEAD_SUFFIX}"
    junk.write_bytes(b"PK\x03\x04 truncated zip")
    with pytest.raises(ModelLoadError, match="not a readable .npz"):
        load_head(junk)
    foreign = tmp_path / f"foreign{HEAD_SUFFIX}"
    with foreign.open("wb") as handle:
        np.savez(handle, weights=np.zeros((2, 3)))
    with pytest.raises(ModelLoadError, match="lacks bias, header, mean, std"):
        load_head(foreign)
    pickled = tmp_path / f"pickled{HEAD_SUFFIX}"
    with pickled.open("wb") as handle:
        np.savez(handle, header=np.array([{"format": "camviz-head"}], dtype=object))
    with pytest.raises(ModelLoadError, match="not a readable .npz"):
        load_head(pickled)  # object arrays would need pickle: never loaded
    head = trained.head
    assert head is not None
    bad = Head(**{**head.__dict__, "labels": head.labels[:3]})
    with pytest.raises(ModelLoadError, match="shapes disagree"):
        load_head(bad.save(tmp_path / f"bad{HEAD_SUFFIX}"))
    with pytest.raises(ModelNotFoundError):
        load_head(tmp_path / f"missing{HEAD_SUFFIX}")
    with pytest.raises(OptionsError, match="does not end in .head.npz"):
        head.save(tmp_path / "model.npz")


# ---------------------------------------------------------------------------- reports
def test_confusion_png_and_text(trained: TeachSession, tmp_path: Path) -> None:
    report = trained.report
    assert report is not None
    text = report.format()
    assert "confusion matrix" in text and "4: carphone" in text
    png = save_confusion_png(report, tmp_path / "confusion.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_missing_extras_are_named(
    trained: TeachSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report, head = trained.report, trained.head
    assert report is not None and head is not None
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ExtraNotInstalledError, match="Confusion plot needs the 'plot' extra"):
        save_confusion_png(report, tmp_path / "c.png")
    monkeypatch.setitem(sys.modules, "tensorflow", None)
    with pytest.raises(ExtraNotInstalledError, match="Exporting a taught model needs the 'build'"):
        export_tflite(head, tmp_path / "m.tflite")


# ---------------------------------------------------------------------------- command line
def test_cli_teach_then_classify(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "carphone").mkdir(parents=True)
    (data / "photos").mkdir()
    shutil.copy(CLIPS["carphone"], data / "carphone" / "carphone.mp4")
    for name in ["chelsea.png", "coffee.png", "rocket.jpg", "astronaut.png"]:
        shutil.copy(PHOTOS / "skimage" / name, data / "photos" / name)
    frame = _video_frames(CLIPS["carphone"], 2)[-1][1]  # the last frame: validation side
    cv2.imwrite(str(tmp_path / "frame.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    out = tmp_path / f"mine{HEAD_SUFFIX}"
    python = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").is_dir() else sys.executable
    taught = subprocess.run(
        [python, "-m", "camviz", "teach", str(data), "--out", str(out), "--frames-per-video",
         "6", "--val", "0.34", "--confusion-png", str(tmp_path / "c.png"), "--json"],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
    )  # fmt: skip
    assert taught.returncode == 0, taught.stderr
    record = json.loads(taught.stdout)
    assert record["labels"] == ["carphone", "photos"] and record["out"] == str(out)
    assert record["train_counts"] == [4, 3] and record["val_counts"] == [2, 1]
    assert "features: 10/10 done" in taught.stderr
    assert (tmp_path / "c.png").stat().st_size > 1000
    classified = subprocess.run(
        [python, "-m", "camviz", "classify", "--model", str(out), "--json",
         str(tmp_path / "frame.png")],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
    )  # fmt: skip
    assert classified.returncode == 0, classified.stderr
    result = json.loads(classified.stdout)
    assert result["model"] == "mine" and result["top"][0]["label"] == "carphone"
    bad = subprocess.run(
        [python, "-m", "camviz", "teach", str(data / "photos"), "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
    )  # fmt: skip
    assert bad.returncode == 1 and bad.stderr.startswith("TeachError: "), bad.stderr
