"""``LiveSession``: the live classifier without a window, made of components.

It owns the running :class:`~camviz.pipeline.Pipeline` (one at a time: start,
stop, switch source, switch model), the last result and the model running, and
holds the components that own the rest, each with its state and its events:

* ``options``: :class:`~camviz.app.options_model.LiveOptionsModel`, the live options
  (validated against :mod:`camviz.live_options`, applied as each one needs);
* ``sources``: :class:`~camviz.app.sources.Sources`, the current source, the fallback
  to the demo, a file's position and navigation;
* ``outputs``: :class:`~camviz.app.outputs.Outputs`, snapshots and the CSV recording;
* ``viewing``: :class:`~camviz.app.viewing.Viewing`, what each model sees;
* ``meter``: :class:`~camviz.app.meter_window.Meter`, the meter's one time window;
* ``teaching``: :class:`~camviz.app.teaching.Teaching`, teach mode;
* ``comparing``: :class:`~camviz.app.comparing.Comparing`, A/B: a second model on the same frames.

Every event is on :attr:`LiveSession.events` (:class:`SessionEvents`; the components'
emitters are the same objects).

Threads: control methods (``start``, ``switch_model``, ``close``...) may be
called from any thread and are serialised by a lock. Pipeline callbacks arrive
on the pipeline's threads; they only update state under a short lock, write the
CSV row and emit, so ``events.result``, ``events.pipeline`` and ``events.model``
fire on worker threads. Events caused by a control call fire on the caller's thread.

Fallback: when a source other than the demo fails (an ``ERROR`` event) before
any frame was classified, the demo reel is played instead, once until a source
is picked again (``start(..., rearm_fallback=True)``). The restart runs on a
short-lived helper thread, since the failing pipeline's own thread cannot join
itself; :meth:`LiveSession.close` joins it. The first start follows a plan
computed by a pure function (:func:`camviz.app.startup.plan_start`).
"""

from __future__ import annotations

import dataclasses
import threading
from functools import partial
from pathlib import Path
from typing import Any

from camviz.app.comparing import Comparing
from camviz.app.events import Emitter, ModelLoaded, Notice
from camviz.app.frames import LatestFrame
from camviz.app.meter_window import Meter
from camviz.app.options_model import LiveOptionsModel, OptionsChanged
from camviz.app.outputs import Outputs
from camviz.app.snapshot import default_snapshot_dir
from camviz.app.sources import Sources, SourceStarted
from camviz.app.startup import StartPlan, plan_start
from camviz.app.teaching import Teaching
from camviz.app.viewing import Viewing
from camviz.backends import Accelerator, Delegate
from camviz.classifier import ClassifierOptions, ModelInfo
from camviz.defaults import DEMO
from camviz.errors import CamvizError, ModelError, format_error
from camviz.live_options import Apply, LiveOptions, needs, option_specs, spec_for
from camviz.metrics import MetricsSnapshot
from camviz.pipeline import (
    Backpressure,
    EventKind,
    FrameResult,
    Pipeline,
    PipelineEvent,
    PipelineOptions,
)
from camviz.sources import CameraInfo, Source
from camviz.zoo import Zoo

__all__ = [
    "DEMO",
    "LiveOptions",
    "LiveSession",
    "ModelLoaded",
    "Notice",
    "SessionEvents",
    "SourceStarted",
    "model_spec",
]

STOP_TIMEOUT_S = 3.0
_CLASSIFIER_FIELDS = frozenset(f.name for f in dataclasses.fields(ClassifierOptions))
_PIPELINE_FIELDS = frozenset(f.name for f in dataclasses.fields(PipelineOptions))


def _model_options(options: LiveOptions) -> tuple[object, ...]:
    """The values of the options a model is loaded with (Apply.MODEL)."""
    return tuple(getattr(options, s.name) for s in option_specs() if s.apply is Apply.MODEL)


