"""``LiveSession``: the live classifier without a window.

It owns the running :class:`~camviz.pipeline.Pipeline` (one at a time: start,
stop, switch source, switch model, change options), the source fallback policy,
the last result, snapshots, the CSV recording and teach mode
(:class:`~camviz.app.teaching.Teaching`), and announces every change on
:attr:`LiveSession.events` (:class:`SessionEvents`).

Threads: control methods (``start``, ``switch_model``, ``close``...) may be
called from any thread and are serialised by a lock. Pipeline callbacks arrive
on the pipeline's threads; they only update state under a short lock, write the
CSV row and emit, so ``events.result`` and ``events.pipeline`` fire on worker
threads. Events caused by a control call fire on the caller's thread.

Fallback: when a source other than the demo fails (an ``ERROR`` event) before
any frame was classified, the demo reel is played instead, once until a source
is picked again (``start(..., rearm_fallback=True)``). The restart runs on a
short-lived helper thread, since the failing pipeline's own thread cannot join
itself; :meth:`LiveSession.close` joins it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from camviz.app.events import Emitter, Notice
from camviz.app.frames import LatestFrame
from camviz.app.outputs import OutputsMixin
from camviz.app.recording import CsvRecorder
from camviz.app.snapshot import default_snapshot_dir
from camviz.app.startup import start_up
from camviz.app.teaching import Teaching
from camviz.app.viewing import ViewingMixin
from camviz.backends import Delegate
from camviz.classifier import ClassifierOptions, ModelInfo
from camviz.errors import CamvizError, ModelError, format_error
from camviz.live_options import LiveOptions, checked, reporting_names
from camviz.metrics import MetricsSnapshot
from camviz.pipeline import (
    Backpressure,
    EventKind,
    FrameResult,
    Pipeline,
    PipelineEvent,
    PipelineOptions,
)
from camviz.sources import CameraInfo, Source, make_source
from camviz.sources.demo import DEMO
from camviz.zoo import Zoo

__all__ = ["DEMO", "LiveOptions", "LiveSession", "Notice", "SessionEvents", "SourceStarted"]

STOP_TIMEOUT_S = 3.0


@dataclass(frozen=True, slots=True)
class SourceStarted:
    """A pipeline started on a source."""

    spec: str  # as given: "demo", a camera index, a path
    name: str  # the source's own name
    note: str  # which source, and why: "Source: demo (7 failed)"
    fallback_from: str | None = None  # the source that failed, when this is the fallback


class SessionEvents:
    """The events of a :class:`LiveSession` (see its module for the threads they fire on)."""

    def __init__(self) -> None:
        self.result: Emitter[FrameResult] = Emitter("result")
        self.pipeline: Emitter[PipelineEvent] = Emitter("pipeline")
        self.source: Emitter[SourceStarted] = Emitter("source")
        self.notice: Emitter[Notice] = Emitter("notice")
        self.recording: Emitter[Path | None] = Emitter("recording")  # the CSV, None: stopped
        self.snapshot: Emitter[tuple[Path, Path]] = Emitter("snapshot")  # png, json


class LiveSession(OutputsMixin, ViewingMixin):
    """The live classifier's state and policy; front ends bind to :attr:`events`."""

    def __init__(
        self,
        *,
        zoo: Zoo | None = None,
        options: LiveOptions | None = None,
        snapshot_dir: Path | None = None,
        fallback_to_demo: bool = True,
    ) -> None:
        self.events = SessionEvents()
        self.frames = LatestFrame()
        self.zoo = zoo
        self.options = options or LiveOptions()
        self.snapshot_dir = Path(snapshot_dir) if snapshot_dir else default_snapshot_dir()
        #: a failing source is replaced by the demo (a window); scripted runs say False
        self.fallback_to_demo = fallback_to_demo
        #: why the start-up source or model failed before any frame was classified
        self.startup_error: str | None = None
        self.teaching = Teaching(self.frames, self.switch_model)
        self.requested_model = ""  # the model asked for last (name or path)
        self.source_spec: str | None = None
        self.final_metrics: MetricsSnapshot | None = None  # set by close()
        self.write_errors: list[str] = []  # files that could not be saved, as told
        self.results_received = 0
        self._control = threading.RLock()  # serialises control calls
        self._lock = threading.Lock()  # guards what the callbacks touch
        self._pipeline: Pipeline | None = None
        self._generation = 0  # of the current pipeline; older callbacks are dropped
        self._model_info: ModelInfo | None = None
        self._last: FrameResult | None = None
        self._history: list[PipelineEvent] = []
        self._recorder: CsvRecorder | None = None
        self._got_results = False
        self._fallback_done = False
        self._fallback_model: str | None = None  # used once if the start-up model fails
        self._loaded = False  # a model loaded in the current pipeline
        self._threads_loaded = 0
        self._pace = True
        self._closed = threading.Event()
        self._helpers: list[threading.Thread] = []
        self._viewing_init()

    # ================================================================ state
    @property
    def pipeline(self) -> Pipeline | None:
        return self._pipeline

    @property
    def running(self) -> bool:
        pipeline = self._pipeline
        return pipeline is not None and pipeline.running

    @property
    def paused(self) -> bool:
        pipeline = self._pipeline
        return pipeline is not None and pipeline.paused

    @property
    def last_result(self) -> FrameResult | None:
        with self._lock:
            return self._last

    @property
    def model_info(self) -> ModelInfo | None:
        with self._lock:
            return self._model_info

    @property
    def model_name(self) -> str | None:
        """The model producing results (its zoo or file name)."""
        info = self.model_info
        return info.name if info is not None else None

    @property
    def pipeline_events(self) -> list[PipelineEvent]:
        """Every pipeline event so far (a copy)."""
        with self._lock:
            return list(self._history)

    @property
    def recorder(self) -> CsvRecorder | None:
        with self._lock:
            return self._recorder

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def metrics_snapshot(self) -> MetricsSnapshot | None:
        """The running pipeline's metrics now (None when nothing runs)."""
        pipeline = self._pipeline
        return pipeline.metrics.snapshot() if pipeline is not None else None

    def model_input(self) -> Any:
        """The exact tensor the running model sees for the last frame (None before one)."""
        pipeline, fr = self._pipeline, self.last_result
        if pipeline is None or fr is None:
            return None
        return pipeline.model_input(fr.frame.image)

    def classifier_options(self, model: str | None = None) -> ClassifierOptions:
        o = self.options
        model = model or self.requested_model or (self.zoo.default if self.zoo else "")
        return ClassifierOptions(
            model=model,
            fit=self.fit_for(model),
            threads=o.threads,
            top_k=o.top_k,
            score_threshold=o.score_threshold,
            min_confidence=o.min_confidence,
            delegate=Delegate.parse(o.delegate),
        )

    # ================================================================ control
    def start(
        self,
        source: str,
        model: str | None = None,
        *,
        pace: bool = True,
        rearm_fallback: bool = False,
        fallback_model: str | None = None,
    ) -> bool:
        """(Re)start on ``source`` ("demo", a camera index, a path); False (said) if it cannot.

        ``pace=False`` plays files and the demo as fast as they decode (soak tests).
        ``rearm_fallback``: the user picked this source, so a failure may fall back again.
        ``fallback_model``: if ``model`` does not load, run this one instead (said).
        """
        with self._control:
            if self._closed.is_set():
                return False
            if rearm_fallback:
                self._fallback_done = False
            self._pace = pace
            self._fallback_model = fallback_model if fallback_model != model else None
            return self._start(source, model)

    def start_up(
        self,
        source: str | None,
        model: str | None = None,
        *,
        remembered: str | None = None,
        cameras: list[CameraInfo] | None = None,
        pace: bool = True,
    ) -> bool:
        """The first start: ``source`` and ``model`` as given (the command line) always win;
        else the ``remembered`` model, the zoo default if it is gone or fails to load
        (:func:`camviz.app.startup.start_up`)."""
        return start_up(self, source, model, remembered=remembered, cameras=cameras, pace=pace)

    def start_default(
        self,
        cameras: list[CameraInfo],
        model: str | None = None,
        *,
        pace: bool = True,
        fallback_model: str | None = None,
    ) -> bool:
        """The first camera found, else the demo reel (and say that no camera was found)."""
        if cameras:
            return self.start(
                str(cameras[0].index), model, pace=pace, fallback_model=fallback_model
            )
        with self._control:
            if self._closed.is_set():
                return False
            self._pace = pace
            self._fallback_model = fallback_model if fallback_model != model else None
            return self._start(
                DEMO,
                model,
                note="Source: demo (no camera found)",
                notice=Notice("No camera found: showing the demo source", timeout_ms=15000),
            )

    def _start(
        self,
        spec: str,
        model: str | None,
        *,
        note: str | None = None,
        notice: Notice | None = None,
        fallback_from: str | None = None,
    ) -> bool:
        if model:
            self.requested_model = model
        try:
            src = make_source(spec, pace=self._pace, loop=True)
            options = PipelineOptions(
                classifier=self.classifier_options(),
                backpressure=Backpressure.LATEST,  # a viewer: always show the newest frame
                budget_ms=self.options.budget_ms,
                smoothing=self.options.smoothing,
            )
        except CamvizError as exc:
            self.startup_error = format_error(exc)
            self._notice(format_error(exc), title="Cannot open source")
            return False
        self._launch(src, spec, options, note or f"Source: {src.name}", fallback_from)
        self.events.notice.emit(notice or Notice(f"Source: {src.name}"))
        return True

    def _launch(
        self,
        src: Source,
        spec: str,
        options: PipelineOptions,
        note: str,
        fallback_from: str | None,
    ) -> None:
        self._stop_pipeline()
        self.frames.clear()
        with self._lock:
            self._generation += 1
            generation = self._generation
            self._got_results = False
            self._loaded = False
            self._last = None
        self._threads_loaded = options.classifier.threads
        self.source_spec = spec
        self.startup_error = None
        self.events.source.emit(SourceStarted(spec, src.name, note, fallback_from))
        pipeline = Pipeline(
            src,
            options,
            on_result=partial(self._on_result, generation),
            on_event=partial(self._on_event, generation),
            on_frame=lambda frame: self.frames.put(frame.image),
        )
        self._pipeline = pipeline
        pipeline.start()

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """Stop the pipeline (joins its threads within ``timeout``)."""
        with self._control:
            self._stop_pipeline(timeout)

    def _stop_pipeline(self, timeout: float = STOP_TIMEOUT_S) -> MetricsSnapshot | None:
        pipeline, self._pipeline = self._pipeline, None
        if pipeline is None:
            return None
        try:
            pipeline.stop(timeout)
        except CamvizError as exc:  # threads that would not stop: say so, carry on
            self._notice(format_error(exc))
        return pipeline.metrics.snapshot()

    def switch_model(self, model: str) -> None:
        """Load ``model`` (zoo name, .tflite or .head.npz path) live; the old one runs meanwhile."""
        with self._control:
            self.requested_model = model
            self._notice(f"Loading {Path(model).name}…")
            pipeline = self._pipeline
            if pipeline is not None:
                pipeline.switch_model(self.classifier_options(model))

    def set_paused(self, paused: bool) -> None:
        with self._control:
            pipeline = self._pipeline
            if pipeline is not None:
                if paused:
                    pipeline.pause()
                else:
                    pipeline.resume()

    def update(self, **changes: Any) -> bool:
        """Change :class:`LiveOptions` fields; reporting ones apply to the running pipeline.

        False (said on ``events.notice``) if the pipeline refused a value. A new
        thread count takes effect with :meth:`apply_threads` or the next model load.
        """
        with self._control:
            if isinstance(changes.get("delegate"), Delegate):
                changes["delegate"] = str(changes["delegate"])
            try:
                new = checked(self.options, **changes)
                if "delegate" in changes:
                    Delegate.parse(new.delegate)  # refused now, not at the next load
                reporting = {k: getattr(new, k) for k in changes if k in reporting_names()}
                pipeline = self._pipeline
                if pipeline is not None and reporting:
                    pipeline.update(**reporting)
            except CamvizError as exc:
                self._notice(format_error(exc))
                return False
            self.options = new
            return True

    def apply_threads(self) -> None:
        """Reload the model if the thread count differs from the one it was loaded with."""
        with self._control:
            threads = self.options.threads
            if threads == self._threads_loaded:
                return
            self._threads_loaded = threads
            model = self.requested_model or self.model_name
            if model:
                self.switch_model(model)

    # ================================================================ lifecycle
    def close(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """Stop the pipeline, the recording and teach mode; join every thread. Idempotent."""
        with self._control:
            if self._closed.is_set():
                return
            self._closed.set()
            try:
                metrics = self._stop_pipeline(timeout)
                if metrics is not None:
                    self.final_metrics = metrics
            finally:
                self.set_recording(None)
                self.teaching.shutdown()  # joins the teach worker, removes temporary heads
                self.requested_model = self.teaching.persistent_model(self.requested_model)
        for helper in self._helpers:
            helper.join(timeout)

    def __enter__(self) -> LiveSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ================================================================ callbacks
    def _notice(self, message: str, *, title: str | None = None) -> None:
        self.events.notice.emit(Notice(message, title=title))

    def _on_result(self, generation: int, fr: FrameResult) -> None:
        with self._lock:
            if generation != self._generation:
                return
            self._last = fr
            self._got_results = True
            self.results_received += 1
            recorder = self._recorder
        if recorder is not None and not recorder.write(fr):
            self._recording_failed(recorder)
        self.events.result.emit(fr)

    def _on_event(self, generation: int, ev: PipelineEvent) -> None:
        fall_back = False
        with self._lock:
            if generation != self._generation:
                return
            self._history.append(ev)
            running = self._model_info.name if self._model_info is not None else None
            info = ev.data.get("info")
            use_model: str | None = None
            if ev.kind is EventKind.MODEL_LOADED and isinstance(info, ModelInfo):
                self._model_info = info
                self._loaded = True
                self._fallback_model = None
            elif ev.kind is EventKind.ERROR:
                model_failed = isinstance(ev.error, ModelError) and not self._loaded
                if model_failed and self._fallback_model and not self._closed.is_set():
                    use_model, self._fallback_model = self._fallback_model, None
                fall_back = (
                    not model_failed  # the demo would not load that model either
                    and self.fallback_to_demo
                    and not self._got_results
                    and self.source_spec != DEMO
                    and not self._fallback_done
                    and not self._closed.is_set()
                )
                if fall_back:
                    self._fallback_done = True
                if not self._got_results and use_model is None and not fall_back:
                    self.startup_error = ev.message
        if ev.kind is EventKind.MODEL_LOADED and isinstance(info, ModelInfo):
            self.teaching.note_running(info.name if info.spec is not None else str(info.path))
        elif ev.kind is EventKind.MODEL_FAILED:
            self.requested_model = running or ""
        self.events.pipeline.emit(ev)
        if ev.kind is EventKind.MODEL_FAILED:
            still = running or "the previous model"
            self.events.notice.emit(
                Notice(
                    f"{ev.message} — still running {still}",
                    title="Model failed to load",
                    detail=f"{ev.message}\n\nStill running: {still}",
                )
            )
        elif ev.kind is not EventKind.STOPPED:
            self._notice(ev.message)
        if fall_back:
            self._helper(self._fall_back, generation, self.source_spec, ev.message)
        elif use_model is not None:
            self._helper(self._use_model, generation, self.requested_model, use_model, ev.message)

    def _helper(self, target: Any, *args: Any) -> None:
        """Restart from a short-lived thread (a pipeline thread cannot join itself)."""
        helper = threading.Thread(target=target, args=args, name="camviz-fallback", daemon=True)
        self._helpers = [h for h in self._helpers if h.is_alive()] + [helper]
        helper.start()

    def _use_model(self, generation: int, failed: str, model: str, why: str) -> None:
        with self._control:
            if self._closed.is_set() or generation != self._generation or not self.source_spec:
                return
            self._start(
                self.source_spec,
                model,
                notice=Notice(
                    f"{Path(failed).name or failed} does not load ({why}): "
                    f"using the default model {model}",
                    timeout_ms=15000,
                ),
            )

    def _fall_back(self, generation: int, failed: str | None, why: str) -> None:
        with self._control:
            if self._closed.is_set() or generation != self._generation:
                return  # closed, or another source was started meanwhile
            self._start(
                DEMO,
                None,
                note=f"Source: demo ({failed} failed)",
                notice=Notice(f"{failed} failed ({why}); showing the demo source instead"),
                fallback_from=failed,
            )
