"""No window state a user can get stuck in (issue 19, "The window", items 1-10), each
reproduced with the real window, the zoo's models, the assets' videos and photos and,
for an outage, a real MJPEG stream served on 127.0.0.1 that the test stops."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QRect, QSettings, QSize, Qt
from PySide6.QtWidgets import QMessageBox

from camviz.qt import pickers
from camviz.qt.model_info import elide, plain_words, tensor_to_display
from camviz.qt.window_layout import first_size

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"
VIDEO = ROOT / "assets" / "video" / "vtest.avi"
PHOTO = ROOT / "assets" / "photos" / "skimage" / "astronaut.png"
LITE0 = "efficientnet_lite0_int8"
SQUEEZE = "squeezenet1_1_float32"
needs_lite0 = pytest.mark.skipif(
    not (MODELS / f"{LITE0}.tflite").is_file(), reason=f"models/{LITE0}.tflite"
)

sys.path.insert(0, str(ROOT))  # tests.sources.conftest: the stream servers
from tests.sources.conftest import MjpegServer, jpeg_frames  # noqa: E402


def results_after(win: Any, n: int) -> Any:
    before = win.results_shown
    return lambda: win.results_shown >= before + n


# ---------------------------------------------------------------- 1: switches never hang
@needs_lite0
def test_a_broken_model_then_a_video_classifies_the_video_and_lists_each_model_once(
    qtbot: Any, make_window: Any, tmp_path: Path, dialogs: list[tuple[str, str]], monkeypatch: Any
) -> None:
    mine = tmp_path / "mine.tflite"
    shutil.copy(MODELS / f"{LITE0}.tflite", mine)
    broken = tmp_path / "broken.tflite"
    broken.write_bytes(b"TFL3" + bytes(range(256)) * 8)
    win = make_window()
    assert win.start("demo", str(mine))
    qtbot.waitUntil(lambda: win.last_result is not None, timeout=30000)
    assert win.model_picker.running == str(mine)
    monkeypatch.setattr(pickers.QFileDialog, "getOpenFileName", lambda *a, **k: (str(broken), ""))
    win.model_combo.activated.emit(win.model_combo.findData(None))  # "Open a model file…" -> broken
    qtbot.waitUntil(lambda: bool(dialogs), timeout=30000)
    assert dialogs[-1][0] == "Model failed to load"
    assert "`" not in dialogs[-1][1]
    assert win.model_picker.index_of(str(broken)) < 0  # a file that failed leaves the list
    assert win.model_combo.currentData() == str(mine)
    monkeypatch.setattr(pickers.QFileDialog, "getOpenFileName", lambda *a, **k: (str(VIDEO), ""))
    win.source_picker.open_video()
    began = time.monotonic()
    qtbot.waitUntil(
        lambda: win.source_spec == str(VIDEO) and win.last_result is not None, timeout=5000
    )
    assert time.monotonic() - began < 5.0
    assert win.last_result.model == "mine"
    specs = win.model_picker.specs()
    assert sum(pickers.same_model(s, str(mine)) for s in specs) == 1, specs
    assert len(specs) == len(set(specs))
    assert win.model_combo.currentData() == str(mine)


@needs_lite0
def test_a_switch_that_never_completes_is_said_and_not_waited_for(
    qtbot: Any, make_window: Any
) -> None:
    win = make_window()
    win.video_state.switch_timeout_s = 0.5
    assert win.start("demo", LITE0)
    qtbot.waitUntil(lambda: win.last_result is not None, timeout=30000)
    win.video_state.model_requested("slow_model")  # a load that never answers
    qtbot.waitUntil(lambda: "did not load within" in win.status_said, timeout=5000)
    assert f"still running {LITE0}" in win.status_said
    assert not win.video_state.pending


def test_a_source_whose_model_fails_says_why_on_the_video(
    qtbot: Any, make_window: Any, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.tflite"
    broken.write_bytes(b"not a model")
    win = make_window(interactive=False)
    win.start("demo", str(broken))
    qtbot.waitUntil(lambda: win.view.placeholder().startswith("Cannot play"), timeout=30000)
    assert "Opening" not in win.view.placeholder()
    qtbot.waitUntil(lambda: win.model_picker.index_of(str(broken)) < 0, timeout=5000)


# ---------------------------------------------------------------- 2: an outage shows
@needs_lite0
@pytest.mark.slow
def test_a_stream_that_drops_shows_reconnecting_greyed_labels_and_a_meter_that_says_so(
    qtbot: Any, make_window: Any
) -> None:
    frames = jpeg_frames(VIDEO, limit=40, quality=80)
    server = MjpegServer(frames, fps=15).start()
    try:
        win = make_window()
        assert win.start(server.url, LITE0)
        qtbot.waitUntil(lambda: win.results_shown > 5, timeout=30000)
        assert "RECONNECTING" not in win.view.badges()
        server.stop()
        qtbot.waitUntil(lambda: "RECONNECTING" in win.view.badges(), timeout=30000)
        assert win.view.is_stale() and win.results.is_stale()
        win.meter.refresh()
        assert win.meter.state() == "reconnecting"
        assert "source lost" in win.meter.status_text()
        assert win.meter.status().value == "idle"  # grey, not a confident GREEN
        server.start()  # the same port: the stream comes back
        qtbot.waitUntil(lambda: "RECONNECTING" not in win.view.badges(), timeout=60000)
        qtbot.waitUntil(results_after(win, 3), timeout=30000)
        assert not win.view.is_stale() and not win.results.is_stale()
    finally:
        server.stop()


# ---------------------------------------------------------------- 3: navigation while paused
@needs_lite0
def test_seeking_while_paused_shows_the_frame_it_lands_on(qtbot: Any, make_window: Any) -> None:
    win = make_window()
    assert win.start(str(VIDEO), LITE0)
    qtbot.waitUntil(lambda: win.results_shown > 3, timeout=30000)
    win.set_paused(True)
    qtbot.wait(300)
    before = win.last_result
    assert before is not None and before.frame.position_ms is not None
    win.seek_source(0.75)
    qtbot.waitUntil(
        lambda: (
            win.last_result is not None
            and win.last_result.frame.position_ms is not None
            and abs(win.last_result.frame.position_ms - before.frame.position_ms) > 5000
        ),
        timeout=10000,
    )
    qtbot.waitUntil(lambda: win.session.paused, timeout=6000)  # paused again, on that frame
    assert win.is_paused() and "PAUSED" in win.view.badges()
    qtbot.wait(500)  # a frame already queued may still be classified
    landed = win.last_result.frame.position_ms
    assert landed is not None
    qtbot.wait(500)
    assert win.last_result.frame.position_ms == landed  # it stays there
    shown = win.view.frame()
    assert shown is not None and np.array_equal(shown, win.last_result.frame.image)
    win.skip_back()  # ←: 5 s back, shown while paused too
    qtbot.waitUntil(
        lambda: (
            win.last_result.frame.position_ms is not None
            and win.last_result.frame.position_ms < landed - 2000
        ),
        timeout=10000,
    )


# ---------------------------------------------------------------- 4: the meter's words
@needs_lite0
def test_the_meter_says_paused_and_a_still_image_has_no_camera_fps(
    qtbot: Any, make_window: Any
) -> None:
    win = make_window()
    assert win.start("demo", LITE0)
    qtbot.waitUntil(lambda: win.results_shown > 3, timeout=30000)
    win.set_paused(True)
    qtbot.wait(200)
    win.meter.refresh()
    assert win.meter.state() == "paused"
    assert "no frames yet" not in win.meter.status_text()
    win.set_paused(False)
    assert win.start(str(PHOTO))
    qtbot.waitUntil(results_after(win, 2), timeout=30000)
    win.meter.refresh()
    assert win.meter.value_text("camera") == "still image"
    assert win.start("demo")
    qtbot.waitUntil(results_after(win, 2), timeout=30000)
    win.meter.refresh()
    assert win.meter.value_text("camera") != "still image"


# ---------------------------------------------------------------- 5, 6: restart, first size
@needs_lite0
def test_the_last_model_and_the_geometry_come_back_after_a_restart(
    qtbot: Any, make_window: Any, settings: QSettings, tmp_path: Path
) -> None:
    mine = tmp_path / "mine.tflite"
    shutil.copy(MODELS / f"{LITE0}.tflite", mine)
    win = make_window(size=(700, 520))  # within the offscreen screen (800x600)
    assert win.start_up("demo", str(mine))
    qtbot.waitUntil(lambda: win.last_result is not None, timeout=30000)
    win.close()
    again = make_window(size=None)
    assert again.geometry_restored
    assert (again.width(), again.height()) == (700, 520)
    assert again.start_up("demo", None)
    qtbot.waitUntil(lambda: again.last_result is not None, timeout=30000)
    assert again.model_name == "mine"
    qtbot.waitUntil(lambda: again.model_combo.currentData() == str(mine), timeout=5000)


def test_the_first_size_fits_the_screen() -> None:
    # QT_SCALE_FACTOR=2 on 1920x1080: 960x540 logical pixels, less the task bar
    room = QRect(0, 0, 960, 510)
    size = first_size(QSize(1280, 720), room)
    assert size.width() <= 960 * 0.9 and size.height() <= 510 * 0.9
    assert abs(size.width() / size.height() - 1280 / 720) < 0.02
    assert first_size(QSize(1280, 720), QRect(0, 0, 2560, 1440)) == QSize(1280, 720)


def test_a_window_without_saved_geometry_starts_within_its_screen(make_window: Any) -> None:
    win = make_window(size=None)
    room = win.screen().availableGeometry()
    assert not win.geometry_restored
    assert win.width() <= room.width() and win.height() <= room.height()


# ---------------------------------------------------------------- 7: the Teach dock's room
def test_the_teach_dock_on_a_window_that_cannot_grow_leaves_the_controls_and_meter_clear(
    qtbot: Any, make_window: Any
) -> None:
    win = make_window()
    win.dock_room.room = lambda: QRect(0, 0, 1280, 720)
    qtbot.waitExposed(win)
    win.teach_action.trigger()
    qtbot.waitUntil(lambda: win.teach_dock.isVisible(), timeout=5000)
    assert win.teach_dock.isFloating()
    dock = win.teach_dock.frameGeometry()
    panel = QRect(win.side_panel.mapToGlobal(QPoint(0, 0)), win.side_panel.size())
    assert not dock.intersects(panel), (dock, panel)


def test_the_results_percentages_are_never_cut(qtbot: Any, make_window: Any) -> None:
    from camviz.results import Category, ClassificationResult, StageTimes

    win = make_window(size=(700, 500))
    qtbot.waitExposed(win)
    cats = tuple(
        Category(i, f"a very long label number {i} that goes on and on", 0.999 - i * 0.1)
        for i in range(5)
    )
    win.results.set_result(
        ClassificationResult(
            categories=cats,
            probabilities=np.array([c.score for c in cats], np.float32),
            uncertain=False,
            model=LITE0,
            times=StageTimes(1.0, 10.5, 0.5),
        )
    )
    qtbot.wait(50)
    for _, _, percent in win.results.row_widgets()[:5]:
        assert percent.width() >= percent.fontMetrics().horizontalAdvance("100.0%")


# ---------------------------------------------------------------- 8: a fallback said plainly
def test_an_unreachable_stream_at_start_says_the_fallback_on_the_video(
    qtbot: Any, make_window: Any
) -> None:
    win = make_window()
    url = "http://127.0.0.1:9/video.mjpg"  # discard port: nothing listens
    assert win.start_up(url, LITE0 if (MODELS / f"{LITE0}.tflite").is_file() else None)
    qtbot.waitUntil(lambda: win.view.banner() is not None, timeout=30000)
    assert win.source_spec == "demo"
    banner = win.view.banner()
    assert banner is not None and "127.0.0.1" in banner and "demo reel" in banner
    win.start("demo")  # the user picks a source: the banner goes
    qtbot.waitUntil(lambda: win.view.banner() is None, timeout=5000)


# ---------------------------------------------------------------- 9: Q asks
def test_q_asks_before_dropping_unsaved_teach_samples(
    qtbot: Any, make_window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    answer = [QMessageBox.StandardButton.No]

    def question(parent: object, title: str, text: str, *a: object) -> Any:
        asked.append(text)
        return answer[0]

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    win = make_window()
    win.session.teaching.events.counts.emit({"mug": 3})  # as the worker reports a capture
    assert win.teach_panel.unsaved_samples() == 3
    win.close()
    assert asked and "3 teach samples" in asked[0]
    assert win.isVisible()  # No: the window stays
    answer[0] = QMessageBox.StandardButton.Yes
    win.close()
    assert not win.isVisible()


def test_q_closes_at_once_with_nothing_to_lose(
    qtbot: Any, make_window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a: asked.append("?")))
    win = make_window()
    win.close()
    assert not asked and not win.isVisible()


# ---------------------------------------------------------------- 10: the small things
def test_a_click_on_the_seek_bar_jumps_there(qtbot: Any) -> None:
    from camviz.app.viewing import SourcePosition
    from camviz.qt.source_bar import SEEK_STEPS, SourceBar

    bar = SourceBar()
    qtbot.addWidget(bar)
    bar.resize(600, 30)
    bar.show_position(SourcePosition("video", "v", position_ms=0.0, duration_ms=60000.0))
    qtbot.waitExposed(bar)
    asked: list[float] = []
    bar.seekRequested.connect(asked.append)
    slider = bar.slider
    x = slider.width() * 3 // 4
    qtbot.mouseClick(slider, Qt.MouseButton.LeftButton, pos=QPoint(x, slider.height() // 2))
    assert asked and abs(asked[-1] - 0.75) < 0.06, asked
    assert abs(slider.value() / SEEK_STEPS - asked[-1]) < 1e-9


def test_full_screen_has_a_larger_label_and_says_how_to_leave(qtbot: Any, make_window: Any) -> None:
    win = make_window()
    qtbot.waitExposed(win)
    normal = win.view.label_font().pointSizeF()
    assert win.view.banner() is None
    win.toggle_fullscreen()
    assert win.view.label_font().pointSizeF() >= normal * 1.8
    assert "Esc" in (win.view.banner() or "")
    win.leave_fullscreen()
    qtbot.waitUntil(lambda: not win.isFullScreen(), timeout=5000)
    assert win.view.label_font().pointSizeF() == normal and win.view.banner() is None


def test_dialog_words_are_for_a_user() -> None:
    text = (
        "x.tflite is not a classifier: choose a .tflite image classifier"
        " or a model from `camviz models`"
    )
    said = plain_words(text)
    assert "`" not in said and "camviz models" not in said and "Model list" in said


def test_long_status_messages_and_model_names_are_elided_with_a_tooltip(
    make_window: Any,
) -> None:
    win = make_window(size=(600, 400))
    message = "word " * 200
    win.say(message.strip())
    shown = win.statusBar().currentMessage()
    assert shown.endswith("…") and len(shown) < len(message)
    assert win.statusBar().toolTip() == message.strip() == win.status_said
    name = "a_really_long_model_name_that_does_not_fit_in_the_side_panel_int8"
    cut = elide(name, 34)
    assert cut.endswith("…") and len(cut) <= 34 and name.startswith(cut[:-1])


def test_a_bgr_model_input_is_shown_in_rgb(astronaut: Any) -> None:
    bgr_tensor = astronaut[None, :, :, ::-1].astype("float32")  # what a Caffe model is fed
    shown = tensor_to_display(bgr_tensor, bgr=True)
    # the picture's red channel is the photo's red (stretched min..max, same order)
    red, blue = shown[..., 0].astype(float), shown[..., 2].astype(float)
    assert abs(red.mean() - astronaut[..., 0].mean()) < abs(blue.mean() - astronaut[..., 0].mean())


@pytest.mark.skipif(not (MODELS / f"{SQUEEZE}.tflite").is_file(), reason=f"models/{SQUEEZE}.tflite")
def test_squeezenet_inset_matches_the_video_colours(qtbot: Any, make_window: Any) -> None:
    win = make_window()
    assert win.start(str(PHOTO), SQUEEZE)
    qtbot.waitUntil(lambda: win.last_result is not None, timeout=30000)
    qtbot.waitUntil(lambda: win.input_view.frame() is not None, timeout=5000)
    inset = win.input_view.frame().astype(float)
    frame = win.last_result.frame.image.astype(float)
    # the astronaut's suit and flag: more red than blue in the photo, so in the inset
    photo_red_minus_blue = frame[..., 0].mean() - frame[..., 2].mean()
    inset_red_minus_blue = inset[..., 0].mean() - inset[..., 2].mean()
    assert photo_red_minus_blue * inset_red_minus_blue > 0, (
        photo_red_minus_blue,
        inset_red_minus_blue,
    )


@needs_lite0
def test_recording_shows_a_rec_badge(qtbot: Any, make_window: Any, tmp_path: Path) -> None:
    win = make_window()
    assert win.start("demo", LITE0)
    qtbot.waitUntil(lambda: win.last_result is not None, timeout=30000)
    assert win.set_recording(tmp_path / "frames.csv")
    qtbot.waitUntil(lambda: "REC" in win.view.badges(), timeout=5000)
    win.set_recording(None)
    qtbot.waitUntil(lambda: "REC" not in win.view.badges(), timeout=5000)


# ---------------------------------------------------------------- issue 20.5 / 24.7
def test_a_scripted_window_never_writes_the_settings(make_window: Any, settings: QSettings) -> None:
    win = make_window(interactive=False)
    win.close()
    settings.sync()
    assert win.store.writes == 0
    assert settings.allKeys() == []


def test_a_setting_that_cannot_be_saved_is_said_once(make_window: Any, tmp_path: Path) -> None:
    where = tmp_path / "camviz.ini"
    where.mkdir()  # a folder where the file should be: nothing can be written (even as root)
    win = make_window(settings=QSettings(str(where), QSettings.Format.IniFormat))
    said: list[str] = []
    win.store.problem.connect(said.append)
    win.save_settings()
    win.save_settings()
    assert len(said) == 1 and "Settings not saved" in said[0]
    assert "Settings not saved" in win.status_said


def test_the_model_list_holds_a_path_once_however_it_is_written(
    qtbot: Any, make_window: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = tmp_path / "mine.tflite"
    mine.write_bytes(b"x")
    monkeypatch.chdir(tmp_path)
    win = make_window()
    win.model_picker.select(str(mine))
    win.model_picker.select("mine.tflite")
    win.model_picker.select(str(tmp_path / "." / "mine.tflite"))
    assert sum(1 for s in win.model_picker.specs() if s.endswith("mine.tflite")) == 1


def test_the_model_list_is_the_running_one_after_a_refusal(make_window: Any) -> None:
    win = make_window()
    names = win.model_picker.specs()
    if len(names) < 2:
        pytest.skip("needs two zoo models")
    win.model_picker.running = names[0]
    win.model_picker.select(names[1])  # asked for; then MODEL_FAILED:
    win.model_picker.failed()
    assert win.model_combo.currentData() == names[0]


# ---------------------------------------------------------------- the meter's CPU load
@needs_lite0
def test_the_meter_shows_the_cpu_load_per_frame(qtbot: Any, make_window: Any) -> None:
    from camviz.qt.meter import cpu_text

    win = make_window()
    assert win.start("demo", LITE0)
    qtbot.waitUntil(lambda: win.results_shown > 10, timeout=30000)

    def shown() -> bool:
        win.meter.refresh()
        return "of a core" in win.meter.value_text("cpu") or "cores" in win.meter.value_text("cpu")

    qtbot.waitUntil(shown, timeout=10000)
    snap = win.meter.reading.snapshot
    assert snap is not None and snap.cpu_share is not None and snap.cpu_share > 0
    assert win.meter.value_text("cpu") == cpu_text(snap)
    assert "ms/frame" in win.meter.value_text("cpu")
    assert cpu_text(None) == "–"


# ---------------------------------------------------------------- the options form
def test_the_options_form_is_the_table_and_follows_the_session(
    qtbot: Any, make_window: Any
) -> None:
    from camviz.live_options import option_specs

    win = make_window()
    numeric = {
        s.name
        for s in option_specs()
        if s.kind in (int, float) and s.minimum is not None and s.maximum is not None
    }
    assert set(win.options_form.names()) == numeric
    for spec in option_specs():
        if spec.name in numeric:
            assert win.options_form.spin(spec.name).toolTip() == spec.help
    win.session.options.set(top_k=3, smoothing=0.5)  # changed elsewhere: the form shows it
    qtbot.waitUntil(lambda: win.topk_spin.value() == 3, timeout=2000)
    assert win.smoothing_spin.value() == pytest.approx(0.5)
    win.threshold_spin.setValue(0.3)  # and the form's changes reach the session
    assert win.session.options.value.score_threshold == pytest.approx(0.3)


@needs_lite0
def test_the_inset_shows_the_tensor_of_the_result_it_is_shown_with(
    qtbot: Any, make_window: Any
) -> None:
    """The labels and the model-input inset come from one frame, on a moving video: the
    inset is not a picture from up to half a second earlier (a slow refresh)."""
    win = make_window()
    checked: list[bool] = []

    def compare(fr: Any) -> None:
        if fr.model_input is not None and win.input_view.frame() is not None:
            expected = tensor_to_display(np.asarray(fr.model_input))
            checked.append(bool(np.array_equal(win.input_view.frame(), expected)))

    win.resultShown.connect(compare)
    assert win.start("demo", LITE0)
    qtbot.waitUntil(lambda: len(checked) >= 20, timeout=30000)
    assert all(checked), f"{checked.count(False)} of {len(checked)} insets from another frame"
