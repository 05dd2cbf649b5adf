"""The session's sources component: the current source, the fallback to the demo, where a
file source is and how to move in it.

:class:`Sources` is ``session.sources`` on :class:`~camviz.app.session.LiveSession`:

* the current source (:attr:`Sources.spec`, as given: "demo", a camera index, a
  path, a URL) and its ``started`` event (:class:`SourceStarted`);
* the fallback policy: when a source other than the demo fails before any frame
  was classified, the demo reel is played instead, once until a source is picked
  again (:meth:`Sources.rearm`); :meth:`Sources.take_fallback` decides;
* where a file source is (:class:`SourcePosition`: a slideshow's image number and
  file, a video's position and length) and navigation: :meth:`Sources.step`
  (previous/next image), :meth:`Sources.seek` (a point of the video),
  :meth:`Sources.skip` (images or :data:`SKIP_MS` steps). The source does them
  before its next frame (capture thread); while paused, the pipeline reads and
  classifies that one frame (:meth:`camviz.pipeline.Pipeline.step`) and stays paused.

The start plan (which source and model the first start uses) is a pure function,
:func:`camviz.app.startup.plan_start`; the session executes it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from camviz.app.events import Emitter
from camviz.defaults import DEMO
from camviz.pipeline import Pipeline
from camviz.sources import (
    DemoSource,
    ImageSource,
    Source,
    SourceState,
    VideoSource,
    make_source,
)

__all__ = ["SKIP_MS", "SourcePosition", "SourceStarted", "SourceStateChanged", "Sources"]

#: How far one press of the arrow keys moves in a video.
SKIP_MS = 5000.0


@dataclass(frozen=True, slots=True)
class SourceStarted:
    """A pipeline started on a source."""

    spec: str  # as given: "demo", a camera index, a path
    name: str  # the source's own name
    note: str  # which source, and why: "Source: demo (7 failed)"
    fallback_from: str | None = None  # the source that failed, when this is the fallback


@dataclass(frozen=True, slots=True)
class SourceStateChanged:
    """The running source's state changed (opening, running, reconnecting, ended, failed)."""

    spec: str | None  # the source, as given
    state: SourceState
    message: str  # the source's own words ("rtsp://cam: lost, reconnecting in 0.5 s")


@dataclass(frozen=True, slots=True)
class SourcePosition:
    """Where a file source is: ``kind`` "slideshow" (``number``/``total``, ``name``)
    or "video" (``position_ms``/``duration_ms``, ``name``)."""

    kind: str
    name: str
    number: int = 0
    total: int = 0
    position_ms: float = 0.0
    duration_ms: float = 0.0

    @property
    def fraction(self) -> float:
        """How far a video is, 0..1 (0 without a length)."""
        if self.duration_ms <= 0:
            return 0.0
        return min(1.0, max(0.0, self.position_ms / self.duration_ms))

    def text(self) -> str:
        if self.kind == "slideshow":
            return f"{self.name}  {self.number}/{self.total}"
        return f"{_clock(self.position_ms)} / {_clock(self.duration_ms)}"


