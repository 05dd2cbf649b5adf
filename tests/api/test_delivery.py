"""Events and results in order, from one thread; STOPPED last, over many real runs."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from camviz import Delivery, FrameResult, Pipeline, PipelineEvent, open_source
from camviz.errors import PipelineError
from camviz.pipeline import EventKind

from ..conftest import PHOTOS, VIDEOS


class Log:
    """Everything a consumer was handed, in order, with the thread that handed it."""

    def __init__(self) -> None:
        self.items: list[FrameResult | PipelineEvent] = []
        self.threads: set[int | None] = set()
        self.first_result = threading.Event()

    def on_result(self, item: FrameResult) -> None:
        self.threads.add(threading.get_ident())
        self.items.append(item)
        self.first_result.set()

    def on_event(self, event: PipelineEvent) -> None:
        self.threads.add(threading.get_ident())
        self.items.append(event)

    def kinds(self) -> list[EventKind]:
        return [i.kind for i in self.items if isinstance(i, PipelineEvent)]

    def frame_ids(self) -> list[int]:
        return [i.frame_id for i in self.items if isinstance(i, FrameResult)]


def check_order(log: Log, delivery: Delivery) -> None:
    kinds = log.kinds()
    assert kinds[0] is EventKind.STARTED, kinds
    assert kinds[-1] is EventKind.STOPPED and kinds.count(EventKind.STOPPED) == 1, kinds
    assert isinstance(log.items[-1], PipelineEvent)  # nothing after STOPPED, no result either
    assert log.threads == {delivery.thread.ident}, "callbacks came from more than one thread"
    assert threading.get_ident() not in log.threads
    ids = log.frame_ids()
    assert ids == sorted(set(ids))
    assert not delivery.errors


def run_live(stop_after_first: bool) -> Log:
    """The demo reel, live, stopped by the consumer (the race the README example had)."""
    log = Log()
    with Delivery(on_result=log.on_result, on_event=log.on_event) as delivery:
        pipeline = Pipeline(open_source("demo"), on_result=delivery.result, on_event=delivery.event)
        with pipeline:
            assert log.first_result.wait(30) or not stop_after_first
    check_order(log, delivery)
    states = [i for i in log.items if isinstance(i, PipelineEvent) and i.state is not None]
    assert states and states[-1].state is not None and states[-1].state.value == "ended"
    assert log.frame_ids()
    return log


def run_to_the_end() -> Log:
    """A folder of photos, lossless: every frame once, ENDED then STOPPED."""
    log = Log()
    with Delivery(on_result=log.on_result, on_event=log.on_event) as delivery:
        source = open_source(str(PHOTOS / "skimage"), pace=False)
        with Pipeline(source, on_result=delivery.result, on_event=delivery.event) as pipeline:
            assert pipeline.wait(60)
    check_order(log, delivery)
    assert log.kinds()[-2:] == [EventKind.ENDED, EventKind.STOPPED]
    assert log.frame_ids() == list(range(len(log.frame_ids()))) and log.frame_ids()
    return log


def test_one_live_run_is_in_order_from_one_thread(no_leaked_threads: None) -> None:
    log = run_live(stop_after_first=True)
    kinds = log.kinds()
    assert EventKind.MODEL_LOADED in kinds and EventKind.SOURCE_STATE in kinds


def test_a_run_to_the_end_is_in_order(no_leaked_threads: None) -> None:
    run_to_the_end()


@pytest.mark.slow
@pytest.mark.parametrize("run", [lambda: run_live(True), run_to_the_end], ids=["live", "ended"])
def test_stopped_is_last_over_many_runs(run: Callable[[], Log], no_leaked_threads: None) -> None:
    for _ in range(50):
        run()


def emitted_kinds() -> tuple[list[EventKind], set[str]]:
    """One live run without a Delivery: the kinds in the order the pipeline emitted them
    (recorded under a lock as each is emitted), and the threads that emitted them."""
    lock = threading.Lock()
    kinds: list[EventKind] = []
    emitters: set[str] = set()
    first = threading.Event()

    def on_event(event: PipelineEvent) -> None:
        with lock:
            kinds.append(event.kind)
            emitters.add(threading.current_thread().name)

    with Pipeline(open_source("demo"), on_result=lambda _: first.set(), on_event=on_event):
        assert first.wait(30)
    return kinds, emitters


def test_without_delivery_the_pipeline_still_emits_stopped_last(no_leaked_threads: None) -> None:
    emitters: set[str] = set()
    for _ in range(5):
        kinds, threads = emitted_kinds()
        assert kinds[0] is EventKind.STARTED and kinds[-1] is EventKind.STOPPED, kinds
        emitters |= threads
    assert len(emitters) > 1  # why a consumer wants a Delivery: the pipeline emits from several


def test_a_raising_callback_is_counted_and_delivery_goes_on(no_leaked_threads: None) -> None:
    seen: list[str] = []

    def on_event(event: PipelineEvent) -> None:
        seen.append(event.message)
        if len(seen) == 1:
            raise RuntimeError("consumer bug")

    video = open_source(str(VIDEOS / "carphone_pristine.mp4"), pace=False)
    with (
        Delivery(on_event=on_event) as delivery,
        Pipeline(video, on_result=delivery.result, on_event=delivery.event) as pipeline,
    ):
        assert pipeline.wait(60)
    assert [type(e) for e in delivery.errors] == [RuntimeError]
    assert seen[-1] == "pipeline stopped" and len(seen) > 2


def test_close_names_a_callback_that_does_not_return(no_leaked_threads: None) -> None:
    release = threading.Event()

    def stuck(event: PipelineEvent) -> None:
        release.wait(10)

    delivery = Delivery(on_event=stuck)
    delivery.event(PipelineEvent(EventKind.STARTED, "x"))
    with pytest.raises(PipelineError, match="keep callbacks short"):
        delivery.close(timeout=0.2)
    release.set()
    delivery.thread.join(5)
    assert not delivery.thread.is_alive()
