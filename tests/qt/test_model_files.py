"""The window takes every model file the backend registry reads: its Open dialog offers them
all (not only .tflite), and an ONNX classifier opened there runs in the window."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from camviz.app.picker import model_dialog_filter
from camviz.backends import model_file_suffixes
from camviz.qt import pickers

ROOT = Path(__file__).resolve().parents[2]
FLOAT = ROOT / "models" / "efficientnet_lite0_float32.tflite"
COFFEE = ROOT / "assets" / "photos" / "skimage" / "coffee.png"


def test_the_open_dialog_offers_every_model_file_kind(
    qtbot: Any, make_window: Any, monkeypatch: Any
) -> None:
    asked: list[str] = []

    def dialog(*args: Any, **kwargs: Any) -> tuple[str, str]:
        asked.append(args[3])  # (parent, caption, folder, filter)
        return "", ""

    monkeypatch.setattr(pickers.QFileDialog, "getOpenFileName", dialog)
    win = make_window()
    win.model_combo.activated.emit(win.model_combo.findData(None))
    assert asked == [model_dialog_filter()]  # every runtime's files, and taught heads
    assert "*.head.npz" in asked[0]
    for suffix in model_file_suffixes():  # .tflite, .onnx, .xml, ...
        assert f"*{suffix}" in asked[0]
    assert "*.onnx" in asked[0]
    assert pickers.same_model("mine.onnx", str(Path("mine.onnx").resolve()))


@pytest.mark.skipif(not FLOAT.is_file(), reason=f"{FLOAT} (the zoo's float model)")
def test_an_onnx_model_opened_in_the_window_runs_there(
    qtbot: Any, make_window: Any, monkeypatch: Any, tmp_path: Path
) -> None:
    pytest.importorskip("onnxruntime", reason="the ONNX backend needs camviz[onnx]")
    pytest.importorskip("onnx", reason="the ONNX export needs the onnx package")
    from tests.backends.onnx_export import export

    onnx_model = export(FLOAT, tmp_path)["float"]
    win = make_window()
    assert win.start(str(COFFEE), "efficientnet_lite0_int8")
    qtbot.waitUntil(lambda: win.last_result is not None, timeout=30000)
    monkeypatch.setattr(
        pickers.QFileDialog, "getOpenFileName", lambda *a, **k: (str(onnx_model), "")
    )
    win.model_combo.activated.emit(win.model_combo.findData(None))
    qtbot.waitUntil(
        lambda: (
            win.session.model_info is not None
            and win.session.model_info.runtime == "onnxruntime"
            and win.last_result is not None
            and win.last_result.model == win.session.model_info.name
        ),
        timeout=30000,
    )
    assert win.last_result.result.categories[0].index == 967  # espresso, as the .tflite says
    # the meter says so once the window has handled the load (its event is queued to the GUI)
    qtbot.waitUntil(lambda: "onnxruntime" in win.meter.value_text("runtime"), timeout=5000)
