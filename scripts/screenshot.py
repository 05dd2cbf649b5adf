"""Screenshot of the live camviz window on the demo source -> assets/screenshot.png.

Runs the real window and pipeline, waits until ``--results`` results were
shown (labels visible, meter filled), then grabs the window from inside the
app with ``QWidget.grab()``. Run under a display or Xvfb (scripts/screenshot.sh);
``QT_QPA_PLATFORM=offscreen`` works too.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from camviz.qt._compat import check_pyside  # noqa: E402
from camviz.qt.window import MainWindow  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", default="demo")
    ap.add_argument("--model", default=None)
    ap.add_argument("--out", type=Path, default=ROOT / "assets" / "screenshot.png")
    ap.add_argument("--size", default="1280x720", help="window size WxH")
    ap.add_argument("--results", type=int, default=200, help="results to wait for")
    ap.add_argument("--timeout", type=float, default=60.0)
    args = ap.parse_args(argv)
    check_pyside()
    width, height = (int(v) for v in args.size.lower().split("x"))
    app = QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as tmp:
        settings = QSettings(str(Path(tmp) / "camviz.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings=settings)
        window.resize(width, height)
        window.show()
        window.start(args.source, args.model)
        status = {"code": 1}

        def shoot() -> None:
            image = window.grab().toImage()
            args.out.parent.mkdir(parents=True, exist_ok=True)
            if image.save(str(args.out)):
                print(
                    f"wrote {args.out} ({image.width()}x{image.height()}) after "
                    f"{window.results_shown} results"
                )
                status["code"] = 0
            window.close()

        def check() -> None:
            if window.results_shown >= args.results and window.results.rows():
                poll.stop()
                # one more meter refresh and paint so numbers match the labels
                window.meter.refresh()
                QTimer.singleShot(300, shoot)

        poll = QTimer()
        poll.timeout.connect(check)
        poll.start(100)

        def give_up() -> None:
            print(
                f"timed out after {args.timeout} s with {window.results_shown} results",
                file=sys.stderr,
            )
            window.close()

        QTimer.singleShot(round(args.timeout * 1000), give_up)
        app.exec()
        window.shutdown()
    return status["code"]


if __name__ == "__main__":
    raise SystemExit(main())
