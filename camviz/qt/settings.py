"""The window's settings store (``QSettings``): read with defaults for anything unusable.

:class:`SettingsStore` owns every key the window keeps between runs: the live
options (with the mirror), the last source and model, the snapshot folder, the
window geometry, what each model sees and the recent sources. What it holds is
only a suggestion (:mod:`camviz.app.startup` decides): a value that is not a
finite number within its range is ignored with a note; paths are saved
absolute; snapshots go to ``<Pictures>/camviz`` unless a folder was chosen.

A store made with ``writable=False`` (a scripted run, ``--quit-after``) reads but
never writes. A value that cannot be saved (a read-only or unwritable file) is
said once, through :attr:`SettingsStore.problem`.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from pathlib import Path

from PySide6.QtCore import QByteArray, QObject, QSettings, QStandardPaths, Signal

from camviz.app.snapshot import default_snapshot_dir
from camviz.app.startup import absolute_spec
from camviz.live_options import LiveOptions, from_saved, option_specs
from camviz.preprocess import Fit

__all__ = [
    "SettingsStore",
    "pictures_dir",
    "read_text",
    "snapshot_dir",
    "write_spec",
]

RECENT_KEY = "recent_sources"
FITS_GROUP = "fit"
#: the live options a restart brings back (the table's ``persist=True`` fields)
_OPTION_KEYS = tuple(spec.name for spec in option_specs() if spec.persist)


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


def recording_path(now: float | None = None) -> Path:
    """Where the record dialog proposes to save a video: ``camviz-STAMP.mp4`` in the
    user's Videos folder (Qt's ``MoviesLocation``), else in the snapshot folder; a new
    name each time, so a second recording never overwrites the first."""
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.MoviesLocation)
    folder = Path(location) if location else default_snapshot_dir(pictures_dir())
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    return folder / f"camviz-{stamp}.mp4"


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


class SettingsStore(QObject):
    """What the window remembers, over one ``QSettings`` (see the module docstring)."""

    problem = Signal(str)  # a setting could not be saved (said once per store)

    def __init__(
        self, settings: QSettings, *, writable: bool = True, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.writable = writable
        self.writes = 0  # values written (a scripted run: always 0)
        self.problem_said: str | None = None

    # ------------------------------------------------------------------ reading
    def options(
        self, budget_ms: float | None = None, notes: list[str] | None = None
    ) -> tuple[LiveOptions, bool]:
        """The saved options and whether the view is mirrored; defaults for unusable values
        (each one said in ``notes``, when given)."""
        s = self.settings
        options, said = from_saved({name: s.value(name) for name in _OPTION_KEYS})
        if budget_ms is not None:
            options = dataclasses.replace(options, budget_ms=budget_ms)
        if notes is not None:
            notes.extend(said)
        return options, str(s.value("mirror", "false")).lower() == "true"

    def model(self) -> str | None:
        return read_text(self.settings, "model")

    def source(self) -> str | None:
        return read_text(self.settings, "source")

    def snapshot_dir(self) -> Path:
        return snapshot_dir(self.settings)

    def geometry(self) -> QByteArray | None:
        value = self.settings.value("geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def fits(self) -> dict[str, Fit]:
        """What each model sees, as last chosen (unknown values skipped)."""
        s = self.settings
        out: dict[str, Fit] = {}
        s.beginGroup(FITS_GROUP)
        try:
            for key in s.childKeys():
                try:
                    out[key] = Fit(str(s.value(key)))
                except ValueError:
                    continue
        finally:
            s.endGroup()
        return out

    def recent(self) -> list[str]:
        """The recent sources as saved (newest first; not pruned)."""
        value = self.settings.value(RECENT_KEY)
        if isinstance(value, list):
            return [str(v) for v in value]
        return [value] if isinstance(value, str) and value else []

    # ------------------------------------------------------------------ writing
    def save_options(self, options: LiveOptions, mirrored: bool) -> None:
        for name in _OPTION_KEYS:
            self._set(name, getattr(options, name))
        self._set("mirror", "true" if mirrored else "false")

    def save_model(self, spec: str, names: tuple[str, ...] = ()) -> None:
        if spec:
            self._set("model", absolute_spec(spec, names))

    def save_source(self, spec: str) -> None:
        self._set("source", absolute_spec(spec))

    def save_snapshot_dir(self, folder: Path) -> None:
        self._set("snapshot_dir", str(Path(folder).absolute()))

    def save_geometry(self, geometry: QByteArray) -> None:
        self._set("geometry", geometry)

    def save_fits(self, fits: Mapping[str, Fit]) -> None:
        if not self.writable:
            return
        s = self.settings
        s.beginGroup(FITS_GROUP)
        try:
            s.remove("")
            for key, fit in fits.items():
                s.setValue(key, fit.value)
                self.writes += 1
        finally:
            s.endGroup()

    def save_recent(self, recent: list[str]) -> None:
        self._set(RECENT_KEY, list(recent))

    def sync(self) -> bool:
        """Write to disk; False (said once through :attr:`problem`) if it cannot be."""
        if not self.writable:
            return True
        self.settings.sync()
        status = self.settings.status()
        if status is QSettings.Status.NoError:
            return True
        why = (
            "the file is not writable"
            if status is QSettings.Status.AccessError
            else "the file is not in the settings format"
        )
        message = f"Settings not saved: {why} ({self.settings.fileName()})"
        if self.problem_said is None:
            self.problem_said = message
            self.problem.emit(message)
        return False

    def _set(self, key: str, value: object) -> None:
        if self.writable:
            self.settings.setValue(key, value)
            self.writes += 1
