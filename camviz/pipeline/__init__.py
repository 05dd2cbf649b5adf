"""The real-time pipeline: capture thread -> bounded queue -> inference thread -> consumer.

Backpressure is a named policy per path:

* :attr:`Backpressure.LATEST` (live sources: cameras, the demo): a one-frame slot;
  a new frame replaces the one still waiting, the replaced frame is counted as
  dropped, and capture never blocks.
* :attr:`Backpressure.LOSSLESS` (files, benchmarks): a bounded FIFO; capture
  blocks while it is full, every frame is classified exactly once and in order,
  and a sentinel marks the end of the stream.

What lives here:

* ``records``: :class:`PipelineOptions`, :class:`FrameStamps` (one clock, :data:`CLOCK`),
  :class:`FrameResult`, :class:`PipelineEvent`;
* ``queues``: the :class:`FrameQueue` protocol and its two policies;
* ``core``: :class:`Pipeline` (threads, model switches, updates, shutdown);
* ``harness``: :func:`run_pipeline`, the one way to run a pipeline over N frames and
  get a :class:`RunRecord` back (``camviz bench``, the benchmarks, the tests).

Layering (low to high): foundation modules (errors, defaults, zoo, preprocess, imageio,
results, metrics, smoothing, fileio) -> sources, backends -> classifier, features ->
teach -> loading -> **pipeline** -> bench, evaluate -> app -> qt, cli. This package
imports only lower layers; bench, evaluate, app, qt, cli (and benchmarks, tests) may
import it, through this module's names.
"""

from __future__ import annotations

from camviz.pipeline.core import EventCallback, FrameCallback, Pipeline, ResultCallback
from camviz.pipeline.harness import FrameRecord, RunRecord, run_pipeline
from camviz.pipeline.queues import END, FrameQueue, LatestFrameSlot, LosslessQueue, make_queue
from camviz.pipeline.records import (
    CLOCK,
    Backpressure,
    EventKind,
    FrameResult,
    FrameStamps,
    PipelineEvent,
    PipelineOptions,
)

__all__ = [
    "CLOCK",
    "END",
    "Backpressure",
    "PipelineOptions",
    "FrameStamps",
    "FrameResult",
    "EventKind",
    "PipelineEvent",
    "FrameQueue",
    "LatestFrameSlot",
    "LosslessQueue",
    "make_queue",
    "Pipeline",
    "ResultCallback",
    "EventCallback",
    "FrameCallback",
    "FrameRecord",
    "RunRecord",
    "run_pipeline",
]
