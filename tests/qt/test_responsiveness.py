"""The GUI thread never waits on inference (loose version of
benchmarks/gui_responsiveness.py), and run_gui end to end."""

from __future__ import annotations

import importlib.util
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings

from camviz.qt.app import run_gui

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.gui, pytest.mark.slow]


def _bench() -> Any:
    path = ROOT / "benchmarks" / "gui_responsiveness.py"
    spec = importlib.util.spec_from_file_location("gui_responsiveness", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_slow_model_does_not_slow_the_preview(qapp: Any, no_leaked_threads: None) -> None:
    bench = _bench()
    try:
        model = bench.pick_slow_model()
    except SystemExit:
        pytest.skip("no EfficientNet-Lite2 model built")
    row = bench.measure(model, threads=1, seconds=3.0)
    # the preview follows the camera (30 fps), not the model; loose bounds for busy CI
    assert row["repaint_fps"] >= 12.0, row
    assert row["loop_late_ms_p50"] < 15.0, row


def test_run_gui_quit_after_and_stats_json(
    qapp: Any, tmp_path: Path, no_leaked_threads: None
) -> None:
    if not (ROOT / "models" / "efficientnet_lite0_int8.tflite").is_file():
        pytest.skip("models/efficientnet_lite0_int8.tflite")
    settings = QSettings(str(tmp_path / "camviz.ini"), QSettings.Format.IniFormat)
    stats = tmp_path / "stats.json"
    before = set(threading.enumerate())
    code = run_gui(
        "demo", "efficientnet_lite0_int8", 2, quit_after=3.0, stats_json=stats, settings=settings
    )
    assert code == 0
    data = json.loads(stats.read_text("utf-8"))
    assert data["source"] == "demo" and data["model"] == "efficientnet_lite0_int8"
    assert data["results_shown"] > 0 and data["last_result"]["top"]
    assert data["metrics"]["inferred"] > 0 and data["metrics"]["e2e_ms"]["count"] > 0
    assert set(threading.enumerate()) <= before
