"""Running modes for the Python API, as MediaPipe's ImageClassifier has them, and ordered delivery.

:class:`RunningClassifier` is made from :class:`RunningOptions`; its
:class:`RunningMode` decides which call it takes:

* ``IMAGE``: :meth:`~RunningClassifier.classify` ``(image)``, one independent image at a
  time, on the caller's thread (the classifier of :func:`camviz.loading.open_classifier`).
* ``VIDEO``: :meth:`~RunningClassifier.classify_for_video` ``(image, timestamp_ms)``, the
  frames of one video in order; it returns that frame's result. Each timestamp must be
  larger than the one before (:class:`~camviz.errors.OptionsError` otherwise, and the frame
  is not classified). The frames go through a :class:`~camviz.pipeline.Pipeline` with the
  ``LOSSLESS`` queue: the pipeline's inference thread owns the model.
* ``LIVE_STREAM``: :meth:`~RunningClassifier.classify_async` ``(image, timestamp_ms)``
  returns at once; ``result_callback(result, image, timestamp_ms)`` is called later with the
  frame's result. The frames go through a pipeline with the ``LATEST`` queue: a frame given
  while another is being classified replaces the one waiting, and the replaced frame is
  counted as dropped (:attr:`RunningClassifier.dropped`); it never gets a callback.
  Timestamps must increase here too.

``result_callback`` is required in ``LIVE_STREAM`` mode and refused in the other two, as
MediaPipe checks. Each call refuses a mode it does not belong to, naming the right one.
:meth:`RunningClassifier.close` (or leaving its ``with`` block) lets the frames given so far
finish, delivers their results and joins every thread within its timeout.

**Events in order, from one thread.** A pipeline's callbacks come from several threads:
results and model events from its inference thread, source states from the capture thread,
STARTED and the source's last state from whoever calls ``start()``/``stop()``. A
:class:`Delivery` puts each one in one FIFO the moment it happens and hands them to the
consumer's callbacks from its own single thread (``camviz-delivery``), in that order::

    with Delivery(on_result=show, on_event=log) as delivery:
        with Pipeline(source, on_result=delivery.result, on_event=delivery.event):
            ...

The pipeline emits STOPPED after its source's last SOURCE_STATE and after its threads'
last event, so through a :class:`Delivery` STOPPED is the last event a consumer sees.
``LIVE_STREAM`` mode delivers its results and (with ``event_callback``) the pipeline's
events through one :class:`Delivery`: the callbacks always run on that one thread, STOPPED
last (``VIDEO`` mode too delivers ``event_callback``'s events that way). A frame that
fails is a FRAME_FAILED event (logged as a warning when no ``event_callback`` hears it);
in ``VIDEO`` mode its call raises the error instead.
A callback that raises is logged and counted in :attr:`Delivery.errors`; delivery goes on.
The FIFO is not bounded: a consumer slower than the frames lets them queue up, so keep the
callbacks short (a GUI hands them to its own thread).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from types import TracebackType
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from camviz.classifier import Classifier, ClassifierOptions
from camviz.errors import CamvizError, OptionsError, PipelineError
from camviz.imageio import as_rgb8
from camviz.loading import open_classifier
from camviz.pipeline import (
    CLOCK,
    Backpressure,
    EventKind,
    FrameResult,
    Pipeline,
    PipelineEvent,
    PipelineOptions,
)
from camviz.results import ClassificationResult
from camviz.sources import Frame, Source, SourceState

__all__ = [
    "Delivery",
    "LiveResultCallback",
    "RunningClassifier",
    "RunningMode",
    "RunningOptions",
]

_log = logging.getLogger(__name__)

#: ``result_callback(result, image, timestamp_ms)`` of ``LIVE_STREAM`` mode
LiveResultCallback = Callable[[ClassificationResult, npt.NDArray[np.uint8], int], None]
_DONE = object()  # the delivery FIFO's end
_WAIT_S = 0.05


class RunningMode(Enum):
    """Which call a :class:`RunningClassifier` takes (MediaPipe's ``RunningMode``)."""

    IMAGE = "image"
    VIDEO = "video"
    LIVE_STREAM = "live_stream"


@dataclass(frozen=True, slots=True)
class RunningOptions:
    """How a :class:`RunningClassifier` runs.

    ``result_callback`` is required exactly in ``LIVE_STREAM`` mode; ``event_callback``
    (``VIDEO`` and ``LIVE_STREAM``) sees the pipeline's events, on the delivery thread in
    live mode. ``timeout_s`` bounds the model's load and a ``VIDEO`` frame's wait.
    """

    classifier: ClassifierOptions = field(default_factory=ClassifierOptions)
    running_mode: RunningMode = RunningMode.IMAGE
    result_callback: LiveResultCallback | None = None
    event_callback: Callable[[PipelineEvent], None] | None = None
    timeout_s: float = 60.0

    def __post_init__(self) -> None:
        if not isinstance(self.running_mode, RunningMode):
            raise OptionsError(
                f"running_mode must be a RunningMode ({', '.join(m.name for m in RunningMode)}), "
                f"not {self.running_mode!r}"
            )
        live = self.running_mode is RunningMode.LIVE_STREAM
        if live and self.result_callback is None:
            raise OptionsError(
                "LIVE_STREAM mode needs a result_callback(result, image, timestamp_ms): "
                "give one in RunningOptions"
            )
        if not live and self.result_callback is not None:
            raise OptionsError(
                f"{self.running_mode.name} mode returns its results: a result_callback is only "
                "for LIVE_STREAM mode; leave it out or use RunningMode.LIVE_STREAM"
            )
        if self.running_mode is RunningMode.IMAGE and self.event_callback is not None:
            raise OptionsError("IMAGE mode has no pipeline events: leave event_callback out")
        if not self.timeout_s > 0:
            raise OptionsError(f"timeout_s must be positive, got {self.timeout_s}")


class Delivery:
    """One thread that calls a consumer's callbacks, in the order the items came.

    :meth:`result` and :meth:`event` are the callbacks to give a :class:`Pipeline`: they
    only queue the item (from whichever thread calls them) and return. See the module
    docstring. A context manager; :meth:`close` delivers what is queued, then joins.
    """

    def __init__(
        self,
        on_result: Callable[[FrameResult], None] | None = None,
        on_event: Callable[[PipelineEvent], None] | None = None,
    ) -> None:
        self._on_result = on_result
        self._on_event = on_event
        self._items: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._closed = False
        self._lock = threading.Lock()
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, name="camviz-delivery", daemon=True)
        self.thread.start()

    def result(self, item: FrameResult) -> None:
        """Queue a result for ``on_result``."""
        self._items.put(item)

    def event(self, event: PipelineEvent) -> None:
        """Queue an event for ``on_event``."""
        self._items.put(event)

    def close(self, timeout: float = 5.0) -> None:
        """Deliver everything queued so far, then end the thread (within ``timeout`` s).

        Called from a callback (the delivery thread itself) it only asks the thread to end.
        """
        with self._lock:
            if not self._closed:
                self._closed = True
                self._items.put(_DONE)
        if threading.current_thread() is self.thread:
            return
        self.thread.join(timeout)
        if self.thread.is_alive():
            raise PipelineError(
                f"the delivery thread did not finish within {timeout:.1f} s: a callback is "
                "still running (keep callbacks short)"
            )

    def __enter__(self) -> Delivery:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self) -> None:
        while True:
            item = self._items.get()
            if item is _DONE:
                return
            try:
                if isinstance(item, FrameResult):
                    if self._on_result is not None:
                        self._on_result(item)
                elif isinstance(item, PipelineEvent) and self._on_event is not None:
                    self._on_event(item)
            except Exception as exc:  # a broken callback must not end the delivery
                self.errors.append(exc)
                _log.exception("a delivery callback raised")


