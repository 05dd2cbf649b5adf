"""What the model sees, per model: the session's viewing component (``session.viewing``).

What the model sees (:class:`camviz.preprocess.Fit`) is the centre crop (every
model's default) or the whole frame letterboxed. The choice is kept per model name
(:func:`model_key`) and applied by reloading the model. Taught heads keep their
backbone's crop: they were trained on it.

The exact tensor the model was fed for the last frame is carried on the result
(:attr:`camviz.pipeline.FrameResult.model_input`, once asked for);
:meth:`camviz.app.session.LiveSession.model_input` returns it.

Where a file source is and how to move in it is the sources component's
(:mod:`camviz.app.sources`); :class:`SourcePosition` and :data:`SKIP_MS` are
re-exported here for the views that import them from this module.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from camviz.app.sources import SKIP_MS, SourcePosition
from camviz.preprocess import Fit
from camviz.zoo import is_head_path

__all__ = ["FIT_NAMES", "SKIP_MS", "SourcePosition", "Viewing", "model_key"]

FIT_NAMES = {Fit.CENTER_CROP: "Centre crop", Fit.LETTERBOX: "Whole frame (letterbox)"}


def model_key(model: str) -> str:
    """The name a model's settings are kept under: a zoo name as is, a file's name."""
    return Path(model).name if ("/" in model or "\\" in model or "." in model) else model


class Viewing:
    """What each model sees. ``reload(model)`` reloads the running model (the session's
    switch); ``running()`` is the model asked for or running, '' before one."""

    def __init__(self, reload: Callable[[str], None], running: Callable[[], str]) -> None:
        self.fits: dict[str, Fit] = {}  # per model_key; absent: the model's own
        self._reload = reload
        self._running = running
        self._lock = threading.RLock()

    def fit_for(self, model: str | None) -> Fit | None:
        """The fit chosen for ``model`` (None: its own; always None for taught heads)."""
        if not model or is_head_path(model):
            return None
        return self.fits.get(model_key(model))

    def set_fit(self, fit: Fit, model: str | None = None) -> bool:
        """Choose what ``model`` (default: the running one) sees; reloads it if it runs.
        False for taught heads, which keep the crop they were trained on."""
        with self._lock:
            running = self._running()
            model = model or running
            if not model or is_head_path(model):
                return False
            unchanged = self.fits.get(model_key(model), Fit.CENTER_CROP) is fit
            self.fits[model_key(model)] = fit
        if not unchanged and model == running:
            self._reload(model)  # the same model, fed the new way
        return True
