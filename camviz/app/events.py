"""A small evented-model mechanism: typed, thread-safe callbacks.

An :class:`Emitter` is one kind of event with a payload type; an object
announces its state changes through a group of them (``session.events.result``,
``session.events.notice``, ...). ``connect(fn)`` adds a callback, ``emit(value)``
calls every callback *on the emitting thread*, in the order they connected.

Thread safety: connecting, disconnecting and emitting may happen on any thread
at once (the callback list is copied under a lock, callbacks run outside it).
A callback that raises is logged and the others still run: an observer's bug
never kills the worker thread that emits. Front ends that need another thread
(Qt's GUI thread) re-post from their callback; see ``camviz.qt.bridge``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from camviz.classifier import ModelInfo

__all__ = ["Emitter", "ModelLoaded", "Notice"]

T = TypeVar("T")
log = logging.getLogger(__name__)


class Emitter(Generic[T]):
    """One typed event: ``connect(callback)``, ``disconnect(callback)``, ``emit(value)``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._callbacks: tuple[Callable[[T], object], ...] = ()

    def connect(self, callback: Callable[[T], object]) -> Callable[[T], object]:
        """Call ``callback(value)`` on every emit (returns it, for use as a decorator)."""
        with self._lock:
            self._callbacks = (*self._callbacks, callback)
        return callback

    def disconnect(self, callback: Callable[[T], object]) -> None:
        """Remove ``callback`` (its last connection); unknown callbacks are ignored."""
        with self._lock:
            callbacks = list(self._callbacks)
            for i in range(len(callbacks) - 1, -1, -1):
                if callbacks[i] == callback:
                    del callbacks[i]
                    break
            self._callbacks = tuple(callbacks)

    def disconnect_all(self) -> None:
        with self._lock:
            self._callbacks = ()

    @property
    def callbacks(self) -> int:
        return len(self._callbacks)

    def emit(self, value: T) -> None:
        """Call every callback with ``value`` on this thread; a failing callback is logged."""
        with self._lock:
            callbacks = self._callbacks
        for callback in callbacks:
            try:
                callback(value)
            except Exception:
                log.exception("camviz: a callback of the %r event failed", self.name)

    def __repr__(self) -> str:
        return f"Emitter({self.name!r}, {self.callbacks} callbacks)"


@dataclass(frozen=True, slots=True)
class Notice:
    """A message for the user: a status line, and a warning (dialog) when ``title`` is set."""

    message: str
    title: str | None = None
    detail: str | None = None  # the warning's text, when not ``message``
    timeout_ms: int = 0  # how long the status line shows it (0: until replaced)


@dataclass(frozen=True, slots=True)
class ModelLoaded:
    """A model loaded and classifies from the next frame on.

    ``spec`` is what to ask for to get it again: its zoo name, else its file's path.
    """

    info: ModelInfo
    spec: str
    message: str
