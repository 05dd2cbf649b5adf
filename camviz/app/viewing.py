"""What the model sees and where the source is: a mixin of ``LiveSession``.

* What the model sees (:class:`camviz.preprocess.Fit`), per model: the centre
  crop (every model's default) or the whole frame letterboxed. The choice is
  kept per model name (:func:`model_key`) and applied by reloading the model.
  Taught heads keep their backbone's crop: they were trained on it.
* Where the source is (:class:`SourcePosition`): a slideshow's image number and
  file, a video's position and length; :meth:`ViewingMixin.step_source` goes to
  the previous or next image, :meth:`ViewingMixin.seek_source` to a point of the
  video. Both are done by the source before its next frame (capture thread).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from camviz.preprocess import Fit
from camviz.sources import DemoSource, ImageSource, VideoSource
from camviz.zoo import is_head_path

if TYPE_CHECKING:
    from camviz.pipeline import Pipeline

__all__ = ["FIT_NAMES", "SKIP_MS", "SourcePosition", "ViewingMixin", "model_key"]

#: How far one press of the arrow keys moves in a video.
SKIP_MS = 5000.0

FIT_NAMES = {Fit.CENTER_CROP: "Centre crop", Fit.LETTERBOX: "Whole frame (letterbox)"}


def model_key(model: str) -> str:
    """The name a model's settings are kept under: a zoo name as is, a file's name."""
    return Path(model).name if ("/" in model or "\\" in model or "." in model) else model


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


class ViewingMixin:
    """Fit and source-position methods of :class:`~camviz.app.session.LiveSession`."""

    requested_model: str
    _control: threading.RLock
    _pipeline: Pipeline | None

    def _viewing_init(self) -> None:
        self.fits: dict[str, Fit] = {}  # per model_key; absent: the model's own

    def fit_for(self, model: str | None) -> Fit | None:
        """The fit chosen for ``model`` (None: its own; always None for taught heads)."""
        if not model or is_head_path(model):
            return None
        return self.fits.get(model_key(model))

    def set_fit(self, fit: Fit, model: str | None = None) -> bool:
        """Choose what ``model`` (default: the running one) sees; reloads it if it runs.
        False for taught heads, which keep the crop they were trained on."""
        with self._control:
            running = self.requested_model or self._running_model()
            model = model or running
            if not model or is_head_path(model):
                return False
            unchanged = self.fits.get(model_key(model), Fit.CENTER_CROP) is fit
            self.fits[model_key(model)] = fit
            if not unchanged and model == running and self._pipeline is not None:
                self.switch_model(model)  # the same model, fed the new way
            return True

    def _running_model(self) -> str:
        """The model the pipeline runs (a zoo name, or a file's path), '' before one loads."""
        info = getattr(self, "model_info", None)
        if info is None:
            return ""
        return str(info.name if info.spec is not None else info.path)

    def switch_model(self, model: str) -> None:  # LiveSession's
        raise NotImplementedError

    # ---------------------------------------------------------------- source position
    def _source(self) -> object:
        pipeline = self._pipeline
        return pipeline.source if pipeline is not None else None

    def source_position(self) -> SourcePosition | None:
        """Where the running file source is (None for cameras, streams, the demo)."""
        source = self._source()
        if isinstance(source, ImageSource):
            where, file = source.position, source.current_file
            if where is None or len(source.files) < 2:
                return None
            name = file.name if file is not None else source.name
            return SourcePosition("slideshow", name, number=where[0], total=where[1])
        if isinstance(source, VideoSource) and not isinstance(source, DemoSource):
            duration = source.duration_ms
            if duration is None:
                return None
            return SourcePosition(
                "video", source.name, position_ms=source.position_ms or 0.0, duration_ms=duration
            )
        return None

    def step_source(self, delta: int) -> bool:
        """The previous (-1) or next (+1) image of a slideshow; False if none runs."""
        source = self._source()
        if not isinstance(source, ImageSource):
            return False
        source.step(delta)
        return True

    def seek_source(self, fraction: float) -> bool:
        """Go to ``fraction`` (0..1) of a video file; False if none runs."""
        source = self._source()
        if not isinstance(source, VideoSource) or isinstance(source, DemoSource):
            return False
        source.seek(fraction)
        return True

    def skip(self, delta: int) -> bool:
        """``delta`` images on in a slideshow, or ``delta`` x :data:`SKIP_MS` in a video.

        Presses in quick succession add up. False when the source is neither (a
        camera, a stream, the demo).
        """
        source = self._source()
        if isinstance(source, ImageSource):
            return self.step_source(delta)
        if not isinstance(source, VideoSource) or isinstance(source, DemoSource):
            return False
        source.seek_by(delta * SKIP_MS)
        return True
