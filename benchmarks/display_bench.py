"""Display-path benchmark: numpy RGB frame -> QImage -> painted by FrameView.

Measures, per frame, the work the GUI thread does to show one camera frame:
wrap the numpy buffer in a QImage (no copy), letterbox-scale it, draw the
overlay, painted offscreen by ``FrameView.paint_into`` into a QImage of the
backing store's format (what ``paintEvent`` does), and, for comparison,
through ``QWidget.grab()`` (which adds a pixmap allocation and a full widget
render). Frames are real: a photo (chelsea.png) resized to the frame size and
shifted a little every frame so no cache can help. Everything the window draws
over the video is drawn too: the label, the classifier's crop box and the
224x224 model-input inset (``--bare``: the label only).

    QT_QPA_PLATFORM=offscreen python benchmarks/display_bench.py [--frames 300] [--json]

Target: p50/p95 <= 3 ms a frame at 1280x720.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness import machine, percentiles, time_calls  # noqa: E402
from PySide6.QtCore import QRect, QSize  # noqa: E402
from PySide6.QtGui import QImage, QPainter  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from camviz.qt.frame_view import FrameView  # noqa: E402

TARGET_MS = 3.0


def _frames(width: int, height: int, count: int = 8) -> list[np.ndarray]:
    bgr = cv2.imread(str(ROOT / "assets/photos/skimage/chelsea.png"), cv2.IMREAD_COLOR)
    if bgr is None:
        raise SystemExit("assets/photos/skimage/chelsea.png is missing")
    rgb = cv2.cvtColor(cv2.resize(bgr, (width, height)), cv2.COLOR_BGR2RGB)
    return [np.ascontiguousarray(np.roll(rgb, 7 * i, axis=1)) for i in range(count)]


def bench(
    frame_size: tuple[int, int],
    view_size: tuple[int, int],
    frames: int,
    mode: str,
    mirror: bool,
    overlays: bool = True,
) -> dict[str, object]:
    view = FrameView(refresh_hz=0)
    view.resize(*view_size)
    view.set_mirrored(mirror)
    view.set_overlay("tabby, tabby cat", 0.83)
    pool = _frames(*frame_size)
    if overlays:  # as the window: crop box and model-input inset
        view.set_crop_fraction(0.875)
        view.set_inset(np.ascontiguousarray(pool[0][:224, :224]))
    canvas = QImage(QSize(*view_size), QImage.Format.Format_ARGB32_Premultiplied)
    area = QRect(0, 0, *view_size)

    def show(i: int) -> None:
        view.set_frame(pool[i % len(pool)])
        if mode == "paint":
            painter = QPainter(canvas)
            view.paint_into(painter, area)
            painter.end()
        else:
            view.grab()

    stats = percentiles(time_calls(show, range(frames + 10))[0][10:])  # 10 warm-up frames
    view.deleteLater()
    return {
        "mode": mode,
        "frame": f"{frame_size[0]}x{frame_size[1]}",
        "view": f"{view_size[0]}x{view_size[1]}",
        "mirror": mirror,
        "overlays": overlays,
        "frames": frames,
        "p50_ms": round(stats.p50, 3),
        "p95_ms": round(stats.p95, 3),
        "mean_ms": round(stats.mean, 3),
        "max_ms": round(stats.max, 3),
        "within_target": stats.p95 <= TARGET_MS,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ap.add_argument("--quick", action="store_true", help="only the 1280x720 paint row")
    ap.add_argument("--bare", action="store_true", help="no crop box or inset (label only)")
    args = ap.parse_args(argv)
    app = QApplication.instance() or QApplication([])
    cases: list[tuple[tuple[int, int], tuple[int, int], str, bool]] = [
        ((1280, 720), (1280, 720), "paint", False),
    ]
    if not args.quick:
        cases += [
            ((1280, 720), (1280, 720), "paint", True),
            ((1280, 720), (960, 540), "paint", False),
            ((1280, 720), (800, 600), "paint", False),
            ((640, 480), (1280, 720), "paint", False),
            ((1280, 720), (1280, 720), "grab", False),
        ]
    rows = [bench(f, v, args.frames, m, mir, not args.bare) for f, v, m, mir in cases]
    del app
    if args.json:
        report = {"target_ms": TARGET_MS, "machine": machine().to_dict(), "results": rows}
        print(json.dumps(report, indent=2))
    else:
        print(f"display path, {args.frames} frames each, target p95 <= {TARGET_MS} ms")
        print(f"machine: {machine().line()}")
        print(
            f"{'mode':6} {'frame':>9} {'view':>9} {'mirror':>6} {'p50 ms':>7} {'p95 ms':>7} "
            f"{'mean':>6} {'max':>6}  ok"
        )
        for r in rows:
            print(
                f"{r['mode']:6} {r['frame']:>9} {r['view']:>9} {r['mirror']!s:>6} "
                f"{r['p50_ms']:7.2f} {r['p95_ms']:7.2f} {r['mean_ms']:6.2f} {r['max_ms']:6.2f}"
                f"  {'yes' if r['within_target'] else 'NO'}"
            )
    return 0 if rows[0]["within_target"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
