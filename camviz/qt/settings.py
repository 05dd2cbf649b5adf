"""The window's saved settings (``QSettings``): read with defaults for anything unusable.

What the settings store holds is only a suggestion (:mod:`camviz.app.startup`
decides): a value that is not a finite number within its range is ignored with
a note; paths are saved absolute; snapshots go to ``<Pictures>/camviz`` unless a
folder was chosen.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, QStandardPaths

from camviz.app.session import LiveOptions
from camviz.app.snapshot import default_snapshot_dir
from camviz.app.startup import LIMITS, absolute_spec, sane_options

if TYPE_CHECKING:
    from camviz.qt.window import MainWindow

__all__ = [
    "pictures_dir",
    "read_options",
    "read_text",
    "restore",
    "save",
    "snapshot_dir",
    "write_options",
    "write_spec",
]


def read_options(
    s: QSettings, budget_ms: float | None = None, notes: list[str] | None = None
) -> tuple[LiveOptions, bool]:
    """The saved options and whether the view is mirrored; defaults for unusable values
    (each one said in ``notes``, when given)."""
    values, said = sane_options({name: s.value(name) for name in LIMITS})
    if budget_ms is not None:
        values["budget_ms"] = budget_ms
    if notes is not None:
        notes.extend(said)
    options = LiveOptions(
        threads=int(values["threads"]),
        top_k=int(values["top_k"]),
        score_threshold=float(values["score_threshold"]),
        min_confidence=float(values["min_confidence"]),
        smoothing=float(values["smoothing"]),
        budget_ms=float(values["budget_ms"]),
    )
    return options, str(s.value("mirror", "false")).lower() == "true"


def write_options(s: QSettings, options: LiveOptions, mirrored: bool) -> None:
    s.setValue("threads", options.threads)
    s.setValue("top_k", options.top_k)
    s.setValue("score_threshold", options.score_threshold)
    s.setValue("min_confidence", options.min_confidence)
    s.setValue("smoothing", options.smoothing)
    s.setValue("budget_ms", options.budget_ms)
    s.setValue("mirror", "true" if mirrored else "false")


def write_spec(s: QSettings, key: str, spec: str, names: tuple[str, ...] = ()) -> None:
    """Save a source or model: a path absolute, a zoo name / "demo" / camera index as is."""
    s.setValue(key, absolute_spec(spec, names))


def read_text(s: QSettings, key: str) -> str | None:
    value = s.value(key)
    return None if value is None or str(value) == "" else str(value)


def pictures_dir() -> str | None:
    """The user's Pictures folder as Qt knows it (None when it has none)."""
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
    return location or None


def snapshot_dir(s: QSettings) -> Path:
    """A chosen snapshot folder (absolute, saved under ``snapshot_dir``), else the default.

    Earlier versions saved ``<cwd>/snapshots`` for everyone without asking; a
    value ending in ``snapshots`` is that old default, not a choice, and is ignored.
    """
    saved = read_text(s, "snapshot_dir")
    if saved is not None:
        folder = Path(saved).expanduser()
        if folder.is_absolute() and folder.name != "snapshots":
            return folder
    return default_snapshot_dir(pictures_dir())


def restore(self: MainWindow, budget_ms: float | None) -> None:
    """Put the saved options, mirror and geometry into the window and its session."""
    notes: list[str] = []
    options, mirrored = read_options(self.settings, budget_ms, notes)
    if notes:
        self._status("Settings ignored: " + "; ".join(notes), 20000)
    self.threads_spin.setValue(options.threads)
    self.topk_spin.setValue(options.top_k)
    self.threshold_spin.setValue(options.score_threshold)
    self.confidence_spin.setValue(options.min_confidence)
    self.smoothing_spin.setValue(options.smoothing)
    self.budget_spin.setValue(options.budget_ms)
    self.mirror_check.setChecked(mirrored)
    self.session.update(  # what the spins took (they clamp)
        threads=self.threads_spin.value(),
        top_k=self.topk_spin.value(),
        score_threshold=self.threshold_spin.value(),
        min_confidence=self.confidence_spin.value(),
        smoothing=self.smoothing_spin.value(),
        budget_ms=self.budget_spin.value(),
    )
    self.results.set_top_k(self.topk_spin.value())
    self.meter.set_budget_ms(self.budget_spin.value())
    geometry = self.settings.value("geometry")
    if geometry is not None:
        self.restoreGeometry(geometry)


def save(self: MainWindow) -> None:
    """Save the options, source, model, snapshot folder and geometry."""
    s, session = self.settings, self.session
    write_options(s, session.options, self.view.is_mirrored())
    names = tuple(session.zoo.names) if session.zoo is not None else ()
    if session.source_spec is not None:
        write_spec(s, "source", session.source_spec)
    if session.requested_model:
        write_spec(s, "model", session.requested_model, names)
    if self._chosen_snapshot_dir is not None:
        s.setValue("snapshot_dir", str(Path(self._chosen_snapshot_dir).absolute()))
    s.setValue("geometry", self.saveGeometry())
    s.sync()
