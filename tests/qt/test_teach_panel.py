"""Teach mode in the real window: real model, real video frames, real training (offscreen)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt

from camviz.classifier import ClassifierOptions
from camviz.loading import open_classifier
from camviz.pipeline import FrameResult
from camviz.qt.teach_panel import TeachPanel, Trained
from camviz.qt.window import MainWindow

ROOT = Path(__file__).resolve().parents[2]
LITE0 = "efficientnet_lite0_int8"
VIDEOS = ROOT / "assets" / "video"
BIKES = VIDEOS / "bikes.mp4"
CARPHONE = VIDEOS / "carphone_pristine.mp4"

pytestmark = [
    pytest.mark.gui,
    pytest.mark.skipif(
        not (ROOT / "models" / f"{LITE0}.tflite").is_file(), reason=f"models/{LITE0}.tflite"
    ),
]


def results_for(qtbot: Any, win: MainWindow, n: int, model: str) -> list[FrameResult]:
    """The next ``n`` results shown that come from ``model``."""
    got: list[FrameResult] = []

    def keep(fr: FrameResult) -> None:
        if fr.model == model:
            got.append(fr)

    win.resultShown.connect(keep)
    try:
        qtbot.waitUntil(lambda: len(got) >= n, timeout=30000)
    finally:
        win.resultShown.disconnect(keep)
    return got


def capture(qtbot: Any, panel: TeachPanel, label: str, frames: int, *, mouse: bool) -> float:
    """Hold ``label``'s capture button until ``frames`` frames are taken; frames/second."""
    button = panel.rows[label].capture
    start = time.monotonic()
    if mouse:
        qtbot.mousePress(button, Qt.MouseButton.LeftButton)
    else:
        panel.start_capture(label)
    assert panel.capturing == label
    qtbot.waitUntil(lambda: panel.recorded >= frames, timeout=20000)
    rate = panel.recorded / (time.monotonic() - start)
    if mouse:
        qtbot.mouseRelease(button, Qt.MouseButton.LeftButton)
    else:
        panel.stop_capture()
    assert panel.capturing is None
    return rate


