"""A/B in the pipeline: a second model on the very frames the first one classifies.

Real models on a real video for the pairing (lossless and live, where frames are dropped),
the switch of the second model and its failure; fakes only where a consumer's bug is needed.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from camviz.classifier import ClassifierOptions
from camviz.loading import open_classifier
from camviz.pipeline import EventKind, FrameResult, Pipeline, run_pipeline
from camviz.sources import VideoSource

from ..conftest import MODELS, VIDEOS, Recorder, wait_for

BUNNY = VIDEOS / "bigbuckbunny.mp4"  # 1280x720, 132 frames
FLOAT = ClassifierOptions(model="efficientnet_lite0_float32", threads=1)


class Second(Recorder):
    """The second model's results and events, collected on the inference thread; ``loaded``
    once its model loaded or failed."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded = threading.Event()

    def on_event(self, event: object) -> None:
        super().on_event(event)
        if getattr(event, "kind", None) in (EventKind.MODEL_LOADED, EventKind.MODEL_FAILED):
            self.loaded.set()


def _start_b(second: Second, options: ClassifierOptions = FLOAT) -> Callable[[Pipeline], None]:
    def ready(pipe: Pipeline) -> None:
        pipe.compare_with(options, second.on_result, second.on_event)
        assert second.loaded.wait(60)

    return ready


@pytest.mark.usefixtures("no_leaked_threads")
def test_lossless_every_frame_is_classified_by_both_on_the_same_frame() -> None:
    second = Second()
    firsts: list[FrameResult] = []
    run = run_pipeline(
        VideoSource(BUNNY, pace=False),
        on_ready=_start_b(second),
        on_result=firsts.append,
        timeout=180,
    )
    assert second.kinds() == [EventKind.MODEL_LOADED]
    assert not run.timed_out and run.count == 132
    ids_a = [r.frame_id for r in firsts]
    ids_b = [r.frame_id for r in second.results]
    assert ids_b == ids_a  # loaded before capture was released: every frame, in pairs
    assert {r.model for r in firsts} == {"efficientnet_lite0_int8"}
    assert {r.model for r in second.results} == {"efficientnet_lite0_float32"}
    for a, b in zip(firsts, second.results, strict=True):
        assert b.frame is a.frame  # the same decoded array, not another read of the video
    # B's result is B's own classification of that frame
    with open_classifier(FLOAT) as clf:
        for b in second.results[::40]:
            np.testing.assert_allclose(
                clf.classify(b.frame.image).probabilities, b.result.probabilities, atol=1e-6
            )
    # the two models really differ somewhere (else the test could not tell them apart)
    assert any(
        not np.array_equal(a.result.probabilities, b.result.probabilities)
        for a, b in zip(firsts, second.results, strict=True)
    )


@pytest.mark.usefixtures("no_leaked_threads")
def test_live_both_see_the_same_subsampled_frames() -> None:
    """A slow consumer makes the live queue drop frames: both models skip the same ones."""
    second = Second()
    firsts: list[FrameResult] = []

    def slow(item: FrameResult) -> None:
        firsts.append(item)
        time.sleep(0.08)

    source = VideoSource(BUNNY, pace=True, loop=True, is_live=True)
    run = run_pipeline(source, on_ready=_start_b(second), on_result=slow, timeout=3.0)
    assert run.snapshot.dropped > 0  # frames were subsampled
    ids_a = [r.frame_id for r in firsts]
    assert ids_a != list(range(len(ids_a)))  # gaps
    paired = {r.frame_id: r for r in second.results}
    # every frame B saw, A saw (the same object); every frame A saw, B saw (the last may be
    # cut by the stop)
    assert set(paired) <= set(ids_a)
    assert set(ids_a) - set(paired) <= {ids_a[-1]}
    for a in firsts:
        if a.frame_id in paired:
            assert paired[a.frame_id].frame is a.frame


@pytest.mark.usefixtures("no_leaked_threads")
def test_second_model_switches_and_unloads_while_the_first_runs_on() -> None:
    second = Second()
    seen: list[FrameResult] = []
    holder: list[Pipeline] = []

    def steer(item: FrameResult) -> None:
        seen.append(item)
        pipe = holder[0]
        if item.frame_id == 10:
            pipe.compare_with(FLOAT, second.on_result, second.on_event)
        elif item.frame_id == 40:
            squeeze = ClassifierOptions(model="squeezenet1_1_int8", threads=1)
            pipe.compare_with(squeeze, second.on_result, second.on_event)
        elif item.frame_id == 80:
            pipe.compare_with(None)

    run = run_pipeline(
        VideoSource(BUNNY, pace=False), on_ready=holder.append, on_result=steer, timeout=180
    )
    assert [r.frame_id for r in seen] == list(range(132))  # A never skipped a frame
    assert run.kinds().count(EventKind.MODEL_LOADED) == 1  # A's own load only
    assert second.kinds() == [EventKind.MODEL_LOADED, EventKind.MODEL_LOADED]
    models = [r.model for r in second.results]
    ids = [r.frame_id for r in second.results]
    assert ids == list(range(ids[0], ids[-1] + 1)) and ids[0] > 10 and ids[-1] <= 81
    switch = models.index("squeezenet1_1_int8")
    assert set(models[:switch]) == {"efficientnet_lite0_float32"}
    assert set(models[switch:]) == {"squeezenet1_1_int8"} and ids[switch] > 40


@pytest.mark.usefixtures("no_leaked_threads")
def test_a_bad_second_model_leaves_the_first_running(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"not a model" * 100)
    second = Second()
    run = run_pipeline(
        VideoSource(BUNNY, pace=False),
        on_ready=_start_b(second, ClassifierOptions(model=bad)),
        timeout=180,
    )
    assert second.kinds() == [EventKind.MODEL_FAILED]
    assert "bad.tflite" in second.events[0].message or second.events[0].model == str(bad)
    assert second.events[0].message  # said in words
    assert not second.results
    assert run.count == 132 and EventKind.MODEL_FAILED not in run.kinds()


def test_a_failing_second_consumer_does_not_stop_the_first(no_leaked_threads: None) -> None:
    loaded = threading.Event()
    firsts: list[FrameResult] = []

    def explode(_item: FrameResult) -> None:
        raise RuntimeError("consumer bug")

    pipe = Pipeline(VideoSource(BUNNY, pace=False), on_result=firsts.append)
    pipe.compare_with(
        FLOAT, explode, lambda e: loaded.set() if e.kind is EventKind.MODEL_LOADED else None
    )
    pipe.start()
    try:
        assert wait_for(lambda: len(firsts) >= 20, 120)
        assert loaded.is_set()
        assert any(isinstance(e, RuntimeError) for e in pipe.errors)
    finally:
        pipe.stop(3.0)


def test_stop_during_the_second_models_file_check_joins_it(
    tmp_path: Path, no_leaked_threads: None
) -> None:
    mine = tmp_path / "mine.tflite"  # a file, not a zoo name: test-loaded in a child first
    shutil.copyfile(MODELS / "efficientnet_lite0_float32.tflite", mine)
    second = Second()
    firsts: list[FrameResult] = []
    pipe = Pipeline(VideoSource(BUNNY, pace=True, loop=True), on_result=firsts.append)
    pipe.start()
    try:
        assert wait_for(lambda: len(firsts) >= 2, 60)
        pipe.compare_with(ClassifierOptions(model=mine), second.on_result, second.on_event)
        assert any(t.name == "camviz-model-check-b" for t in threading.enumerate())
    finally:
        pipe.stop(5.0)  # cancels the check and joins its thread (the fixture checks none is left)
    assert not second.results
