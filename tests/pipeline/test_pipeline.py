"""The pipeline on real videos with the real model, and its threading with fakes.

Runs to an end go through the one harness, :func:`camviz.pipeline.run_pipeline`;
only the lifecycle tests (wait, stop from every state, ``results()``) drive a
:class:`Pipeline` by hand.
"""

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
    END,
    Backpressure,
    EventKind,
    FrameResult,
    LatestFrameSlot,
    LosslessQueue,
    Pipeline,
    PipelineOptions,
    make_queue,
    run_pipeline,
)
from camviz.sources import Frame, Source, SourceState, VideoSource, make_source

from ..conftest import DATA, VIDEOS, Recorder

BUNNY = VIDEOS / "bigbuckbunny.mp4"  # 1280x720, 132 frames


def decoded_frame_count(path: Path) -> int:
    cap = cv2.VideoCapture(str(path))
    count = 0
    while cap.read()[0]:
        count += 1
    cap.release()
    return count


class Ready:
    """Keeps the pipeline ``run_pipeline`` hands to ``on_ready``."""

    pipe: Pipeline | None = None

    def __call__(self, pipe: Pipeline) -> None:
        self.pipe = pipe

    def __getattr__(self, name: str) -> object:
        assert self.pipe is not None
        return getattr(self.pipe, name)


# --------------------------------------------------------------------------- real video, real model
@pytest.mark.usefixtures("no_leaked_threads")
def test_lossless_classifies_every_frame_once_in_order() -> None:
    expected = decoded_frame_count(BUNNY)
    run = run_pipeline(VideoSource(BUNNY, pace=False), keep_results=True, timeout=120)
    assert run.policy is Backpressure.LOSSLESS and not run.timed_out
    assert [r.frame_id for r in run.frames] == list(range(expected))
    assert [r.index for r in run.frames] == list(range(expected))
    assert run.dropped == 0 and run.snapshot.delivered == expected
    assert run.snapshot.queue_peak <= PipelineOptions().queue_size
    assert EventKind.ENDED in run.kinds() and not run.errors
    assert len(run.results) == expected
    for r in run.results:
        s = r.stamps
        assert s.captured <= s.queued <= s.dequeued <= s.preprocessed <= s.inferred
        assert s.inferred <= s.postprocessed <= s.delivered
        stages = s.stages_ms()
        assert sum(stages.values()) == pytest.approx(s.e2e_ms)
        assert min(stages.values()) >= 0.0
        # the classifier's own stamps, on the pipeline's clock: not rebuilt from durations
        assert (s.preprocessed, s.inferred) == (r.result.times.preprocessed, r.result.times.invoked)
        assert (s.inferred - s.preprocessed) * 1e3 == pytest.approx(r.result.times.invoke_ms)
        assert r.model == "efficientnet_lite0_int8"
        assert r.result.probabilities.shape == (1000,)


@pytest.mark.usefixtures("no_leaked_threads")
def test_live_mode_with_slow_consumer_drops_and_bounds_latency() -> None:
    # the consumer takes 150 ms a frame; frames come every 40 ms
    source = VideoSource(BUNNY, pace=True, loop=True, is_live=True)
    run = run_pipeline(source, timeout=3.0, on_result=lambda _item: time.sleep(0.15))
    assert run.policy is Backpressure.LATEST and run.timed_out
    snap = run.snapshot
    assert snap.dropped > 0 and run.dropped == snap.dropped
    assert snap.captured >= snap.delivered + snap.dropped - 2
    ids = [r.frame_id for r in run.frames]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    # latest-frame-wins: a frame waits at most about one consumer cycle, never a backlog
    assert max(s.e2e_ms for s in run.stamps) < 600


@pytest.mark.usefixtures("no_leaked_threads")
def test_model_switch_mid_stream_never_mixes_models() -> None:
    ready = Ready()

    def switch_after_20(item: FrameResult) -> None:
        if item.frame_id == 19:
            ready.switch_model(ClassifierOptions(model="efficientnet_lite0_float32", threads=1))

    run = run_pipeline(
        VideoSource(BUNNY, pace=False),
        PipelineOptions(queue_size=2),
        on_ready=ready,
        on_result=switch_after_20,
        timeout=120,
    )
    models = [r.model for r in run.frames]
    switch = models.index("efficientnet_lite0_float32")
    assert switch >= 20
    assert set(models[:switch]) == {"efficientnet_lite0_int8"}
    assert set(models[switch:]) == {"efficientnet_lite0_float32"}
    assert [r.frame_id for r in run.frames] == list(range(run.count))
    assert run.kinds().count(EventKind.MODEL_LOADED) == 2


