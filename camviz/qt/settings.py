"""The window's saved settings (``QSettings``): read with defaults for anything unreadable."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from camviz.app.session import LiveOptions
from camviz.defaults import BUDGET_MS, MIN_CONFIDENCE, SCORE_THRESHOLD, THREADS, TOP_K

__all__ = ["read_options", "read_text", "write_options"]


def read_options(s: QSettings, budget_ms: float | None = None) -> tuple[LiveOptions, bool]:
    """The saved options and whether the view is mirrored; defaults for bad values."""
    options = LiveOptions(
        threads=_int(s.value("threads"), THREADS),
        top_k=_int(s.value("top_k"), TOP_K),
        score_threshold=_float(s.value("score_threshold"), SCORE_THRESHOLD),
        min_confidence=_float(s.value("min_confidence"), MIN_CONFIDENCE),
        smoothing=_float(s.value("smoothing"), 0.0),
        budget_ms=budget_ms if budget_ms is not None else _float(s.value("budget_ms"), BUDGET_MS),
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


def read_text(s: QSettings, key: str) -> str | None:
    value = s.value(key)
    return None if value is None else str(value)


def snapshot_dir(s: QSettings) -> Path:
    return Path(str(s.value("snapshot_dir", str(Path.cwd() / "snapshots"))))


def _int(value: object, default: int) -> int:
    try:
        return int(str(value)) if value is not None else default
    except ValueError:
        return default


def _float(value: object, default: float) -> float:
    try:
        return float(str(value)) if value is not None else default
    except ValueError:
        return default
