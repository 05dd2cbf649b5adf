"""The real-time pipeline: capture thread -> bounded queue -> inference thread -> consumer.

Backpressure is a named policy per path:

* :attr:`Backpressure.LATEST` (live sources: cameras, the demo): a one-frame slot;
  a new frame replaces the one still waiting, the replaced frame is counted as
  dropped, and capture never blocks.
* :attr:`Backpressure.LOSSLESS` (files, benchmarks): a bounded FIFO; capture
  blocks while it is full, every frame is classified exactly once and in order,
  and a sentinel marks the end of the stream.

The inference thread creates the classifier (interpreters are not thread-safe)
and owns it until it exits. Model switches happen between two frames, so no
result mixes two models; a model that fails to load leaves the previous one
running and is reported as a :attr:`EventKind.MODEL_FAILED` event. A model given
as a file path (the user's choice, not a zoo name) is first test-loaded in a child
process (:func:`camviz.loading.check_model_file`) on a checker thread, so a file
that crashes the native runtime only kills that child; only the latest requested
switch is checked and applied. Every error in
a thread becomes an event; no thread dies silently. ``stop()`` returns within
its timeout from any state.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from camviz.classifier import Classifier, ClassifierOptions
from camviz.errors import CamvizError, OptionsError, PipelineError, format_error
from camviz.loading import check_model_file, needs_check, open_classifier
from camviz.metrics import PipelineMetrics
from camviz.results import ClassificationResult
from camviz.smoothing import ProbabilitySmoother
from camviz.sources import Frame, Source, SourceState

__all__ = [
    "Backpressure",
    "PipelineOptions",
    "FrameStamps",
    "FrameResult",
    "EventKind",
    "PipelineEvent",
    "LatestFrameSlot",
    "LosslessQueue",
    "Pipeline",
]


class Backpressure(Enum):
    LATEST = "latest"
    LOSSLESS = "lossless"


@dataclass(frozen=True, slots=True)
class PipelineOptions:
    classifier: ClassifierOptions = field(default_factory=ClassifierOptions)
    backpressure: Backpressure | None = None
    queue_size: int = 4
    budget_ms: float = 33.0
    smoothing: float = 0.0
    hysteresis: float = 0.05
    check_models: bool = True  # test-load model files (not zoo names) in a child first

    def __post_init__(self) -> None:
        if not 1 <= self.queue_size <= 1024:
            raise OptionsError(f"queue_size must be 1..1024, got {self.queue_size}")
        if self.budget_ms <= 0:
            raise OptionsError(f"budget_ms must be positive, got {self.budget_ms}")
        ProbabilitySmoother(self.smoothing, self.hysteresis)  # validates both

    def policy_for(self, source: Source) -> Backpressure:
        if self.backpressure is not None:
            return self.backpressure
        return Backpressure.LATEST if source.is_live else Backpressure.LOSSLESS


@dataclass(frozen=True, slots=True)
class FrameStamps:
    """Monotonic seconds at which a frame passed each stage."""

    captured: float
    dequeued: float
    preprocessed: float
    inferred: float
    delivered: float

    @property
    def e2e_ms(self) -> float:
        return (self.delivered - self.captured) * 1000.0


@dataclass(frozen=True, slots=True)
class FrameResult:
    frame_id: int
    frame: Frame
    result: ClassificationResult
    stamps: FrameStamps
    model: str


class EventKind(Enum):
    STARTED = "started"
    SOURCE_STATE = "source_state"
    MODEL_LOADED = "model_loaded"
    MODEL_FAILED = "model_failed"
    FRAME_FAILED = "frame_failed"
    ERROR = "error"
    ENDED = "ended"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class PipelineEvent:
    kind: EventKind
    message: str
    error: BaseException | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Item:
    frame_id: int
    frame: Frame


_END = object()  # sentinel: the source ended


class LatestFrameSlot:
    """A one-item slot where the newest frame wins; ``put`` never blocks."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: object | None = None
        self.dropped = 0

    def put(self, item: object) -> bool:
        """Store ``item``; True if it replaced a frame that was never taken (a drop)."""
        with self._cond:
            replaced = self._item is not None and self._item is not _END
            if replaced:
                self.dropped += 1
            self._item = item
            self._cond.notify()
            return replaced

    def put_end(self) -> None:
        self.put(_END)

    def get(self, timeout: float) -> object | None:
        with self._cond:
            if self._item is None:
                self._cond.wait(timeout)
            item, self._item = self._item, None
            return item

    def depth(self) -> int:
        with self._cond:
            return 0 if self._item is None else 1


