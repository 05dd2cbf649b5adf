"""A/B in the window: the second model's state and the live agreement (``session.comparing``).

The second model runs in the session's pipeline (:meth:`camviz.pipeline.Pipeline.compare_with`)
on the very frames the first one classifies; its result for a frame comes right after the
first model's, with the same frame id. This component asks for it (``choose``), asks again
when the session starts another pipeline (``attach``), pairs the two results of each frame
(``note_first`` with the first model's results; the second model's come to it directly) and
keeps, over the meter's window (:data:`camviz.defaults.METER_SPAN_S`):

* the top-1 agreement and top-5 overlap of the pairs
  (:class:`camviz.compare.RollingAgreement`, pairs from :func:`camviz.compare.pair_record`);
* each model's latency (its preprocess + invoke + softmax, p50 and p95) and its budget light
  (:func:`camviz.metrics.budget_light` against the session's budget).

Events: ``status`` (:class:`CompareStatus`: off, loading, running, failed, with what to say)
and ``pair`` (:class:`ABReading`, one per frame both models classified). Both fire on the
pipeline's inference thread, or on the caller's for ``choose``. A second model that fails
leaves the first running; the status says so in words.

What of the second model a view draws over a frame (its newest labels, its crop box where
it differs from the first model's) is :meth:`Comparing.second_view`, for the window's video,
its snapshots and its recordings alike.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import numpy as np

from camviz.annotate import SecondView
from camviz.app.events import Emitter
from camviz.classifier import ClassifierOptions, ModelInfo
from camviz.compare import Aligner, PairRecord, RollingAgreement, pair_record
from camviz.defaults import METER_SPAN_S
from camviz.errors import CamvizError, format_error
from camviz.metrics import BudgetLight, budget_light
from camviz.pipeline import EventKind, FrameResult, Pipeline, PipelineEvent
from camviz.preprocess import input_region

__all__ = ["ABReading", "CompareState", "CompareStatus", "Comparing", "ModelLatency"]

_PENDING_FIRSTS = 64  # first-model results kept while their pair is on its way


class CompareState(Enum):
    OFF = "off"
    LOADING = "loading"
    RUNNING = "running"
    FAILED = "failed"  # the last model asked for failed (an older one may still run)


@dataclass(frozen=True, slots=True)
class CompareStatus:
    """What the second model is doing. ``info`` is the second model running (None: none)."""

    state: CompareState
    message: str
    model: str | None = None  # the model asked for (a zoo name or a path)
    info: ModelInfo | None = None


@dataclass(frozen=True, slots=True)
class ModelLatency:
    """One model's own time per frame (preprocess + invoke + softmax) over the window."""

    name: str
    latest_ms: float
    p50_ms: float
    p95_ms: float
    count: int
    light: BudgetLight


@dataclass(frozen=True, slots=True)
class ABReading:
    """One frame both models classified, and the window's figures with it."""

    frame_id: int
    first: FrameResult
    second: FrameResult
    record: PairRecord
    agreement: float | None  # top-1 agreement over the window (0..1)
    overlap: float | None  # mean top-5 overlap over the window (0..1)
    pairs: int  # pairs in the window
    latency_a: ModelLatency
    latency_b: ModelLatency


class _Latency:
    """(stamp, ms) over a time window."""

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._values: deque[tuple[float, float]] = deque()

    def add(self, stamp: float, ms: float) -> None:
        self._values.append((stamp, ms))
        while self._values and self._values[0][0] < stamp - self.window_s:
            self._values.popleft()

    def reading(self, name: str, budget_ms: float) -> ModelLatency:
        values = np.array([v for _, v in self._values])
        p50, p95 = (float(np.percentile(values, q)) for q in (50, 95))
        return ModelLatency(
            name,
            float(values[-1]),
            p50,
            p95,
            len(values),
            budget_light(p50, p95, budget_ms, len(values)),
        )


