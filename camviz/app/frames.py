"""The newest captured frame, shared between the capture thread and its readers."""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

__all__ = ["LatestFrame"]

Image = npt.NDArray[np.uint8]


class LatestFrame:
    """Thread-safe one-slot mailbox: writers replace, readers poll the newest.

    ``put`` never blocks on the reader and keeps no history, so a slow reader
    (the GUI, the teach capture) can never make a producer wait or queue up
    stale frames.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._image: Image | None = None
        self._serial = 0
        self._listeners: tuple[Callable[[Image], object], ...] = ()

    def listen(self, callback: Callable[[Image], object]) -> None:
        """Also hand every frame put to ``callback`` (on the producer's thread, after the
        slot holds it): for a reader that must see every frame, e.g. a recording, and
        returns at once."""
        with self._lock:
            self._listeners = (*self._listeners, callback)

    def unlisten(self, callback: Callable[[Image], object]) -> None:
        with self._lock:
            self._listeners = tuple(c for c in self._listeners if c != callback)

    def put(self, image: Image) -> None:
        with self._lock:
            self._image = image
            self._serial += 1
            listeners = self._listeners
        for callback in listeners:
            callback(image)

    def get(self) -> tuple[int, Image | None]:
        """(serial, image); the serial grows by one with every ``put``."""
        with self._lock:
            return self._serial, self._image

    def clear(self) -> None:
        with self._lock:
            self._image = None
            self._serial += 1
