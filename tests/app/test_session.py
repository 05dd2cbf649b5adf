"""LiveSession without Qt: real zoo model, real videos and photos."""

from __future__ import annotations

import csv
import json
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from camviz.app import LiveSession, Notice, SourceStarted
from camviz.pipeline import FrameResult
from tests.conftest import MODELS, PHOTOS, VIDEOS, wait_for

LITE0 = "efficientnet_lite0_int8"
pytestmark = pytest.mark.skipif(
    not (MODELS / f"{LITE0}.tflite").is_file(), reason=f"models/{LITE0}.tflite"
)


@pytest.fixture
def session(tmp_path: Path, no_leaked_threads: None):
    s = LiveSession(snapshot_dir=tmp_path / "snaps")
    yield s
    s.close()
    assert s.pipeline is None


def collect(emitter) -> list:
    got: list = []
    emitter.connect(got.append)
    return got


def test_missing_camera_falls_back_to_the_demo(session: LiveSession) -> None:
    sources: list[SourceStarted] = collect(session.events.source)
    notices: list[Notice] = collect(session.events.notice)
    assert session.start("7", LITE0)  # no /dev/video7 here
    assert wait_for(lambda: session.sources.spec == "demo" and session.last_result is not None)
    assert [s.spec for s in sources] == ["7", "demo"]
    assert sources[-1].note == "Source: demo (7 failed)" and sources[-1].fallback_from == "7"
    assert any("7 failed (" in n.message and "showing the demo" in n.message for n in notices)


def test_last_result_snapshot_and_recording(session: LiveSession, tmp_path: Path) -> None:
    results: list[FrameResult] = collect(session.events.result)
    out = tmp_path / "rec.csv"
    assert session.start(str(VIDEOS / "vtest.avi"), LITE0)
    assert session.outputs.set_recording(out)
    assert wait_for(lambda: len(results) >= 5)
    assert session.outputs.set_recording(None)
    delivered = list(results)  # recording stopped: later results have no row
    with out.open(newline="") as f:
        rows = list(csv.DictReader(f))
    ids = {int(r["frame_id"]) for r in rows}
    assert len(rows) >= 5 and ids <= {fr.frame_id for fr in delivered}
    first = next(fr for fr in delivered if fr.frame_id == int(rows[0]["frame_id"]))
    assert rows[0]["model"] == LITE0 and rows[0]["top_label"] == first.result.top.label
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".rec")]

    fr = session.last_result
    assert fr is not None and fr.model == LITE0 and fr in results
    saved = session.outputs.snapshot()
    assert saved is not None
    png, js = saved
    image = cv2.cvtColor(cv2.imread(str(png), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    snap = json.loads(js.read_text("utf-8"))
    matching = [r for r in results if r.frame_id == snap["frame_id"]]
    assert matching and np.array_equal(image, matching[0].frame.image)
    assert snap["model"] == LITE0 and snap["image"] == png.name


def test_snapshot_before_any_result_and_a_bad_source(session: LiveSession) -> None:
    notices: list[Notice] = collect(session.events.notice)
    assert session.outputs.snapshot() is None and notices[-1].message == "Nothing to snapshot yet"
    assert not session.start(str(PHOTOS / "no-such.png"))
    assert notices[-1].title == "Cannot open source"


def test_close_joins_every_thread(tmp_path: Path) -> None:
    before = set(threading.enumerate())
    s = LiveSession(snapshot_dir=tmp_path)
    assert s.start("demo", LITE0)
    assert wait_for(lambda: s.last_result is not None)
    s.teaching.prepare()
    s.close()
    s.close()  # idempotent
    assert wait_for(lambda: set(threading.enumerate()) <= before, timeout=5)
    assert not s.start("demo")  # closed


def test_the_delegate_chosen_is_the_one_the_model_runs_on(no_leaked_threads: None) -> None:
    from camviz.app import LiveSession
    from camviz.backends import Delegate

    from ..conftest import wait_for

    session = LiveSession()
    try:
        session.update(delegate=Delegate.parse("cpu"))
        assert session.start("demo")
        assert wait_for(lambda: session.last_result is not None, 60)
        assert session.model_info is not None and session.model_info.delegate == "cpu"
    finally:
        session.close()


def test_a_recording_is_written_as_every_file_is(tmp_path: Path) -> None:
    """The user's umask (not mkstemp's 0600), through a symlink to its target, never over a FIFO."""
    import os
    import stat

    from camviz.app.recording import CsvRecorder
    from camviz.errors import WriteRefusedError

    real = tmp_path / "real.csv"
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    old = os.umask(0o022)
    try:
        recorder = CsvRecorder(link)
        assert recorder.close()
    finally:
        os.umask(old)
    assert link.is_symlink() and real.is_file()
    assert stat.S_IMODE(real.stat().st_mode) == 0o644
    assert real.read_text("utf-8").startswith(",".join(CsvRecorder.COLUMNS[:2]))
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    with pytest.raises(WriteRefusedError, match="is a FIFO"):
        CsvRecorder(fifo)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_a_start_up_model_that_does_not_load_is_said_and_another_starts_the_source(
    session: LiveSession, tmp_path: Path
) -> None:
    notices: list[Notice] = collect(session.events.notice)
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(bytes(range(256)) * 20)  # no FlatBuffer
    session.start("demo", str(bad))
    assert wait_for(lambda: session.startup_error is not None, timeout=60)
    assert wait_for(lambda: any(n.title == "Model failed to load" for n in notices), timeout=10)
    said = next(n for n in notices if n.title == "Model failed to load")
    assert "bad.tflite" in said.message and "no model runs" in said.message
    assert not any("closed" in n.message for n in notices[notices.index(said) :])
    session.switch_model(LITE0)  # the model list: the source starts again with it
    assert wait_for(lambda: session.last_result is not None, timeout=60)
    assert session.running_model == LITE0 and session.startup_error is None
