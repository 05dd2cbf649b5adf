#!/usr/bin/env bash
# Screenshots of the live window on the demo source, as a user sees it, under Xvfb:
#   assets/screenshots/{live,not-sure,paused,teach,fullscreen,keys}.png, ab.png (A/B: a
#   second model on the same frames) and ab-crop.png (its crop box), and on files:
#   slideshow.png (a folder: file name, 3/20, previous/next), video.png (position, seek),
#   letterbox.png (the model sees the whole frame: no box, grey bands in its input),
#   recording.png (a video recorded to CSV: the REC badge), recording-video.png (the view
#   recorded to a video file, R: REC VIDEO), explain.png (E on chelsea: where the model
#   looks, the map over its crop), and the states a user must
#   never be left guessing in: outage.png (a stream on 127.0.0.1 that stops: RECONNECTING,
#   greyed labels, the meter saying so), fallback.png (an unreachable stream at start:
#   the demo reel with a banner saying why)
#   assets/screenshot.png (the README's: the live window) unless --no-readme
# Each scene runs the real window and pipeline; the picture is taken of the X
# screen (ImageMagick's `import`) where there is one, else with QWidget.grab().
# usage: scripts/screenshot.sh [--out DIR] [--model NAME] [--results N] [--no-readme]
# needs (Debian): xvfb xauth imagemagick
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
[ -x "$PY" ] || PY=python3
SCENES=$(mktemp --suffix=.py)
trap 'rm -f "$SCENES"' EXIT
cat >"$SCENES" <<'PYTHON'
"""The scenes of scripts/screenshot.sh (see there)."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path.cwd()
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from camviz.preprocess import Fit  # noqa: E402
from camviz.qt._compat import check_pyside  # noqa: E402
from camviz.qt.window import MainWindow  # noqa: E402


def settle(app: QApplication, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.005)


def until(app: QApplication, condition, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        settle(app, 0.05)
    return False


def capture(app: QApplication, window: MainWindow, path: Path, whole_screen: bool) -> None:
    window.meter.refresh()
    settle(app, 0.4)  # one more paint of everything
    path.parent.mkdir(parents=True, exist_ok=True)
    on_x = os.environ.get("DISPLAY") and os.environ.get("QT_QPA_PLATFORM", "xcb") == "xcb"
    if on_x and shutil.which("import"):
        target = "root" if whole_screen else str(int(window.winId()))
        subprocess.run(["import", "-window", target, str(path)], check=True)
    else:
        if not window.grab().save(str(path)):
            raise SystemExit(f"cannot write {path}")
    print(f"wrote {path}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=ROOT / "assets" / "screenshots")
    ap.add_argument("--model", default=None)
    ap.add_argument("--results", type=int, default=60, help="results before the first shot")
    ap.add_argument("--no-readme", action="store_true", help="leave assets/screenshot.png")
    ap.add_argument("--timeout", type=float, default=90.0)
    args = ap.parse_args()
    check_pyside()
    app = QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as tmp:
        settings = QSettings(str(Path(tmp) / "camviz.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings=settings, cameras=[], snapshot_dir=Path(tmp) / "snaps")
        window.resize(1280, 720)
        window.move(0, 0)
        window.show()
        try:
            if not window.start("demo", args.model):
                return 1
            shown = lambda: window.results_shown >= args.results and window.results.rows()  # noqa: E731
            if not until(app, shown, args.timeout):
                print("timed out waiting for results", file=sys.stderr)
                return 1
            until(app, lambda: not window.view.inset_rect().isEmpty(), 5.0)
            settle(app, 2.0)  # the meter past its warm-up
            capture(app, window, args.out / "live.png", False)
            if not args.no_readme:
                shutil.copyfile(args.out / "live.png", ROOT / "assets" / "screenshot.png")
                print(f"wrote {ROOT / 'assets' / 'screenshot.png'}")

            window.confidence_spin.setValue(0.99)  # nothing is that likely: "Not sure"
            until(app, window.results.is_uncertain, 10.0)
            settle(app, 0.5)
            capture(app, window, args.out / "not-sure.png", False)
            window.confidence_spin.setValue(0.3)
            until(app, lambda: not window.results.is_uncertain(), 10.0)

            def confident() -> bool:  # pause on a clear frame, not a cross-fade
                fr = window.last_result
                top = fr.result.top if fr is not None else None
                return top is not None and top.score > 0.6 and not fr.result.uncertain

            until(app, confident, 20.0)
            window.set_paused(True)
            settle(app, 1.0)
            capture(app, window, args.out / "paused.png", False)
            window.set_paused(False)

            # A/B (key B): the running model's float twin on the same frames, its sheet beside
            # the first, the agreement and both latencies; then letterboxed: its crop box
            window.ab.toggle()
            until(app, lambda: window.ab.shown is not None and window.ab.shown.pairs >= 40, 40.0)
            settle(app, 1.5)
            capture(app, window, args.out / "ab.png", False)
            window.ab.toggle()
            window.session.viewing.set_fit(Fit.LETTERBOX, "efficientnet_lite0_float32")
            window.ab.toggle()
            until(app, lambda: window.ab.crop.box() is not None, 40.0)
            settle(app, 1.5)
            capture(app, window, args.out / "ab-crop.png", False)
            window.ab.toggle()
            window.session.viewing.set_fit(Fit.CENTER_CROP, "efficientnet_lite0_float32")

            # Teach: the window grows by the dock's width, the video keeps its size
            window.resize(880, 720)
            settle(app, 0.5)
            window.teach_action.trigger()
            panel = window.teach_panel
            for label in ("orange", "background"):
                panel.name_edit.setText(label)
                panel.add_button.click()
            for label in ("orange", "background"):  # one take each: nothing to validate
                panel.start_capture(label)
                settle(app, 1.5)
                panel.stop_capture()
            done: list[object] = []
            panel.trainingFinished.connect(done.append)
            panel.live_check.setChecked(False)
            panel.train()
            until(app, lambda: bool(done), 60.0)
            settle(app, 1.0)
            capture(app, window, args.out / "teach.png", False)
            window.teach_action.trigger()
            settle(app, 0.5)
            window.resize(1280, 720)
            settle(app, 0.5)

            window.show_shortcuts()
            settle(app, 0.5)
            sheet = window.shortcut_sheet
            assert sheet is not None
            sheet.move(window.width() // 2 - sheet.width() // 2, 120)
            settle(app, 0.5)
            capture(app, window, args.out / "keys.png", True)
            sheet.close()

            window.toggle_fullscreen()
            settle(app, 1.5)
            capture(app, window, args.out / "fullscreen.png", True)
            window.leave_fullscreen()
            settle(app, 0.3)

            # file sources: a slideshow with its position, a video with its progress
            window.start(str(ROOT / "assets" / "photos" / "opencv"))
            until(app, lambda: window.source_bar.isVisible(), 20.0)
            for _ in range(2):
                window.step_source(1)
                settle(app, 0.6)
            until(app, lambda: "3/" in window.source_bar.label.text(), 10.0)
            settle(app, 1.5)  # the result of that image
            capture(app, window, args.out / "slideshow.png", False)
            window.start(str(ROOT / "assets" / "video" / "vtest.avi"))
            until(app, lambda: window.source_bar.slider.isVisible(), 20.0)
            window.seek_source(0.4)
            settle(app, 2.0)
            capture(app, window, args.out / "video.png", False)
            window.set_recording(Path(tmp) / "frames.csv")
            settle(app, 1.0)
            capture(app, window, args.out / "recording.png", False)
            window.set_recording(None)
            # the view recorded to a video file (R): the REC VIDEO badge
            window.explain_record.choose_video_path = lambda: Path(tmp) / "view.mp4"
            window.explain_record.toggle_video()
            settle(app, 2.0)
            capture(app, window, args.out / "recording-video.png", False)
            window.explain_record.toggle_video()
            until(app, lambda: window.explain_record.last_video is not None, 30.0)
            # where the model looks (E) on chelsea: the map over the crop the model sees
            window.start(str(ROOT / "assets" / "photos" / "skimage" / "chelsea.png"))
            until(app, lambda: window.results_shown > 0 and "chelsea" in (window.source_spec or ""), 20.0)
            settle(app, 1.0)
            window.explain_record.explain()
            until(app, lambda: window.explain_record.last_explanation is not None, 60.0)
            settle(app, 1.0)
            capture(app, window, args.out / "explain.png", False)
            # the whole frame, letterboxed: no crop box, grey bands in the model input
            window.fit_combo.setCurrentIndex(window.fit_combo.findData("letterbox"))
            window.fit_combo.activated.emit(window.fit_combo.currentIndex())
            until(app, lambda: window.view.crop_rect() is None, 20.0)
            settle(app, 2.0)
            capture(app, window, args.out / "letterbox.png", False)
            window.fit_combo.setCurrentIndex(window.fit_combo.findData("center_crop"))
            window.fit_combo.activated.emit(window.fit_combo.currentIndex())

            # an outage: a real MJPEG stream on 127.0.0.1 that stops
            from tests.sources.conftest import MjpegServer, jpeg_frames

            server = MjpegServer(jpeg_frames(ROOT / "assets" / "video" / "vtest.avi", 60), 15)
            server.start()
            try:
                window.start(server.url)
                until(app, lambda: window.source_spec == server.url, 10.0)
                before = window.results_shown
                until(app, lambda: window.results_shown > before + 20, 30.0)
                server.stop()
                until(app, lambda: "RECONNECTING" in window.view.badges(), 30.0)
                settle(app, 1.0)
                capture(app, window, args.out / "outage.png", False)
            finally:
                server.stop()

            # an unreachable stream at start: the demo reel, and the reason on the video
            window.start_up("http://127.0.0.1:9/camera.mjpg", None)
            until(app, lambda: window.view.banner() is not None, 30.0)
            until(app, lambda: window.results_shown > 0 and window.source_spec == "demo", 20.0)
            settle(app, 2.0)
            capture(app, window, args.out / "fallback.png", False)
        finally:
            window.shutdown()  # no question about the teach samples: a script never waits
            window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
PYTHON
if command -v xvfb-run >/dev/null 2>&1; then
    xvfb-run -a -s "-screen 0 1280x720x24" "$PY" "$SCENES" "$@"
else
    echo "xvfb-run not found (apt-get install xvfb xauth imagemagick): using offscreen" >&2
    QT_QPA_PLATFORM=offscreen "$PY" "$SCENES" "$@"
fi
