"""Session events (worker threads) -> Qt signals (GUI thread).

:class:`~camviz.app.session.LiveSession` and :class:`~camviz.app.teaching.Teaching`
announce changes through :class:`~camviz.app.events.Emitter` callbacks, called
on whichever thread caused them. :class:`Relay` re-emits one emitter as a Qt
signal of a ``QObject`` living in the GUI thread, connected with
``Qt.AutoConnection``: an event raised on the GUI thread (a control call) is
delivered at once, one raised on a worker thread is queued to the GUI thread.
Slots may therefore always touch widgets.

:class:`SessionBridge` relays a session's events. Results are coalesced: if
the GUI has not yet taken the previous result when a new one arrives, the new
one replaces it and no second notification is queued. A slow GUI therefore
never builds a backlog and never slows inference down. Other events are never
coalesced.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, Qt, Signal, Slot

from camviz.app.events import Emitter
from camviz.app.session import LiveSession
from camviz.pipeline import FrameResult

__all__ = ["Relay", "SessionBridge"]

T = TypeVar("T")


class Relay(QObject, Generic[T]):
    """Calls ``slot(value)`` on the GUI thread for every ``emitter.emit(value)``."""

    _fired = Signal(object)

    def __init__(
        self, emitter: Emitter[T], slot: Callable[[T], object], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._emitter = emitter
        self._slot = slot
        self._fired.connect(self._deliver, Qt.ConnectionType.AutoConnection)
        emitter.connect(self._forward)

    def _forward(self, value: T) -> None:  # any thread
        with contextlib.suppress(RuntimeError):  # the QObject is gone (window closed)
            self._fired.emit(value)

    @Slot(object)
    def _deliver(self, value: Any) -> None:  # GUI thread
        self._slot(value)

    def detach(self) -> None:
        """Stop relaying (before the GUI side goes away)."""
        self._emitter.disconnect(self._forward)


class SessionBridge(QObject):
    """A :class:`LiveSession`'s events as GUI-thread signals (see the module docstring)."""

    result = Signal(object)  # FrameResult, latest only
    # named pipelineEvent, not event: QObject.event() is the Qt event handler
    pipelineEvent = Signal(object)  # PipelineEvent, every one
    sourceStarted = Signal(object)  # SourceStarted
    notice = Signal(object)  # Notice
    recordingChanged = Signal(object)  # Path | None
    snapshotSaved = Signal(object)  # (png, json) paths
    _result_ready = Signal()

    def __init__(self, session: LiveSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._lock = threading.Lock()
        self._latest: FrameResult | None = None
        self._pending = False
        self.results_received = 0  # callbacks (worker side)
        self.results_delivered = 0  # signals emitted (GUI side)
        self._result_ready.connect(self._deliver_result, Qt.ConnectionType.QueuedConnection)
        session.events.result.connect(self._on_result)
        ev = session.events
        self._relays: list[Relay[Any]] = [
            Relay(ev.pipeline, self.pipelineEvent.emit, self),
            Relay(ev.source, self.sourceStarted.emit, self),
            Relay(ev.notice, self.notice.emit, self),
            Relay(ev.recording, self.recordingChanged.emit, self),
            Relay(ev.snapshot, self.snapshotSaved.emit, self),
        ]

    def _on_result(self, fr: FrameResult) -> None:  # worker thread
        with self._lock:
            self._latest = fr
            self.results_received += 1
            notify = not self._pending
            self._pending = True
        if notify:
            with contextlib.suppress(RuntimeError):
                self._result_ready.emit()

    @Slot()
    def _deliver_result(self) -> None:
        with self._lock:
            fr, self._latest = self._latest, None
            self._pending = False
        if fr is not None:
            self.results_delivered += 1
            self.result.emit(fr)

    def detach(self) -> None:
        """Stop relaying the session's events."""
        self.session.events.result.disconnect(self._on_result)
        for relay in self._relays:
            relay.detach()
