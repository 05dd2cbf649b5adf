"""Teaching sessions and folders on real footage: classes are different real video clips."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from camviz.errors import OptionsError, TeachError
from camviz.features import FeatureExtractor
from camviz.teach import HEAD_SUFFIX, TeachSession, TrainOptions, teach_folder, video_frames

from ..conftest import PHOTOS, ROOT
from .conftest import CLIPS, ClipFeatures


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


def test_too_few_samples_or_classes(
    extractor: FeatureExtractor,
    clip_features: ClipFeatures,
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


def test_cli_teach_then_classify(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "carphone").mkdir(parents=True)
    (data / "photos").mkdir()
    shutil.copy(CLIPS["carphone"], data / "carphone" / "carphone.mp4")
    for name in ["chelsea.png", "coffee.png", "rocket.jpg", "astronaut.png"]:
        shutil.copy(PHOTOS / "skimage" / name, data / "photos" / name)
    frame = video_frames(CLIPS["carphone"], 2)[-1][1]  # the last frame: validation side
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
    assert "features" not in taught.stderr  # no progress bar without a terminal
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