class Comparing:
    """The second model of the window; see the module doc.

    ``pipeline()`` is the session's running pipeline (None: none), ``options(model)`` the
    classifier options a model is loaded with, ``budget_ms()`` the frame budget.
    """

    def __init__(
        self,
        pipeline: Callable[[], Pipeline | None],
        options: Callable[[str], ClassifierOptions],
        budget_ms: Callable[[], float],
        window_s: float = METER_SPAN_S,
    ) -> None:
        self._pipeline = pipeline
        self._options = options
        self._budget_ms = budget_ms
        self.window_s = window_s
        self._lock = threading.Lock()
        self.status = Emitter[CompareStatus]("compare status")
        self.pair = Emitter[ABReading]("compare pair")
        self._asked: str | None = None  # the model asked for; None: no second model
        self._state = CompareStatus(CompareState.OFF, "No second model")
        self._second: ModelInfo | None = None  # the second model running
        self._running_asked: str | None = None  # what was asked for the one running
        self._first: ModelInfo | None = None  # the first model running
        self._aligner: Aligner | None = None
        self._firsts: dict[int, FrameResult] = {}
        self._loaded_with: ClassifierOptions | None = None  # the second model's last request
        self._reset_window()
        self.last: ABReading | None = None

    # ------------------------------------------------------------------ state
    @property
    def model(self) -> str | None:
        """The second model asked for (None: A/B is off)."""
        return self._asked

    @property
    def state(self) -> CompareStatus:
        return self._state

    @property
    def loaded_with(self) -> ClassifierOptions | None:
        """The options the second model was last asked for with (None: not asked yet)."""
        return self._loaded_with

    @property
    def active(self) -> bool:
        return self._asked is not None

    def second_view(self, width: int, height: int) -> SecondView | None:
        """What of the second model a view of a ``width`` x ``height`` frame draws: its
        newest result and name, and its crop box where it differs from the first model's.
        None while A/B is off or before the first pair (any thread)."""
        with self._lock:
            reading, first, second = self.last, self._first, self._second
        if self._asked is None or reading is None or second is None:
            return None
        region = input_region(width, height, second.preprocessing)
        same = first is not None and region == input_region(width, height, first.preprocessing)
        return SecondView(
            reading.second.result,
            second.name,
            None if same else region,
            first.name if first is not None else None,
            reading.frame_id,
        )

    # ------------------------------------------------------------------ control
    def choose(self, model: str | None) -> None:
        """Compare with ``model`` (a zoo name or a file's path); None stops comparing."""
        with self._lock:
            self._asked = model
            self._reset_window()
            if model is None:
                self._second = None
                self._running_asked = None
                self._aligner = None
        if model is None:
            self._say(CompareStatus(CompareState.OFF, "No second model"))
        else:
            self._say(
                CompareStatus(CompareState.LOADING, f"Loading {Path(model).name} to compare", model)
            )
        self._request(self._pipeline())

    def attach(self, pipeline: Pipeline) -> None:
        """A new pipeline of the session: ask it for the second model (if any) before it runs."""
        with self._lock:
            self._reset_window()
            self._second = None
            self._aligner = None
        if self._asked is not None:
            self._say(
                CompareStatus(
                    CompareState.LOADING,
                    f"Loading {Path(self._asked).name} to compare",
                    self._asked,
                )
            )
        self._request(pipeline)

    def reload(self) -> None:
        """Load the second model again with the current options (threads, fit...)."""
        if self._asked is not None:
            self._request(self._pipeline())

    def note_first_model(self, info: ModelInfo) -> None:
        """The first model changed: pairs start again, classes are matched anew; the second
        model is loaded again if the options it is loaded with changed (threads, say)."""
        asked = self._asked
        if asked is not None:
            try:
                stale = self._options(asked) != self._loaded_with
            except CamvizError:
                stale = False
            if stale:
                self._request(self._pipeline())
        with self._lock:
            self._first = info
            self._reset_window()
            self._aligner = None
            try:
                self._aligner = self._align()
            except CamvizError as exc:  # no class in common
                why = format_error(exc)
            else:
                return
        self._failed(self._asked or "the second model", why)

    def note_first(self, result: FrameResult) -> None:
        """The first model's result of a frame (the session forwards each one)."""
        if self._asked is None:
            return
        with self._lock:
            self._firsts[result.frame_id] = result
            while len(self._firsts) > _PENDING_FIRSTS:
                del self._firsts[next(iter(self._firsts))]

    # ------------------------------------------------------------------ internals
    def _reset_window(self) -> None:
        self._agreement = RollingAgreement(self.window_s)
        self._latency_a = _Latency(self.window_s)
        self._latency_b = _Latency(self.window_s)
        self._firsts = {}
        self.last = None

    def _align(self) -> Aligner | None:
        if self._first is None or self._second is None:
            return None
        return Aligner.of_infos(self._first, self._second)

    def _request(self, pipeline: Pipeline | None) -> None:
        if pipeline is None:
            return
        model = self._asked
        if model is None:
            pipeline.compare_with(None)
            return
        try:
            options = self._options(model)
        except CamvizError as exc:
            self._failed(model, format_error(exc), revert=True)
            return
        self._loaded_with = options
        pipeline.compare_with(options, self._on_second, self._on_event)

    def _say(self, status: CompareStatus) -> None:
        self._state = status
        self.status.emit(status)

    def _failed(self, model: str, why: str, *, revert: bool = False) -> None:
        """Say that ``model`` cannot be compared; with ``revert`` (it did not load), what
        is asked for goes back to the second model still running, or to none."""
        running = self._second
        if revert:
            with self._lock:
                self._asked = self._running_asked if running is not None else None
        still = f"still comparing with {running.name}" if running else "no second model runs"
        first = self._first.name if self._first else "the first model"
        self._say(
            CompareStatus(
                CompareState.FAILED,
                f"Cannot compare with {Path(model).name}: {why}; {first} runs on, {still}",
                model,
                running,
            )
        )

    def _on_event(self, event: PipelineEvent) -> None:
        if event.kind is EventKind.MODEL_LOADED and event.info is not None:
            info = event.info
            with self._lock:
                self._second = info
                self._running_asked = self._asked
                self._reset_window()
                self._aligner = None
                try:
                    self._aligner = self._align()
                    why = None
                except CamvizError as exc:  # no class in common
                    why = format_error(exc)
            if why is not None:
                self._failed(self._asked or info.name, why)
                return
            self._say(
                CompareStatus(
                    CompareState.RUNNING, f"Comparing with {info.name}", self._asked, info
                )
            )
        elif event.kind is EventKind.MODEL_FAILED:
            failed = event.model or self._asked or "the second model"
            self._failed(failed, event.message, revert=True)
        elif event.kind is EventKind.FRAME_FAILED:
            self._say(
                CompareStatus(
                    self._state.state,
                    f"second model: {event.message}",
                    self._state.model,
                    self._state.info,
                )
            )

    def _on_second(self, second: FrameResult) -> None:
        with self._lock:
            first = self._firsts.pop(second.frame_id, None)
            aligner = self._aligner
            if first is None or aligner is None or self._asked is None:
                return
            for stale in [i for i in self._firsts if i < second.frame_id]:
                del self._firsts[stale]  # classified by the first model only (B was loading)
            record = pair_record(aligner, f"frame {second.frame_id}", first.result, second.result)
            stamp = second.frame.captured
            self._agreement.add(stamp, record)
            self._latency_a.add(stamp, record.latency_a_ms)
            self._latency_b.add(stamp, record.latency_b_ms)
            budget = self._budget_ms()
            reading = ABReading(
                second.frame_id,
                first,
                second,
                record,
                self._agreement.agreement,
                self._agreement.overlap,
                self._agreement.count,
                self._latency_a.reading(first.model, budget),
                self._latency_b.reading(second.model, budget),
            )
            self.last = reading
        self.pair.emit(reading)
