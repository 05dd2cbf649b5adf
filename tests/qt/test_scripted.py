"""Scripted use of the window (``camviz --quit-after``) in a child process, offscreen:
no dialog can block it, failures exit non-zero with the reason in the stats JSON,
SIGINT/SIGTERM close it cleanly, and a source that blocks cannot wedge shutdown."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LITE0 = "efficientnet_lite0_int8"
needs_lite0 = pytest.mark.skipif(
    not (ROOT / "models" / f"{LITE0}.tflite").is_file(), reason=f"models/{LITE0}.tflite"
)

# run_gui with settings in a temporary INI (the user's are never touched)
RUNNER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from PySide6.QtCore import QSettings
    from camviz.qt.app import run_gui
    tmp = Path(sys.argv[1])
    settings = QSettings(str(tmp / "camviz.ini"), QSettings.Format.IniFormat)
    source, model = sys.argv[2] or None, sys.argv[3] or None
    quit_after = float(sys.argv[4]) if sys.argv[4] else None
    {patch}
    sys.exit(run_gui(source, model, 1, quit_after, tmp / "stats.json", settings=settings))
    """
)


def child(
    tmp: Path, source: str, model: str = "", quit_after: str = "3", patch: str = ""
) -> subprocess.Popen[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    script = RUNNER.format(patch=textwrap.indent(textwrap.dedent(patch), "").strip())
    return subprocess.Popen(
        [sys.executable, "-c", script, str(tmp), source, model, quit_after],
        cwd=tmp,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen[str], timeout: float) -> tuple[int, str, float]:
    began = time.monotonic()
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"the window did not exit within {timeout} s")
    return proc.returncode, err, time.monotonic() - began


def stats(tmp: Path) -> dict:
    return json.loads((tmp / "stats.json").read_text("utf-8"))


def test_a_missing_source_exits_on_time_without_a_dialog(tmp_path: Path) -> None:
    code, err, _ = finish(child(tmp_path, "/nonexistent/clip.mp4", quit_after="3"), 20)
    assert code != 0
    assert "/nonexistent/clip.mp4" in err
    data = stats(tmp_path)
    assert data["exit_code"] == code and "/nonexistent/clip.mp4" in data["startup_error"]


def test_a_fifo_named_like_a_video_exits_on_time_without_blocking(tmp_path: Path) -> None:
    # FFmpeg would block in open() on a FIFO until a writer came: it is refused unopened
    fifo = tmp_path / "clip.mp4"
    os.mkfifo(fifo)
    code, err, took = finish(child(tmp_path, str(fifo), quit_after="20"), 30)
    assert code != 0 and took < 15  # closed when the source failed, not after --quit-after
    assert f"{fifo} is a FIFO (named pipe), not a regular file" in err
    assert "is a FIFO" in stats(tmp_path)["startup_error"]


@needs_lite0
def test_a_model_that_fails_at_start_exits_non_zero(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"not a flatbuffer" * 64)
    code, err, took = finish(child(tmp_path, "demo", str(bad), quit_after="30"), 25)
    assert code == 3 and "bad.tflite" in err
    assert took < 20  # closed when the model failed, not after --quit-after
    assert "bad.tflite" in stats(tmp_path)["startup_error"]


READY = """
from camviz.qt import window as window_module
_shown = window_module.MainWindow._on_result
def _on_result(self, fr):
    _shown(self, fr)
    if self.results_shown == 3:
        (tmp / "ready").touch()
window_module.MainWindow._on_result = _on_result
"""


@needs_lite0
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signals_close_the_window_cleanly(tmp_path: Path, sig: int) -> None:
    proc = child(tmp_path, "demo", LITE0, quit_after="60", patch=READY)
    ini = tmp_path / "camviz.ini"
    deadline = time.monotonic() + 60
    while not (tmp_path / "ready").exists():  # the event loop runs and results are shown
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr
        time.sleep(0.1)
    proc.send_signal(sig)
    code, err, took = finish(proc, 15)
    assert code == 0, err
    assert took < 10
    data = stats(tmp_path)  # written: the window closed through its normal path
    assert data["results_shown"] > 0
    assert not ini.exists()  # a scripted run never writes the settings (issue 20.5)


BLOCKING = """
import threading
import camviz.app.sources as sources_module
from camviz.sources.base import Source

class Stuck(Source):
    def __init__(self):
        super().__init__("stuck")
    def _open(self):
        pass
    def _release(self):
        pass
    def read(self):
        threading.Event().wait()  # never returns, even when closed

sources_module.make_source = lambda *a, **k: Stuck()
"""


@needs_lite0
def test_a_source_that_blocks_cannot_wedge_shutdown(tmp_path: Path) -> None:
    code, err, took = finish(child(tmp_path, "stuck", LITE0, "1", patch=BLOCKING), 30)
    assert took < 15, err
    assert (tmp_path / "stats.json").is_file()
    assert code in (0, 3)