def _passed(options: LiveOptions, fields: frozenset[str]) -> dict[str, Any]:
    """The live options that are among ``fields`` (a consumer's own), by name."""
    return {s.name: getattr(options, s.name) for s in option_specs() if s.name in fields}


def model_spec(info: ModelInfo) -> str:
    """What to ask for to get the model of ``info`` again: its zoo name, else its file's
    path (a user's file, even one holding a zoo model's bytes under another name)."""
    zoo_name = info.spec is not None and info.name == info.spec.name
    return str(info.name if zoo_name or info.path is None else info.path)


class SessionEvents:
    """The events of a :class:`LiveSession` (see its module for the threads they fire on)."""

    def __init__(
        self,
        *,
        source: Emitter[SourceStarted],
        recording: Emitter[Path | None],
        snapshot: Emitter[tuple[Path, Path]],
        options: Emitter[OptionsChanged],
        notice: Emitter[Notice],
    ) -> None:
        self.result: Emitter[FrameResult] = Emitter("result")
        self.pipeline: Emitter[PipelineEvent] = Emitter("pipeline")
        self.model: Emitter[ModelLoaded] = Emitter("model")
        self.notice = notice  # shared with the outputs component
        self.source = source  # the sources component's
        self.recording = recording  # the outputs component's: the CSV, None: stopped
        self.snapshot = snapshot  # the outputs component's: png, json
        self.options = options  # the options model's


