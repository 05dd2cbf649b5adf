"""``run_gui``: the ``camviz`` GUI entry point (wired into ``camviz.cli``)."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from camviz import jsonio
from camviz.app.startup import check_quit_after
from camviz.backends import (
    AUTO,
    Accelerator,
    Delegate,
    backend_for,
    canonical_backend_name,
    delegate_runs,
)
from camviz.errors import CamvizError, DisplayUnavailableError, format_error
from camviz.fileio import write_atomic
from camviz.qt._compat import check_pyside
from camviz.qt.window import MainWindow
from camviz.sources import CameraInfo, list_cameras

__all__ = ["EXIT_STARTUP_FAILED", "run_gui", "final_stats"]

#: a scripted run (--quit-after) whose start-up source or model failed
EXIT_STARTUP_FAILED = 3
_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM") if hasattr(signal, name))


def _cameras() -> list[CameraInfo]:
    try:
        return list_cameras(max_index=4, timeout=1.5)
    except (CamvizError, OSError):
        return []


def final_stats(window: MainWindow) -> dict[str, Any]:
    """Final metrics and the last result, as ``--stats-json`` writes them."""
    fr = window.last_result
    snap = window.final_metrics
    info = window.session.model_info
    return {
        "source": window.source_spec,
        "model": window.model_name,
        "runtime": info.runtime if info is not None else None,
        # the delegate where the runtime ran the model through one (LiteRT's Interpreter)
        "delegate": info.delegate
        if info is not None and delegate_runs(info.runtime, info.device)
        else None,
        "device": info.device if info is not None else None,
        "runs_on": window.meter.value_text("runtime"),
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
        "problems": list(window.problems),
        "startup_error": window.session.startup_error,
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
    delegate: str | None = None,
    backend: str | None = None,
    accelerator: str | None = None,
    settings: QSettings | None = None,
    size: tuple[int, int] | None = None,
) -> int:
    """Open the camviz window and run the Qt event loop; returns the exit code.

    ``source``: "demo", a camera index, a video/image/folder path; ``None`` uses
    the first camera found, else the demo reel (said in the status bar).
    ``model``: zoo name or .tflite path (``None``: last used, else the zoo's
    default). ``threads``: interpreter threads (``None``: last used, else 2).
    ``quit_after``: close after that many seconds. ``stats_json``: on exit,
    write final metrics and the last result there (atomically). ``delegate``:
    where the model runs (``xnnpack``, ``cpu`` or ``LIBRARY[:key=value,...]``).
    ``backend`` and ``accelerator``: the runtime and the device (``--backend``,
    ``--accelerator``; ``None``: the session's default, ``auto`` and ``cpu``). A value
    that is not one, or a runtime that is not installed, is refused before any window;
    a device the machine lacks fails the model load, saying what is missing.
    """
    quit_after = check_quit_after(quit_after)  # nan, inf or < 0: refused before any window
    chosen = Delegate.parse(delegate) if delegate else None  # a bad value: refused now
    runs_on = _runs_on(backend, accelerator)  # likewise
    scripted = quit_after is not None
    check_pyside()
    app = QApplication.instance()
    if app is None:
        require_display()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
        app.setApplicationName("camviz")
        app.setOrganizationName("camviz")
    cameras = _cameras() if source is None else []
    # a scripted run never opens a dialog and never swaps a failing source for the demo
    window = MainWindow(settings=settings, cameras=cameras, interactive=not scripted)
    if threads is not None:
        window.threads_spin.setValue(threads)
    if chosen is not None:
        window.session.update(delegate=chosen)
    if runs_on:
        window.session.update(**runs_on)
    if size is not None:  # else the size restored, or the first one that fits the screen
        window.resize(*size)
    window.show()
    began = time.monotonic()
    started = window.start_up(source, model, cameras)
    failed = not started
    if started:
        failed = _run_loop(app, window, quit_after, scripted)
    code = 2 if not started else (EXIT_STARTUP_FAILED if failed else 0)
    window.shutdown()
    if scripted:
        for problem in window.problems:
            print(f"camviz: {problem}", file=sys.stderr)
        if window.session.startup_error and not window.problems:
            print(f"camviz: {window.session.startup_error}", file=sys.stderr)
    if stats_json is not None:
        stats = final_stats(window)
        stats["wall_s"] = round(time.monotonic() - began, 3)
        stats["exit_code"] = code
        text = jsonio.dumps(stats, indent=2)
        try:
            write_atomic(Path(stats_json), lambda p: p.write_text(text, "utf-8"))
        except OSError as exc:
            print(f"camviz: cannot write {stats_json}: {format_error(exc)}", file=sys.stderr)
            code = code or 1
    window.deleteLater()
    return int(code)


def _runs_on(backend: str | None, accelerator: str | None) -> dict[str, str]:
    """The live options ``backend`` and ``accelerator`` asked for, checked (OptionsError for
    a name that is none, ExtraNotInstalledError for a runtime not installed here)."""
    changes: dict[str, str] = {}
    if backend is not None:
        changes["backend"] = canonical_backend_name(backend)
        if changes["backend"] != AUTO:
            backend_for(None, changes["backend"])  # installed?
    if accelerator is not None:
        changes["accelerator"] = Accelerator.parse(accelerator).value
    return changes


def _run_loop(
    app: QApplication, window: MainWindow, quit_after: float | None, scripted: bool
) -> bool:
    """Run the event loop until the window closes; True if start-up failed (scripted runs
    close as soon as the start-up source or model fails)."""
    if quit_after is not None:
        QTimer.singleShot(max(0, round(quit_after * 1000)), window.close)
    failed = {"startup": False, "signalled": False}

    def on_signal(*_: object) -> None:
        # Runs between two bytecodes of whatever the main thread was doing, maybe
        # inside a lock: only note it; the heartbeat closes from a clean point
        failed["signalled"] = True

    def heartbeat() -> None:
        # Python runs signal handlers only between bytecodes: this wakes the
        # interpreter ten times a second so Ctrl+C / SIGTERM close the window
        session = window.session
        if scripted and session.startup_error and session.last_result is None:
            failed["startup"] = True
            window.close()
        elif failed["signalled"]:
            window.close()

    previous = {sig: signal.signal(sig, on_signal) for sig in _SIGNALS}
    wake = QTimer()
    wake.timeout.connect(heartbeat)
    wake.start(100)
    try:
        app.exec()
        if window.isVisible():  # event loop left some other way: stop threads first
            window.close()
    finally:
        wake.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return failed["startup"]
