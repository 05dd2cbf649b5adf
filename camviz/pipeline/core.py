"""The pipeline: a capture thread, one :class:`FrameQueue`, an inference thread.

The inference thread creates the classifier (interpreters are not thread-safe)
and owns it until it exits. Model switches happen between two frames, so no
result mixes two models; a model that fails to load leaves the previous one
running and is reported as a :attr:`EventKind.MODEL_FAILED` event. A model given
as a file path (the user's choice, not a zoo name) is first test-loaded in a child
process (:func:`camviz.loading.check_model_file`) on a checker thread, so a file
that crashes the native runtime only kills that child; only the latest requested
switch is checked and applied. Every error in a thread becomes an event; no thread
dies silently. ``stop()`` returns within its timeout from any state.

A/B (:meth:`Pipeline.compare_with`): a second model runs on the same inference thread,
right after the first, on the very frame the first was given, so both see the same
frames, and when they cannot keep up, the same subsampled ones (the queue drops frames
before either model sees them); each pair of results carries the same frame id, the
first model's delivered before the second model runs. One thread rather than two: the
pair can never drift apart, and the two interpreters do not fight over the cores. The
second model is created on that thread too, between two frames (its load holds the next
frame of the first model for as long as the load takes, once); a model file is
test-loaded in a child first, off that thread. Its events and results go to callbacks of
their own; a second model that fails to load or to classify is reported there and the
first keeps running.

Every stamp is taken on :data:`CLOCK`; stage durations are differences of stamps.
"""

from __future__ import annotations

import dataclasses
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from camviz.classifier import Classifier, ClassifierOptions, ModelInfo
from camviz.defaults import FPS_WINDOW_S, LATENCY_HISTORY
from camviz.errors import CamvizError, OptionsError, PipelineError, format_error
from camviz.live_options import reporting_names, spec_for
from camviz.loading import check_model_file, needs_check, open_classifier
from camviz.metrics import PipelineMetrics
from camviz.pipeline.queues import END, FrameQueue, make_queue
from camviz.pipeline.records import (
    CLOCK,
    EventKind,
    FrameResult,
    FrameStamps,
    PipelineEvent,
    PipelineOptions,
)
from camviz.results import ClassificationResult
from camviz.smoothing import ProbabilitySmoother
from camviz.sources import Frame, Source, SourceState

__all__ = ["Pipeline", "ResultCallback", "EventCallback", "FrameCallback"]

_POLL_S = 0.05  # how long a worker waits for an item before looking at its stop event
_RESULTS_BOUND = 256  # results() buffer when there is no on_result callback
_CAPTURE_JOIN_S = 1.0  # how long the inference thread's end waits for the capture thread
#: the reporting options the classifier applies itself (Classifier.update)
_CLASSIFIER_FIELDS = frozenset(f.name for f in dataclasses.fields(ClassifierOptions))
#: the options the pipeline applies itself (budget, smoothing...)
_PIPELINE_FIELDS = frozenset(f.name for f in dataclasses.fields(PipelineOptions))


@dataclass(frozen=True, slots=True)
class _QueuedFrame:
    """A captured frame on its way through the queue."""

    frame_id: int
    frame: Frame
    queued: float  # CLOCK stamp when capture handed it to the queue


ResultCallback = Callable[[FrameResult], None]
EventCallback = Callable[[PipelineEvent], None]
FrameCallback = Callable[[Frame], None]


@dataclass(frozen=True, slots=True)
class _SecondRequest:
    """What :meth:`Pipeline.compare_with` asked for: a model (None: unload) and where its
    results and events go."""

    options: ClassifierOptions | None
    on_result: ResultCallback
    on_event: EventCallback
    generation: int


def _smoothed(
    clf: Classifier, smoother: ProbabilitySmoother, result: ClassificationResult
) -> ClassificationResult:
    """``result`` with the smoothed ranking when ``smoother`` is on: only what smoothing
    changes (categories, probabilities, uncertain), every other field kept."""
    if not smoother.enabled:
        return result
    smoothed, first = smoother.update(result.probabilities)
    ranked = clf.result_from(smoothed, result.times, first=first)
    return dataclasses.replace(
        result,
        categories=ranked.categories,
        probabilities=ranked.probabilities,
        uncertain=ranked.uncertain,
    )


