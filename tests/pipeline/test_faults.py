"""Faults under real components: a camera that unplugs, a damaged video, a model that raises,
a model file deleted or replaced while it runs, a disk that fills up while a taught model is
saved. The app keeps running and says what happened."""

from __future__ import annotations

import errno
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from camviz.classifier import Classifier, ClassifierOptions
from camviz.errors import InferenceError, OptionsError
from camviz.pipeline import (
    Backpressure,
    EventKind,
    Pipeline,
    PipelineOptions,
)
from camviz.sources import CameraSource, ImageSource, SourceState, VideoSource

from ..conftest import MODELS, PHOTOS, VIDEOS, Recorder, wait_for

LITE0 = "efficientnet_lite0_int8"


def real_frames(count: int) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(VIDEOS / "vtest.avi"))
    frames = []
    for _ in range(count):
        ok, image = cap.read()
        assert ok
        frames.append(image)
    cap.release()
    return frames


# ------------------------------------------------------------------ the camera unplugs
class UnpluggableCamera:
    """A fake ``cv2.VideoCapture`` for a camera that can be unplugged and plugged back:
    it serves real video frames (BGR) at about 30 fps while plugged in."""

    def __init__(self, frames: list[np.ndarray]) -> None:
        self.frames = frames
        self.plugged = threading.Event()
        self.plugged.set()
        self.opened = 0
        self._i = 0

    def factory(self, target: int | str) -> UnpluggableCamera.Capture:
        self.opened += 1
        return UnpluggableCamera.Capture(self, self.plugged.is_set())

    class Capture:
        def __init__(self, camera: UnpluggableCamera, alive: bool) -> None:
            self.camera, self.alive = camera, alive

        def isOpened(self) -> bool:  # OpenCV's name
            return self.alive

        def read(self) -> tuple[bool, Any]:
            time.sleep(1 / 30)
            if not (self.alive and self.camera.plugged.is_set()):
                self.alive = False  # a capture never recovers: camviz must reopen
                return False, None
            camera = self.camera
            camera._i += 1
            return True, camera.frames[camera._i % len(camera.frames)].copy()

        def set(self, prop_id: int, value: float) -> bool:
            return True

        def get(self, prop_id: int) -> float:
            return 30.0 if prop_id == cv2.CAP_PROP_FPS else 0.0

        def release(self) -> None:
            self.alive = False


def test_camera_unplugged_mid_stream_reconnects_and_results_resume(
    no_leaked_threads: None,
) -> None:
    camera = UnpluggableCamera(real_frames(30))
    source = CameraSource(0, capture_factory=camera.factory, backoff_initial=0.05, backoff_max=0.2)
    rec = Recorder()
    pipe = Pipeline(
        source, PipelineOptions(ClassifierOptions(model=LITE0)), rec.on_result, rec.on_event
    )
    with pipe:
        assert wait_for(lambda: len(rec.results) >= 5)
        camera.plugged.clear()  # unplugged
        assert wait_for(
            lambda: any(e.state is SourceState.RECONNECTING for e in rec.of(EventKind.SOURCE_STATE))
        )
        time.sleep(0.5)  # it keeps trying while the camera is away
        before = len(rec.results)
        camera.plugged.set()  # back
        assert wait_for(lambda: len(rec.results) >= before + 5)
        assert pipe.running
    states = [e.state for e in rec.of(EventKind.SOURCE_STATE)]
    i = states.index(SourceState.RECONNECTING)
    assert SourceState.RUNNING in states[i:]
    assert camera.opened >= 3  # first open, failed attempts, the reconnect
    reconnected = [e.message for e in rec.of(EventKind.SOURCE_STATE) if "reconnected" in e.message]
    assert reconnected and "camera 0" in reconnected[0]
    assert not rec.of(EventKind.ERROR)
    assert rec.results[-1].result.top is not None


# ------------------------------------------------------------------ a damaged video
def make_damaged_video(path: Path, frames: int = 60, bad: range = range(20, 26)) -> Path:
    """An MJPG AVI of real frames whose JPEG headers are wiped for the frames in ``bad``."""
    images = real_frames(frames)
    h, w = images[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (w, h))
    for image in images:
        writer.write(image)
    writer.release()
    data = bytearray(path.read_bytes())
    starts, at = [], 0
    while (at := data.find(b"\xff\xd8\xff", at)) >= 0:
        starts.append(at)
        at += 3
    assert len(starts) == frames
    for k in bad:
        data[starts[k] + 2 : starts[k] + 602] = bytes(600)  # tables gone: undecodable
    path.write_bytes(bytes(data))
    return path


def test_corrupt_frames_in_the_middle_are_skipped_and_reported(
    tmp_path: Path, no_leaked_threads: None
) -> None:
    video = make_damaged_video(tmp_path / "damaged.avi")
    rec = Recorder()
    source = VideoSource(video, pace=False)
    pipe = Pipeline(
        source, PipelineOptions(ClassifierOptions(model=LITE0)), rec.on_result, rec.on_event
    )
    pipe.start()
    assert rec.done.wait(60)
    pipe.stop()
    assert len(rec.results) == 54  # 60 frames, 6 undecodable: every other one classified
    assert [r.frame_id for r in rec.results] == list(range(54))
    assert source.skipped_frames == 6
    messages = [e.message for e in rec.of(EventKind.SOURCE_STATE)]
    assert any("skipped 6 undecodable frame(s) before frame 26" in m for m in messages)
    assert rec.of(EventKind.ENDED) and not rec.of(EventKind.ERROR)
    assert "6 undecodable frame(s) skipped" in messages[-1]
    assert "stopped early" not in messages[-1]


