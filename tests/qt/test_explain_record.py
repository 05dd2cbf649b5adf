"""Issue 22 in the window: E explains the paused frame (progress, cancel, the map over the
crop), R records the view to a video file (REC badge, the file plays back)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import pytest
from PySide6.QtCore import Qt

from camviz.qt.explain_record import VIDEO_BADGE
from camviz.qt.frame_view import qimage_to_numpy
from camviz.qt.window import MainWindow

ROOT = Path(__file__).resolve().parents[2]
CHELSEA = ROOT / "assets" / "photos" / "skimage" / "chelsea.png"
LITE0 = "efficientnet_lite0_int8"
#: chelsea.png (451 x 300): the cat, (left, top, right, bottom), as in tests/explain
CAT_BOX = (40, 0, 400, 300)

pytestmark = [
    pytest.mark.gui,
    pytest.mark.skipif(
        not (ROOT / "models" / f"{LITE0}.tflite").is_file(), reason=f"models/{LITE0}.tflite"
    ),
]


def _started(qtbot: Any, win: MainWindow, source: str, results: int = 2) -> None:
    win.start(source, LITE0)
    target = win.results_shown + results
    qtbot.waitUntil(lambda: win.results_shown >= target, timeout=30000)
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=3000)


def _ended(win: MainWindow) -> list[str]:
    ended: list[str] = []
    win.explain_record.explainEnded.connect(ended.append)
    return ended


def test_e_maps_the_paused_chelsea_and_the_hottest_cell_lies_on_the_cat(
    qtbot: Any, make_window: Any
) -> None:
    win = make_window()
    _started(qtbot, win, str(CHELSEA))
    ended = _ended(win)
    bar = win.explain_box.progress
    values: list[int] = []
    bar.valueChanged.connect(values.append)
    qtbot.keyClick(win, Qt.Key.Key_E)
    assert win.is_paused()  # E pauses first
    assert bar.isVisible() and win.explain_box.explain_button.text() == "Cancel"
    qtbot.waitUntil(lambda: ended == ["done"], timeout=60000)
    ex = win.explain_record.last_explanation
    assert ex is not None and "cat" in ex.label
    assert ex.frame_size == (451, 300)
    x, y, w, h = ex.cell_box(*ex.hottest)
    assert CAT_BOX[0] <= x + w / 2 <= CAT_BOX[2] and CAT_BOX[1] <= y + h / 2 <= CAT_BOX[3]
    assert values and values[-1] == 100 and len(set(values)) > 5  # progress moved, to the end
    assert not bar.isVisible() and win.explain_box.explain_button.text() == "Explain"
    assert win.view.heat_shown()
    # the map is drawn over the crop the model sees, and only there
    with_map = qimage_to_numpy(win.view.render_image())
    said = win.status_said  # what the map's end said, before the snapshot says its own
    # S while the map is shown: the snapshot has it, and the crop box, as the view does
    saved = win.snapshot()
    assert saved is not None
    snap = cv2.cvtColor(cv2.imread(str(saved[0])), cv2.COLOR_BGR2RGB)
    plain = cv2.cvtColor(cv2.imread(str(CHELSEA)), cv2.COLOR_BGR2RGB)
    left, top, rw, rh = ex.region
    inner = (slice(top + 60, top + rh - 10), slice(left + 10, left + rw - 10))
    assert (snap[inner] != plain[inner]).any(axis=2).mean() > 0.5  # the map
    outside = (slice(top + 60, top + rh - 10), slice(0, max(1, left - 6)))
    assert (snap[outside] == plain[outside]).all(axis=2).mean() > 0.95  # nothing out there
    edge = snap[top + rh // 2, left - 2 : left + 3]  # the crop box's dark band and light line
    assert edge.min() < 60 and edge.max() > 200
    win.view.set_heat(None)
    without = qimage_to_numpy(win.view.render_image())
    left, top, rw, rh = ex.region
    changed = (with_map != without).any(axis=2)
    assert changed[top : top + rh, left : left + rw].mean() > 0.5
    changed[top : top + rh, left : left + rw] = False
    assert not changed.any()
    assert "tiger cat" in said or ex.label in said


def test_the_map_goes_when_the_frame_moves_on(qtbot: Any, make_window: Any) -> None:
    win = make_window()
    _started(qtbot, win, "demo")
    ended = _ended(win)
    win.explain_box.explain_button.click()  # the control, as the key
    qtbot.waitUntil(lambda: ended == ["done"], timeout=60000)
    assert win.view.heat_shown()
    win.set_paused(False)
    qtbot.waitUntil(lambda: not win.view.heat_shown(), timeout=5000)


def test_escape_and_e_again_cancel_a_map_under_way(qtbot: Any, make_window: Any) -> None:
    win = make_window(size=(1100, 480))  # short: the explain box starts below the fold
    _started(qtbot, win, "demo")
    ended = _ended(win)
    bar = win.explain_box.progress
    viewport = win.side_panel.viewport()
    for key in (Qt.Key.Key_Escape, Qt.Key.Key_E):
        win.side_panel.verticalScrollBar().setValue(0)
        qtbot.keyClick(win, Qt.Key.Key_E)
        qtbot.waitUntil(lambda: 0 < bar.value() < 100, timeout=30000)
        top = bar.mapTo(viewport, bar.rect().topLeft()).y()
        assert top >= 0 and top + bar.height() <= viewport.height()  # E scrolled it into view
        qtbot.keyClick(win, key)
        qtbot.waitUntil(lambda: len(ended) == 1, timeout=10000)
        assert ended.pop() == "cancelled"
        assert not bar.isVisible() and not win.view.heat_shown()
        assert win.explain_record.last_explanation is None
        assert win.status_said == "Explain cancelled"
    assert win.is_paused()


def test_r_records_10_s_of_the_demo_that_cv2_plays_back(
    qtbot: Any, make_window: Any, tmp_path: Path
) -> None:
    win = make_window()
    _started(qtbot, win, "demo")
    out = tmp_path / "demo.mp4"
    win.explain_record.choose_video_path = lambda: out
    stopped: list[Any] = []
    win.explain_record.videoStopped.connect(stopped.append)
    qtbot.keyClick(win, Qt.Key.Key_R)
    assert VIDEO_BADGE in win.view.badges() and win.explain_box.video_check.isChecked()
    shown_before = win.view.frames_painted
    qtbot.wait(10000)
    shown = win.view.frames_painted - shown_before
    qtbot.keyClick(win, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: bool(stopped), timeout=30000)
    stats = stopped[0]
    assert VIDEO_BADGE not in win.view.badges() and not win.explain_box.video_check.isChecked()
    assert stats.error is None and stats.fps == 30.0  # the demo reel's rate
    assert stats.written + stats.dropped == stats.offered
    assert f"{stats.dropped} dropped" in win.status_said
    capture = cv2.VideoCapture(str(out))
    played, size = 0, None
    while True:
        ok, image = capture.read()
        if not ok:
            break
        played, size = played + 1, image.shape[1::-1]
    capture.release()
    assert played == stats.written and size == stats.size
    # 10 s at the reel's 30 fps; within 5% of the frames captured (and shown) meanwhile
    assert abs(played - stats.offered) <= 0.05 * stats.offered
    assert stats.offered >= 0.9 * 300
    assert shown > 0


def test_a_folder_or_unknown_container_is_refused_and_the_box_unticked(
    qtbot: Any, make_window: Any, tmp_path: Path
) -> None:
    win = make_window()
    _started(qtbot, win, "demo")
    for bad in (tmp_path, tmp_path / "clip.mkv"):
        win.explain_record.choose_video_path = lambda bad=bad: bad
        win.explain_box.video_check.click()
        assert not win.explain_box.video_check.isChecked()
        assert VIDEO_BADGE not in win.view.badges()
        assert win.status_said.startswith("Cannot record")
