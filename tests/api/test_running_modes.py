"""The running modes on the real default model, real photos and real video frames."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator

import numpy as np
import pytest

from camviz import (
    ClassifierOptions,
    RunningClassifier,
    RunningMode,
    RunningOptions,
    load_image,
    open_classifier,
    open_source,
)
from camviz.classifier import Classifier
from camviz.errors import ModelNotFoundError, OptionsError, PipelineError
from camviz.pipeline import EventKind, PipelineEvent
from camviz.results import ClassificationResult

from ..conftest import PHOTOS, VIDEOS

CLIP = VIDEOS / "carphone_pristine.mp4"
PHOTO_PATHS = sorted(p for p in PHOTOS.rglob("*") if p.suffix in {".jpg", ".png"})


@pytest.fixture(scope="module")
def direct() -> Iterator[Classifier]:
    """The same model, called directly: what every mode's results must equal."""
    with open_classifier(ClassifierOptions()) as clf:
        yield clf


@pytest.fixture(scope="module")
def clip_frames() -> list[tuple[np.ndarray, int]]:
    """The first 24 frames of a real clip with their file positions in whole ms."""
    with open_source(str(CLIP), pace=False) as source:
        frames = list(itertools.islice(source, 24))
    stamped = [(f.image, round(f.position_ms or 0.0)) for f in frames]
    assert len(stamped) == 24 and len({ms for _, ms in stamped}) == 24
    return stamped


@pytest.fixture(scope="module")
def photos() -> list[np.ndarray]:
    assert len(PHOTO_PATHS) >= 10
    return [load_image(p) for p in PHOTO_PATHS[:10]]


def same(a: ClassificationResult, b: ClassificationResult) -> bool:
    return bool(np.array_equal(a.probabilities, b.probabilities)) and a.top == b.top


def test_image_mode_is_the_classifier(photos: list[np.ndarray], direct: Classifier) -> None:
    with RunningClassifier(RunningOptions()) as clf:
        for image in photos:
            assert same(clf.classify(image), direct.classify(image))
        bgr = np.ascontiguousarray(photos[0][..., ::-1])
        assert same(clf.classify(bgr, color="bgr"), direct.classify(photos[0]))
        with pytest.raises(OptionsError, match="is for VIDEO mode.*call classify\\(image\\)"):
            clf.classify_for_video(photos[0], 0)
        assert clf.pipeline is None and clf.dropped == 0


def test_video_mode_results_match_frame_by_frame(
    clip_frames: list[tuple[np.ndarray, int]], direct: Classifier, no_leaked_threads: None
) -> None:
    options = RunningOptions(running_mode=RunningMode.VIDEO)
    with RunningClassifier.create_from_options(options) as clf:
        for image, ms in clip_frames:
            assert same(clf.classify_for_video(image, ms), direct.classify(image)), ms
        with pytest.raises(OptionsError, match="is for LIVE_STREAM mode"):
            clf.classify_async(clip_frames[0][0], 10**9)
        pipeline = clf.pipeline
        assert pipeline is not None
        assert pipeline.metrics.snapshot().delivered == len(clip_frames)
        assert clf.dropped == 0


def test_video_mode_refuses_timestamps_that_do_not_increase(
    clip_frames: list[tuple[np.ndarray, int]], direct: Classifier, no_leaked_threads: None
) -> None:
    (first, t0), (second, t1), (third, t2) = clip_frames[:3]
    with RunningClassifier(RunningOptions(running_mode=RunningMode.VIDEO)) as clf:
        clf.classify_for_video(first, t1)
        for stale in (t1, t0, -5):
            with pytest.raises(OptionsError, match=f"must increase.*got {stale} after {t1}"):
                clf.classify_for_video(second, stale)
        with pytest.raises(OptionsError, match="whole number of milliseconds"):
            clf.classify_for_video(second, 40.5)  # type: ignore[arg-type]
        # the refused frames were not classified: the next answer is the next frame's
        assert same(clf.classify_for_video(third, t2), direct.classify(third))
        assert clf.submitted == 2
    with pytest.raises(PipelineError, match="closed"):
        clf.classify_for_video(third, t2 + 100)


class LiveLog:
    """What a live classifier's callback saw, and on which thread."""

    def __init__(self) -> None:
        self.items: list[tuple[ClassificationResult, np.ndarray, int]] = []
        self.threads: set[str] = set()
        self.idents: set[int | None] = set()

    def __call__(self, result: ClassificationResult, image: np.ndarray, ms: int) -> None:
        thread = threading.current_thread()
        self.threads.add(thread.name)
        self.idents.add(thread.ident)
        self.items.append((result, image, ms))