def test_teach_two_videos_classify_live_save_load_and_go_back(
    qtbot: Any,
    make_window: Any,
    tmp_path: Path,
    dialogs: list[tuple[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import camviz.app.teaching as teaching_module

    monkeypatch.setattr(teaching_module, "BURST_GAP_S", 0.0)  # every press its own burst
    win = make_window()
    panel = win.teach_panel
    assert win.start(str(BIKES), LITE0)
    results_for(qtbot, win, 2, LITE0)
    win.teach_action.trigger()
    assert win.teach_dock.isVisible()
    panel.name_edit.setText("bikes")
    panel.add_button.click()
    assert panel.add_class("carphone")
    assert not panel.add_class("bikes") and "already" in panel.error_text()
    assert panel.class_names() == ["bikes", "carphone"]

    # two takes of each class: the second validates whole (a burst never straddles)
    rates = [capture(qtbot, panel, "bikes", 20, mouse=True)]
    rates.append(capture(qtbot, panel, "bikes", 10, mouse=True))
    assert win.start(str(CARPHONE))  # the other source, same zoo model
    results_for(qtbot, win, 1, LITE0)
    rates.append(capture(qtbot, panel, "carphone", 20, mouse=False))
    rates.append(capture(qtbot, panel, "carphone", 10, mouse=False))
    assert min(rates) >= 2.0, rates  # 10/s asked; loose for a busy shared machine

    with qtbot.waitSignal(panel.trainingFinished, timeout=30000) as blocker:
        assert panel.train()
    trained: Trained = blocker.args[0]
    report = trained.report
    assert panel.counts == {"bikes": 30, "carphone": 30}
    assert report.labels == ("bikes", "carphone")
    assert report.val_accuracy is not None and report.val_accuracy >= 0.9
    assert report.val_counts == (10, 10)  # the second take of each class, whole
    assert "confusion matrix" in panel.report_text.toPlainText()
    assert "Validation accuracy" in panel.status_label.text()
    print(f"\ncapture {rates} frames/s; train wall {trained.wall_seconds:.2f} s")
    print(report.format())

    # the pipeline switched to the taught model: the new labels, the right one mostly
    taught = trained.path.name[: -len(".head.npz")]
    live = results_for(qtbot, win, 8, taught)
    assert all({c.label for c in fr.result.categories} <= {"bikes", "carphone"} for fr in live)
    tops = Counter(fr.result.top.label for fr in live if fr.result.top)
    assert tops["carphone"] >= 6, tops
    assert win.results.rows()[0][0] in ("bikes", "carphone")
    assert panel.running_is_taught() and panel.back_button.isEnabled()

    assert win.start(str(BIKES))  # a source restart keeps the taught model
    live = results_for(qtbot, win, 8, taught)
    tops = Counter(fr.result.top.label for fr in live if fr.result.top)
    assert tops["bikes"] >= 6, tops

    # save -> load round trip: the loaded model gives identical probabilities
    saved = panel.save_model(tmp_path / "two.head.npz")
    assert saved.is_file() and not [p for p in tmp_path.iterdir() if p.name.startswith(".two")]
    assert panel.load_model(saved)
    loaded = results_for(qtbot, win, 1, "two")[0]
    frame = loaded.frame.image
    with (
        open_classifier(ClassifierOptions(model=str(saved), threads=2)) as a,
        open_classifier(ClassifierOptions(model=str(trained.path), threads=2)) as b,
    ):
        pa = a.classify(frame).probabilities
        np.testing.assert_array_equal(pa, b.classify(frame).probabilities)
    np.testing.assert_allclose(loaded.result.probabilities, pa, atol=1e-6)

    panel.back_to_previous()
    back = results_for(qtbot, win, 2, LITE0)
    assert back[-1].result.top is not None
    assert back[-1].result.top.label not in ("bikes", "carphone")
    assert not dialogs

    panel.use_taught()  # the loaded one
    results_for(qtbot, win, 1, "two")

    # train again (the samples are kept) and close while that temporary head is live:
    # threads joined, temporaries gone, the settings remember a model that still exists
    with qtbot.waitSignal(panel.trainingFinished, timeout=30000) as blocker:
        assert panel.train()
    again: Trained = blocker.args[0]
    assert again.path.name == "taught-2.head.npz"
    np.testing.assert_array_equal(again.head.weights, trained.head.weights)  # deterministic
    results_for(qtbot, win, 1, "taught-2")
    win.close()
    assert not panel.worker.running
    assert not trained.path.exists() and not again.path.exists()
    assert not [t for t in threading.enumerate() if t.name == "camviz-teach"]
    assert win.saved_model() == LITE0


def test_errors_are_shown_and_the_app_keeps_running(
    qtbot: Any, make_window: Any, tmp_path: Path, dialogs: list[tuple[str, str]]
) -> None:
    win = make_window()
    panel = win.teach_panel
    assert win.start(str(CARPHONE), LITE0)
    results_for(qtbot, win, 1, LITE0)
    assert not panel.add_class("   ") and "name" in panel.error_text()

    # one class only
    assert panel.add_class("phone")
    capture(qtbot, panel, "phone", 3, mouse=False)
    with qtbot.waitSignal(panel.trainingFailed, timeout=20000) as blocker:
        panel.train()
    assert "at least 2 classes" in blocker.args[0]
    assert dialogs and dialogs[-1][0] == "Cannot train"
    assert "at least 2 classes" in panel.error_text()
    assert panel.train_button.isEnabled() and not panel.training

    # a second class without samples
    assert panel.add_class("empty")
    with qtbot.waitSignal(panel.trainingFailed, timeout=20000) as blocker:
        panel.train()
    assert "'empty' has no samples" in blocker.args[0]

    # removing it leaves one class again; a broken file does not load
    panel.remove_class("empty")
    assert panel.class_names() == ["phone"]
    bad = tmp_path / "bad.head.npz"
    bad.write_bytes(b"not a zip")
    assert not panel.load_model(bad)
    assert "bad.head.npz" in dialogs[-1][1]

    # the pipeline never stopped, still on the zoo model
    more = results_for(qtbot, win, 3, LITE0)
    assert more[-1].result.top is not None
    assert panel.worker.running
