"""``run_gui``: the ``camviz`` GUI entry point (wired into ``camviz.cli``)."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from camviz.errors import CamvizError, DisplayUnavailableError, format_error
from camviz.fileio import write_atomic
from camviz.qt._compat import check_pyside
from camviz.qt.window import MainWindow
from camviz.sources import CameraInfo, list_cameras

__all__ = ["run_gui", "final_stats"]


def _cameras() -> list[CameraInfo]:
    try:
        return list_cameras(max_index=4, timeout=1.5)
    except (CamvizError, OSError):
        return []


def final_stats(window: MainWindow) -> dict[str, Any]:
    """Final metrics and the last result, as ``--stats-json`` writes them."""
    fr = window.last_result
    snap = window.final_metrics
    return {
        "source": window.source_spec,
        "model": window.model_name,
        "results_shown": window.results_shown,
        "display_fps": round(window.view.display_fps(), 2),
        "frames_painted": window.view.frames_painted,
        "metrics": snap.to_dict() if snap is not None else None,
        "last_result": None
        if fr is None
        else {
            **fr.result.to_dict(),
            "frame_id": fr.frame_id,
            "e2e_ms": round(fr.stamps.e2e_ms, 3),
        },
        "errors": [e.message for e in window.events if e.kind.name in ("ERROR", "MODEL_FAILED")],
    }


def require_display() -> None:
    """Refuse, with what to do, where Qt would abort for want of a screen."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return
    raise DisplayUnavailableError(
        "no display to open the window on (DISPLAY and WAYLAND_DISPLAY are unset): run camviz "
        "in a desktop session, under a virtual one (xvfb-run -a camviz), or headless with "
        "QT_QPA_PLATFORM=offscreen; classify, eval, bench and teach need no display"
    )


def run_gui(
    source: str | None = None,
    model: str | None = None,
    threads: int | None = None,
    quit_after: float | None = None,
    stats_json: str | Path | None = None,
    *,
    settings: QSettings | None = None,
    size: tuple[int, int] = (1280, 720),
) -> int:
    """Open the camviz window and run the Qt event loop; returns the exit code.

    ``source``: "demo", a camera index, a video/image/folder path; ``None`` uses
    the first camera found, else the demo reel (said in the status bar).
    ``model``: zoo name or .tflite path (``None``: last used, else the zoo's
    default). ``threads``: interpreter threads (``None``: last used, else 2).
    ``quit_after``: close after that many seconds. ``stats_json``: on exit,
    write final metrics and the last result there (atomically).
    """
    check_pyside()
    app = QApplication.instance()
    if app is None:
        require_display()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
        app.setApplicationName("camviz")
        app.setOrganizationName("camviz")
    cameras = _cameras() if source is None else []
    window = MainWindow(settings=settings, cameras=cameras)
    if threads is not None:
        window.threads_spin.setValue(threads)
    window.resize(*size)
    window.show()
    model = model or window.saved_model() or None
    started = (
        window.start_default(cameras, model) if source is None else window.start(source, model)
    )
    if not started:
        window.shutdown()
        window.deleteLater()
        return 2
    if quit_after is not None:
        QTimer.singleShot(max(0, round(quit_after * 1000)), window.close)
    # Ctrl+C in the terminal closes the window cleanly (Python handles signals
    # only between bytecodes, so wake the interpreter a few times a second).
    previous = signal.signal(signal.SIGINT, lambda *_: window.close())
    wake = QTimer()
    wake.timeout.connect(lambda: None)
    wake.start(250)
    began = time.monotonic()
    try:
        code = app.exec()
        if window.isVisible():  # event loop left some other way: stop threads first
            window.close()
    finally:
        wake.stop()
        signal.signal(signal.SIGINT, previous)
        window.shutdown()
    if stats_json is not None:
        stats = final_stats(window)
        stats["wall_s"] = round(time.monotonic() - began, 3)
        text = json.dumps(stats, indent=2)
        try:
            write_atomic(Path(stats_json), lambda p: p.write_text(text, "utf-8"))
        except OSError as exc:
            print(f"camviz: cannot write {stats_json}: {format_error(exc)}", file=sys.stderr)
            code = code or 1
    window.deleteLater()
    return int(code)
