"""Photos and videos one after the other: :class:`PlaylistSource` (a folder, glob or list
that holds videos; photos alone are an :class:`~camviz.sources.ImageSource`)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from camviz.errors import CamvizError, SourceOpenError
from camviz.imageio import IMAGE_EXTENSIONS
from camviz.sources.base import Frame, Source, SourceState, StateCallback
from camviz.sources.images import ImageSource
from camviz.sources.video import VideoSource

__all__ = ["PlaylistSource"]


class PlaylistSource(Source):
    """Each file of ``files`` in turn: a photo as :class:`ImageSource` shows one, a video
    frame by frame (``pace`` and ``loop`` as for those). Files that cannot be opened are
    skipped, listed in :attr:`skipped` and reported through ``on_state``; :meth:`open`
    fails only when none can. Frame indices count across the files; ``position_ms`` is
    the position in the current video. :attr:`current_file` is the file playing."""

    def __init__(
        self,
        files: Sequence[str | Path],
        *,
        name: str | None = None,
        pace: bool = True,
        loop: bool = False,
        on_state: StateCallback | None = None,
    ) -> None:
        self.files = [Path(f) for f in files]
        super().__init__(name or f"{len(self.files)} files", on_state=on_state)
        self.pace = pace
        self.loop = loop
        self.skipped: list[tuple[Path, str]] = []
        self._cursor = 0
        self._inner: Source | None = None
        self._current: Path | None = None
        self._lock = threading.Lock()

    @property
    def current_file(self) -> Path | None:
        return self._current

    def _make(self, path: Path) -> Source:
        if path.suffix.lower() in IMAGE_EXTENSIONS:
            return ImageSource(path, pace=self.pace)
        return VideoSource(path, pace=self.pace)

    def _next(self) -> bool:
        """Open the next file that opens as ``_inner``; False when none is left."""
        while self._cursor < len(self.files) and not self._closed.is_set():
            path = self.files[self._cursor]
            self._cursor += 1
            inner = self._make(path)
            try:
                inner.open()
            except CamvizError as exc:
                inner.close()
                if path not in {p for p, _ in self.skipped}:
                    self.skipped.append((path, str(exc)))
                    self._notify(f"skipped {path}: {exc}")
                continue
            with self._lock:
                if self._closed.is_set():
                    inner.close()
                    return False
                self._inner, self._current = inner, path
            if self.nominal_fps is None:
                self.nominal_fps = inner.nominal_fps
            return True
        return False

    def _open(self) -> None:
        if not self.files:
            raise SourceOpenError(f"{self.name}: no files given")
        if not self._next():
            raise SourceOpenError(
                f"none of the {len(self.files)} files of {self.name} could be opened"
                + (f" (first: {self.skipped[0][1]})" if self.skipped else "")
            )

    def read(self) -> Frame | None:
        if not self._opened:
            self.open()
        while not self._closed.is_set() and self.state is not SourceState.ENDED:
            inner = self._inner
            frame = inner.read() if inner is not None else None
            if frame is not None:
                out = frame.renumbered(self._index)
                self._index += 1
                return out
            if inner is not None:
                inner.close()
            self._inner = None
            if self._next():
                continue
            if self.loop and self._index > 0:
                self._cursor = 0
                if self._next():
                    continue
            self._set_state(
                SourceState.ENDED,
                f"{self.name}: end after {self._index} frames, {len(self.skipped)} skipped",
            )
        return None

    def _release(self) -> None:
        with self._lock:
            inner, self._inner = self._inner, None
        if inner is not None:
            inner.close()
