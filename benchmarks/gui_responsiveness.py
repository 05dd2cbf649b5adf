"""GUI responsiveness with a slow model: the GUI thread must never wait on inference.

Runs the real window on the demo source (paced at its 30 fps) with a slow model
(efficientnet_lite2_float32, 1 thread, else lite2_int8) and measures, over
``--seconds`` after the first result:

* repaint fps: distinct frames the FrameView painted per second (paintEvents
  that showed a new frame), target >= 20;
* inference fps: results per second, far lower for a slow model; the preview
  must not follow it;
* event-loop lateness: how late a 10 ms QTimer fires (p50/p95/max), i.e. how
  long the GUI thread is ever busy at once.

    QT_QPA_PLATFORM=offscreen python benchmarks/gui_responsiveness.py [--seconds 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness import machine, percentiles  # noqa: E402
from PySide6.QtCore import QElapsedTimer, QSettings, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from camviz.qt._compat import check_pyside  # noqa: E402
from camviz.qt.window import MainWindow  # noqa: E402
from camviz.zoo import load_zoo  # noqa: E402

TARGET_FPS = 20.0
SLOW_MODELS = ("efficientnet_lite2_float32", "efficientnet_lite2_int8")


def pick_slow_model() -> str:
    names = load_zoo().names
    for name in SLOW_MODELS:
        if name in names and (ROOT / "models" / f"{name}.tflite").is_file():
            return name
    raise SystemExit(f"none of {SLOW_MODELS} is in models/")


def measure(
    model: str,
    threads: int = 1,
    seconds: float = 5.0,
    source: str = "demo",
    warmup_timeout: float = 60.0,
    size: tuple[int, int] = (1280, 720),
) -> dict[str, Any]:
    """Run the window and measure; usable from tests (needs a QApplication)."""
    app = QApplication.instance()
    assert app is not None, "create a QApplication first"
    with tempfile.TemporaryDirectory() as tmp:
        settings = QSettings(str(Path(tmp) / "camviz.ini"), QSettings.Format.IniFormat)
        win = MainWindow(settings=settings, cameras=[])
        try:
            win.threads_spin.setValue(threads)
            win.resize(*size)
            win.show()
            win.start(source, model)
            deadline = time.monotonic() + warmup_timeout
            while win.results_shown < 2 and time.monotonic() < deadline:
                app.processEvents()
                time.sleep(0.002)
            if win.results_shown < 2:
                raise RuntimeError(f"no results from {model} within {warmup_timeout} s")
            lateness: list[float] = []
            clock = QElapsedTimer()
            clock.start()
            last = [clock.nsecsElapsed()]
            interval_ms = 10

            def tick() -> None:
                now = clock.nsecsElapsed()
                lateness.append(max(0.0, (now - last[0]) / 1e6 - interval_ms))
                last[0] = now

            probe = QTimer()
            probe.setTimerType(Qt.TimerType.PreciseTimer)
            probe.timeout.connect(tick)
            probe.start(interval_ms)
            painted0, paints0 = win.view.frames_painted, win.view.paint_count
            results0 = win.results_shown
            received0 = win.bridge.results_received
            t0 = time.monotonic()
            while time.monotonic() - t0 < seconds:
                app.processEvents()
                time.sleep(0.001)
            elapsed = time.monotonic() - t0
            probe.stop()
            snap = win.session.metrics_snapshot()
            invoke = snap.stages_ms.get("invoke") if snap else None
            late = percentiles(lateness)
            return {
                "model": model,
                "threads": threads,
                "source": source,
                "seconds": round(elapsed, 2),
                "repaint_fps": round((win.view.frames_painted - painted0) / elapsed, 2),
                "paint_events_per_s": round((win.view.paint_count - paints0) / elapsed, 2),
                "inference_fps": round((win.bridge.results_received - received0) / elapsed, 2),
                "results_shown_per_s": round((win.results_shown - results0) / elapsed, 2),
                "capture_fps": round(snap.capture_fps, 2) if snap else None,
                "invoke_ms_p50": round(invoke.p50, 1) if invoke else None,
                "loop_late_ms_p50": round(late.p50, 2),
                "loop_late_ms_p95": round(late.p95, 2),
                "loop_late_ms_max": round(late.max, 2),
                "target_repaint_fps": TARGET_FPS,
            }
        finally:
            win.close()
            win.deleteLater()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="default: the slowest built EfficientNet-Lite2")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--source", default="demo")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    check_pyside()
    app = QApplication(sys.argv[:1])
    row = measure(args.model or pick_slow_model(), args.threads, args.seconds, args.source)
    ok = row["repaint_fps"] >= TARGET_FPS
    row["ok"] = ok
    if args.json:
        print(json.dumps({**row, "machine": machine().to_dict()}, indent=2))
    else:
        print(f"GUI responsiveness: {row['model']} ({row['threads']} thread), {row['source']}")
        print(f"  machine: {machine().line()}")
        for key in (
            "capture_fps",
            "inference_fps",
            "invoke_ms_p50",
            "repaint_fps",
            "paint_events_per_s",
            "loop_late_ms_p50",
            "loop_late_ms_p95",
            "loop_late_ms_max",
        ):
            print(f"  {key:20} {row[key]}")
        print(f"  repaint >= {TARGET_FPS:.0f} fps: {'yes' if ok else 'NO'}")
    del app
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