class _PushSource(Source):
    """Frames the caller hands in (``push``), read by the pipeline's capture thread.

    Not bounded and never dropping itself: the capture thread moves each frame on at once,
    and the pipeline's queue applies the policy (LATEST drops, counted; LOSSLESS waits).
    """

    def __init__(self, name: str, *, live: bool) -> None:
        super().__init__(name)
        self.is_live = live
        self._cond = threading.Condition()
        self._frames: deque[Frame] = deque()
        self._finished = False
        self._count = 0

    def push(self, image: npt.NDArray[np.uint8], timestamp_ms: int) -> None:
        with self._cond:
            self._frames.append(Frame(image, self._count, CLOCK(), float(timestamp_ms)))
            self._count += 1
            self._cond.notify()

    def finish(self) -> None:
        """No more frames: ``read`` hands out the ones waiting, then None."""
        with self._cond:
            self._finished = True
            self._cond.notify_all()

    def read(self) -> Frame | None:
        with self._cond:
            while not self._frames and not self._finished and not self.closed:
                self._cond.wait(_WAIT_S)
            if self._frames and not self.closed:
                return self._frames.popleft()
        if self.state is SourceState.RUNNING:
            self._set_state(SourceState.ENDED, f"{self.name}: no more frames")
        return None

    def _open(self) -> None:
        return

    def _release(self) -> None:
        with self._cond:
            self._cond.notify_all()