class LiveSession:
    """The live classifier's state and policy; front ends bind to its components and
    :attr:`events`."""

    def __init__(
        self,
        *,
        zoo: Zoo | None = None,
        options: LiveOptions | None = None,
        snapshot_dir: Path | None = None,
        fallback_to_demo: bool = True,
    ) -> None:
        self.zoo = zoo
        self.frames = LatestFrame()
        self._control = threading.RLock()  # serialises control calls
        self._lock = threading.Lock()  # guards what the callbacks touch
        self._pipeline: Pipeline | None = None
        self._generation = 0  # of the current pipeline; older callbacks are dropped
        self._model_info: ModelInfo | None = None
        self._last: FrameResult | None = None
        self._history: list[PipelineEvent] = []
        self._got_results = False
        self._fallback_model: str | None = None  # used once if the start-up model fails
        self._loaded = False  # a model loaded in the current pipeline
        self._loaded_with: tuple[object, ...] | None = None  # the model options of the load
        self._defer_model = False  # update(): threads apply with apply_threads()
        self._pending_model: str | None = None  # asked for, neither loaded nor refused yet
        self._closed = threading.Event()
        self._helpers: list[threading.Thread] = []
        self.options = LiveOptionsModel(options, self._apply_options, lock=self._control)
        self.sources = Sources(lambda: self._pipeline, fallback_to_demo=fallback_to_demo)
        notice: Emitter[Notice] = Emitter("notice")
        self.comparing = Comparing(
            lambda: self._pipeline,
            lambda model: self.classifier_options(model),
            lambda: self.options.value.budget_ms,
        )
        self.outputs = Outputs(
            Path(snapshot_dir) if snapshot_dir else default_snapshot_dir(),
            notice=notice,
            last_result=lambda: self.last_result,
            source_spec=lambda: self.sources.spec,
            second_view=self.comparing.second_view,
        )
        self.viewing = Viewing(self._refit, self._asked_model)
        self.meter = Meter(self.metrics_snapshot)
        self.events = SessionEvents(
            source=self.sources.started,
            recording=self.outputs.recording,
            snapshot=self.outputs.snapshots,
            options=self.options.changed,
            notice=notice,
        )
        self.teaching = Teaching(self.frames, self.switch_model)
        self.requested_model = ""  # the model asked for last (name or path)
        #: why the start-up source or model failed before any frame was classified
        self.startup_error: str | None = None
        self.final_metrics: MetricsSnapshot | None = None  # set by close()
        self.results_received = 0

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
    def closed(self) -> bool:
        return self._closed.is_set()

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
    def running_model(self) -> str | None:
        """The spec of the model producing results (its zoo name, else its file's path):
        what to ask for to get it again. None before one loads."""
        info = self.model_info
        return model_spec(info) if info is not None else None

    @property
    def pending_model(self) -> str | None:
        """The model being switched to: asked for, neither loaded nor refused yet (every
        switch ends in a MODEL_LOADED or a MODEL_FAILED event; a file's test load is
        time-limited). None when no switch is under way."""
        with self._lock:
            return self._pending_model

    @property
    def pipeline_events(self) -> list[PipelineEvent]:
        """Every pipeline event so far (a copy)."""
        with self._lock:
            return list(self._history)

    def metrics_snapshot(self) -> MetricsSnapshot | None:
        """The running pipeline's metrics now (None when nothing runs)."""
        pipeline = self._pipeline
        return pipeline.metrics.snapshot() if pipeline is not None else None

    def model_input(self) -> Any:
        """The tensor the inference thread fed the model for the last result (None before
        one). The first call asks the pipeline to carry it from the next frame on."""
        pipeline = self._pipeline
        if pipeline is None:
            return None
        pipeline.keep_model_inputs()
        fr = self.last_result
        return fr.model_input if fr is not None else None

    def classifier_options(
        self, model: str | None = None, options: LiveOptions | None = None
    ) -> ClassifierOptions:
        """The classifier's options for ``model``: every live option that is a
        :class:`ClassifierOptions` field, by name."""
        values = _passed(options or self.options.value, _CLASSIFIER_FIELDS)
        values["delegate"] = Delegate.parse(values["delegate"])
        values["accelerator"] = Accelerator.parse(values["accelerator"])
        model = model or self.requested_model or (self.zoo.default if self.zoo else "")
        return ClassifierOptions(model=model, fit=self.viewing.fit_for(model), **values)

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
        return self.execute(StartPlan(source, model, fallback_model), pace, rearm_fallback)

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
        (the plan: :func:`camviz.app.startup.plan_start`)."""
        zoo = self.zoo
        plan = plan_start(
            source,
            model,
            remembered=remembered,
            cameras=cameras or [],
            zoo_names=tuple(zoo.names) if zoo is not None else (),
            zoo_default=zoo.default if zoo is not None else None,
        )
        return self.execute(plan, pace)

    def start_default(
        self,
        cameras: list[CameraInfo],
        model: str | None = None,
        *,
        pace: bool = True,
        fallback_model: str | None = None,
    ) -> bool:
        """The first camera found, else the demo reel (and say that no camera was found)."""
        plan = plan_start(None, model, cameras=cameras)
        return self.execute(
            StartPlan(plan.source, model, fallback_model, plan.note, plan.notice), pace
        )

    def execute(self, plan: StartPlan, pace: bool = True, rearm_fallback: bool = False) -> bool:
        """Carry out a start plan; False (said) if its source cannot be opened."""
        with self._control:
            if self._closed.is_set():
                return False
            for notice in plan.said:
                self.events.notice.emit(notice)
            if rearm_fallback:
                self.sources.rearm()
            self.sources.pace = pace
            fallback = plan.fallback_model
            self._fallback_model = fallback if fallback != plan.model else None
            return self._start(plan.source, plan.model, note=plan.note, notice=plan.notice)

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
            src = self.sources.open(spec)
            pipeline_options = PipelineOptions(  # and every live option it takes, by name
                classifier=self.classifier_options(),
                backpressure=Backpressure.LATEST,  # a viewer: always show the newest frame
                **_passed(self.options.value, _PIPELINE_FIELDS),
            )
        except CamvizError as exc:
            self.startup_error = format_error(exc)
            self._notice(format_error(exc), title="Cannot open source")
            return False
        self._launch(src, spec, pipeline_options, note or f"Source: {src.name}", fallback_from)
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
            self._pending_model = None
        self._loaded_with = _model_options(self.options.value)
        self.startup_error = None
        self.meter.reset()
        self.sources.began(spec, src.name, note, fallback_from)
        pipeline = Pipeline(
            src,
            options,
            on_result=partial(self._on_result, generation),
            on_event=partial(self._on_event, generation),
            on_frame=lambda frame: self.frames.put(frame.image),
        )
        self._pipeline = pipeline
        self.comparing.attach(pipeline)  # the second model, if any, from its first frame
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
            spec = self.sources.spec
            failed = self.startup_error is not None or (
                pipeline is not None and not pipeline.running
            )
            if pipeline is not None and failed and not self._loaded and spec:
                # the start-up model never loaded, so its pipeline stops (or has): start
                # again on the same source with this one
                self._start(spec, model)
            elif pipeline is not None:
                self._switch(pipeline, model, self.options.value)

    def _switch(self, pipeline: Pipeline, model: str, options: LiveOptions) -> None:
        self._loaded_with = _model_options(options)
        with self._lock:
            self._pending_model = model
        pipeline.switch_model(self.classifier_options(model, options))

    def set_paused(self, paused: bool) -> None:
        with self._control:
            pipeline = self._pipeline
            if pipeline is not None:
                if paused:
                    pipeline.pause()
                else:
                    pipeline.resume()

    # ================================================================ options
    def _apply_options(self, new: LiveOptions, names: frozenset[str]) -> None:
        """The options model's applier: what each change needs (OptionsError: refused)."""
        with self._control:
            needed = needs(names)
            if Apply.MODEL in needed:
                self.classifier_options(None, new)  # a bad delegate, runtime or device: refused now
            pipeline = self._pipeline
            if pipeline is None:
                return
            if Apply.REPORTING in needed:
                pipeline.update(
                    **{n: getattr(new, n) for n in names if spec_for(n).apply is Apply.REPORTING}
                )
            if Apply.RESTART in needed and self.sources.spec is not None:
                self._helper(self._restart, self._generation)
            elif Apply.MODEL in needed and not self._defer_model:
                model = self.requested_model or self.running_model
                if model:
                    self._switch(pipeline, model, new)

    def update(self, **changes: Any) -> bool:
        """Change live options (``options.set``); False (said on ``events.notice``) if a
        value is refused. A new thread count or delegate takes effect with
        :meth:`apply_threads` or the next model load (``options.set`` reloads at once)."""
        with self._control:
            if isinstance(changes.get("delegate"), Delegate):
                changes["delegate"] = str(changes["delegate"])
            self._defer_model = True
            try:
                self.options.set(**changes)  # validated there, applied by _apply_options
            except CamvizError as exc:
                self._notice(format_error(exc))
                return False
            finally:
                self._defer_model = False
            return True

    def apply_threads(self) -> None:
        """Reload the model if a model option (threads, delegate, runtime, device) differs
        from its load's."""
        with self._control:
            value = self.options.value
            if _model_options(value) == self._loaded_with:
                return
            model = self.requested_model or self.running_model
            if model:
                self.switch_model(model)
            else:
                self._loaded_with = _model_options(value)

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
                self.outputs.close()
                self.teaching.shutdown()  # joins the teach worker, removes temporary heads
                self.requested_model = self.teaching.persistent_model(self.requested_model)
        for helper in self._helpers:
            helper.join(timeout)

    def __enter__(self) -> LiveSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ================================================================ callbacks
    def _refit(self, model: str) -> None:
        """Reload ``model`` fed the new way (the viewing component's), if one runs."""
        with self._control:
            if self._pipeline is not None:
                self.switch_model(model)

    def _asked_model(self) -> str:
        """The model asked for last, else the one running ('' before one loads)."""
        return self.requested_model or self.running_model or ""

    def _notice(self, message: str, *, title: str | None = None) -> None:
        self.events.notice.emit(Notice(message, title=title))

    def _on_result(self, generation: int, fr: FrameResult) -> None:
        with self._lock:
            if generation != self._generation:
                return
            self._last = fr
            self._got_results = True
            self.results_received += 1
        self.comparing.note_first(fr)
        self.outputs.write(fr)
        self.events.result.emit(fr)

    def _on_event(self, generation: int, ev: PipelineEvent) -> None:
        fall_back = startup_failed = False
        with self._lock:
            if generation != self._generation:
                return
            self._history.append(ev)
            running = self._model_info
            info = ev.info if ev.kind is EventKind.MODEL_LOADED else None
            use_model: str | None = None
            if ev.kind in (EventKind.MODEL_LOADED, EventKind.MODEL_FAILED, EventKind.ERROR):
                self._pending_model = None
            if info is not None:
                self._model_info = info
                self._loaded = True
                self._fallback_model = None
            elif ev.kind is EventKind.ERROR:
                model_failed = isinstance(ev.error, ModelError) and not self._loaded
                if model_failed and self._fallback_model and not self._closed.is_set():
                    use_model, self._fallback_model = self._fallback_model, None
                fall_back = (
                    not model_failed  # the demo would not load that model either
                    and not self._closed.is_set()
                    and self.sources.take_fallback(got_results=self._got_results)
                )
                if not self._got_results and use_model is None and not fall_back:
                    self.startup_error = ev.message
                    startup_failed = model_failed
        if ev.kind is EventKind.SOURCE_STATE and ev.state is not None:
            self.sources.note_state(ev.state, ev.message)
        if info is not None:
            self.meter.reset()
            self.comparing.note_first_model(info)
            self.teaching.note_running(model_spec(info))
            self.events.model.emit(ModelLoaded(info, model_spec(info), ev.message))
        elif ev.kind is EventKind.MODEL_FAILED:
            # back to the spec of the model still running (a path for a user's file)
            self.requested_model = model_spec(running) if running is not None else ""
        self.events.pipeline.emit(ev)
        if ev.kind is EventKind.MODEL_FAILED:
            still = running.name if running is not None else "the previous model"
            self.events.notice.emit(
                Notice(
                    f"{ev.message} — still running {still}",
                    title="Model failed to load",
                    detail=f"{ev.message}\n\nStill running: {still}",
                )
            )
        elif startup_failed:  # no model runs: said as a failure (a dialog in the window)
            self.events.notice.emit(
                Notice(
                    f"{ev.message} — no model runs; choose another model",
                    title="Model failed to load",
                    detail=f"{ev.message}\n\nNo model runs: choose another in the Model list.",
                )
            )
        elif ev.kind is EventKind.SOURCE_STATE and self.startup_error and not self._loaded:
            pass  # "demo closed" after a start-up failure: the failure stays what is said
        elif ev.kind is not EventKind.STOPPED:
            self._notice(ev.message)
        if fall_back:
            self._helper(self._fall_back, generation, self.sources.spec, ev.message)
        elif use_model is not None:
            self._helper(self._use_model, generation, self.requested_model, use_model, ev.message)

    def _helper(self, target: Any, *args: Any) -> None:
        """Restart from a short-lived thread (a pipeline thread cannot join itself)."""
        helper = threading.Thread(target=target, args=args, name="camviz-fallback", daemon=True)
        self._helpers = [h for h in self._helpers if h.is_alive()] + [helper]
        helper.start()

    def _use_model(self, generation: int, failed: str, model: str, why: str) -> None:
        with self._control:
            spec = self.sources.spec
            if self._closed.is_set() or generation != self._generation or not spec:
                return
            self._start(
                spec,
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

    def _restart(self, generation: int) -> None:
        with self._control:
            spec = self.sources.spec
            if self._closed.is_set() or generation != self._generation or spec is None:
                return
            self._start(spec, None)
