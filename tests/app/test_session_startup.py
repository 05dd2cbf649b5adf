"""LiveSession.start_up: the command line wins, a remembered model that is gone or broken
falls back to the zoo's default, a scripted session never swaps in the demo."""

from __future__ import annotations

from pathlib import Path

import pytest

from camviz.app import LiveSession, Notice
from camviz.zoo import load_zoo
from tests.conftest import MODELS, VIDEOS, wait_for

LITE0 = "efficientnet_lite0_int8"
pytestmark = pytest.mark.skipif(
    not (MODELS / f"{LITE0}.tflite").is_file(), reason=f"models/{LITE0}.tflite"
)
VIDEO = VIDEOS / "vtest.avi"


@pytest.fixture
def session(tmp_path: Path, no_leaked_threads: None):
    s = LiveSession(zoo=load_zoo(), snapshot_dir=tmp_path / "snaps")
    yield s
    s.close()


def notices(s: LiveSession) -> list[Notice]:
    got: list[Notice] = []
    s.events.notice.connect(got.append)
    return got


def test_a_remembered_model_that_is_gone_uses_the_default(
    session: LiveSession, tmp_path: Path
) -> None:
    said = notices(session)
    assert session.start_up(str(VIDEO), None, remembered=str(tmp_path / "gone.tflite"))
    assert wait_for(lambda: session.last_result is not None)
    assert session.sources.spec == str(VIDEO)  # the source given is used
    assert session.last_result.model == session.zoo.default
    assert any("gone.tflite is gone" in n.message and n.title is None for n in said)


def test_a_remembered_model_that_no_longer_loads_uses_the_default(
    session: LiveSession, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.tflite"
    broken.write_bytes(b"not a flatbuffer" * 64)
    said = notices(session)
    assert session.start_up(str(VIDEO), None, remembered=str(broken))
    assert wait_for(lambda: session.last_result is not None)
    assert session.last_result.model == session.zoo.default
    assert session.sources.spec == str(VIDEO) and session.startup_error is None
    assert any("broken.tflite does not load" in n.message for n in said)
    assert not any(n.title for n in said)  # said in the status line, no dialog


def test_a_model_given_on_the_command_line_that_fails_is_a_startup_error(
    session: LiveSession, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.tflite"
    broken.write_bytes(b"not a flatbuffer" * 64)
    assert session.start_up(str(VIDEO), str(broken), remembered=LITE0)
    assert wait_for(lambda: session.startup_error is not None)
    assert "broken.tflite" in session.startup_error and session.last_result is None


def test_a_scripted_session_does_not_fall_back_to_the_demo(tmp_path: Path) -> None:
    s = LiveSession(zoo=load_zoo(), snapshot_dir=tmp_path, fallback_to_demo=False)
    try:
        assert s.start("7", LITE0)  # no /dev/video7 here
        assert wait_for(lambda: s.startup_error is not None)
        assert s.sources.spec == "7"
    finally:
        s.close()