@pytest.mark.usefixtures("no_leaked_threads")
def test_bad_model_switch_keeps_the_old_model(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"not a model" * 100)
    ready = Ready()

    def switch_badly(item: FrameResult) -> None:
        if item.frame_id == 4:
            ready.switch_model(ClassifierOptions(model=bad))
            ready.switch_model(ClassifierOptions(model=DATA / "not_a_classifier.tflite"))

    run = run_pipeline(
        VideoSource(BUNNY, pace=False), on_ready=ready, on_result=switch_badly, timeout=120
    )
    failed = [e for e in run.events if e.kind is EventKind.MODEL_FAILED]
    assert len(failed) == 1 and "not_a_classifier" in failed[0].message  # the last request wins
    assert {r.model for r in run.frames} == {"efficientnet_lite0_int8"}
    assert run.count == decoded_frame_count(BUNNY)


@pytest.mark.usefixtures("no_leaked_threads")
def test_updates_apply_between_frames() -> None:
    ready = Ready()

    def update_at_3(item: FrameResult) -> None:
        if item.frame_id == 2:
            ready.update(top_k=2, smoothing=0.8)

    run = run_pipeline(
        VideoSource(BUNNY, pace=False),
        PipelineOptions(smoothing=0.0),
        keep_results=True,
        on_ready=ready,
        on_result=update_at_3,
        timeout=120,
    )
    assert len(run.results[-1].result.categories) == 2
    assert len(run.results[0].result.categories) == 5


def test_end_of_video_is_a_clean_stop(no_leaked_threads: None) -> None:
    rec = Recorder()
    pipe = Pipeline(VideoSource(BUNNY, pace=False), None, rec.on_result, rec.on_event)
    pipe.start()
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
    start = time.monotonic()
    run = run_pipeline(make_source("7"), timeout=5)
    assert time.monotonic() - start < 3.0 and not run.timed_out
    errors = [e for e in run.events if e.kind is EventKind.ERROR]
    assert errors and "camera" in errors[0].message.lower()
    assert run.count == 0 and run.errors


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
            image = np.zeros((240, 320, 2), np.uint8)  # no image: the classifier refuses it
        return self._make_frame(image)


def test_error_in_capture_thread_becomes_an_event(no_leaked_threads: None) -> None:
    run = run_pipeline(FakeSource(fail_after=5), timeout=30)
    errors = [e for e in run.events if e.kind is EventKind.ERROR]
    assert len(errors) == 1 and "driver exploded" in errors[0].message
    assert isinstance(errors[0].error, RuntimeError)
    assert EventKind.STOPPED in run.kinds()


def test_bad_frame_is_reported_and_the_stream_goes_on(no_leaked_threads: None) -> None:
    options = PipelineOptions(backpressure=Backpressure.LOSSLESS)
    run = run_pipeline(FakeSource(fail_after=40, bad_frame_at=3), options, timeout=30)
    failed = [e for e in run.events if e.kind is EventKind.FRAME_FAILED]
    assert len(failed) == 1 and "HxWx3" in failed[0].message
    assert run.count == 39
    assert run.snapshot.failed == 1


# ------------------------------------------------------------------------------ the harness
def test_harness_stops_at_n_frames_and_records_the_run(no_leaked_threads: None) -> None:
    options = PipelineOptions(backpressure=Backpressure.LOSSLESS)
    run = run_pipeline(FakeSource(), options, frames=12, timeout=60)
    assert run.count == 12 and not run.timed_out
    assert [r.frame_id for r in run.frames] == list(range(12))
    assert run.wall_s > 0 and run.fps == pytest.approx(12 / run.wall_s)
    assert run.cpu_s >= 0 and run.dropped == 0 and not run.errors
    assert run.snapshot.delivered >= 12 and run.snapshot.model_load_ms is None  # reset
    assert all(run.started <= s.captured <= s.delivered <= run.finished for s in run.stamps)
    assert {EventKind.STARTED, EventKind.MODEL_LOADED} <= set(run.kinds())
    assert EventKind.STOPPED in run.kinds()  # stopped and joined before returning
    assert run.results == ()  # not kept unless asked