class LosslessQueue:
    """A bounded FIFO; ``put`` blocks while full (checking ``stop`` every 50 ms)."""

    def __init__(self, maxsize: int) -> None:
        self._queue: queue.Queue[object] = queue.Queue(maxsize)
        self.maxsize = maxsize
        self.dropped = 0  # always 0: nothing is ever dropped

    def put(self, item: object, stop: threading.Event) -> bool:
        while not stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def put_end(self, stop: threading.Event) -> None:
        self.put(_END, stop)

    def get(self, timeout: float) -> object | None:
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def depth(self) -> int:
        return self._queue.qsize()


ResultCallback = Callable[[FrameResult], None]
EventCallback = Callable[[PipelineEvent], None]
FrameCallback = Callable[[Frame], None]


class Pipeline:
    """Frames from ``source`` classified on a worker thread; see the module docstring."""

    def __init__(
        self,
        source: Source,
        options: PipelineOptions | None = None,
        on_result: ResultCallback | None = None,
        on_event: EventCallback | None = None,
        on_frame: FrameCallback | None = None,
    ) -> None:
        """``on_frame`` sees every captured frame on the capture thread (a live preview
        at camera rate); it must return quickly and must not block."""
        self.source = source
        self._on_frame = on_frame
        self.options = options or PipelineOptions()
        self.policy = self.options.policy_for(source)
        self._on_result = on_result
        self._on_event = on_event
        self.metrics = PipelineMetrics(self.options.budget_ms)
        self._slot = LatestFrameSlot()
        self._fifo = LosslessQueue(self.options.queue_size)
        self._stop = threading.Event()
        self._resume = threading.Event()
        self._resume.set()
        self._lock = threading.Lock()
        self._pending_model: ClassifierOptions | None = None
        self._switch_generation = 0  # bumped by every switch_model(); the latest one wins
        self._check_request: tuple[ClassifierOptions, int] | None = None
        self._check_cancel = threading.Event()
        self._checker: threading.Thread | None = None
        self._pending_updates: dict[str, Any] = {}
        self._smoother = ProbabilitySmoother(self.options.smoothing, self.options.hysteresis)
        self._results: queue.Queue[object] | None = None if on_result else queue.Queue(256)
        self._threads: list[threading.Thread] = []
        self._started = False
        self._finished = threading.Event()
        self.model_info: Any = None  # ModelInfo of the running model, set by the worker
        self.last_result: FrameResult | None = None
        self._preprocess: Callable[[Any], Any] | None = None
        self.errors: list[BaseException] = []

    # ---------------------------------------------------------------- public control
    @property
    def running(self) -> bool:
        return self._started and any(t.is_alive() for t in self._threads)

    def start(self) -> None:
        if self._started:
            raise PipelineError("this pipeline was started already; make a new one")
        self._started = True
        self.source.add_state_listener(self._on_source_state)
        capture = threading.Thread(target=self._capture_loop, name="camviz-capture", daemon=True)
        infer = threading.Thread(target=self._inference_loop, name="camviz-inference", daemon=True)
        self._threads = [capture, infer]
        infer.start()
        capture.start()
        self._emit(EventKind.STARTED, f"{self.source.name}: {self.policy.value} backpressure")

    def stop(self, timeout: float = 1.0) -> None:
        """Stop both threads and close the source; returns within ``timeout`` seconds."""
        self._stop.set()
        self._resume.set()
        with self._lock:
            self._check_request = None
            self._check_cancel.set()
            checker = self._checker
        try:
            self.source.close()
        except Exception as exc:  # closing must not keep us from joining
            self.errors.append(exc)
        deadline = time.monotonic() + timeout
        threads = [*self._threads, *([checker] if checker is not None else [])]
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self.source.remove_state_listener(self._on_source_state)
        alive = [t.name for t in threads if t.is_alive()]
        if alive:
            raise PipelineError(f"pipeline threads did not stop within {timeout:.1f} s: {alive}")

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the source ends (or the pipeline fails); True if it finished."""
        return self._finished.wait(timeout)

    def pause(self) -> None:
        self._resume.clear()

    def resume(self) -> None:
        self._resume.set()

    @property
    def paused(self) -> bool:
        return not self._resume.is_set()

    def switch_model(self, options: ClassifierOptions) -> None:
        """Load another model (or thread count) between two frames; capture keeps running.

        A model file (not a zoo name) is test-loaded in a child process first, on a
        checker thread; the running model keeps classifying meanwhile. A newer call
        supersedes an older one still being checked or waiting.
        """
        with self._lock:
            self._switch_generation += 1
            self._pending_model = None
            if not (self.options.check_models and needs_check(options.model)):
                self._check_request = None
                self._check_cancel.set()
                self._pending_model = options
                return
            self._check_request = (options, self._switch_generation)
            self._check_cancel.set()  # abandon a check of an older request
            if self._checker is None and not self._stop.is_set():
                self._checker = threading.Thread(
                    target=self._check_loop, name="camviz-model-check", daemon=True
                )
                self._checker.start()

    def _check_loop(self) -> None:
        """Checker thread: test-load the latest requested model file, then queue the switch."""
        while True:
            with self._lock:
                request, self._check_request = self._check_request, None
                if request is None or self._stop.is_set():
                    self._checker = None
                    return
                cancel = self._check_cancel = threading.Event()
            options, generation = request
            try:
                check_model_file(options.model, cancel=cancel)
            except CamvizError as exc:
                if not cancel.is_set():
                    self._emit(
                        EventKind.MODEL_FAILED, format_error(exc), exc, model=str(options.model)
                    )
                continue
            except Exception as exc:  # e.g. no process could be started
                if not cancel.is_set():
                    self._emit(
                        EventKind.MODEL_FAILED,
                        f"model check failed: {format_error(exc)}",
                        exc,
                        model=str(options.model),
                    )
                continue
            with self._lock:
                if generation == self._switch_generation and not cancel.is_set():
                    self._pending_model = options

    def update(
        self,
        *,
        top_k: int | None = None,
        score_threshold: float | None = None,
        min_confidence: float | None = None,
        smoothing: float | None = None,
        budget_ms: float | None = None,
    ) -> None:
        """Change reporting options; applied by the worker before its next frame."""
        changes = {
            "top_k": top_k,
            "score_threshold": score_threshold,
            "min_confidence": min_confidence,
        }
        changes = {k: v for k, v in changes.items() if v is not None}
        ClassifierOptions().replace(**changes)  # validate now, in the caller's thread
        if smoothing is not None:
            ProbabilitySmoother(smoothing, self.options.hysteresis)
        if budget_ms is not None:
            if budget_ms <= 0:
                raise OptionsError(f"budget_ms must be positive, got {budget_ms}")
            self.metrics.set_budget(budget_ms)
        with self._lock:
            self._pending_updates.update(changes)
            if smoothing is not None:
                self._pending_updates["smoothing"] = smoothing

    def results(self, timeout: float | None = None) -> Iterator[FrameResult]:
        """Iterate results until the stream ends (only without an ``on_result`` callback)."""
        if self._results is None:
            raise PipelineError("results() is not available when on_result is given")
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                item = self._results.get(timeout=remaining)
            except queue.Empty:
                return
            if item is _END:
                return
            assert isinstance(item, FrameResult)
            yield item

    def __enter__(self) -> Pipeline:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---------------------------------------------------------------- internals
    def _emit(
        self, kind: EventKind, message: str, error: BaseException | None = None, **data: Any
    ) -> None:
        if error is not None:
            self.errors.append(error)
        if self._on_event is not None:
            try:
                self._on_event(PipelineEvent(kind, message, error, data))
            except Exception as exc:  # a broken consumer must not kill the pipeline
                self.errors.append(exc)

    def _on_source_state(self, state: SourceState, message: str) -> None:
        self._emit(EventKind.SOURCE_STATE, message, state=state)

    def _capture_loop(self) -> None:
        stop = self._stop
        frame_id = 0
        lossless = self.policy is Backpressure.LOSSLESS
        try:
            self.source.open()  # idempotent; reads a first frame or raises naming the source
            while not stop.is_set():
                if not self._resume.is_set():
                    self._resume.wait(0.1)
                    continue
                frame = self.source.read()
                if frame is None:
                    break
                if self._on_frame is not None:
                    self._on_frame(frame)
                item = _Item(frame_id, frame)
                frame_id += 1
                if lossless:
                    if not self._fifo.put(item, stop):
                        break
                    self.metrics.captured(frame.captured, self._fifo.depth())
                else:
                    if self._slot.put(item):
                        self.metrics.dropped()
                    self.metrics.captured(frame.captured, self._slot.depth())
        except CamvizError as exc:
            if not stop.is_set():
                self._emit(EventKind.ERROR, format_error(exc), exc)
        except Exception as exc:
            if not stop.is_set():
                self._emit(EventKind.ERROR, f"capture thread failed: {format_error(exc)}", exc)
        finally:
            if lossless:
                self._fifo.put_end(stop)
            else:
                self._slot.put_end()

    def _next_item(self) -> object | None:
        if self.policy is Backpressure.LOSSLESS:
            return self._fifo.get(0.05)
        return self._slot.get(0.05)

    def _apply_pending(self, clf: Classifier) -> Classifier:
        with self._lock:
            pending, self._pending_model = self._pending_model, None
            updates, self._pending_updates = self._pending_updates, {}
        if pending is not None:
            try:
                new = open_classifier(pending)
            except CamvizError as exc:
                self._emit(EventKind.MODEL_FAILED, format_error(exc), exc, model=str(pending.model))
            except Exception as exc:
                self._emit(
                    EventKind.MODEL_FAILED,
                    f"model failed: {format_error(exc)}",
                    exc,
                    model=str(pending.model),
                )
            else:
                clf.close()
                clf = new
                self._smoother.reset()
                self._model_loaded(clf)
        if updates:
            smoothing = updates.pop("smoothing", None)
            if updates:
                clf.update(**updates)
            if smoothing is not None:
                self._smoother = ProbabilitySmoother(smoothing, self.options.hysteresis)
        return clf

    def model_input(self, image: Any) -> Any:
        """The exact tensor the running model sees for ``image`` (None before a model loads).

        Preprocessing is a pure function, so any thread may call this.
        """
        preprocess = self._preprocess
        return None if preprocess is None else preprocess(image)

    def _model_loaded(self, clf: Classifier) -> None:
        self.model_info = clf.info
        self._preprocess = clf.preprocess
        self.metrics.model_loaded(clf.info.load_ms, clf.info.first_invoke_ms)
        self._emit(
            EventKind.MODEL_LOADED,
            f"{clf.info.name} loaded in {clf.info.load_ms:.0f} ms "
            f"(first invoke {clf.info.first_invoke_ms:.1f} ms, {clf.options.threads} threads)",
            info=clf.info,
        )

    def _inference_loop(self) -> None:
        stop = self._stop
        clf: Classifier | None = None
        ended = False
        try:
            try:
                first = self.options.classifier
                if self.options.check_models and needs_check(first.model):
                    check_model_file(first.model, cancel=stop)
                clf = open_classifier(first)
            except CamvizError as exc:
                if not stop.is_set():  # not a test load cancelled by stop()
                    self._emit(EventKind.ERROR, format_error(exc), exc)
                stop.set()
                self.source.close()
                return
            self._model_loaded(clf)
            while not stop.is_set():
                clf = self._apply_pending(clf)
                item = self._next_item()
                if item is None:
                    continue
                if item is _END:
                    ended = True
                    break
                assert isinstance(item, _Item)
                self._process(clf, item)
        except Exception as exc:
            self._emit(EventKind.ERROR, f"inference thread failed: {format_error(exc)}", exc)
            stop.set()
        finally:
            if clf is not None:
                clf.close()
            if self._results is not None:
                self._results.put(_END)
            if ended and not stop.is_set():
                self._emit(EventKind.ENDED, f"{self.source.name}: end of stream")
            self._emit(EventKind.STOPPED, "pipeline stopped")
            self._finished.set()

    def _put_result(self, out: FrameResult) -> None:
        assert self._results is not None
        while not self._stop.is_set():
            try:
                self._results.put(out, timeout=0.05)
                return
            except queue.Full:
                continue

    def _process(self, clf: Classifier, item: _Item) -> None:
        dequeued = time.monotonic()
        frame = item.frame
        try:
            result = clf.classify(frame.image)
        except CamvizError as exc:
            self.metrics.failed()
            self._emit(EventKind.FRAME_FAILED, f"frame {item.frame_id}: {format_error(exc)}", exc)
            return
        if self._smoother.enabled:
            smoothed, first = self._smoother.update(result.probabilities)
            result = clf.result_from(smoothed, result.times, first=first)
        times = result.times
        preprocessed = dequeued + times.preprocess_ms / 1000.0
        inferred = preprocessed + times.invoke_ms / 1000.0
        delivered = time.monotonic()
        stamps = FrameStamps(frame.captured, dequeued, preprocessed, inferred, delivered)
        out = FrameResult(item.frame_id, frame, result, stamps, clf.info.name)
        self.last_result = out
        if self._on_result is not None:
            self._on_result(out)
        else:
            self._put_result(out)
        done = time.monotonic()
        self.metrics.frame_done(
            {
                "queue": (dequeued - frame.captured) * 1000.0,
                "preprocess": times.preprocess_ms,
                "invoke": times.invoke_ms,
                "postprocess": times.postprocess_ms,
                "deliver": (delivered - inferred) * 1000.0 - times.postprocess_ms,
            },
            stamps.e2e_ms,
            inferred,
            done,
        )
