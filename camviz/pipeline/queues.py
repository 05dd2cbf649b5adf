"""The queue between the capture and the inference thread: one protocol, two policies.

Both policies have the same interface (:class:`FrameQueue`), so the pipeline holds one
queue and never asks which policy it runs:

* :class:`LatestFrameSlot` (:attr:`Backpressure.LATEST`): one slot; a new item replaces
  the one still waiting, which is counted as dropped; ``put`` never blocks.
* :class:`LosslessQueue` (:attr:`Backpressure.LOSSLESS`): a bounded FIFO; ``put`` blocks
  while it is full (until ``stop`` is set); nothing is ever dropped.

``put_end`` puts :data:`END` after the last item.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Protocol

from camviz.pipeline.records import Backpressure

__all__ = ["END", "FrameQueue", "LatestFrameSlot", "LosslessQueue", "make_queue"]

END = object()  # sentinel: the source ended
_POLL_S = 0.05  # how often a blocked put looks at its stop event

DropCallback = Callable[[], None]


class FrameQueue(Protocol):
    """What the pipeline needs of a queue, whatever its policy."""

    def put(self, item: object, stop: threading.Event) -> bool:
        """Queue ``item``; False if ``stop`` was set before it could be queued."""
        ...

    def put_end(self, stop: threading.Event) -> None:
        """Queue :data:`END` (unless ``stop`` is set while waiting for room)."""
        ...

    def get(self, timeout: float) -> object | None:
        """The next item, :data:`END`, or None if nothing came within ``timeout`` s."""
        ...

    def depth(self) -> int:
        """Items waiting now."""
        ...


class LatestFrameSlot:
    """A one-item slot where the newest item wins; ``put`` never blocks.

    ``dropped`` counts items replaced before anyone took them (``on_drop`` is called
    for each, on the producer's thread). :data:`END` replaces nothing: a frame still
    waiting is handed out first.
    """

    def __init__(self, on_drop: DropCallback | None = None) -> None:
        self._cond = threading.Condition()
        self._item: object | None = None
        self._ended = False
        self._on_drop = on_drop
        self.dropped = 0

    def put(self, item: object, stop: threading.Event) -> bool:
        """Store ``item`` (replacing a waiting one); always True: the slot never refuses."""
        with self._cond:
            replaced = self._item is not None
            if replaced:
                self.dropped += 1
            self._item = item
            self._cond.notify()
        if replaced and self._on_drop is not None:
            self._on_drop()
        return True

    def put_end(self, stop: threading.Event) -> None:
        with self._cond:
            self._ended = True
            self._cond.notify()

    def get(self, timeout: float) -> object | None:
        with self._cond:
            if self._item is None and not self._ended:
                self._cond.wait(timeout)
            item, self._item = self._item, None
            if item is None and self._ended:
                return END
            return item

    def depth(self) -> int:
        with self._cond:
            return 0 if self._item is None else 1


class LosslessQueue:
    """A bounded FIFO; ``put`` blocks while full (checking ``stop`` every 50 ms)."""

    def __init__(self, maxsize: int) -> None:
        self._queue: queue.Queue[object] = queue.Queue(maxsize)
        self.maxsize = maxsize

    def put(self, item: object, stop: threading.Event) -> bool:
        while not stop.is_set():
            try:
                self._queue.put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def put_end(self, stop: threading.Event) -> None:
        self.put(END, stop)

    def get(self, timeout: float) -> object | None:
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def depth(self) -> int:
        return self._queue.qsize()


def make_queue(
    policy: Backpressure, maxsize: int, on_drop: DropCallback | None = None
) -> FrameQueue:
    """The queue of ``policy``: ``maxsize`` bounds the FIFO; ``on_drop`` sees slot drops."""
    if policy is Backpressure.LATEST:
        return LatestFrameSlot(on_drop)
    return LosslessQueue(maxsize)
