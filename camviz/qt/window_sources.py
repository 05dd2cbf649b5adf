"""The window's sources: the bar under the video, dropped files, recent sources,
typed stream URLs, and what the model sees (per model). Functions of a
:class:`~camviz.qt.window.MainWindow` (``win``); the policy is in
:mod:`camviz.app.picker` and :mod:`camviz.app.viewing`.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QMimeData
from PySide6.QtWidgets import QInputDialog, QLineEdit

from camviz.app.picker import (
    DropKind,
    check_stream_url,
    classify_drop,
    display_spec,
    prune_recent,
    remember_recent,
)
from camviz.preprocess import Fit
from camviz.sources.stream import redact

if TYPE_CHECKING:
    from camviz.classifier import ModelInfo
    from camviz.qt.window import MainWindow

__all__ = [
    "dropped",
    "fit_chosen",
    "fit_shown",
    "open_stream",
    "recent_sources",
    "refresh_position",
    "remember_source",
    "restore_fits",
    "save_fits",
    "show_recent_menu",
]

RECENT_KEY = "recent_sources"
FITS_GROUP = "fit"


# ---------------------------------------------------------------- the bar under the video
def refresh_position(win: MainWindow) -> None:
    win.source_bar.show_position(win.session.source_position())


# ---------------------------------------------------------------- drag and drop
def drop_paths(mime: QMimeData) -> list[str]:
    return [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]


def dropped(win: MainWindow, paths: list[str]) -> bool:
    """Open what was dropped: a source, or a model; else say why not (status bar)."""
    drop = classify_drop(paths)
    if drop.kind is DropKind.SOURCE:
        win.session.start(drop.spec, rearm_fallback=True)
        return True
    if drop.kind is DropKind.MODEL:
        win._select_model_item(drop.spec)
        win.switch_model(drop.spec)
        return True
    win._status(drop.message, 15000)
    return False


# ---------------------------------------------------------------- recent sources, streams
def recent_sources(win: MainWindow) -> list[str]:
    value = win.settings.value(RECENT_KEY)
    items = [str(v) for v in value] if isinstance(value, list) else []
    if isinstance(value, str) and value:
        items = [value]
    return prune_recent(items)


def remember_source(win: MainWindow, spec: str) -> None:
    recent = remember_recent(recent_sources(win), spec)
    win.settings.setValue(RECENT_KEY, recent)


def show_recent_menu(win: MainWindow) -> None:
    """Rebuild the Recent submenu: the sources still there, newest first."""
    menu = win.recent_menu
    menu.clear()
    recent = recent_sources(win)
    win.settings.setValue(RECENT_KEY, recent)  # the gone ones pruned for good
    for spec in recent:
        action = menu.addAction(display_spec(spec), partial(win.session.start, spec))
        action.setToolTip(redact(spec))
    if not recent:
        menu.addAction("(none yet)").setEnabled(False)


def open_stream(win: MainWindow, text: str | None = None) -> bool:
    """Ask for a stream URL (or take ``text``) and open it; a bad one is said, redacted."""
    if text is None:
        typed, ok = QInputDialog.getText(
            win,
            "Open stream",
            "Stream URL (rtsp://, http://…):",
            QLineEdit.EchoMode.Normal,
            "rtsp://",
        )
        if not ok:
            return False
        text = typed
    problem = check_stream_url(text)
    if problem is not None:
        win._status(problem, 15000)
        return False
    return win.session.start(text.strip(), rearm_fallback=True)


# ---------------------------------------------------------------- what the model sees
def fit_chosen(win: MainWindow, index: int) -> None:
    fit = Fit(win.fit_combo.itemData(index))
    if win.session.model_info is not None and not win.session.set_fit(fit):
        win._status("A taught model sees what its backbone was trained on: a centre crop", 8000)
        fit_shown(win, win.session.model_info)


def fit_shown(win: MainWindow, info: ModelInfo | None) -> None:
    """The fit box and the box on the video for the model loaded."""
    spec = getattr(info, "preprocessing", None)
    fit = getattr(spec, "fit", Fit.CENTER_CROP)
    index = win.fit_combo.findData(fit.value)
    win.fit_combo.blockSignals(True)
    win.fit_combo.setCurrentIndex(max(0, index))
    win.fit_combo.blockSignals(False)
    taught = info is not None and info.spec is None and str(info.path).endswith(".head.npz")
    win.fit_combo.setEnabled(info is not None and not taught)
    fraction = getattr(spec, "crop_fraction", None)
    # letterboxed, the model sees the whole frame: no box to draw
    shown = float(fraction) if fraction is not None and fit is Fit.CENTER_CROP else None
    win.view.set_crop_fraction(shown)


def restore_fits(win: MainWindow) -> None:
    s = win.settings
    s.beginGroup(FITS_GROUP)
    try:
        for key in s.childKeys():
            try:
                win.session.fits[key] = Fit(str(s.value(key)))
            except ValueError:
                continue
    finally:
        s.endGroup()


def save_fits(win: MainWindow) -> None:
    s = win.settings
    s.beginGroup(FITS_GROUP)
    try:
        s.remove("")
        for key, fit in win.session.fits.items():
            s.setValue(key, fit.value)
    finally:
        s.endGroup()