def test_harness_stops_the_pipeline_when_the_caller_fails(no_leaked_threads: None) -> None:
    def boom(_pipe: Pipeline) -> None:
        raise RuntimeError("caller failed")

    source = FakeSource()
    with pytest.raises(RuntimeError, match="caller failed"):
        run_pipeline(source, on_ready=boom, timeout=30)
    assert source.closed


def test_harness_records_a_model_that_cannot_load(no_leaked_threads: None) -> None:
    options = PipelineOptions(ClassifierOptions(model=DATA / "not_a_classifier.tflite"))
    run = run_pipeline(FakeSource(), options, frames=5, timeout=30)
    assert run.count == 0 and not run.timed_out
    assert run.errors and EventKind.ERROR in run.kinds()


def test_harness_rejects_a_zero_frame_run() -> None:
    with pytest.raises(ValueError, match="frames"):
        run_pipeline(FakeSource(), frames=0)


# --------------------------------------------------------------------- the queue protocol
@pytest.mark.parametrize("policy", list(Backpressure))
def test_both_policies_share_one_queue_protocol(policy: Backpressure) -> None:
    stop = threading.Event()
    q = make_queue(policy, 4)
    assert isinstance(q, LatestFrameSlot if policy is Backpressure.LATEST else LosslessQueue)
    assert q.get(0.01) is None and q.depth() == 0
    assert q.put("a", stop) is True
    assert q.depth() == 1 and q.get(0.01) == "a" and q.depth() == 0
    assert q.put("b", stop) is True
    q.put_end(stop)
    assert q.get(0.01) == "b"  # the end does not overtake a waiting item
    assert q.get(0.01) is END


@pytest.mark.parametrize("policy", list(Backpressure))
def test_both_policies_hand_items_across_threads(policy: Backpressure) -> None:
    stop = threading.Event()
    q = make_queue(policy, 2)
    got: list[object] = []

    def consume() -> None:
        while (item := q.get(1.0)) is not END:
            if item is not None:
                got.append(item)

    consumer = threading.Thread(target=consume)
    consumer.start()
    for i in range(50):
        assert q.put(i, stop)
        time.sleep(0.001)
    q.put_end(stop)
    consumer.join(5)
    assert not consumer.is_alive()
    assert got == sorted(got) and len(set(got)) == len(got) and got
    if policy is Backpressure.LOSSLESS:
        assert got == list(range(50))  # nothing lost, in order
    else:
        assert isinstance(q, LatestFrameSlot) and len(got) + q.dropped == 50


def test_latest_slot_keeps_newest_and_counts_drops() -> None:
    stop = threading.Event()
    drops: list[int] = []
    slot = LatestFrameSlot(on_drop=lambda: drops.append(1))
    assert slot.put(1, stop) and slot.dropped == 0
    assert slot.put(2, stop) and slot.put(3, stop)
    assert slot.dropped == 2 and len(drops) == 2 and slot.depth() == 1
    assert slot.get(0.01) == 3 and slot.get(0.01) is None


def test_latest_slot_never_blocks_the_producer() -> None:
    stop = threading.Event()
    slot = make_queue(Backpressure.LATEST, 1)
    start = time.monotonic()
    for i in range(10_000):
        slot.put(i, stop)
    assert time.monotonic() - start < 1.0
    assert isinstance(slot, LatestFrameSlot) and slot.dropped == 9_999


def test_lossless_queue_blocks_when_full_and_honours_stop() -> None:
    fifo = make_queue(Backpressure.LOSSLESS, 2)
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
    assert not hasattr(fifo, "dropped")  # nothing is ever dropped: no counter to read


def test_results_iterator_without_callback(no_leaked_threads: None) -> None:
    with Pipeline(VideoSource(VIDEOS / "tree.avi", pace=False)) as pipe:
        items = list(pipe.results(timeout=60))
    assert items and [r.frame_id for r in items] == list(range(len(items)))


def test_source_states_reach_the_pipeline(no_leaked_threads: None) -> None:
    run = run_pipeline(VideoSource(VIDEOS / "tree.avi", pace=False), timeout=60)
    states = [e.state for e in run.events if e.kind is EventKind.SOURCE_STATE]
    assert SourceState.RUNNING in states and SourceState.ENDED in states
