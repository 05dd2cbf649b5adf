"""A/B in the window (pytest-qt): two real zoo models on a real video, the widgets shown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from PySide6.QtCore import Qt

from camviz.app.comparing import ABReading, CompareState
from camviz.compare import TOP_N
from camviz.pipeline import FrameResult
from camviz.preprocess import Fit
from camviz.qt.compare_view import agreement_text, twin_of
from tests.conftest import DATA, VIDEOS
from tests.sources.conftest import decoded_frames

INT8, FLOAT = "efficientnet_lite0_int8", "efficientnet_lite0_float32"
LITE2 = "efficientnet_lite2_int8"
VIDEO = VIDEOS / "vtest.avi"


def _top(fr: FrameResult) -> tuple[int, set[int]]:
    p = fr.result.probabilities
    return int(np.argmax(p)), set(np.argsort(-p, kind="stable")[:TOP_N].tolist())


def test_two_models_in_the_window_pair_by_frame_and_show_their_agreement(
    qtbot: Any, make_window: Any
) -> None:
    win = make_window()
    firsts: dict[int, FrameResult] = {}
    pairs: list[ABReading] = []
    win.session.events.result.connect(lambda fr: firsts.__setitem__(fr.frame_id, fr))
    win.session.comparing.pair.connect(pairs.append)
    assert win.start(str(VIDEO), INT8)
    qtbot.waitUntil(lambda: win.session.last_result is not None, timeout=60000)
    assert not win.ab.sheet.isVisible()
    qtbot.keyClick(win, Qt.Key.Key_B)  # B: the running model's twin
    assert win.session.comparing.model == FLOAT
    assert win.ab.box.combo.currentData() == FLOAT
    combo, models = win.ab.box.combo, win.model_combo  # the same words as the Model list's
    assert combo.itemText(combo.count() - 1) == models.itemText(models.count() - 1)
    qtbot.waitUntil(lambda: len(pairs) >= 40 and win.ab.shown is not None, timeout=60000)
    win.set_paused(True)
    qtbot.wait(300)  # the last pairs reach the GUI
    shown = win.ab.shown
    assert shown is not None and win.ab.sheet.isVisible()
    # every pair: one frame id, one frame, the first model's own result for it
    for p in pairs:
        assert p.first.frame_id == p.second.frame_id == p.frame_id
        assert p.first is firsts[p.frame_id] and p.second.frame is p.first.frame
        assert (p.first.model, p.second.model) == (INT8, FLOAT)
    # the agreement shown equals the one computed from the window's results
    at = next(i for i, p in enumerate(pairs) if p is shown)
    window = pairs[at + 1 - shown.pairs : at + 1]
    tops = [(_top(p.first), _top(p.second)) for p in window]
    agree = sum(a[0] == b[0] for a, b in tops) / len(tops)
    overlap = sum(len(a[1] & b[1]) / TOP_N for a, b in tops) / len(tops)
    assert shown.agreement == pytest.approx(agree) and shown.overlap == pytest.approx(overlap)
    text = win.ab.box.agreement.text()
    assert text == f"Top-1 agree {agree:.0%} · top-5 overlap {overlap:.0%}"
    assert f"last {len(tops)} frames" in win.ab.box.agreement.toolTip()
    # the second sheet shows the second model's result of the pair shown
    sheet = win.ab.sheet.results
    assert sheet.header_text().startswith(FLOAT)
    best = shown.second.result.categories[0]
    assert sheet.rows()[0][0] == best.display_name
    assert win.ab.sheet.title == FLOAT
    lat = win.ab.box.latency
    assert f"A {shown.latency_a.p50_ms:.1f} ms" in lat.text()
    assert f"B {shown.latency_b.p50_ms:.1f} ms" in lat.text()
    assert f"p95 {shown.latency_b.p95_ms:.1f} ms" in lat.toolTip()
    # same input size and crop: no second box on the video
    assert win.ab.crop.box() is None
    # the side panel keeps its width
    panel = win.side_panel
    assert panel.widget().minimumSizeHint().width() <= panel.viewport().width()
    # A switched to B's model: said, not a silent 100% agreement
    win.set_paused(False)
    win.switch_model(FLOAT)
    qtbot.waitUntil(
        lambda: win.ab.shown is not None and win.ab.shown.first.model == FLOAT, timeout=60000
    )
    qtbot.waitUntil(lambda: win.ab.box.status.isVisible(), timeout=5000)
    assert f"A and B are both {FLOAT}" in win.ab.box.status.text()
    # B again: off, the sheet goes
    qtbot.keyClick(win, Qt.Key.Key_B)
    assert win.session.comparing.state.state is CompareState.OFF
    assert not win.ab.sheet.isVisible() and win.ab.box.combo.currentData() == ""


def test_another_crop_is_drawn_and_a_bad_model_is_said(qtbot: Any, make_window: Any) -> None:
    win = make_window()
    assert win.start(str(VIDEO), INT8)
    qtbot.waitUntil(lambda: win.session.last_result is not None, timeout=60000)
    # the zoo's models all crop 87.5 % of the short side; letterboxed, B sees the whole frame
    assert win.session.viewing.set_fit(Fit.LETTERBOX, FLOAT)
    assert win.session.running_model == INT8  # A is not reloaded: the fit is B's
    combo = win.ab.box.combo
    combo.activated.emit(combo.findData(FLOAT))
    qtbot.waitUntil(lambda: win.ab.shown is not None, timeout=60000)
    box = win.ab.crop.box()
    first_box = win.view.crop_rect()
    assert box is not None and first_box is not None
    assert box.toAlignedRect() == win.view.video_rect()  # the whole frame, as shown
    assert box.width() > first_box.width() + 50
    # the same fit again: the same crop as A's, no second box
    win.session.viewing.set_fit(Fit.CENTER_CROP, LITE2)
    win.ab.choose(LITE2)
    qtbot.waitUntil(
        lambda: win.ab.shown is not None and win.ab.shown.second.model == LITE2, timeout=60000
    )
    assert win.ab.crop.box() is None
    # a file that is no classifier: said in words, the first model runs on
    win.ab.choose(str(DATA / "not_a_classifier.tflite"))
    qtbot.waitUntil(lambda: win.session.comparing.state.state is CompareState.FAILED, timeout=60000)
    qtbot.waitUntil(lambda: "Cannot" in win.ab.box.status.text(), timeout=5000)  # queued to the GUI
    said = win.ab.box.status.text()
    assert "Cannot compare with not_a_classifier.tflite:" in said and f"{INT8} runs on" in said
    assert f"still comparing with {LITE2}" in said
    assert win.ab.box.combo.currentData() == LITE2  # the picker shows what runs
    assert "Error:" not in said  # in a user's words, no exception class names
    seen = win.session.results_received
    qtbot.waitUntil(lambda: win.session.results_received > seen + 5, timeout=60000)


def test_a_bad_second_model_with_none_running_leaves_a_b_off(qtbot: Any, make_window: Any) -> None:
    win = make_window()
    assert win.start(str(VIDEO), INT8)
    qtbot.waitUntil(lambda: win.session.last_result is not None, timeout=60000)
    win.ab.choose(str(DATA / "not_a_classifier.tflite"))
    qtbot.waitUntil(lambda: win.session.comparing.state.state is CompareState.FAILED, timeout=60000)
    qtbot.waitUntil(lambda: "Cannot" in win.ab.box.status.text(), timeout=5000)
    assert not win.session.comparing.active and "no second model runs" in win.ab.box.status.text()
    assert win.ab.box.combo.currentData() == "" and not win.ab.sheet.isVisible()
    qtbot.keyClick(win, Qt.Key.Key_B)  # B: the twin, not the file that failed
    assert win.session.comparing.model == FLOAT
    qtbot.waitUntil(lambda: win.ab.shown is not None, timeout=60000)
    assert win.ab.last_chosen == FLOAT and win.ab.sheet.isVisible()


def test_the_default_second_model_and_the_words() -> None:
    names = [INT8, FLOAT, LITE2]
    assert twin_of(INT8, names) == FLOAT and twin_of(FLOAT, names) == INT8
    assert twin_of(LITE2, names) == INT8  # no twin: the next one, wrapping
    assert twin_of(INT8, [INT8]) is None
    assert agreement_text(None) == ""


def test_snapshot_and_recording_show_the_second_model(
    qtbot: Any, make_window: Any, tmp_path: Path
) -> None:
    win = make_window()
    assert win.start(str(VIDEO), INT8)
    qtbot.waitUntil(lambda: win.session.last_result is not None, timeout=60000)
    win.ab.choose(FLOAT)
    qtbot.waitUntil(lambda: win.ab.shown is not None, timeout=60000)
    fit = win.ab.box.fit_combo
    assert fit.isEnabled() and fit.currentData() == Fit.CENTER_CROP.value
    assert win.ab.crop.box() is None  # the same crop as A's
    fit.activated.emit(fit.findData(Fit.LETTERBOX.value))  # "B sees": the whole frame
    qtbot.waitUntil(lambda: win.ab.crop.box() is not None, timeout=60000)
    assert win.session.running_model == INT8 and fit.currentData() == Fit.LETTERBOX.value
    out = tmp_path / "ab.avi"
    win.explain_record.choose_video_path = lambda: out
    stopped: list[Any] = []
    win.explain_record.videoStopped.connect(stopped.append)
    qtbot.keyClick(win, Qt.Key.Key_R)
    qtbot.wait(2500)
    qtbot.keyClick(win, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: bool(stopped), timeout=30000)
    assert stopped[0].error is None and stopped[0].written > 10
    # the recording: B's box (amber) along the frame's edge, on every frame after the first pair
    edges = []
    for rgb in decoded_frames(out):
        h = rgb.shape[0]
        column = rgb[h // 2 : h - 60, 0:2].reshape(-1, 3).astype(float).mean(axis=0)
        edges.append(column[0] - column[2])  # red minus blue: amber is about +220
    assert len(edges) == stopped[0].written
    assert np.median(edges) > 100, edges[:10]
    # the snapshot: B's label in its box at the top right, B's result in the JSON
    win.set_paused(True)
    qtbot.wait(300)
    saved = win.snapshot()
    assert saved is not None
    png, js = saved
    record = json.loads(js.read_text())
    assert record["second"]["model"] == FLOAT
    assert record["second"]["frame_id"] <= record["frame_id"]
    assert record["second"]["top"][0]["label"] and record["model"] == INT8
    image = cv2.imread(str(png))
    top_right = image[: image.shape[0] // 8, image.shape[1] // 2 :]
    amber = (np.abs(top_right.astype(int) - (32, 176, 255)) < 40).all(axis=2)  # BGR
    assert amber.sum() > 50
    # A/B off: neither has anything of B any more
    win.ab.choose(None)
    qtbot.waitUntil(lambda: win.session.comparing.state.state is CompareState.OFF, timeout=5000)
    png_off, js_off = win.snapshot()
    assert "second" not in json.loads(js_off.read_text())
    assert png_off != png and png.is_file()  # the same frame again: a file of its own
    image_off = cv2.imread(str(png_off))[: image.shape[0] // 8, image.shape[1] // 2 :]
    assert (np.abs(image_off.astype(int) - (32, 176, 255)) < 40).all(axis=2).sum() < amber.sum() / 4
