"""Teach mode without Qt: the worker trains on real frames and reports errors as events."""

from __future__ import annotations

from pathlib import Path

import pytest

from camviz.app import LatestFrame, TeachFailure, Teaching, Trained
from camviz.imageio import load_image
from camviz.teach import video_frames
from tests.conftest import MODELS, PHOTOS, VIDEOS, wait_for

pytestmark = pytest.mark.skipif(
    not (MODELS / "efficientnet_lite0_int8.tflite").is_file(), reason="the zoo backbone"
)


def feed(teaching: Teaching, frames: LatestFrame, label: str, images: list) -> None:
    assert teaching.start_capture(label)
    for image in images:
        frames.put(image)
        assert teaching.capture_tick()
    teaching.stop_capture()


def test_train_on_two_videos_and_errors_are_events(no_leaked_threads: None) -> None:
    frames = LatestFrame()
    switched: list[str] = []
    teaching = Teaching(frames, switched.append)
    trained: list[Trained] = []
    failed: list[TeachFailure] = []
    teaching.events.trained.connect(trained.append)
    teaching.events.failed.connect(failed.append)
    try:
        assert teaching.add_class("bikes") is None
        assert "already" in (teaching.add_class("bikes") or "")
        feed(teaching, frames, "bikes", [f for _, f in video_frames(VIDEOS / "bikes.mp4", 12)])
        assert teaching.train()
        assert wait_for(lambda: bool(failed), timeout=60)
        assert failed[-1].what == "train" and failed[-1].ends_training
        assert "at least 2 classes" in failed[-1].message and not teaching.training

        assert teaching.add_class("cat") is None
        cat = load_image(PHOTOS / "skimage" / "chelsea.png")
        feed(teaching, frames, "cat", [cat.copy() for _ in range(4)] + [cat[::-1].copy()] * 4)
        assert teaching.train()
        assert wait_for(lambda: bool(trained), timeout=60)
        report = trained[0].report
        assert report.labels == ("bikes", "cat") and teaching.counts == {"bikes": 12, "cat": 8}
        assert trained[0].path.is_file() and teaching.is_temporary(str(trained[0].path))
        teaching.use_taught()
        assert switched == [str(trained[0].path)]
    finally:
        assert teaching.shutdown()
    assert not trained[0].path.exists() and not teaching.worker.running
    assert teaching.persistent_model(str(trained[0].path)) == ""


def test_a_backbone_that_cannot_load_is_a_failure_event(no_leaked_threads: None) -> None:
    teaching = Teaching(LatestFrame(), lambda model: None, backbone=str(Path("/no/such.tflite")))
    failed: list[TeachFailure] = []
    teaching.events.failed.connect(failed.append)
    try:
        teaching.prepare()
        assert wait_for(lambda: bool(failed), timeout=30)
        assert failed[0].what == "start" and failed[0].title == "Teach mode is not available"
        assert teaching.add_class("x") == teaching.worker.error
    finally:
        teaching.shutdown()


def test_captures_close_in_time_are_one_burst(monkeypatch) -> None:
    """Two presses a moment apart continue one burst (one split side); later, a new one."""
    import camviz.app.teaching as teaching_module

    frames = LatestFrame()
    teaching = Teaching(frames, lambda _: None)
    queued: list[tuple[str, str, int]] = []
    monkeypatch.setattr(
        teaching.worker,
        "add_sample",
        lambda label, image, rec, order: queued.append((label, rec, order)),
    )
    clock = [100.0]
    monkeypatch.setattr(teaching_module.time, "monotonic", lambda: clock[0])
    with teaching._lock:
        teaching._counts.update({"mug": 0, "bg": 0})
    image = load_image(PHOTOS / "skimage" / "chelsea.png")

    def press(label: str, n: int) -> None:
        assert teaching.start_capture(label)
        for _ in range(n):
            frames.put(image)
            assert teaching.capture_tick()
            clock[0] += 0.1
        teaching.stop_capture()

    press("mug", 3)
    clock[0] += 1.0
    press("mug", 2)  # within BURST_GAP_S: the same burst, numbering on
    clock[0] += teaching_module.BURST_GAP_S + 1
    press("mug", 1)  # later: a new burst
    press("bg", 1)  # another class: always a new burst
    assert [rec for _, rec, _ in queued] == ["mug#1"] * 5 + ["mug#2", "bg#3"]
    assert [order for _, _, order in queued[:5]] == [0, 1, 2, 3, 4]
    teaching.shutdown()
