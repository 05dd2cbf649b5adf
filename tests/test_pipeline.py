"""The pipeline on real videos with the real model, and its threading with fakes."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from camviz.classifier import ClassifierOptions
from camviz.errors import SourceOpenError
from camviz.pipeline import (
    Backpressure,
    EventKind,
    FrameResult,
    LatestFrameSlot,
    LosslessQueue,
    Pipeline,
    PipelineEvent,
    PipelineOptions,
)
from camviz.sources import Frame, Source, SourceState, VideoSource, make_source

from .conftest import DATA, VIDEOS

BUNNY = VIDEOS / "bigbuckbunny.mp4"  # 1280x720, 132 frames


def decoded_frame_count(path: Path) -> int:
    cap = cv2.VideoCapture(str(path))
    count = 0
    while cap.read()[0]:
        count += 1
    cap.release()
    return count


class Recorder:
    def __init__(self, delay: float = 0.0) -> None:
        self.results: list[FrameResult] = []
        self.events: list[PipelineEvent] = []
        self.delay = delay
        self.done = threading.Event()

    def on_result(self, item: FrameResult) -> None:
        if self.delay:
            time.sleep(self.delay)
        self.results.append(item)

    def on_event(self, event: PipelineEvent) -> None:
        self.events.append(event)
        if event.kind in (EventKind.STOPPED,):
            self.done.set()

    def kinds(self) -> list[EventKind]:
        return [e.kind for e in self.events]


def run(source: Source, rec: Recorder, **options: object) -> Pipeline:
    pipe = Pipeline(source, PipelineOptions(**options), rec.on_result, rec.on_event)  # type: ignore[arg-type]
    pipe.start()
    return pipe


# --------------------------------------------------------------------------- real video, real model
@pytest.mark.usefixtures("no_leaked_threads")
def test_lossless_classifies_every_frame_once_in_order() -> None:
    expected = decoded_frame_count(BUNNY)
    rec = Recorder()
    pipe = run(VideoSource(BUNNY, pace=False), rec)
    assert pipe.policy is Backpressure.LOSSLESS
    assert pipe.wait(120)
    pipe.stop()
    assert [r.frame_id for r in rec.results] == list(range(expected))
    assert [r.frame.index for r in rec.results] == list(range(expected))
    snap = pipe.metrics.snapshot()
    assert snap.dropped == 0 and snap.delivered == expected
    assert snap.queue_peak <= pipe.options.queue_size
    assert EventKind.ENDED in rec.kinds() and EventKind.ERROR not in rec.kinds()
    for r in rec.results:
        s = r.stamps
        assert s.captured <= s.dequeued <= s.preprocessed <= s.inferred <= s.delivered
        assert r.model == "efficientnet_lite0_int8"
        assert r.result.probabilities.shape == (1000,)


@pytest.mark.usefixtures("no_leaked_threads")
def test_live_mode_with_slow_consumer_drops_and_bounds_latency() -> None:
    rec = Recorder(delay=0.15)  # the consumer takes 150 ms a frame; frames come every 40 ms
    source = VideoSource(BUNNY, pace=True, loop=True, is_live=True)
    pipe = run(source, rec)
    assert pipe.policy is Backpressure.LATEST
    time.sleep(3.0)
    snap = pipe.metrics.snapshot()
    pipe.stop()
    assert snap.dropped > 0
    assert snap.captured >= snap.delivered + snap.dropped - 2
    ids = [r.frame_id for r in rec.results]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    # latest-frame-wins: a frame waits at most about one consumer cycle, never a backlog
    assert max(r.stamps.e2e_ms for r in rec.results) < 600


@pytest.mark.usefixtures("no_leaked_threads")
def test_model_switch_mid_stream_never_mixes_models() -> None:
    rec = Recorder()
    pipe = run(VideoSource(BUNNY, pace=False), rec, queue_size=2)
    while len(rec.results) < 20:
        time.sleep(0.01)
    pipe.switch_model(ClassifierOptions(model="efficientnet_lite0_float32", threads=1))
    assert pipe.wait(120)
    pipe.stop()
    models = [r.model for r in rec.results]
    switch = models.index("efficientnet_lite0_float32")
    assert set(models[:switch]) == {"efficientnet_lite0_int8"}
    assert set(models[switch:]) == {"efficientnet_lite0_float32"}
    assert [r.frame_id for r in rec.results] == list(range(len(rec.results)))
    loaded = [e for e in rec.events if e.kind is EventKind.MODEL_LOADED]
    assert len(loaded) == 2


@pytest.mark.usefixtures("no_leaked_threads")
def test_bad_model_switch_keeps_the_old_model(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"not a model" * 100)
    rec = Recorder()
    pipe = run(VideoSource(BUNNY, pace=False), rec)
    while len(rec.results) < 5:
        time.sleep(0.01)
    pipe.switch_model(ClassifierOptions(model=bad))
    pipe.switch_model(ClassifierOptions(model=DATA / "not_a_classifier.tflite"))
    assert pipe.wait(120)
    pipe.stop()
    failed = [e for e in rec.events if e.kind is EventKind.MODEL_FAILED]
    assert len(failed) == 1 and "not_a_classifier" in failed[0].message  # the last request wins
    assert {r.model for r in rec.results} == {"efficientnet_lite0_int8"}
    assert len(rec.results) == decoded_frame_count(BUNNY)


@pytest.mark.usefixtures("no_leaked_threads")
def test_updates_apply_between_frames() -> None:
    rec = Recorder()
    pipe = run(VideoSource(BUNNY, pace=False), rec, smoothing=0.0)
    while len(rec.results) < 3:
        time.sleep(0.01)
    pipe.update(top_k=2, smoothing=0.8)
    assert pipe.wait(120)
    pipe.stop()
    assert len(rec.results[-1].result.categories) == 2
    assert len(rec.results[0].result.categories) == 5


def test_end_of_video_is_a_clean_stop(no_leaked_threads: None) -> None:
    rec = Recorder()
    pipe = run(VideoSource(BUNNY, pace=False), rec)
    assert pipe.wait(120) and rec.done.wait(5)
    assert rec.kinds()[-2:] == [EventKind.ENDED, EventKind.STOPPED]
    assert not pipe.running
    pipe.stop()


def test_corrupt_video_fails_clearly(tmp_path: Path) -> None:
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(BUNNY.read_bytes()[:2000])
    with pytest.raises(SourceOpenError, match=r"broken\.mp4"):
        VideoSource(bad).open()


def test_missing_camera_fails_fast_as_an_event(no_leaked_threads: None) -> None:
    rec = Recorder()
    start = time.monotonic()
    pipe = run(make_source("7"), rec)
    assert rec.done.wait(5)
    assert time.monotonic() - start < 3.0
    errors = [e for e in rec.events if e.kind is EventKind.ERROR]
    assert errors and "camera" in errors[0].message.lower()
    pipe.stop()


# ------------------------------------------------------------ shutdown from every state
@pytest.mark.parametrize(
    "state", ["not started", "loading", "running", "paused", "ended", "switching"]
)
def test_shutdown_within_one_second(state: str, no_leaked_threads: None) -> None:
    rec = Recorder()
    source = VideoSource(BUNNY, pace=True, loop=state != "ended", is_live=True)
    pipe = Pipeline(source, PipelineOptions(), rec.on_result, rec.on_event)
    if state != "not started":
        pipe.start()
    if state in ("running", "paused", "switching"):
        while not rec.results:
            time.sleep(0.01)
    if state == "paused":
        pipe.pause()
        time.sleep(0.2)
    if state == "switching":
        pipe.switch_model(ClassifierOptions(model="efficientnet_lite0_float32"))
        time.sleep(0.02)
    if state == "ended":
        pipe.wait(30)
    start = time.monotonic()
    pipe.stop(timeout=1.0)
    assert time.monotonic() - start < 1.0
    assert not pipe.running


# --------------------------------------------------------------------------- threading with fakes
class FakeSource(Source):
    """Frames of a fixed size, or an exception, on demand (unit tests of threading only)."""

    is_live = True

    def __init__(self, fail_after: int | None = None, bad_frame_at: int | None = None) -> None:
        super().__init__("fake")
        self.fail_after = fail_after
        self.bad_frame_at = bad_frame_at
        self.count = 0

    def _open(self) -> None:
        pass

    def _release(self) -> None:
        pass

    def read(self) -> Frame | None:
        if self.closed:
            return None
        time.sleep(0.005)
        self.count += 1
        if self.fail_after is not None and self.count > self.fail_after:
            raise RuntimeError("driver exploded")
        image = np.full((240, 320, 3), self.count % 255, np.uint8)
        if self.count == self.bad_frame_at:
            image = np.zeros((240, 320), np.uint8)  # not HxWx3: the classifier refuses it
        return self._make_frame(image)


def test_error_in_capture_thread_becomes_an_event(no_leaked_threads: None) -> None:
    rec = Recorder()
    pipe = run(FakeSource(fail_after=5), rec)
    assert rec.done.wait(30)
    errors = [e for e in rec.events if e.kind is EventKind.ERROR]
    assert len(errors) == 1 and "driver exploded" in errors[0].message
    assert isinstance(errors[0].error, RuntimeError)
    pipe.stop()


def test_bad_frame_is_reported_and_the_stream_goes_on(no_leaked_threads: None) -> None:
    rec = Recorder()
    pipe = run(FakeSource(fail_after=40, bad_frame_at=3), rec, backpressure=Backpressure.LOSSLESS)
    assert rec.done.wait(30)
    pipe.stop()
    failed = [e for e in rec.events if e.kind is EventKind.FRAME_FAILED]
    assert len(failed) == 1 and "HxWx3" in failed[0].message
    assert len(rec.results) == 39
    assert pipe.metrics.snapshot().failed == 1


def test_latest_slot_keeps_newest_and_counts_drops() -> None:
    slot = LatestFrameSlot()
    assert slot.put(1) is False
    assert slot.put(2) is True and slot.put(3) is True
    assert slot.dropped == 2 and slot.depth() == 1
    assert slot.get(0.01) == 3 and slot.get(0.01) is None


def test_latest_slot_never_blocks_the_producer() -> None:
    slot = LatestFrameSlot()
    start = time.monotonic()
    for i in range(10_000):
        slot.put(i)
    assert time.monotonic() - start < 1.0
    assert slot.dropped == 9_999


def test_lossless_queue_blocks_when_full_and_honours_stop() -> None:
    fifo = LosslessQueue(2)
    stop = threading.Event()
    assert fifo.put(1, stop) and fifo.put(2, stop)
    blocked = threading.Thread(target=fifo.put, args=(3, stop))
    blocked.start()
    time.sleep(0.1)
    assert blocked.is_alive() and fifo.depth() == 2
    assert fifo.get(0.1) == 1
    blocked.join(1.0)
    assert not blocked.is_alive() and fifo.depth() == 2
    stop.set()
    assert fifo.put(4, stop) is False  # full and stopped: gives up instead of hanging


def test_results_iterator_without_callback(no_leaked_threads: None) -> None:
    with Pipeline(VideoSource(VIDEOS / "tree.avi", pace=False)) as pipe:
        items = list(pipe.results(timeout=60))
    assert items and [r.frame_id for r in items] == list(range(len(items)))


def test_source_states_reach_the_pipeline(no_leaked_threads: None) -> None:
    rec = Recorder()
    pipe = run(VideoSource(VIDEOS / "tree.avi", pace=False), rec)
    assert rec.done.wait(60)
    pipe.stop()
    states = [e.data.get("state") for e in rec.events if e.kind is EventKind.SOURCE_STATE]
    assert SourceState.RUNNING in states and SourceState.ENDED in states
