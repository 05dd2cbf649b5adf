"""Remembered settings cannot brick the window; snapshots go to the Pictures folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings

from camviz.defaults import BUDGET_MS, THREADS
from camviz.qt import settings as saved

ROOT = Path(__file__).resolve().parents[2]
LITE0 = "efficientnet_lite0_int8"
VIDEO = ROOT / "assets" / "video" / "vtest.avi"
needs_lite0 = pytest.mark.skipif(
    not (ROOT / "models" / f"{LITE0}.tflite").is_file(), reason=f"models/{LITE0}.tflite"
)


@needs_lite0
def test_a_start_whose_remembered_model_is_gone_classifies_with_the_default(
    qtbot: Any, make_window: Any, settings: QSettings, tmp_path: Path
) -> None:
    settings.setValue("model", str(tmp_path / "deleted.tflite"))
    settings.setValue("source", "/nonexistent/old-clip.mp4")
    win = make_window()
    messages: list[str] = []
    win.statusBar().messageChanged.connect(messages.append)
    assert win.start_up(str(VIDEO), None)  # the --source given is used
    qtbot.waitUntil(lambda: win.last_result is not None, timeout=30000)
    assert win.source_spec == str(VIDEO)
    assert win.last_result.model == win.session.zoo.default
    assert any("deleted.tflite is gone" in m and "default model" in m for m in messages)
    assert not win.problems  # no dialog


def test_saved_values_that_are_not_finite_or_out_of_range_are_ignored(
    make_window: Any, settings: QSettings
) -> None:
    settings.setValue("threads", "nan")
    settings.setValue("budget_ms", "inf")
    settings.setValue("top_k", "1000")
    settings.setValue("min_confidence", "0.4")
    win = make_window()
    assert win.threads_spin.value() == THREADS and win.budget_spin.value() == BUDGET_MS
    value = win.session.options.value
    assert value.threads == THREADS and value.budget_ms == BUDGET_MS
    assert win.confidence_spin.value() == pytest.approx(0.4)
    message = win.statusBar().currentMessage()
    assert "Settings ignored" in message and "threads 'nan'" in message


def test_paths_are_saved_absolute(
    make_window: Any, settings: QSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    saved.write_spec(settings, "source", "clip.mp4")
    saved.write_spec(settings, "model", "mine.tflite")
    saved.write_spec(settings, "other", "demo")
    assert settings.value("source") == str(tmp_path / "clip.mp4")
    assert settings.value("model") == str(tmp_path / "mine.tflite")
    assert settings.value("other") == "demo"


def test_snapshots_go_to_the_pictures_folder_not_the_cwd(
    settings: QSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    pictures = tmp_path / "Pictures"
    monkeypatch.setattr(saved, "pictures_dir", lambda: str(pictures))
    assert saved.snapshot_dir(settings) == pictures / "camviz"
    settings.setValue("snapshot_dir", str(tmp_path / "snapshots"))  # an old automatic value
    assert saved.snapshot_dir(settings) == pictures / "camviz"
    settings.setValue("snapshot_dir", str(tmp_path / "chosen"))
    assert saved.snapshot_dir(settings) == tmp_path / "chosen"
    assert saved.pictures_dir() is None or Path(saved.pictures_dir()).is_absolute()


def test_the_record_dialog_proposes_a_new_file_in_the_videos_folder() -> None:
    from camviz.qt.settings import recording_path

    first, later = recording_path(1_700_000_000.0), recording_path(1_700_000_061.0)
    assert first.is_absolute() and first.suffix == ".mp4" and first.name.startswith("camviz-")
    assert first != later and first.parent == later.parent
    assert first.parent != Path.cwd()  # never the folder camviz was started from
