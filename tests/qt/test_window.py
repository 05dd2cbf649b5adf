"""The real window driving the real pipeline, real models and real video (offscreen)."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import threading
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt

from camviz.fileio import write_atomic
from camviz.pipeline import EventKind
from camviz.qt.window import MainWindow, tensor_to_display

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.gui

MODELS = ROOT / "models"
LITE0 = "efficientnet_lite0_int8"
VIDEO = ROOT / "assets" / "video" / "vtest.avi"
needs_lite0 = pytest.mark.skipif(
    not (MODELS / f"{LITE0}.tflite").is_file(), reason="models/efficientnet_lite0_int8.tflite"
)


def wait_results(qtbot: Any, win: MainWindow, more: int = 3, timeout: int = 30000) -> None:
    target = win.results_shown + more
    qtbot.waitUntil(lambda: win.results_shown >= target, timeout=timeout)


@needs_lite0
def test_labels_meter_and_model_info_on_the_demo(qtbot: Any, make_window: Any) -> None:
    win = make_window()
    assert win.start("demo", LITE0)
    wait_results(qtbot, win, 5)
    rows = win.results.rows()
    assert rows and rows[0][0] and rows[0][2].endswith("%")
    assert win.last_result is not None and win.last_result.model == LITE0
    # the live view painted real frames, not the placeholder
    qtbot.waitUntil(lambda: win.view.frames_painted >= 5, timeout=5000)
    centre = win.view.grab().toImage().pixelColor(win.view.width() // 2, win.view.height() // 2)
    assert centre.isValid() and (centre.red(), centre.green(), centre.blue()) != (0, 0, 0)
    # the meter refreshed from the pipeline's metrics
    qtbot.waitUntil(lambda: win.meter.value_text("inference") not in ("–", "0.0"), timeout=5000)
    assert win.meter.value_text("e2e_ms") != "–"
    qtbot.waitUntil(lambda: "224x224 uint8" in win.info_label.text(), timeout=5000)
    assert "74.4%" in win.info_label.text()  # published top-1 from the manifest
    qtbot.waitUntil(lambda: "224x224x3 uint8" in win.input_label.text(), timeout=5000)
    assert win.input_view.frame() is not None
    assert win.input_view.frame().shape == (224, 224, 3)


@needs_lite0
def test_real_video_file_and_800x600(qtbot: Any, make_window: Any) -> None:
    win = make_window(size=(800, 600))
    assert win.start(str(VIDEO), LITE0)
    wait_results(qtbot, win, 5)
    assert win.last_result is not None
    assert win.last_result.frame.image.shape[2] == 3
    assert win.view.width() >= 300 and win.results.isVisible()
    assert win.view.overlay_text() is not None


@needs_lite0
def test_switch_model_live(qtbot: Any, make_window: Any) -> None:
    other = "efficientnet_lite0_float32"
    if not (MODELS / f"{other}.tflite").is_file():
        pytest.skip(f"models/{other}.tflite")
    win = make_window()
    win.start("demo", LITE0)
    wait_results(qtbot, win, 3)
    win.switch_model(other)
    qtbot.waitUntil(
        lambda: win.last_result is not None and win.last_result.model == other, timeout=20000
    )
    assert win.model_name == other
    assert win.model_combo.currentData() == other
    assert any(e.kind is EventKind.MODEL_LOADED and other in e.message for e in win.events)


@needs_lite0
def test_bad_model_shows_a_dialog_and_the_old_model_keeps_running(
    qtbot: Any, make_window: Any, tmp_path: Path, dialogs: list[tuple[str, str]]
) -> None:
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"this is not a flatbuffer" * 100)
    win = make_window()
    win.start("demo", LITE0)
    wait_results(qtbot, win, 3)
    win.switch_model(str(bad))
    qtbot.waitUntil(lambda: bool(dialogs), timeout=20000)
    title, text = dialogs[0]
    assert "failed" in title.lower() and "bad.tflite" in text and LITE0 in text
    wait_results(qtbot, win, 5)
    assert win.last_result is not None and win.last_result.model == LITE0
    assert win.model_combo.currentData() == LITE0


@needs_lite0
def test_pause_and_snapshot(qtbot: Any, make_window: Any, tmp_path: Path) -> None:
    win = make_window()
    win.start("demo", LITE0)
    wait_results(qtbot, win, 3)
    win.activateWindow()
    qtbot.keyClick(win, Qt.Key.Key_Space)
    if not win.is_paused():  # no active window on this platform: press the button
        win.pause_button.click()
    assert win.is_paused() and win.pause_button.text() == "Resume"
    qtbot.wait(400)  # a frame in flight may still land
    shown = win.results_shown
    qtbot.wait(700)
    assert win.results_shown <= shown + 1
    qtbot.keyClick(win, Qt.Key.Key_S)
    snaps = sorted((tmp_path / "snapshots").glob("*.png"))
    if not snaps:
        win.snapshot()
        snaps = sorted((tmp_path / "snapshots").glob("*.png"))
    assert len(snaps) == 1
    png = cv2.imread(str(snaps[0]), cv2.IMREAD_COLOR)
    assert png is not None
    assert win.last_result is not None
    assert png.shape[:2] == win.last_result.frame.image.shape[:2]
    data = json.loads(snaps[0].with_suffix(".json").read_text("utf-8"))
    assert data["model"] == LITE0 and data["top"] and data["image"] == snaps[0].name
    assert not list((tmp_path / "snapshots").glob(".*"))  # no temporary left behind
    win.set_paused(False)
    wait_results(qtbot, win, 3)


@needs_lite0
def test_csv_recording(qtbot: Any, make_window: Any, tmp_path: Path) -> None:
    win = make_window()
    win.start("demo", LITE0)
    out = tmp_path / "metrics.csv"
    win.set_recording(out)
    assert win.record_check.isChecked()
    wait_results(qtbot, win, 5)
    win.set_recording(None)
    with out.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) >= 5
    assert rows[0]["model"] == LITE0 and float(rows[0]["e2e_ms"]) > 0


@needs_lite0
def test_missing_camera_falls_back_to_demo(qtbot: Any, make_window: Any) -> None:
    win = make_window()
    win.start("7", LITE0)  # no /dev/video7 here
    qtbot.waitUntil(lambda: win.source_note.text() == "Source: demo (7 failed)", timeout=20000)
    assert win.source_spec == "demo" and win.source_combo.currentData() == "demo"
    wait_results(qtbot, win, 3)


@needs_lite0
def test_settings_persist(qtbot: Any, make_window: Any, settings: QSettings) -> None:
    win = make_window()
    win.topk_spin.setValue(3)
    win.mirror_check.setChecked(True)
    win.start("demo", LITE0)
    wait_results(qtbot, win, 2)
    assert len(win.results.rows()) <= 3
    win.close()
    again = make_window()
    assert again.topk_spin.value() == 3 and again.view.is_mirrored()
    assert again.saved_model() == LITE0 and again.saved_source() == "demo"


@needs_lite0
def test_closing_stops_every_thread(qtbot: Any, make_window: Any) -> None:
    baseline = set(threading.enumerate())
    win = make_window()
    win.start("demo", LITE0)
    wait_results(qtbot, win, 2)
    assert len(set(threading.enumerate()) - baseline) >= 2  # capture + inference
    win.close()
    assert win.session.pipeline is None
    assert set(threading.enumerate()) <= baseline


def test_tensor_to_display_and_write_atomic(tmp_path: Path) -> None:
    f = np.linspace(-1, 1, 8 * 8 * 3, dtype=np.float32).reshape(1, 8, 8, 3)
    out = tensor_to_display(f)
    assert out.dtype == np.uint8 and out.shape == (8, 8, 3) and out.min() == 0 and out.max() == 255
    i8 = np.full((4, 4, 3), -128, np.int8)
    assert tensor_to_display(i8).max() == 0
    target = tmp_path / "a" / "x.json"
    write_atomic(target, lambda p: p.write_text("{}", "utf-8"))
    assert target.read_text() == "{}"
    with pytest.raises(RuntimeError):
        write_atomic(target, lambda p: (_ for _ in ()).throw(RuntimeError("boom")))
    assert target.read_text() == "{}" and len(list(target.parent.iterdir())) == 1


@needs_lite0
def test_keyboard_shortcuts(qtbot: Any, make_window: Any) -> None:
    win = make_window()
    win.start("demo", LITE0)
    wait_results(qtbot, win, 2)
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=3000)
    qtbot.keyClick(win, Qt.Key.Key_M)
    assert win.view.is_mirrored() and win.mirror_check.isChecked()
    qtbot.keyClick(win, Qt.Key.Key_M)
    assert not win.view.is_mirrored()
    qtbot.keyClick(win, Qt.Key.Key_Space)
    assert win.is_paused()
    qtbot.keyClick(win, Qt.Key.Key_Space)
    assert not win.is_paused()
    qtbot.keyClick(win, Qt.Key.Key_F)
    qtbot.waitUntil(win.isFullScreen, timeout=3000)
    qtbot.keyClick(win, Qt.Key.Key_F)
    qtbot.waitUntil(lambda: not win.isFullScreen(), timeout=3000)
    qtbot.keyClick(win, Qt.Key.Key_Q)
    qtbot.waitUntil(lambda: not win.isVisible(), timeout=3000)
    assert win.session.pipeline is None


def test_source_picker_lists_cameras_with_index_and_resolution(make_window: Any) -> None:
    from camviz.sources import CameraInfo

    win = make_window(cameras=[CameraInfo(0, 1280, 720), CameraInfo(2, 640, 480)])
    combo = win.source_combo
    items = [(combo.itemText(i), combo.itemData(i)) for i in range(combo.count())]
    assert ("Camera 0 (1280x720)", "0") in items
    assert ("Camera 2 (640x480)", "2") in items


def test_the_window_runs_on_the_delegate_asked_for(tmp_path: Path) -> None:
    import subprocess
    import sys

    stats = tmp_path / "stats.json"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "camviz",
            "--delegate",
            "cpu",
            "--source",
            "demo",
            "--quit-after",
            "3",
            "--stats-json",
            str(stats),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert run.returncode == 0, run.stderr
    record = json.loads(stats.read_text())
    assert (record["delegate"], record["runtime"]) == ("cpu", "litert")
    assert record["last_result"] is not None


def _run_window(tmp_path: Path, *flags: str, quit_after: str = "4") -> tuple[Any, dict[str, Any]]:
    import subprocess
    import sys

    stats = tmp_path / "stats.json"
    command = [sys.executable, "-m", "camviz", *flags, "--source", "demo", "--model", LITE0]
    run = subprocess.run(
        [*command, "--quit-after", quit_after, "--stats-json", str(stats)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    return run, json.loads(stats.read_text()) if stats.is_file() else {}


@needs_lite0
def test_the_window_runs_on_the_runtime_and_device_asked_for(tmp_path: Path) -> None:
    pytest.importorskip("openvino", reason="OpenVINO (camviz[openvino])")
    run, record = _run_window(tmp_path, "--backend", "openvino", "--accelerator", "cpu")
    assert run.returncode == 0, run.stderr
    assert (record["runtime"], record["device"], record["delegate"]) == ("openvino", "CPU", None)
    assert record["runs_on"] == "openvino · CPU · 2 threads"  # the meter's line
    assert record["last_result"] is not None and record["last_result"]["top"]


@needs_lite0
def test_a_device_the_machine_lacks_fails_the_scripted_start_saying_what_is_missing(
    tmp_path: Path,
) -> None:
    pytest.importorskip("ai_edge_litert.compiled_model", reason="LiteRT's CompiledModel")
    run, record = _run_window(tmp_path, "--backend", "litert", "--accelerator", "gpu")
    if run.returncode == 0 and record.get("device") != "CPU":
        pytest.skip("this machine has a LiteRT GPU")
    assert run.returncode == 3, run.stderr
    assert "AcceleratorError: LiteRT has no GPU here" in run.stderr
    assert "--accelerator cpu" in run.stderr
    assert record["last_result"] is None


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (("--accelerator", "tpu"), "OptionsError: --accelerator must be one of cpu, gpu, npu"),
        (("--backend", "nope"), "OptionsError: --backend must be one of auto, litert"),
    ],
)
def test_a_runtime_or_device_that_is_none_is_refused_before_any_window(
    tmp_path: Path, flags: tuple[str, ...], said: str
) -> None:
    run, record = _run_window(tmp_path, *flags, quit_after="30")
    assert run.returncode == 1 and said in run.stderr
    assert record == {}  # no window ran: no stats


@needs_lite0
def test_the_meter_names_the_runtime_the_device_and_the_delegate(
    qtbot: Any, make_window: Any
) -> None:
    win = make_window()
    assert win.start("demo", LITE0)
    qtbot.waitUntil(lambda: win.session.model_info is not None, timeout=30000)
    qtbot.waitUntil(lambda: win.meter.value_text("runtime") != "–", timeout=5000)
    assert win.meter.value_text("runtime") == "litert · CPU · xnnpack · 2 threads"
    if importlib.util.find_spec("openvino") is None:
        return
    win.session.update(backend="openvino")
    win.session.switch_model(LITE0)
    qtbot.waitUntil(lambda: win.meter.value_text("runtime").startswith("openvino"), timeout=60000)
    assert win.meter.value_text("runtime") == "openvino · CPU · 2 threads"
    wait_results(qtbot, win, 2)
