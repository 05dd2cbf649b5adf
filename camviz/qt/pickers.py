"""The window's pickers, each owning its piece: the model list, what the model sees,
and the sources (the list, Open…, Recent, typed stream URLs and dropped files).

Each picker owns its widgets and talks back through signals: ``said(message,
timeout_ms)`` for the status bar, and the picker's own request signals that
:class:`~camviz.qt.window.MainWindow` wires to the session. The policy (what a
drop is, whether a URL is usable, the recent list) is in :mod:`camviz.app.picker`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import QMimeData, QObject, Qt, Signal
from PySide6.QtWidgets import QComboBox, QFileDialog, QInputDialog, QLineEdit, QMenu, QWidget

from camviz.app import model_spec
from camviz.app.picker import (
    DropKind,
    check_stream_url,
    classify_drop,
    display_spec,
    model_dialog_filter,
    prune_recent,
    remember_recent,
)
from camviz.backends import is_model_file
from camviz.classifier import ModelInfo
from camviz.preprocess import Fit
from camviz.qt.settings import SettingsStore
from camviz.sources.stream import redact
from camviz.zoo import is_head_path

__all__ = [
    "FitPicker",
    "ModelPicker",
    "SourcePicker",
    "drop_paths",
    "running_spec",
    "same_model",
]


def running_spec(info: ModelInfo) -> str:
    """How a loaded model is asked for again (:func:`camviz.app.model_spec`): its zoo name,
    else its file's path (also for a user's copy of a zoo model under another name)."""
    return model_spec(info)


def same_model(a: str, b: str) -> bool:
    """Whether two model specs name the same model (a path however it is written)."""
    if a == b:
        return True
    if not (("/" in a or "\\" in a or is_model_file(a) or is_head_path(a)) and Path(b).name):
        return False
    try:
        return Path(a).expanduser().resolve() == Path(b).expanduser().resolve()
    except OSError:
        return False


def drop_paths(mime: QMimeData) -> list[str]:
    return [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]


class ModelPicker(QObject):
    """The model list: the zoo's models, the user's files once opened (each once),
    and "Open .tflite…". ``chosen(spec)`` when the user picks one."""

    chosen = Signal(str)
    said = Signal(str, int)

    def __init__(self, combo: QComboBox, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.combo = combo
        self.running: str = ""  # the model the window shows as running
        combo.activated.connect(self._activated)

    def specs(self) -> list[str]:
        """Every model in the list (not "Open .tflite…")."""
        c = self.combo
        return [str(c.itemData(i)) for i in range(c.count()) if c.itemData(i) is not None]

    def index_of(self, model: str) -> int:
        c = self.combo
        for i in range(c.count()):
            data = c.itemData(i)
            if data is not None and same_model(str(data), model):
                return i
        return -1

    def select(self, model: str) -> None:
        """Show ``model`` as the current one (added once, before "Open .tflite…")."""
        if not model:
            return
        index = self.index_of(model)
        if index < 0:
            index = self.combo.count() - 1
            self.combo.insertItem(index, Path(model).name, model)
            self.combo.setItemData(index, model, Qt.ItemDataRole.ToolTipRole)
        self.combo.setCurrentIndex(index)

    def loaded(self, info: ModelInfo) -> None:
        """A model loaded: it is the running one."""
        self.running = running_spec(info)
        self.select(self.running)

    def failed(self, model: str | None = None) -> None:
        """A model did not load: a file of the user's that never ran leaves the list (it
        would fail again), and the list goes back to the one still running."""
        if model and (is_model_file(model) or is_head_path(model)):
            index = self.index_of(model)
            if index >= 0 and not (self.running and same_model(model, self.running)):
                self.combo.removeItem(index)
        if self.running:
            self.select(self.running)

    def next_after(self, current: str | None) -> str | None:
        """The model after ``current`` in the list (wrapping), None with no models."""
        specs = self.specs()
        if not specs:
            return None
        index = next((i for i, s in enumerate(specs) if current and same_model(s, current)), -1)
        return specs[(index + 1) % len(specs)]

    def _activated(self, index: int) -> None:
        spec = self.combo.itemData(index)
        if spec is None:
            parent = self.combo.window()
            path, _ = QFileDialog.getOpenFileName(parent, "Open a model", "", model_dialog_filter())
            if not path:
                self.select(self.running)
                return
            spec = path
            self.select(path)
        self.chosen.emit(str(spec))


class FitPicker(QObject):
    """What the model sees: a centre crop or the whole frame. ``chosen(fit)`` when picked."""

    chosen = Signal(object)  # Fit

    def __init__(self, combo: QComboBox, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.combo = combo
        combo.activated.connect(lambda i: self.chosen.emit(Fit(combo.itemData(i))))

    def show_model(self, info: ModelInfo | None) -> float | None:
        """Show what ``info`` sees; returns the crop box to draw on the video (None: none)."""
        spec = info.preprocessing if info is not None else None
        fit = spec.fit if spec is not None else Fit.CENTER_CROP
        self.combo.blockSignals(True)
        self.combo.setCurrentIndex(max(0, self.combo.findData(fit.value)))
        self.combo.blockSignals(False)
        taught = info is not None and info.spec is None and is_head_path(str(info.path))
        self.combo.setEnabled(info is not None and not taught)
        fraction = spec.crop_fraction if spec is not None else None
        # letterboxed, the model sees the whole frame: no box to draw
        return float(fraction) if fraction is not None and fit is Fit.CENTER_CROP else None


class SourcePicker(QObject):
    """The source list, the Open… menu (files, a stream URL, Recent) and dropped files.

    ``sourceRequested(spec)`` when the user picks a source, ``modelRequested(spec)`` when
    a model file is dropped; the recent sources live in the :class:`SettingsStore`.
    """

    sourceRequested = Signal(str)
    modelRequested = Signal(str)
    said = Signal(str, int)

    def __init__(
        self,
        combo: QComboBox,
        open_menu: QMenu,
        store: SettingsStore,
        current: Callable[[], str | None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.combo = combo
        self.store = store
        self._current = current
        combo.activated.connect(self._activated)
        open_menu.addAction("Video file…", self.open_video)
        open_menu.addAction("Image…", self.open_image)
        open_menu.addAction("Folder of images…", self.open_folder)
        open_menu.addAction("Stream URL…", self.open_stream)
        self.recent_menu = open_menu.addMenu("Recent")
        self.recent_menu.aboutToShow.connect(self.show_recent_menu)

    def _parent(self) -> QWidget:
        return self.combo.window()

    def select(self, spec: str) -> None:
        """Show ``spec`` as the current source (added to the list once)."""
        index = self.combo.findData(spec)
        if index < 0:
            self.combo.addItem(Path(spec).name or spec, spec)
            index = self.combo.count() - 1
        self.combo.setCurrentIndex(index)

    def _activated(self, index: int) -> None:
        spec = self.combo.itemData(index)
        if spec and spec != self._current():
            self.sourceRequested.emit(str(spec))

    # ------------------------------------------------------------------ Open…
    def open_video(self) -> None:
        self._open_file("Open video", "Videos (*.mp4 *.avi *.mkv *.mov *.webm);;All files (*)")

    def open_image(self) -> None:
        self._open_file("Open image", "Images (*.png *.jpg *.jpeg *.bmp *.webp *.tif *.tiff)")

    def _open_file(self, title: str, filters: str) -> None:
        path, _ = QFileDialog.getOpenFileName(self._parent(), title, "", filters)
        if path:
            self.sourceRequested.emit(path)

    def open_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self._parent(), "Open folder of images")
        if path:
            self.sourceRequested.emit(path)

    def open_stream(self, text: str | None = None) -> bool:
        """Ask for a stream URL (or take ``text``) and open it; a bad one is said, redacted."""
        if text is None:
            typed, ok = QInputDialog.getText(
                self._parent(),
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
            self.said.emit(problem, 15000)
            return False
        self.sourceRequested.emit(text.strip())
        return True

    # ------------------------------------------------------------------ recent sources
    def recent(self) -> list[str]:
        """The recent sources still there, newest first."""
        return prune_recent(self.store.recent())

    def remember(self, spec: str) -> None:
        self.store.save_recent(remember_recent(self.recent(), spec))

    def show_recent_menu(self) -> None:
        """Rebuild the Recent submenu: the sources still there, newest first."""
        menu = self.recent_menu
        menu.clear()
        recent = self.recent()
        self.store.save_recent(recent)  # the gone ones pruned for good
        for spec in recent:
            action = menu.addAction(display_spec(spec), partial(self.sourceRequested.emit, spec))
            action.setToolTip(redact(spec))
        if not recent:
            menu.addAction("(none yet)").setEnabled(False)

    # ------------------------------------------------------------------ drag and drop
    def dropped(self, paths: list[str]) -> bool:
        """Open what was dropped: a source, or a model; else say why not."""
        drop = classify_drop(paths)
        if drop.kind is DropKind.SOURCE:
            self.sourceRequested.emit(drop.spec)
            return True
        if drop.kind is DropKind.MODEL:
            self.modelRequested.emit(drop.spec)
            return True
        self.said.emit(drop.message, 15000)
        return False