def _clock(ms: float) -> str:
    seconds = max(0, int(ms // 1000))
    return f"{seconds // 60}:{seconds % 60:02d}"


def _is_video_file(source: object) -> bool:
    return isinstance(source, VideoSource) and not isinstance(source, DemoSource)


class Sources:
    """The current source, the demo fallback and file navigation (module doc)."""

    def __init__(self, pipeline: Callable[[], Pipeline | None], *, fallback_to_demo: bool) -> None:
        #: a failing source is replaced by the demo (a window); scripted runs say False
        self.fallback_to_demo = fallback_to_demo
        self.started: Emitter[SourceStarted] = Emitter("source")
        #: the running source's state (a lost stream says RECONNECTING, then RUNNING again)
        self.state_changed: Emitter[SourceStateChanged] = Emitter("source_state")
        self._state: SourceState | None = None
        self.pace = True  # files and the demo at their own rate (False: as fast as they decode)
        self._pipeline = pipeline
        self._lock = threading.Lock()
        self._spec: str | None = None
        self._fallback_done = False

    # ================================================================ the current source
    @property
    def spec(self) -> str | None:
        """The source last started, as given (None before one)."""
        with self._lock:
            return self._spec

    @property
    def source(self) -> Source | None:
        """The running source object (None when nothing runs)."""
        pipeline = self._pipeline()
        return pipeline.source if pipeline is not None else None

    def _show_paused(self) -> None:
        """Paused: classify the frame a move lands on, and stay paused."""
        pipeline = self._pipeline()
        if pipeline is not None and pipeline.paused:
            pipeline.step()

    def open(self, spec: str) -> Source:
        """A source for ``spec`` (CamvizError naming it if it cannot be made)."""
        # a window keeps retrying a lost camera or stream (no reconnect budget)
        return make_source(spec, pace=self.pace, loop=True, reconnect_timeout=None)

    def began(self, spec: str, name: str, note: str, fallback_from: str | None = None) -> None:
        """The session started a pipeline on ``spec``: remember it and say so."""
        with self._lock:
            self._spec = spec
            self._state = SourceState.OPENING
        self.started.emit(SourceStarted(spec, name, note, fallback_from))

    @property
    def state(self) -> SourceState | None:
        """The running source's last state (None before one starts)."""
        with self._lock:
            return self._state

    @property
    def reconnecting(self) -> bool:
        """A live source was lost and is being reopened: its last frame is not live."""
        return self.state is SourceState.RECONNECTING

    def note_state(self, state: SourceState, message: str) -> None:
        """The source said its state (the session relays its SOURCE_STATE events)."""
        with self._lock:
            changed, self._state = state is not self._state, state
            spec = self._spec
        if changed:
            self.state_changed.emit(SourceStateChanged(spec, state, message))

    # ================================================================ the fallback
    def rearm(self) -> None:
        """The user picked a source: a failure may fall back to the demo again."""
        with self._lock:
            self._fallback_done = False

    def take_fallback(self, *, got_results: bool) -> bool:
        """Whether a failure of the current source now falls back to the demo (marks it
        taken): only before any frame was classified, not for the demo, once."""
        with self._lock:
            fall_back = (
                self.fallback_to_demo
                and not got_results
                and self._spec != DEMO
                and not self._fallback_done
            )
            if fall_back:
                self._fallback_done = True
            return fall_back

    # ================================================================ position and navigation
    def position(self) -> SourcePosition | None:
        """Where the running file source is (None for cameras, streams, the demo)."""
        source = self.source
        if isinstance(source, ImageSource):
            where, file = source.position, source.current_file
            if where is None or len(source.files) < 2:
                return None
            name = file.name if file is not None else source.name
            return SourcePosition("slideshow", name, number=where[0], total=where[1])
        if isinstance(source, VideoSource) and _is_video_file(source):
            duration = source.duration_ms
            if duration is None:
                return None
            return SourcePosition(
                "video", source.name, position_ms=source.position_ms or 0.0, duration_ms=duration
            )
        return None

    def step(self, delta: int) -> bool:
        """The previous (-1) or next (+1) image of a slideshow (shown even while paused);
        False if none runs."""
        source = self.source
        if not isinstance(source, ImageSource):
            return False
        source.step(delta)
        self._show_paused()
        return True

    def seek(self, fraction: float) -> bool:
        """Go to ``fraction`` (0..1) of a video file (shown even while paused); False if
        none runs."""
        source = self.source
        if not isinstance(source, VideoSource) or not _is_video_file(source):
            return False
        source.seek(fraction)
        self._show_paused()
        return True

    def skip(self, delta: int) -> bool:
        """``delta`` images on in a slideshow, or ``delta`` x :data:`SKIP_MS` in a video.

        Presses in quick succession add up. False when the source is neither (a
        camera, a stream, the demo).
        """
        source = self.source
        if isinstance(source, ImageSource):
            return self.step(delta)
        if not isinstance(source, VideoSource) or not _is_video_file(source):
            return False
        source.seek_by(delta * SKIP_MS)
        self._show_paused()
        return True