def _stamps(item: _QueuedFrame, dequeued: float, result: ClassificationResult) -> FrameStamps:
    """The frame's stamps, postprocessed and delivered now; classify() stamps its inner
    stages on the same clock (a classify that took none, a test's stand-in say, counts them
    at ``dequeued``)."""
    postprocessed = CLOCK()
    preprocessed, inferred = result.times.preprocessed, result.times.invoked
    if not dequeued <= preprocessed <= inferred <= postprocessed:
        preprocessed = inferred = dequeued
    return FrameStamps(
        captured=item.frame.captured,
        queued=item.queued,
        dequeued=dequeued,
        preprocessed=preprocessed,
        inferred=inferred,
        postprocessed=postprocessed,
        delivered=CLOCK(),
    )


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
        self.metrics = PipelineMetrics(self.options.budget_ms, FPS_WINDOW_S, LATENCY_HISTORY)
        self._queue: FrameQueue = make_queue(
            self.policy, self.options.queue_size, on_drop=self.metrics.dropped
        )
        self._stop = threading.Event()
        self._resume = threading.Event()
        self._resume.set()
        self._step = threading.Event()  # paused: read one frame
        self._lock = threading.Lock()
        self._pending_model: ClassifierOptions | None = None
        self._switch_generation = 0  # bumped by every switch_model(); the latest one wins
        self._check_request: tuple[ClassifierOptions, int] | None = None
        self._check_cancel = threading.Event()
        self._checker: threading.Thread | None = None
        self._pending_updates: dict[str, Any] = {}  # for the classifier
        self._pending_options = False  # self.options changed: the worker applies them
        self._smoother = ProbabilitySmoother(self.options.smoothing, self.options.hysteresis)
        self._results: queue.Queue[object] | None = (
            None if on_result else queue.Queue(_RESULTS_BOUND)
        )
        self._threads: list[threading.Thread] = []
        self._started = False
        self._finished = threading.Event()
        self._keep_inputs = threading.Event()  # carry model inputs on the results
        # stop() and the inference thread's end close the source one at a time, so the
        # source's last SOURCE_STATE comes before STOPPED
        self._source_lock = threading.Lock()
        self._capture_launched = threading.Event()  # start() has started the capture thread
        self.errors: list[BaseException] = []
        # A/B: the second model (compare_with); the inference thread owns its classifier
        self._second_generation = 0
        self._second_pending: _SecondRequest | None = None
        self._second: _SecondRequest | None = None  # the one running (inference thread only)
        self._second_smoother = ProbabilitySmoother(self.options.smoothing, self.options.hysteresis)
        self._second_checkers: list[threading.Thread] = []  # test-loads of second model files

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
        # STARTED first: the threads' own events (SOURCE_STATE, MODEL_LOADED) come after it
        self._emit(EventKind.STARTED, f"{self.source.name}: {self.policy.value} backpressure")
        infer.start()
        capture.start()
        self._capture_launched.set()

    def stop(self, timeout: float = 1.0) -> None:
        """Stop both threads and close the source; returns within ``timeout`` seconds."""
        self._stop.set()
        self._resume.set()
        with self._lock:
            self._check_request = None
            self._check_cancel.set()
            checker = self._checker
            second_checkers = list(self._second_checkers)
        if self._source_lock.acquire(timeout=timeout):  # not held: another thread closes it
            try:
                self.source.close()
            except Exception as exc:  # closing must not keep us from joining
                self.errors.append(exc)
            finally:
                self._source_lock.release()
        deadline = CLOCK() + timeout
        threads = [*self._threads, *([checker] if checker is not None else []), *second_checkers]
        for thread in threads:
            thread.join(max(0.0, deadline - CLOCK()))
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

    def step(self) -> None:
        """While paused: capture and classify one frame (the one a seek or step in the
        source lands on), then stay paused. Does nothing visible while running."""
        if self.paused:
            self._step.set()

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

    def compare_with(
        self,
        options: ClassifierOptions | None,
        on_result: ResultCallback | None = None,
        on_event: EventCallback | None = None,
    ) -> None:
        """Run a second model on every frame the first one classifies (None: stop it).

        Its results go to ``on_result`` with the frame id of the first model's result
        for the same frame, right after that one; its MODEL_LOADED, MODEL_FAILED and
        FRAME_FAILED events go to ``on_event``. The first model never stops: the switch
        happens between two frames, and a second model that fails leaves the previous
        second model (or none) running. A newer call supersedes an older one.
        """
        with self._lock:
            self._second_generation += 1
            request = _SecondRequest(
                options,
                on_result or (lambda _r: None),
                on_event or (lambda _e: None),
                self._second_generation,
            )
            self._second_pending = None
            if options is None or not (self.options.check_models and needs_check(options.model)):
                self._second_pending = request
                return
        checker = threading.Thread(
            target=self._check_second, args=(request,), name="camviz-model-check-b", daemon=True
        )
        with self._lock:
            self._second_checkers = [t for t in self._second_checkers if t.is_alive()]
            self._second_checkers.append(checker)
        checker.start()

    def _check_second(self, request: _SecondRequest) -> None:
        """Test-load the second model's file in a child, then queue it (if still the latest)."""
        assert request.options is not None
        model = str(request.options.model)
        try:
            check_model_file(request.options.model, cancel=self._stop)
        except Exception as exc:  # CamvizError, or no process could be started
            if not self._stop.is_set():
                self._emit_second(
                    request, EventKind.MODEL_FAILED, format_error(exc), exc, model=model
                )
            return
        with self._lock:
            if request.generation == self._second_generation:
                self._second_pending = request

    def _emit_second(
        self,
        request: _SecondRequest,
        kind: EventKind,
        message: str,
        error: BaseException | None = None,
        *,
        info: ModelInfo | None = None,
        model: str | None = None,
    ) -> None:
        try:
            request.on_event(PipelineEvent(kind, message, error, info, model))
        except Exception as exc:  # a broken consumer must not kill the pipeline
            self.errors.append(exc)

    def _apply_second(self, clf: Classifier | None) -> Classifier | None:
        """Inference thread: load, switch or unload the second model as asked."""
        with self._lock:
            request, self._second_pending = self._second_pending, None
        if request is None:
            return clf
        if request.options is None:
            if clf is not None:
                clf.close()
            self._second = None
            return None
        try:
            new = open_classifier(request.options)
        except Exception as exc:
            self._emit_second(
                request,
                EventKind.MODEL_FAILED,
                format_error(exc),
                exc,
                model=str(request.options.model),
            )
            return clf
        if clf is not None:
            clf.close()
        self._second = request
        self._second_smoother.reset()
        info = new.info
        self._emit_second(
            request,
            EventKind.MODEL_LOADED,
            f"{info.name} loaded in {info.load_ms:.0f} ms as the second model "
            f"(first invoke {info.first_invoke_ms:.1f} ms, {new.options.threads} threads)",
            info=info,
        )
        return new

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

    def update(self, **changes: Any) -> None:
        """Change reporting options (:func:`camviz.live_options.reporting_names`); applied
        by the worker before its next frame. Validated now, in the caller's thread; a
        value of None is no change."""
        unknown = sorted(set(changes) - set(reporting_names()))
        if unknown:
            raise OptionsError(
                f"Pipeline.update takes {', '.join(reporting_names())}; not {', '.join(unknown)}"
            )
        values = {k: spec_for(k).check(v) for k, v in changes.items() if v is not None}
        # each option goes, by its name, to the classifier or to the pipeline's own options
        classifier = {k: v for k, v in values.items() if k in _CLASSIFIER_FIELDS}
        own = {k: v for k, v in values.items() if k not in classifier}
        if set(own) - _PIPELINE_FIELDS:
            raise OptionsError(f"no part of the pipeline takes {', '.join(sorted(own))}")
        ClassifierOptions().replace(**classifier)  # the classifier's own rules too
        with self._lock:
            options = dataclasses.replace(self.options, **own)  # validates (the smoother's)
            self._pending_updates.update(classifier)
            self.options = options
            if own:
                self._pending_options = True
        if "budget_ms" in own:
            self.metrics.set_budget(options.budget_ms)

    def results(self, timeout: float | None = None) -> Iterator[FrameResult]:
        """Iterate results until the stream ends (only without an ``on_result`` callback)."""
        if self._results is None:
            raise PipelineError("results() is not available when on_result is given")
        deadline = None if timeout is None else CLOCK() + timeout
        while True:
            remaining = None if deadline is None else max(0.0, deadline - CLOCK())
            try:
                item = self._results.get(timeout=remaining)
            except queue.Empty:
                return
            if item is END:
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
        self,
        kind: EventKind,
        message: str,
        error: BaseException | None = None,
        *,
        info: ModelInfo | None = None,
        model: str | None = None,
        state: SourceState | None = None,
    ) -> None:
        if error is not None:
            self.errors.append(error)
        if self._on_event is not None:
            try:
                self._on_event(PipelineEvent(kind, message, error, info, model, state))
            except Exception as exc:  # a broken consumer must not kill the pipeline
                self.errors.append(exc)

    def _on_source_state(self, state: SourceState, message: str) -> None:
        self._emit(EventKind.SOURCE_STATE, message, state=state)

    def _capture_loop(self) -> None:
        stop = self._stop
        frames = self._queue
        frame_id = 0
        try:
            self.source.open()  # idempotent; reads a first frame or raises naming the source
            while not stop.is_set():
                if not self._resume.is_set():
                    if not self._step.wait(0.1):
                        continue
                    self._step.clear()  # paused, but one frame was asked for: read it
                frame = self.source.read()
                if frame is None:
                    break
                if self._on_frame is not None:
                    self._on_frame(frame)
                item = _QueuedFrame(frame_id, frame, CLOCK())
                frame_id += 1
                if not frames.put(item, stop):
                    break
                self.metrics.captured(frame.captured, frames.depth())
        except CamvizError as exc:
            if not stop.is_set():
                self._emit(EventKind.ERROR, format_error(exc), exc)
        except Exception as exc:
            if not stop.is_set():
                self._emit(EventKind.ERROR, f"capture thread failed: {format_error(exc)}", exc)
        finally:
            frames.put_end(stop)

    def _apply_pending(self, clf: Classifier, second: Classifier | None = None) -> Classifier:
        with self._lock:
            pending, self._pending_model = self._pending_model, None
            updates, self._pending_updates = self._pending_updates, {}
            own, self._pending_options = self._pending_options, False
            options = self.options
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
            clf.update(**updates)
            if second is not None:
                second.update(**updates)
        smoother = self._smoother
        if own and (smoother.factor, smoother.hysteresis) != (
            options.smoothing,
            options.hysteresis,
        ):
            self._smoother = ProbabilitySmoother(options.smoothing, options.hysteresis)
            self._second_smoother = ProbabilitySmoother(options.smoothing, options.hysteresis)
        return clf

    def keep_model_inputs(self, keep: bool = True) -> None:
        """Carry the tensor each frame fed the model on its :class:`FrameResult`
        (``model_input``, a copy taken on the inference thread) from the next frame on;
        off by default, since the copy costs a little every frame."""
        if keep:
            self._keep_inputs.set()
        else:
            self._keep_inputs.clear()

    def _model_loaded(self, clf: Classifier) -> None:
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
        second: Classifier | None = None
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
                return
            self._model_loaded(clf)
            while not stop.is_set():
                second = self._apply_second(second)
                clf = self._apply_pending(clf, second)
                item = self._queue.get(_POLL_S)
                if item is None:
                    continue
                if item is END:
                    ended = True
                    break
                assert isinstance(item, _QueuedFrame)
                self._process(clf, item)
                if second is not None:
                    self._process_second(second, item)
        except Exception as exc:
            self._emit(EventKind.ERROR, f"inference thread failed: {format_error(exc)}", exc)
            stop.set()
        finally:
            if clf is not None:
                clf.close()
            if second is not None:
                second.close()
            if self._results is not None:
                self._results.put(END)
            if ended and not stop.is_set():
                self._emit(EventKind.ENDED, f"{self.source.name}: end of stream")
            self._settle_source()
            self._emit(EventKind.STOPPED, "pipeline stopped")
            self._finished.set()

    def _settle_source(self) -> None:
        """The inference thread's end: close the source (or wait for stop() closing it) and
        let the capture thread finish, so no SOURCE_STATE comes after STOPPED."""
        with self._source_lock:
            try:
                self.source.close()
            except Exception as exc:
                self.errors.append(exc)
        capture = self._threads[0]
        if capture is not threading.current_thread() and self._capture_launched.wait(
            _CAPTURE_JOIN_S
        ):
            capture.join(_CAPTURE_JOIN_S)

    def _put_result(self, out: FrameResult) -> None:
        assert self._results is not None
        while not self._stop.is_set():
            try:
                self._results.put(out, timeout=_POLL_S)
                return
            except queue.Full:
                continue

    def _process(self, clf: Classifier, item: _QueuedFrame) -> None:
        dequeued = CLOCK()
        frame = item.frame
        kept = self._keep_inputs.is_set()
        clf.keep_input = kept
        try:
            result = clf.classify(frame.pixels, color=frame.color)
        except CamvizError as exc:
            self.metrics.failed()
            self._emit(EventKind.FRAME_FAILED, f"frame {item.frame_id}: {format_error(exc)}", exc)
            return
        fed = clf.last_input if kept else None
        result = _smoothed(clf, self._smoother, result)
        stamps = _stamps(item, dequeued, result)
        out = FrameResult(item.frame_id, frame, result, stamps, clf.info.name, fed)
        if self._on_result is not None:
            self._on_result(out)
        else:
            self._put_result(out)
        self.metrics.frame_done(stamps.stages_ms(), stamps.e2e_ms, stamps.inferred, CLOCK())

    def _process_second(self, clf: Classifier, item: _QueuedFrame) -> None:
        """The second model on the frame the first one just classified (same frame id)."""
        request = self._second
        assert request is not None
        dequeued = CLOCK()
        frame = item.frame
        try:
            result = clf.classify(frame.pixels, color=frame.color)
        except CamvizError as exc:
            self._emit_second(
                request, EventKind.FRAME_FAILED, f"frame {item.frame_id}: {format_error(exc)}", exc
            )
            return
        result = _smoothed(clf, self._second_smoother, result)
        stamps = _stamps(item, dequeued, result)
        try:
            request.on_result(FrameResult(item.frame_id, frame, result, stamps, clf.info.name))
        except Exception as exc:  # the consumer's bug: the first model runs on
            self.errors.append(exc)
