"""The one pipeline harness: run a source through a pipeline for N frames, get a record.

:func:`run_pipeline` starts a :class:`Pipeline` with capture held until the model is
loaded (so load time is not latency), resets the metrics, releases capture, collects
the first ``frames`` results (or all of them, until the source ends), and stops and
joins the pipeline in ``finally``. ``camviz bench``, the benchmarks and the tests
all run pipelines through it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from camviz.metrics import MetricsSnapshot
from camviz.pipeline.core import Pipeline
from camviz.pipeline.records import (
    CLOCK,
    Backpressure,
    EventKind,
    FrameResult,
    FrameStamps,
    PipelineEvent,
    PipelineOptions,
)
from camviz.sources import Source

__all__ = ["FrameRecord", "RunRecord", "run_pipeline"]

#: Events that are errors of a run. None ends it by itself: after an ERROR the
#: pipeline drains its queue and stops, and the run ends at ENDED or STOPPED.
ERROR_KINDS = (EventKind.ERROR, EventKind.FRAME_FAILED, EventKind.MODEL_FAILED)
_ENDING_KINDS = (EventKind.ENDED, EventKind.STOPPED)


@dataclass(frozen=True, slots=True)
class FrameRecord:
    """One delivered frame, without its pixels or probabilities (cheap to keep)."""

    frame_id: int
    index: int  # the source's frame number
    model: str
    top: int | None  # top-1 class index
    stamps: FrameStamps

    @classmethod
    def of(cls, item: FrameResult) -> FrameRecord:
        top = item.result.top
        index = None if top is None else top.index
        return cls(item.frame_id, item.frame.index, item.model, index, item.stamps)


@dataclass(frozen=True, slots=True)
class RunRecord:
    """What one run delivered. Stamps are :data:`CLOCK` seconds."""

    policy: Backpressure
    frames: tuple[FrameRecord, ...]  # in delivery order
    results: tuple[FrameResult, ...]  # the full results, only with ``keep_results=True``
    events: tuple[PipelineEvent, ...]
    snapshot: MetricsSnapshot  # the metrics when the run finished (reset at ``started``)
    started: float  # capture released (the model was loaded)
    finished: float  # the last counted result was delivered, or the run ended
    cpu_s: float  # process CPU time (all threads) from ``started`` to ``finished``
    timed_out: bool

    @property
    def count(self) -> int:
        return len(self.frames)

    @property
    def wall_s(self) -> float:
        return max(0.0, self.finished - self.started)

    @property
    def fps(self) -> float:
        return self.count / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def dropped(self) -> int:
        return self.snapshot.dropped

    @property
    def stamps(self) -> tuple[FrameStamps, ...]:
        return tuple(f.stamps for f in self.frames)

    @property
    def errors(self) -> list[str]:
        return [e.message for e in self.events if e.kind in ERROR_KINDS]

    def kinds(self) -> list[EventKind]:
        return [e.kind for e in self.events]


ResultTap = Callable[[FrameResult], None]


def run_pipeline(
    source: Source,
    options: PipelineOptions | None = None,
    *,
    frames: int | None = None,
    timeout: float | None = 600.0,
    load_timeout: float = 60.0,
    keep_results: bool = False,
    on_result: ResultTap | None = None,
    on_ready: Callable[[Pipeline], None] | None = None,
    stop_timeout: float = 5.0,
) -> RunRecord:
    """Run ``source`` through a pipeline until ``frames`` results (None: until it ends).

    ``timeout`` bounds the run after capture is released (None: no bound); ``on_result`` sees every
    counted result on the inference thread; ``on_ready`` gets the pipeline once its
    model is loaded, just before capture is released (to keep it, or to call
    ``switch_model``/``update`` later from ``on_result``). The pipeline is always
    stopped and joined before this returns.
    """
    if frames is not None and frames < 1:
        raise ValueError(f"frames must be at least 1, got {frames}")
    records: list[FrameRecord] = []
    kept: list[FrameResult] = []
    events: list[PipelineEvent] = []
    loaded, finished = threading.Event(), threading.Event()
    last_at: list[float] = []

    def collect(item: FrameResult) -> None:
        if finished.is_set() and last_at:
            return  # delivered after the run's last frame: not part of it
        records.append(FrameRecord.of(item))
        if keep_results:
            kept.append(item)
        if on_result is not None:
            on_result(item)
        if frames is not None and len(records) >= frames:
            last_at.append(CLOCK())
            finished.set()

    def watch(event: PipelineEvent) -> None:
        events.append(event)
        if event.kind in (EventKind.MODEL_LOADED, EventKind.ERROR):
            loaded.set()  # loaded, or never will be: do not wait for it
        elif event.kind in _ENDING_KINDS:
            loaded.set()
            finished.set()

    pipe = Pipeline(source, options, on_result=collect, on_event=watch)
    pipe.pause()  # hold capture until the model is loaded, so load time is not latency
    started = cpu0 = 0.0
    try:
        pipe.start()
        loaded.wait(load_timeout)
        pipe.metrics.reset()
        if on_ready is not None:
            on_ready(pipe)
        cpu0, started = time.process_time(), CLOCK()
        pipe.resume()
        timed_out = not finished.wait(timeout)
        snapshot = pipe.metrics.snapshot()
        ended = last_at[0] if last_at else CLOCK()
        cpu_s = time.process_time() - cpu0
    finally:
        pipe.stop(timeout=stop_timeout)
    return RunRecord(
        policy=pipe.policy,
        frames=tuple(records),
        results=tuple(kept),
        events=tuple(events),
        snapshot=snapshot,
        started=started,
        finished=ended,
        cpu_s=cpu_s,
        timed_out=timed_out,
    )
