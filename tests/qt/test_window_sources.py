"""The window's sources and what the model sees: fit per model, the bar under the video,
drops, recent sources, typed stream URLs, and the Teach dock keeping the video's size."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from camviz.preprocess import LETTERBOX_PAD, Fit, PreprocessSpec, input_region
from camviz.qt.frame_view import FrameView
from tests.conftest import MODELS, PHOTOS, VIDEOS

LITE0 = "efficientnet_lite0_int8"
pytestmark = pytest.mark.skipif(
    not (MODELS / f"{LITE0}.tflite").is_file(), reason=f"models/{LITE0}.tflite"
)


@pytest.mark.parametrize("shape", [(480, 640), (720, 1280), (1280, 720)])  # 4:3, 16:9, portrait
def test_crop_box_on_the_video_is_the_region_fed(qtbot: Any, shape: tuple[int, int]) -> None:
    h, w = shape
    view = FrameView(refresh_hz=0)
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.set_frame(np.zeros((h, w, 3), np.uint8))
    spec = PreprocessSpec()
    view.set_crop_fraction(spec.crop_fraction)
    left, top, cw, ch = input_region(w, h, spec)
    target = view.video_rect()
    box = view.crop_rect()
    assert box is not None
    sx, sy = target.width() / w, target.height() / h  # the frame is scaled onto `target`
    back = ((box.x() - target.x()) / sx, (box.y() - target.y()) / sy)
    assert back == pytest.approx((left, top), abs=1e-6)
    assert (box.width() / sx, box.height() / sy) == pytest.approx((cw, ch), abs=1e-6)


def test_whole_frame_per_model_no_box_and_remembered(
    qtbot: Any, make_window: Any, settings: Any
) -> None:
    win = make_window()
    assert win.start(str(VIDEOS / "vtest.avi"), LITE0)
    qtbot.waitUntil(lambda: win.view.crop_rect() is not None, timeout=30000)
    assert win.fit_combo.isEnabled() and win.fit_combo.currentData() == Fit.CENTER_CROP.value
    index = win.fit_combo.findData(Fit.LETTERBOX.value)
    win.fit_combo.setCurrentIndex(index)
    win.fit_combo.activated.emit(index)  # as a user's pick
    qtbot.waitUntil(
        lambda: (i := win.session.model_info) is not None and i.preprocessing.fit is Fit.LETTERBOX,
        timeout=30000,
    )
    qtbot.waitUntil(lambda: win.view.crop_rect() is None, timeout=5000)  # the whole frame
    qtbot.waitUntil(
        lambda: (
            (t := win.session.model_input()) is not None
            and bool((np.asarray(t)[0] == LETTERBOX_PAD).all())
        ),
        timeout=10000,
    )
    win.save_settings()
    assert settings.value(f"fit/{LITE0}") == "letterbox"
    win.close()
    again = make_window()
    assert again.session.viewing.fit_for(LITE0) is Fit.LETTERBOX  # remembered per model name
    assert again.session.viewing.fit_for("mobilenet_v3_small") is None


def test_slideshow_bar_shows_name_and_position_prev_next(
    qtbot: Any, make_window: Any, tmp_path: Path
) -> None:
    photos = sorted((PHOTOS / "opencv").glob("*.jpg"))[:3]
    folder = tmp_path / "pics"
    folder.mkdir()
    for i, photo in enumerate(photos):
        shutil.copy(photo, folder / f"{i}-{photo.name}")
    win = make_window()
    assert win.start(str(folder), LITE0)
    bar = win.source_bar
    qtbot.waitUntil(lambda: bar.isVisible() and "1/3" in bar.label.text(), timeout=30000)
    assert bar.label.text().startswith("0-") and bar.next_button.isVisible()
    assert not bar.slider.isVisible()
    bar.prev_button.click()  # wraps to the last
    qtbot.waitUntil(lambda: "3/3" in bar.label.text(), timeout=5000)
    bar.next_button.click()
    qtbot.waitUntil(lambda: "1/3" in bar.label.text(), timeout=5000)
    win.activateWindow()
    win.view.setFocus()
    qtbot.keyClick(win.view, Qt.Key.Key_Right)  # the arrow keys step too
    qtbot.waitUntil(lambda: "2/3" in bar.label.text(), timeout=5000)
    qtbot.keyClick(win.view, Qt.Key.Key_Left)
    qtbot.waitUntil(lambda: "1/3" in bar.label.text(), timeout=5000)


def test_video_bar_shows_progress_and_seeks(qtbot: Any, make_window: Any) -> None:
    win = make_window()
    assert win.start(str(VIDEOS / "vtest.avi"), LITE0)
    bar = win.source_bar
    qtbot.waitUntil(lambda: bar.isVisible() and bar.slider.isVisible(), timeout=30000)
    assert "/ 1:19" in bar.label.text() and not bar.next_button.isVisible()
    win.seek_source(0.6)
    qtbot.waitUntil(lambda: bar.slider.value() >= 590, timeout=5000)
    assert bar.label.text().startswith("0:4")  # 47 s of 79
    win.activateWindow()
    win.view.setFocus()
    for _ in range(4):  # 4 x 5 s on, from about 47 s
        qtbot.keyClick(win.view, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: bar.slider.value() >= 800, timeout=5000)


def test_a_skip_just_before_the_window_goes_is_harmless(
    qtbot: Any, settings: Any, tmp_path: Path, no_leaked_threads: None
) -> None:
    # the bar's refresh is timed after a skip; a window deleted before it fires must not see it
    from camviz.qt.window import MainWindow

    win = MainWindow(settings=settings, cameras=[], snapshot_dir=tmp_path)
    win.show()
    assert win.start(str(VIDEOS / "vtest.avi"), LITE0)
    qtbot.waitUntil(lambda: win.session.sources.position() is not None, timeout=30000)
    win.skip_forward()
    win.close()
    win.deleteLater()
    qtbot.wait(400)  # past the 150 ms refresh: an exception here fails the test


def test_demo_has_no_bar(qtbot: Any, make_window: Any) -> None:
    win = make_window()
    assert win.start("demo", LITE0)
    qtbot.waitUntil(lambda: win.results_shown > 0, timeout=30000)
    win.refresh_position()
    assert not win.source_bar.isVisible()


def _drop(win: Any, paths: list[Path]) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(
        QPointF(50, 50),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    win.dropEvent(event)


def test_drops_open_sources_and_models_or_say_why_not(
    qtbot: Any, make_window: Any, tmp_path: Path
) -> None:
    win = make_window()
    assert win.acceptDrops()
    assert win.start("demo", LITE0)
    qtbot.waitUntil(lambda: win.results_shown > 0, timeout=30000)
    _drop(win, [VIDEOS / "bikes.mp4"])
    qtbot.waitUntil(lambda: win.source_spec == str((VIDEOS / "bikes.mp4").absolute()), timeout=5000)
    model = tmp_path / "copy.tflite"
    shutil.copy(MODELS / "squeezenet1_1_int8.tflite", model)
    _drop(win, [model])
    qtbot.waitUntil(
        lambda: (i := win.session.model_info) is not None and i.path == model, timeout=30000
    )
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    _drop(win, [notes])
    assert "Cannot use the file notes.txt" in win.statusBar().currentMessage()
    assert win.source_spec == str((VIDEOS / "bikes.mp4").absolute())


def test_recent_sources_are_offered_and_pruned(
    qtbot: Any, make_window: Any, tmp_path: Path
) -> None:
    clip = tmp_path / "clip.mp4"
    shutil.copy(VIDEOS / "bikes.mp4", clip)
    win = make_window()
    assert win.start(str(clip), LITE0)
    qtbot.waitUntil(lambda: win.results_shown > 0, timeout=30000)
    assert win.start("demo")
    assert win.source_picker.recent() == [str(clip)]  # not the demo
    win.source_picker.show_recent_menu()
    assert [a.text() for a in win.recent_menu.actions()] == ["clip.mp4"]
    win.stop()
    clip.unlink()
    win.source_picker.show_recent_menu()
    assert [a.text() for a in win.recent_menu.actions()] == ["(none yet)"]
    assert win.source_picker.recent() == []


def test_typed_stream_url_is_checked_and_never_shown_with_its_password(
    qtbot: Any, make_window: Any
) -> None:
    win = make_window()
    assert not win.source_picker.open_stream("ftp://admin:hunter2@cam.local/x")
    message = win.statusBar().currentMessage()
    assert "not a stream URL" in message and "hunter2" not in message
    names = [a.text() for a in win.controls.open_menu.actions()]
    assert "Stream URL…" in names and "Recent" in names


def test_teach_dock_keeps_the_video_size(
    qtbot: Any, make_window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtCore import QRect

    room = [QRect(0, 0, 2000, 1000)]
    win = make_window(size=(900, 600))
    win.dock_room.room = lambda: room[0]
    qtbot.waitExposed(win)
    before_view, before_win = win.view.width(), win.width()
    win.teach_action.trigger()
    qtbot.waitUntil(lambda: win.teach_dock.isVisible(), timeout=5000)
    qtbot.waitUntil(lambda: win.width() > before_win + 300, timeout=5000)
    qtbot.wait(50)
    assert not win.teach_dock.isFloating()
    assert abs(win.view.width() - before_view) <= 8, (before_view, win.view.width())
    win.teach_action.trigger()
    qtbot.waitUntil(lambda: win.width() == before_win, timeout=5000)
    room[0] = QRect(0, 0, 1280, 720)
    big = make_window()  # 1280 wide on a 1280 px screen: no room, the dock floats
    big.dock_room.room = lambda: room[0]
    big.teach_action.trigger()
    qtbot.waitUntil(lambda: big.teach_dock.isVisible(), timeout=5000)
    assert big.teach_dock.isFloating()
    assert big.width() == 1280


def test_teach_report_wraps_and_names_the_backbone(qtbot: Any, make_window: Any) -> None:
    from PySide6.QtWidgets import QPlainTextEdit

    win = make_window()
    panel = win.teach_panel
    assert panel.report_text.lineWrapMode() is QPlainTextEdit.LineWrapMode.WidgetWidth
    win.teach_action.trigger()  # loads the backbone
    qtbot.waitUntil(
        lambda: (
            "efficientnet" in panel.backbone_label.text()
            or "mobilenet" in panel.backbone_label.text()
        ),
        timeout=30000,
    )
    session_backbone = panel.backbone_label.text().removeprefix("Features: ")
    from camviz.zoo import load_zoo

    assert session_backbone == load_zoo().default  # what Teaching(backbone="") loads
