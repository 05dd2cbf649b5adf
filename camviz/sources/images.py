"""Still images: :class:`ImageSource`, one image or a folder slideshow (decoded by imageio)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from camviz.errors import OptionsError, SourceOpenError
from camviz.imageio import IMAGE_EXTENSIONS, find_images, load_image
from camviz.sources.base import Frame, Pacer, Source, SourceState, StateCallback

__all__ = ["ImageSource"]


class ImageSource(Source):
    """One image or a folder of images (recursive, sorted by relative path).

    ``pace=True``: a slideshow, each image repeated at ``fps`` for ``interval``
    seconds so a live pipeline sees a steady stream. ``pace=False``: each image
    exactly once. ``loop=True`` starts again after the last image.

    Images are decoded lazily. Unreadable files in a folder are skipped, listed in
    :attr:`skipped` as ``(path, reason)`` and reported through ``on_state``; only
    if none can be read does :meth:`open` raise :class:`SourceOpenError`.
    The repeated frames of one image share one read-only array.

    :meth:`step` goes to the previous or next image (any thread; done at the next
    read); :attr:`position` is ``(number, total)`` of the image shown, 1-based, and
    :attr:`current_file` its path.
    """

    def __init__(
        self,
        path: str | Path | Sequence[str | Path],
        *,
        pace: bool = True,
        fps: float = 15.0,
        interval: float = 3.0,
        loop: bool = False,
        on_state: StateCallback | None = None,
    ) -> None:
        if isinstance(path, str | Path):
            self.path: Path | None = Path(path)
            paths: list[Path] = []
            name = self.path.name
        else:
            self.path = None
            paths = [Path(p) for p in path]
            name = f"{len(paths)} images"
        super().__init__(name, on_state=on_state)
        if fps <= 0 or interval <= 0:
            raise OptionsError(f"{name}: fps and interval must be positive, not {fps}, {interval}")
        self.pace = pace
        self.fps = fps
        self.interval = interval
        self.loop = loop
        self.nominal_fps = fps if pace else None
        self.files: list[Path] = paths
        self.skipped: list[tuple[Path, str]] = []
        self._cursor = 0  # next file to decode
        self._shown = -1  # index in ``files`` of the image being delivered
        self._step = 0  # images to move by, asked for by step()
        self._step_lock = threading.Lock()
        self._current: np.ndarray | None = None
        self._repeats_left = 0
        self._pacer = Pacer(fps, self._closed) if pace else None
        self._repeat = max(1, round(interval * fps)) if pace else 1

    def _open(self) -> None:
        if self.path is not None:
            if not self.path.exists():
                raise SourceOpenError(f"image or folder {self.path} not found")
            if self.path.is_dir():
                self.files = list(find_images([self.path]).images)
                if not self.files:
                    exts = ", ".join(sorted(e[1:] for e in IMAGE_EXTENSIONS))
                    raise SourceOpenError(f"no images ({exts}) in folder {self.path}")
                self.name = f"{self.path.name}/ ({len(self.files)} images)"
            else:
                self.files = [self.path]
        elif not self.files:
            raise SourceOpenError("no images given")
        if not self._advance():
            if len(self.files) == 1:
                reason = self.skipped[0][1] if self.skipped else "unreadable"
                raise SourceOpenError(f"cannot open image {self.files[0]}: {reason}")
            raise SourceOpenError(
                f"none of the {len(self.files)} images in {self.path or self.name} could be decoded"
            )

    def _advance(self) -> bool:
        """Decode the next readable image into ``_current``; False when none is left."""
        while self._cursor < len(self.files) and not self._closed.is_set():
            path = self.files[self._cursor]
            self._cursor += 1
            try:
                image = np.ascontiguousarray(load_image(path))
            except Exception as exc:  # ImageError; anything else is a bad file too
                reason = str(exc)
                if path not in {p for p, _ in self.skipped}:
                    self.skipped.append((path, reason))
                    self._notify(f"skipped {path}: {reason}")
                continue
            image.flags.writeable = False
            self._shown = self._cursor - 1
            self._current = image
            self._repeats_left = self._repeat
            return True
        return False

    def _release(self) -> None:
        self._current = None

    @property
    def position(self) -> tuple[int, int] | None:
        """``(number, total)`` of the image shown (1-based); None before one is shown."""
        shown, total = self._shown, len(self.files)
        return (shown + 1, total) if 0 <= shown < total else None

    @property
    def current_file(self) -> Path | None:
        shown = self._shown
        return self.files[shown] if 0 <= shown < len(self.files) else None

    def step(self, delta: int) -> None:
        """Show the image ``delta`` places on (negative: back), wrapping, at the next read."""
        with self._step_lock:
            self._step += int(delta)

    def _take_step(self) -> None:
        with self._step_lock:
            delta, self._step = self._step, 0
        if delta and self.files and self._shown >= 0:
            self._cursor = (self._shown + delta) % len(self.files)
            if not self._advance():  # unreadable from there on: wrap to the first readable
                self._cursor = 0
                self._advance()

    def read(self) -> Frame | None:
        if not self._opened:
            self.open()
        if self._closed.is_set() or self.state is SourceState.ENDED:
            return None
        self._take_step()
        if self._repeats_left <= 0 and not self._advance():
            restarted = False
            if self.loop and self._index > 0:
                self._cursor = 0
                restarted = self._advance()
            if not restarted:
                self._finish()
                return None
        image = self._current
        if image is None:
            return None
        if self._pacer is not None and not self._pacer.wait():
            return None
        self._repeats_left -= 1
        return self._make_frame(image)

    def _finish(self) -> None:
        if not self._closed.is_set():
            self._set_state(
                SourceState.ENDED,
                f"{self.name}: end after {self._index} frames, {len(self.skipped)} skipped",
            )
        self._current = None