def _timestamp(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise OptionsError(
            f"timestamp_ms must be a whole number of milliseconds, not {value!r} "
            f"({type(value).__name__})"
        )
    return int(value)


def _own_rgb(image: Any, color: Literal["rgb", "bgr"]) -> npt.NDArray[np.uint8]:
    """The caller's image as HxWx3 RGB uint8 that no one else writes to (a copy)."""
    rgb = as_rgb8(image, color)
    return np.array(rgb, copy=True) if rgb is image else rgb


class RunningClassifier:
    """A classifier in one :class:`RunningMode`; see the module docstring.

    Opening loads the model and raises as :func:`camviz.loading.open_classifier` does (in
    ``VIDEO`` and ``LIVE_STREAM`` mode the pipeline's inference thread loads it; this waits
    for it, up to ``options.timeout_s``). A context manager.
    """

    def __init__(self, options: RunningOptions) -> None:
        self.options = options
        self.mode = options.running_mode
        self._lock = threading.Lock()  # timestamps, closing
        self._call = threading.Lock()  # VIDEO: one frame at a time
        self._last_ms: int | None = None
        self._closed = False
        self.submitted = 0
        self._classifier: Classifier | None = None
        self._pipeline: Pipeline | None = None
        self._source: _PushSource | None = None
        self._delivery: Delivery | None = None
        self._answers: queue.SimpleQueue[FrameResult | PipelineEvent] = queue.SimpleQueue()
        self._loaded = threading.Event()
        self._failure: PipelineEvent | None = None
        if self.mode is RunningMode.IMAGE:
            self._classifier = open_classifier(options.classifier)
            return
        self._start_pipeline()

    @classmethod
    def create_from_options(cls, options: RunningOptions) -> RunningClassifier:
        """MediaPipe's spelling of ``RunningClassifier(options)``."""
        return cls(options)

    # ------------------------------------------------------------------ the three calls
    def classify(
        self, image: npt.NDArray[Any], *, color: Literal["rgb", "bgr"] = "rgb"
    ) -> ClassificationResult:
        """IMAGE mode: classify one image (:meth:`camviz.classifier.Classifier.classify`)."""
        self._require(RunningMode.IMAGE, "classify")
        assert self._classifier is not None
        return self._classifier.classify(image, color=color)

    def classify_for_video(
        self,
        image: npt.NDArray[Any],
        timestamp_ms: int,
        *,
        color: Literal["rgb", "bgr"] = "rgb",
    ) -> ClassificationResult:
        """VIDEO mode: this frame's result; ``timestamp_ms`` larger than the last one."""
        self._require(RunningMode.VIDEO, "classify_for_video")
        if self._failure is not None:
            raise self._error_of(self._failure)
        with self._call:
            self._submit(image, timestamp_ms, color)
            try:
                answer = self._answers.get(timeout=self.options.timeout_s)
            except queue.Empty:
                error = PipelineError(
                    f"no result for the frame at {timestamp_ms} ms within "
                    f"{self.options.timeout_s:.0f} s; close this classifier and make a new one"
                )
                # a late answer would be taken for the next frame's: no further calls
                self._failure = PipelineEvent(EventKind.ERROR, str(error), error)
                raise error from None
        if isinstance(answer, FrameResult):
            return answer.result
        raise self._error_of(answer)

    def classify_async(
        self,
        image: npt.NDArray[Any],
        timestamp_ms: int,
        *,
        color: Literal["rgb", "bgr"] = "rgb",
    ) -> None:
        """LIVE_STREAM mode: hand a frame in and return; its result comes to the callback."""
        self._require(RunningMode.LIVE_STREAM, "classify_async")
        if self._failure is not None:
            raise self._error_of(self._failure)
        self._submit(image, timestamp_ms, color)

    # ------------------------------------------------------------------ state
    @property
    def dropped(self) -> int:
        """Frames replaced before they were classified (LIVE_STREAM; 0 in the other modes)."""
        return 0 if self._pipeline is None else self._pipeline.metrics.snapshot().dropped

    @property
    def pipeline(self) -> Pipeline | None:
        """The pipeline under VIDEO and LIVE_STREAM mode (its metrics, ``update``...)."""
        return self._pipeline

    def close(self, timeout: float = 5.0) -> None:
        """Finish the frames given so far, deliver their results, join every thread.

        Returns within about ``timeout`` seconds, or raises :class:`PipelineError` naming
        what did not stop. Idempotent.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if self._classifier is not None:
            self._classifier.close()
            return
        deadline = CLOCK() + timeout
        assert self._pipeline is not None and self._source is not None
        self._source.finish()
        self._pipeline.wait(timeout)
        try:
            self._pipeline.stop(max(0.1, deadline - CLOCK()))
        finally:
            if self._delivery is not None:
                self._delivery.close(max(0.1, deadline - CLOCK()))

    def __enter__(self) -> RunningClassifier:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------------ internals
    def _start_pipeline(self) -> None:
        live = self.mode is RunningMode.LIVE_STREAM
        name = "live frames" if live else "video frames"
        self._source = _PushSource(name, live=live)
        options = PipelineOptions(
            classifier=self.options.classifier,
            backpressure=Backpressure.LATEST if live else Backpressure.LOSSLESS,
        )
        if live or self.options.event_callback is not None:
            deliver = self._deliver_live if live else None
            self._delivery = Delivery(deliver, self.options.event_callback)
        on_result: Callable[[FrameResult], None] = self._answers.put
        if live:
            assert self._delivery is not None
            on_result = self._delivery.result
        self._pipeline = Pipeline(self._source, options, on_result=on_result, on_event=self._event)
        self._pipeline.start()
        loaded = self._loaded.wait(self.options.timeout_s)
        if self._failure is not None or not loaded:
            failure = self._failure
            with self._lock:
                self._closed = True
            try:
                self._pipeline.stop()
            finally:
                if self._delivery is not None:
                    self._delivery.close()
            if failure is None:
                raise PipelineError(
                    f"{self.options.classifier.model} did not load within "
                    f"{self.options.timeout_s:.0f} s"
                )
            raise self._error_of(failure)

    def _event(self, event: PipelineEvent) -> None:
        """The pipeline's events (from its threads): note load and failure, pass them on."""
        if event.kind is EventKind.MODEL_LOADED:
            self._loaded.set()
        elif event.kind is EventKind.ERROR or (
            event.kind is EventKind.STOPPED and not self._loaded.is_set()
        ):
            self._failure = self._failure or event
            self._loaded.set()
            if self.mode is RunningMode.VIDEO:
                self._answers.put(event)  # a call waiting for its frame learns why
        elif event.kind is EventKind.FRAME_FAILED:
            if self.mode is RunningMode.VIDEO:
                self._answers.put(event)  # the waiting call raises it
            elif self.options.event_callback is None:
                _log.warning("%s", event.message)  # no one else would hear of it
        if self._delivery is not None:
            self._delivery.event(event)

    def _deliver_live(self, item: FrameResult) -> None:
        callback = self.options.result_callback
        assert callback is not None and item.frame.position_ms is not None
        callback(item.result, item.frame.image, int(item.frame.position_ms))

    def _require(self, mode: RunningMode, call: str) -> None:
        if self.mode is not mode:
            calls = {
                RunningMode.IMAGE: "classify(image)",
                RunningMode.VIDEO: "classify_for_video(image, timestamp_ms)",
                RunningMode.LIVE_STREAM: "classify_async(image, timestamp_ms)",
            }
            raise OptionsError(
                f"{call}() is for {mode.name} mode; this classifier runs in "
                f"{self.mode.name} mode: call {calls[self.mode]}"
            )
        if self._closed:
            raise PipelineError(f"{call}(): this classifier was closed; make a new one")

    def _submit(self, image: Any, timestamp_ms: object, color: Literal["rgb", "bgr"]) -> None:
        stamp = _timestamp(timestamp_ms)
        rgb = _own_rgb(image, color)
        assert self._source is not None
        with self._lock:
            if self._closed:
                raise PipelineError("this classifier was closed; make a new one")
            if self._last_ms is not None and stamp <= self._last_ms:
                raise OptionsError(
                    f"timestamp_ms must increase from frame to frame: got {stamp} after "
                    f"{self._last_ms}; give each frame a later time than the one before"
                )
            self._last_ms = stamp
            self.submitted += 1
            self._source.push(rgb, stamp)

    @staticmethod
    def _error_of(event: PipelineEvent) -> CamvizError:
        if isinstance(event.error, CamvizError):
            return event.error
        return PipelineError(event.message)
