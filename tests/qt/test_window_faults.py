"""The real window under faults: a full or read-only disk when saving a snapshot or a CSV
recording, an unreadable settings file, and fifty model/source switches in a few seconds."""

from __future__ import annotations

import errno
import os
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings

import camviz.app.snapshot as snapshot_module
import camviz.loading.safety as safety
from camviz.pipeline import EventKind
from camviz.qt import pickers
from camviz.qt import window as window_module
from camviz.qt.window import MainWindow

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"
VIDEO = ROOT / "assets" / "video" / "vtest.avi"
PHOTO = ROOT / "assets" / "photos" / "skimage" / "chelsea.png"
LITE0 = "efficientnet_lite0_int8"
LITE0_FLOAT = "efficientnet_lite0_float32"

pytestmark = [
    pytest.mark.gui,
    pytest.mark.skipif(
        not (MODELS / f"{LITE0}.tflite").is_file()
        or not (MODELS / f"{LITE0_FLOAT}.tflite").is_file(),
        reason="the efficientnet_lite0 models",
    ),
]


def enospc(*_: object, **__: object) -> Any:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.fixture
def window(
    qtbot: Any, tmp_path: Path, dialogs: Any, no_leaked_threads: None
) -> Iterator[MainWindow]:
    settings = QSettings(str(tmp_path / "camviz.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings, cameras=[], snapshot_dir=tmp_path / "snapshots")
    qtbot.addWidget(win)
    win.resize(1000, 700)
    win.show()
    yield win
    win.close()
    assert win.session.pipeline is None


def running(qtbot: Any, win: MainWindow, source: str = "demo") -> None:
    assert win.start(source, LITE0)
    qtbot.waitUntil(lambda: win.last_result is not None, timeout=30000)


def status(win: MainWindow) -> str:
    """The last status message, whole (the bar shows it elided to its room)."""
    return win.status_said


# ------------------------------------------------------------------ snapshots
def test_snapshot_on_a_full_disk_says_so_and_leaves_nothing(
    qtbot: Any,
    window: MainWindow,
    dialogs: list[tuple[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    running(qtbot, window)
    folder = tmp_path / "snapshots"

    def half_png(image: Any, path: Path) -> None:
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))  # what fit before the disk filled
        enospc()

    monkeypatch.setattr(snapshot_module, "_write_png", half_png)
    assert window.snapshot() is None
    assert "Snapshot not saved: cannot write" in status(window)
    assert "No space left on device" in status(window) and "nothing was saved" in status(window)
    assert dialogs and dialogs[-1][0] == "Snapshot not saved"
    assert list(folder.iterdir()) == []
    monkeypatch.undo()
    # the PNG fits but the JSON does not: the PNG is taken back (all or nothing)
    monkeypatch.setattr(window_module.QMessageBox, "warning", lambda *a: dialogs.append(a[1:3]))
    monkeypatch.setattr(Path, "write_text", enospc)
    assert window.snapshot() is None
    assert ".json: No space left on device" in status(window)
    assert list(folder.iterdir()) == []
    monkeypatch.undo()
    monkeypatch.setattr(window_module.QMessageBox, "warning", lambda *a: dialogs.append(a[1:3]))
    saved = window.snapshot()  # the disk has room again
    assert saved is not None and all(p.is_file() for p in saved)
    assert window.session.running


def test_snapshot_to_a_read_only_place(
    qtbot: Any,
    window: MainWindow,
    dialogs: list[tuple[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    running(qtbot, window)
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the folder should be")
    assert window.snapshot(blocker / "snaps") is None
    assert "Snapshot not saved: cannot write" in status(window)
    folder = tmp_path / "ro"
    folder.mkdir()

    def refuse(src: object, dst: object) -> None:  # root ignores chmod: refuse the rename
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(dst))

    monkeypatch.setattr(os, "replace", refuse)
    assert window.snapshot(folder) is None
    assert "Permission denied" in status(window)
    assert list(folder.iterdir()) == []  # the temporary file was removed
    assert len(dialogs) == 2 and window.session.running


# ------------------------------------------------------------------ CSV recording
def test_recording_is_atomic(qtbot: Any, window: MainWindow, tmp_path: Path) -> None:
    running(qtbot, window)
    out = tmp_path / "rec.csv"
    assert window.set_recording(out)
    recorder = window.session.outputs.recorder
    assert recorder is not None
    # count rows written, not results shown: some shown ones were queued before recording
    qtbot.waitUntil(lambda: recorder.rows >= 5, timeout=30000)
    assert not out.exists()  # rows go to a temporary file until the recording stops
    assert window.set_recording(None)
    rows = out.read_text().splitlines()
    assert rows[0].startswith("frame_id,") and len(rows) >= 6
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".rec")] == []


def test_disk_full_while_recording_stops_it_and_says_so(
    qtbot: Any, window: MainWindow, dialogs: list[tuple[str, str]], tmp_path: Path
) -> None:
    running(qtbot, window)
    folder = tmp_path / "records"
    folder.mkdir()
    assert window.set_recording(folder / "rec.csv")
    recorder = window.session.outputs.recorder
    assert recorder is not None

    class FillingWriter:
        rows = 0

        def writerow(self, row: object) -> None:
            self.rows += 1
            if self.rows > 3:
                enospc()

    recorder._writer = FillingWriter()  # type: ignore[assignment]
    qtbot.waitUntil(lambda: not window.record_check.isChecked(), timeout=30000)
    assert window.session.outputs.recorder is None
    assert "Recording not saved: cannot write" in status(window)
    assert "No space left on device" in status(window)
    assert dialogs[-1][0] == "Recording not saved"
    assert list(folder.iterdir()) == []  # no partial CSV, no temporary
    assert window.session.running  # inference never noticed
    before = window.results_shown
    qtbot.waitUntil(lambda: window.results_shown > before + 3, timeout=30000)


def test_disk_full_when_the_recording_is_finished(
    qtbot: Any, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    running(qtbot, window)
    assert window.set_recording(tmp_path / "rec.csv")
    target = window.results_shown + 3
    qtbot.waitUntil(lambda: window.results_shown >= target, timeout=30000)
    monkeypatch.setattr(os, "fsync", enospc)
    assert not window.set_recording(None)
    assert "Recording not saved" in status(window) and "No space left" in status(window)
    assert [p.name for p in tmp_path.iterdir() if "rec" in p.name] == []


def test_recording_into_a_read_only_place(
    qtbot: Any, window: MainWindow, dialogs: list[tuple[str, str]], tmp_path: Path
) -> None:
    running(qtbot, window)
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    assert not window.set_recording(blocker / "rec.csv")
    assert not window.record_check.isChecked() and window.session.outputs.recorder is None
    assert status(window).startswith(f"Cannot record: cannot write {blocker / 'rec.csv'}")
    assert dialogs[-1][0] == "Cannot record"


# ------------------------------------------------------------------ settings
@pytest.mark.parametrize(
    "content",
    [
        bytes(range(256)) * 16,  # binary garbage
        b"[General]\nthreads=banana\ntop_k=-4\nscore_threshold=nan\nmin_confidence=\n"
        b"budget_ms=1e999\ngeometry=@ByteArray(\\x1\\x2)\nmirror=maybe\nmodel=\n[[[\n",
        b'\xef\xbb\xbf[General\nthreads="2\nsource=/no/such/file.mp4\n',
    ],
    ids=["binary", "wrong-values", "broken-syntax"],
)
def test_unreadable_settings_fall_back_to_defaults(
    qtbot: Any, tmp_path: Path, content: bytes, dialogs: Any, no_leaked_threads: None
) -> None:
    ini = tmp_path / "camviz.ini"
    ini.write_bytes(content)
    win = MainWindow(
        settings=QSettings(str(ini), QSettings.Format.IniFormat),
        cameras=[],
        snapshot_dir=tmp_path / "snaps",
    )
    qtbot.addWidget(win)
    win.show()
    try:
        assert win.threads_spin.value() == 2
        assert 1 <= win.topk_spin.value() <= 10
        assert win.topk_spin.value() == 5 or content.startswith(b"[General]\nthreads=banana")
        assert 0.0 <= win.threshold_spin.value() <= 1.0
        assert 1.0 <= win.budget_spin.value() <= 1000.0
        assert win.start("demo", LITE0)
        qtbot.waitUntil(lambda: win.last_result is not None, timeout=30000)
    finally:
        win.close()
    assert win.session.pipeline is None


# ------------------------------------------------------------------ rapid switching
def test_fifty_switches_in_a_few_seconds(
    qtbot: Any, window: MainWindow, dialogs: list[tuple[str, str]], tmp_path: Path
) -> None:
    user_model = tmp_path / "user_lite0.tflite"  # a path: test-loaded in a child first
    shutil.copy(MODELS / f"{LITE0}.tflite", user_model)
    running(qtbot, window)
    threads_before = threading.active_count()
    models = [LITE0, LITE0_FLOAT, str(user_model)]
    sources = ["demo", str(VIDEO), str(PHOTO)]
    for i in range(50):
        if i % 5 == 4:
            assert window.start(sources[(i // 5) % 3])
        else:
            window.switch_model(models[i % 3])
        qtbot.wait(40)
    final_source, final_model = str(VIDEO), LITE0_FLOAT
    assert window.start(final_source)
    window.switch_model(final_model)
    qtbot.waitUntil(
        lambda: window.last_result is not None and window.last_result.model == final_model,
        timeout=60000,
    )
    qtbot.wait(1500)  # nothing older may land after the final choice
    assert window.last_result is not None and window.last_result.model == final_model
    assert window.model_name == final_model
    assert window.model_combo.currentData() == final_model
    assert window.source_spec == final_source
    assert window.source_combo.currentData() == final_source
    assert window.session.running
    assert not [e for e in window.events if e.kind in (EventKind.ERROR, EventKind.MODEL_FAILED)]
    assert dialogs == []
    loaded = [e for e in window.events if e.kind is EventKind.MODEL_LOADED]
    assert len(loaded) >= 10  # the switches really happened (later ones supersede earlier)
    qtbot.waitUntil(lambda: threading.active_count() <= threads_before + 1, timeout=5000)


# ------------------------------------------------------------------ a hostile model file
def test_open_tflite_that_crashes_the_runtime_is_refused_and_the_gui_stays_free(
    qtbot: Any,
    window: MainWindow,
    dialogs: list[tuple[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hostile = tmp_path / "hostile.tflite"
    shutil.copy(MODELS / f"{LITE0}.tflite", hostile)
    # stands in for a file that segfaults the native runtime: the test-load child dies so
    crash = "import os, signal, time; time.sleep(0.5); os.kill(os.getpid(), signal.SIGSEGV)"
    monkeypatch.setattr(safety, "_child_command", lambda path: [sys.executable, "-c", crash])
    safety.forget_checks()  # a file that passed with the real child must be tried again
    monkeypatch.setattr(pickers.QFileDialog, "getOpenFileName", lambda *a, **k: (str(hostile), ""))
    running(qtbot, window)
    start = time.monotonic()
    window.model_combo.activated.emit(window.model_combo.findData(None))  # "Open a model file…"
    assert time.monotonic() - start < 0.3  # the check runs off the GUI thread
    qtbot.waitUntil(lambda: bool(dialogs), timeout=30000)
    title, text = dialogs[-1]
    assert title == "Model failed to load"
    assert f"{hostile} crashed the TFLite runtime in a test load (SIGSEGV, signal 11)" in text
    assert "it was not loaded" in text and f"Still running: {LITE0}" in text
    before = window.results_shown
    qtbot.waitUntil(lambda: window.results_shown > before + 3, timeout=30000)
    assert window.last_result is not None and window.last_result.model == LITE0
    assert window.model_combo.currentData() == LITE0