def test_a_real_video_still_ends_cleanly_with_every_frame() -> None:
    with VideoSource(VIDEOS / "vtest.avi", pace=False) as source:
        count = sum(1 for _ in source)
    assert count == source.frame_count == 795 and source.skipped_frames == 0


# ------------------------------------------------------------------ the model raises on a frame
def test_model_raising_on_one_frame_is_reported_and_the_stream_goes_on(
    monkeypatch: pytest.MonkeyPatch, no_leaked_threads: None
) -> None:
    real_classify = Classifier.classify
    calls = {"n": 0}

    def flaky(self: Classifier, image: np.ndarray, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 4:  # the fourth frame
            raise InferenceError(f"{self.info.name} failed on a frame: simulated fault")
        return real_classify(self, image, **kwargs)

    monkeypatch.setattr(Classifier, "classify", flaky)
    source = ImageSource(PHOTOS, pace=False)
    rec = Recorder()
    pipe = Pipeline(
        source,
        PipelineOptions(ClassifierOptions(model=LITE0), backpressure=Backpressure.LOSSLESS),
        rec.on_result,
        rec.on_event,
    )
    pipe.start()
    assert rec.done.wait(60)
    pipe.stop()
    total = len(source.files)
    failed = rec.of(EventKind.FRAME_FAILED)
    assert len(failed) == 1 and failed[0].message.startswith("frame 3: InferenceError")
    assert "simulated fault" in failed[0].message
    assert len(rec.results) == total - 1
    assert 3 not in {r.frame_id for r in rec.results}
    snap = pipe.metrics.snapshot()
    assert snap.failed == 1 and snap.inferred == total - 1
    assert rec.of(EventKind.ENDED) and not rec.of(EventKind.ERROR)


# ------------------------------------------------------------------ the model file goes away
@pytest.mark.parametrize("fault", ["deleted", "replaced"])
def test_model_file_deleted_or_replaced_while_loaded(
    fault: str, tmp_path: Path, no_leaked_threads: None
) -> None:
    mine = tmp_path / "mine.tflite"
    shutil.copy(MODELS / f"{LITE0}.tflite", mine)
    source = ImageSource(PHOTOS / "skimage" / "chelsea.png", pace=True, fps=30, interval=600)
    rec = Recorder()
    pipe = Pipeline(
        source, PipelineOptions(ClassifierOptions(model=mine)), rec.on_result, rec.on_event
    )
    with pipe:
        assert wait_for(lambda: len(rec.results) >= 3)
        if fault == "deleted":
            mine.unlink()
        else:
            mine.write_bytes((PHOTOS / "skimage" / "chelsea.png").read_bytes()[:50_000])
        before = len(rec.results)
        assert wait_for(lambda: len(rec.results) >= before + 10)  # it runs from memory
        first, last = rec.results[0].result.top, rec.results[-1].result.top
        assert first is not None and last is not None and last.label == first.label
        pipe.switch_model(ClassifierOptions(model=LITE0))  # leave it, then come back
        assert wait_for(lambda: rec.results[-1].model == LITE0)
        pipe.switch_model(ClassifierOptions(model=mine))
        assert wait_for(lambda: bool(rec.of(EventKind.MODEL_FAILED)))
        after = len(rec.results)
        assert wait_for(lambda: len(rec.results) >= after + 5)  # the zoo model keeps running
    failed = rec.of(EventKind.MODEL_FAILED)
    assert len(failed) == 1
    if fault == "deleted":
        assert failed[0].message.startswith(
            f"ModelNotFoundError: model file {mine} does not exist; give a model file"
        )
    else:
        assert failed[0].message.startswith(
            f"ModelLoadError: {mine} is not a loadable TFLite model"
        )
    assert rec.results[-1].model == LITE0 and not rec.of(EventKind.ERROR)


# ------------------------------------------------------------------ saving a taught model
def _head() -> Any:
    teach = pytest.importorskip("camviz.teach")
    if not hasattr(teach, "Head"):
        pytest.skip("camviz.teach has no Head")
    rng = np.random.default_rng(0)
    return teach.Head(
        labels=("a", "b"),
        weights=rng.normal(size=(2, 8)).astype(np.float32),
        bias=np.zeros(2, np.float32),
        mean=np.zeros(8, np.float32),
        std=np.ones(8, np.float32),
        backbone=LITE0,
        backbone_sha256="0" * 64,
        feature_tensor="features",
    )


def test_taught_model_save_on_a_full_disk_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    head = _head()
    target = tmp_path / "mine.head.npz"
    real_fdopen = os.fdopen

    class FullDisk:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.inner = real_fdopen(*args, **kwargs)

        def __enter__(self) -> FullDisk:
            return self

        def __exit__(self, *exc: object) -> None:
            self.inner.close()

        def write(self, data: bytes) -> int:
            self.inner.write(data[: len(data) // 2])  # half of it got on disk
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

    monkeypatch.setattr(os, "fdopen", FullDisk)
    with pytest.raises(OptionsError, match=r"cannot write .*mine\.head\.npz.*No space left"):
        head.save(target)
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []  # no partial file, no temporary left behind


def test_taught_model_save_to_a_read_only_place_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    head = _head()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(OptionsError, match="cannot write"):
        head.save(blocker / "mine.head.npz")

    def refuse(src: object, dst: object) -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(dst))

    monkeypatch.setattr(os, "replace", refuse)  # root ignores chmod: refuse the rename
    with pytest.raises(OptionsError, match="Permission denied"):
        head.save(tmp_path / "mine.head.npz")
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-folder"]
    saved = head.save(tmp_path / "mine.head.npz")  # and it works once the disk is fine
    assert saved.is_file()
