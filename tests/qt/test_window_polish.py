"""The polished window: a layout that never jumps, keys that work wherever the focus is,
what the model sees drawn on the video, tooltips, full screen with the video only."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QLineEdit,
)

from camviz.preprocess import center_crop
from camviz.qt.frame_view import FrameView, letterbox_rect
from camviz.results import Category, ClassificationResult, StageTimes

ROOT = Path(__file__).resolve().parents[2]
LITE0 = "efficientnet_lite0_int8"
needs_lite0 = pytest.mark.skipif(
    not (ROOT / "models" / f"{LITE0}.tflite").is_file(), reason=f"models/{LITE0}.tflite"
)


def result(uncertain: bool) -> Any:
    cats = (Category(281, "tabby, tabby cat", 0.3 if uncertain else 0.9), Category(1, "b", 0.05))
    r = ClassificationResult(
        categories=cats,
        probabilities=np.array([c.score for c in cats], np.float32),
        uncertain=uncertain,
        model="m",
        times=StageTimes(1.0, 10.0, 0.5),
    )
    return SimpleNamespace(result=r, model_input=None)  # a FrameResult without its tensor


def test_not_sure_never_moves_the_video(qtbot: Any, make_window: Any, astronaut: Any) -> None:
    win = make_window()
    win.view.set_frame(astronaut)
    win._on_result(result(False))
    qtbot.wait(50)
    first = (win.view.geometry(), win.view.video_rect(), win.results.geometry())
    for i in range(100):
        win._on_result(result(i % 2 == 0))
        QApplication.processEvents()
        assert (win.view.geometry(), win.view.video_rect(), win.results.geometry()) == first, i
    assert win.results.is_uncertain() is False


def activate(qtbot: Any, win: Any) -> None:
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=3000)


@needs_lite0
def test_keys_work_after_a_spin_box_took_focus(
    qtbot: Any, make_window: Any, tmp_path: Path
) -> None:
    win = make_window()
    win.start("demo", LITE0)
    qtbot.waitUntil(lambda: win.results_shown >= 2, timeout=30000)
    activate(qtbot, win)
    for spin in (win.threads_spin, win.threshold_spin, win.budget_spin):
        spin.setFocus()
        qtbot.waitUntil(spin.hasFocus, timeout=2000)
        before = spin.value()
        qtbot.keyClick(spin, Qt.Key.Key_Space)
        assert win.is_paused() and win.view.badges() == ["PAUSED"]
        qtbot.keyClick(spin, Qt.Key.Key_Space)
        assert not win.is_paused() and win.view.badges() == []
        assert spin.value() == before
    win.model_combo.setFocus()
    qtbot.keyClick(win.model_combo, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: bool(list((tmp_path / "snapshots").glob("*.png"))), timeout=3000)
    win.threads_spin.setFocus()
    qtbot.keyClick(win.threads_spin, Qt.Key.Key_M)
    assert win.view.is_mirrored()
    qtbot.keyClick(win.threads_spin, Qt.Key.Key_F)
    qtbot.waitUntil(win.isFullScreen, timeout=3000)
    assert not win.side_panel.isVisible() and not win.results.isVisible()
    assert win.view.isVisible() and not win.statusBar().isVisible()
    qtbot.waitUntil(lambda: win.view.geometry() == win.centralWidget().rect(), timeout=3000)
    qtbot.keyClick(win.view, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not win.isFullScreen(), timeout=3000)
    assert win.side_panel.isVisible() and win.results.isVisible()


def test_clicking_the_video_takes_the_focus(qtbot: Any, make_window: Any) -> None:
    win = make_window()
    activate(qtbot, win)
    win.threads_spin.setFocus()
    qtbot.waitUntil(win.threads_spin.hasFocus, timeout=2000)
    qtbot.mouseClick(win.view, Qt.MouseButton.LeftButton)
    assert win.view.hasFocus()


def test_shortcut_sheet_on_question_mark(qtbot: Any, make_window: Any) -> None:
    win = make_window()
    activate(qtbot, win)
    qtbot.keyClick(win.view, Qt.Key.Key_Question, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: win.shortcut_sheet is not None and win.shortcut_sheet.isVisible())
    text = win.shortcut_sheet.label.text()
    for key in ("Space", "S", "N", "M", "F", "T", "Q", "Esc"):
        assert f"<b>{key}</b>" in text
    assert not win.shortcut_sheet.isModal()
    qtbot.keyClick(win.view, Qt.Key.Key_Question, Qt.KeyboardModifier.ShiftModifier)
    assert not win.shortcut_sheet.isVisible()  # ? again hides it
    win.show_shortcuts()
    qtbot.keyClick(win.view, Qt.Key.Key_Escape)
    assert not win.shortcut_sheet.isVisible()  # so does Esc


def test_a_free_text_field_keeps_its_letters(qtbot: Any, make_window: Any) -> None:
    win = make_window()
    activate(qtbot, win)
    win.teach_action.trigger()
    edit = win.teach_panel.name_edit
    edit.setFocus()
    qtbot.waitUntil(edit.hasFocus, timeout=2000)
    qtbot.keyClicks(edit, "sms f")
    assert edit.text() == "sms f" and not win.is_paused() and not win.isFullScreen()


def test_every_control_has_a_tooltip(make_window: Any) -> None:
    win = make_window()
    win.teach_action.trigger()
    kinds = (QAbstractButton, QAbstractSpinBox, QComboBox, QCheckBox, QLineEdit)
    missing = []
    for widget in (
        win.findChildren(QAbstractButton)
        + win.findChildren(QAbstractSpinBox)
        + (win.findChildren(QComboBox) + win.findChildren(QLineEdit))
    ):
        assert isinstance(widget, kinds)
        if isinstance(widget, QLineEdit) and isinstance(
            widget.parentWidget(), (QAbstractSpinBox, QComboBox)
        ):
            continue  # a spin box's own editor: the spin box has the tooltip
        if not widget.isVisibleTo(win) or widget.parent() is win.teach_dock:
            continue  # hidden rows, the dock's own float/close buttons
        if widget.objectName().startswith("qt_"):
            continue
        action = getattr(widget, "defaultAction", lambda: None)()
        if not (widget.toolTip() or (action is not None and action.toolTip())):
            missing.append(f"{type(widget).__name__} {getattr(widget, 'text', lambda: '')()!r}")
    assert not missing, missing


@pytest.mark.parametrize("shape", [(480, 640), (720, 1280), (1280, 720)])  # 4:3, 16:9, portrait
@pytest.mark.parametrize("mirrored", [False, True])
def test_crop_box_is_the_preprocessing_crop(
    qtbot: Any, shape: tuple[int, int], mirrored: bool
) -> None:
    h, w = shape
    rows, cols = np.mgrid[0:h, 0:w]
    image = np.dstack([rows % 256, cols % 256, (rows // 256) * 16 + cols // 256]).astype(np.uint8)
    fraction = 0.875
    crop = center_crop(image, fraction)
    top = int(crop[0, 0, 0]) + 256 * (int(crop[0, 0, 2]) // 16)
    left = int(crop[0, 0, 1]) + 256 * (int(crop[0, 0, 2]) % 16)
    side = crop.shape[0]
    view = FrameView(refresh_hz=0)
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.set_frame(image)
    view.set_mirrored(mirrored)
    view.set_crop_fraction(fraction)
    target = letterbox_rect(w, h, QRect(0, 0, 900, 500))
    assert view.video_rect() == target
    sx, sy = target.width() / w, target.height() / h  # the frame is scaled onto `target`
    x = left if not mirrored else w - left - side
    box = view.crop_rect()
    assert box is not None
    expected = (target.x() + x * sx, target.y() + top * sy, side * sx, side * sy)
    assert (box.x(), box.y(), box.width(), box.height()) == pytest.approx(expected, abs=1e-6)
    view.render_image()  # paints with the box


@needs_lite0
def test_the_model_sees_drawn_on_the_video(qtbot: Any, make_window: Any) -> None:
    win = make_window()
    win.start("demo", LITE0)
    qtbot.waitUntil(lambda: win.view.crop_rect() is not None, timeout=30000)
    info = win.session.model_info
    assert win.view._crop_fraction == info.preprocessing.crop_fraction
    qtbot.waitUntil(lambda: not win.view.inset_rect().isEmpty(), timeout=5000)
    inset = win.view.inset_rect()
    assert win.view.rect().contains(inset) and win.view.video_rect().contains(inset)
    runs_on = win.meter.value_text("runtime")  # e.g. "litert · CPU · xnnpack · 2 threads"
    assert info.runtime in runs_on and info.device in runs_on and "2 threads" in runs_on