def test_live_stream_delivers_on_one_thread_and_counts_drops(
    photos: list[np.ndarray], direct: Classifier, no_leaked_threads: None
) -> None:
    log = LiveLog()
    given: dict[int, np.ndarray] = {}
    options = RunningOptions(running_mode=RunningMode.LIVE_STREAM, result_callback=log)
    with RunningClassifier(options) as clf:
        for i in range(40):  # far faster than the model: most frames replace a waiting one
            image = photos[i % len(photos)]
            given[i * 33] = image
            clf.classify_async(image, i * 33)  # returns at once
    assert clf.submitted == 40
    stamps = [ms for _, _, ms in log.items]
    assert stamps == sorted(set(stamps)) and set(stamps) <= set(given)
    assert stamps[-1] == 39 * 33  # the newest frame always wins, and close() finishes it
    assert len(log.items) + clf.dropped == 40 and clf.dropped >= 1
    assert log.threads == {"camviz-delivery"} and len(log.idents) == 1
    assert threading.get_ident() not in log.idents
    for result, image, ms in log.items:
        assert np.array_equal(image, given[ms])  # the callback gets the frame it was given
        assert same(result, direct.classify(given[ms])), ms


def test_live_stream_takes_a_copy_and_refuses_stale_timestamps(
    photos: list[np.ndarray], direct: Classifier, no_leaked_threads: None
) -> None:
    log = LiveLog()
    options = RunningOptions(running_mode=RunningMode.LIVE_STREAM, result_callback=log)
    buffer = photos[0].copy()
    with RunningClassifier(options) as clf:
        clf.classify_async(buffer, 100)
        buffer[:] = 0  # the caller reuses its buffer at once, as camera loops do
        with pytest.raises(OptionsError, match="must increase"):
            clf.classify_async(photos[1], 100)
        with pytest.raises(OptionsError, match="is for IMAGE mode"):
            clf.classify(photos[1])
    assert [ms for _, _, ms in log.items] == [100]
    assert same(log.items[0][0], direct.classify(photos[0]))
    assert np.array_equal(log.items[0][1], photos[0])


@pytest.mark.parametrize("mode", [RunningMode.VIDEO, RunningMode.LIVE_STREAM])
def test_a_missing_model_raises_at_open_and_leaves_no_thread(
    mode: RunningMode, no_leaked_threads: None
) -> None:
    callback = LiveLog() if mode is RunningMode.LIVE_STREAM else None
    options = RunningOptions(
        classifier=ClassifierOptions(model="no_such_model"),
        running_mode=mode,
        result_callback=callback,
    )
    with pytest.raises(ModelNotFoundError, match="no_such_model"):
        RunningClassifier(options)


def test_close_joins_within_its_timeout_even_with_frames_waiting(
    photos: list[np.ndarray], no_leaked_threads: None
) -> None:
    log = LiveLog()
    clf = RunningClassifier(
        RunningOptions(running_mode=RunningMode.LIVE_STREAM, result_callback=log)
    )
    for i in range(10):
        clf.classify_async(photos[i % len(photos)], i)
    before = set(threading.enumerate())
    clf.close(timeout=5.0)
    assert not [t for t in before if t.name.startswith("camviz-") and t.is_alive()]
    clf.close()  # idempotent
    assert log.items and log.items[-1][2] == 9


def test_live_events_and_results_come_in_order_from_one_thread(
    clip_frames: list[tuple[np.ndarray, int]], no_leaked_threads: None
) -> None:
    handed: list[tuple[int | None, str]] = []  # (thread, what) in the order handed over

    def on_result(result: ClassificationResult, image: np.ndarray, ms: int) -> None:
        handed.append((threading.get_ident(), f"result {ms}"))

    def on_event(event: PipelineEvent) -> None:
        handed.append((threading.get_ident(), event.kind.name))

    options = RunningOptions(
        running_mode=RunningMode.LIVE_STREAM, result_callback=on_result, event_callback=on_event
    )
    with RunningClassifier(options) as clf:
        for image, ms in clip_frames:
            clf.classify_async(image, ms)
    what = [w for _, w in handed]
    assert what[0] == "STARTED" and what[-1] == "STOPPED" and what.count("STOPPED") == 1
    assert what.index("MODEL_LOADED") < what.index(next(w for w in what if w.startswith("result")))
    assert what[-2] in ("ENDED", "SOURCE_STATE")  # the end of the frames, then STOPPED
    assert f"result {clip_frames[-1][1]}" in what
    assert len({ident for ident, _ in handed}) == 1 and handed[0][0] != threading.get_ident()


def test_video_events_come_from_one_thread_too(
    clip_frames: list[tuple[np.ndarray, int]], no_leaked_threads: None
) -> None:
    seen: list[tuple[int | None, EventKind]] = []
    options = RunningOptions(
        running_mode=RunningMode.VIDEO,
        event_callback=lambda e: seen.append((threading.get_ident(), e.kind)),
    )
    with RunningClassifier(options) as clf:
        for image, ms in clip_frames[:3]:
            clf.classify_for_video(image, ms)
    kinds = [k for _, k in seen]
    assert kinds[0] is EventKind.STARTED and kinds[-1] is EventKind.STOPPED
    assert EventKind.MODEL_LOADED in kinds and EventKind.ENDED in kinds
    assert len({ident for ident, _ in seen}) == 1
