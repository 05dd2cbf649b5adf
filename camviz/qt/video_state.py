"""What the video says about the session's state, so that no state leaves a user stuck.

:class:`VideoState` listens to the session's events (through the window's
:class:`~camviz.qt.bridge.SessionBridge` slots) and puts on the video, the
results panel and the meter what is going on:

* a source or model switch is *pending* until its first result (a source) or its
  load or refusal (a model); if it fails the reason goes on the video in place
  of "Opening…", and if nothing happens within ``switch_timeout_s`` the window
  says so and stops waiting (a model: the one running stays, said);
* an outage (the source RECONNECTING): a badge on the video, the last labels
  greyed, the meter saying that the source stopped; lifted by the next frame;
* a fallback to the demo reel: said in a banner on the video, not only in the
  status bar;
* paused, the meter says so (a move while paused is shown by the session itself:
  it classifies the one frame the move lands on and stays paused).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from camviz.app.session import LiveSession, SourceStarted
from camviz.classifier import ModelInfo
from camviz.pipeline import EventKind, FrameResult, PipelineEvent
from camviz.qt.frame_view import FrameView
from camviz.qt.meter import PerformanceMeter
from camviz.qt.pickers import running_spec, same_model
from camviz.qt.results_panel import ResultsPanel
from camviz.sources import SourceState
from camviz.sources.stream import redact

__all__ = ["SWITCH_TIMEOUT_S", "Pending", "VideoState"]

SWITCH_TIMEOUT_S = 20.0  # a source's first result or a model's load, at most
RECONNECTING = "RECONNECTING"


@dataclass(frozen=True, slots=True)
class Pending:
    """A switch the window waits for: ``what`` is "source" or "model"."""

    what: str
    name: str
    since: float
    spec: str = ""  # a model: as asked for


class VideoState(QObject):
    """See the module docstring. ``said(message, timeout_ms)`` goes to the status bar."""

    said = Signal(str, int)

    def __init__(
        self,
        session: LiveSession,
        view: FrameView,
        results: ResultsPanel,
        meter: PerformanceMeter,
        parent: QObject | None = None,
        *,
        switch_timeout_s: float = SWITCH_TIMEOUT_S,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.view = view
        self.results = results
        self.meter = meter
        self.switch_timeout_s = switch_timeout_s
        self.pending: dict[str, Pending] = {}
        self.outage = False
        self.paused = False
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.tick)
        self._timer.start(250)

    def stop(self) -> None:
        self._timer.stop()

    # ------------------------------------------------------------------ inputs
    def source_started(self, started: SourceStarted) -> None:
        self.pending.pop("source", None)
        self.pending["source"] = Pending("source", started.name, time.monotonic())
        self._set_outage(False)
        if started.fallback_from is not None:
            self.view.set_banner(
                f"{_short(started.fallback_from)} could not be opened: showing the demo reel"
            )
        else:
            self.view.set_banner(None)

    def model_requested(self, model: str) -> None:
        self.pending["model"] = Pending(
            "model", Path(model).name or model, time.monotonic(), spec=model
        )

    def result(self, fr: FrameResult) -> None:
        self.pending.pop("source", None)
        if self.outage:
            self._set_outage(False)

    def pipeline_event(self, ev: PipelineEvent) -> None:
        kind = ev.kind
        if kind is EventKind.SOURCE_STATE:
            state = ev.state
            if state is SourceState.RECONNECTING:
                self._set_outage(True)
            elif state is SourceState.RUNNING:
                self._set_outage(False)
        elif kind is EventKind.MODEL_LOADED:
            info, pending = ev.info, self.pending.get("model")
            if pending is not None and isinstance(info, ModelInfo) and _answers(info, pending):
                del self.pending["model"]
        elif kind is EventKind.MODEL_FAILED:  # the refusal of the latest model asked for
            self.pending.pop("model", None)
        elif kind is EventKind.ERROR:
            source = self.pending.pop("source", None)
            if source is not None and self.session.last_result is None:
                self.view.clear(f"Cannot play {source.name}: {ev.message}")
                self.results.clear("No results: the source or its model failed")
            self.pending.pop("model", None)

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        self.meter.set_condition("paused: the frame on screen stays" if paused else None)

    # ------------------------------------------------------------------ timers
    def tick(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        for key, pending in list(self.pending.items()):
            if now - pending.since < self.switch_timeout_s:
                continue
            del self.pending[key]
            waited = f"{self.switch_timeout_s:.0f} s"
            if pending.what == "source":
                self.view.clear(f"Nothing from {pending.name} after {waited}: pick another source")
                self.said.emit(f"{pending.name} sent no frame within {waited}", 30000)
            else:
                still = self.session.model_name or "the previous model"
                self.said.emit(
                    f"{pending.name} did not load within {waited}: still running {still}", 30000
                )

    # ------------------------------------------------------------------ outage
    def _set_outage(self, outage: bool) -> None:
        if outage == self.outage:
            return
        self.outage = outage
        self.view.set_badge(RECONNECTING, outage)
        self.view.set_stale(outage)
        self.results.set_stale(outage)
        self.meter.set_outage(
            "source lost: reconnecting; the labels are the last frame's" if outage else None
        )
        if outage:
            self.said.emit("The source stopped sending frames: reconnecting…", 0)
        else:
            self.said.emit("The source is back", 5000)


def _answers(info: ModelInfo, pending: Pending) -> bool:
    """Whether the model loaded is the one waited for."""
    spec = pending.spec
    return same_model(running_spec(info), spec) or info.name in (
        spec,
        Path(spec).stem.removesuffix(".head"),
    )


def _short(spec: str) -> str:
    """A source as a user names it (a URL without its password)."""
    text = redact(spec)
    return text if "://" in text else (Path(text).name or text)
