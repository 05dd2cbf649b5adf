"""Start-up policy: remembered settings cannot brick the window; scripted-run checks."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from camviz.app.snapshot import default_snapshot_dir
from camviz.app.startup import (
    absolute_spec,
    check_quit_after,
    remembered_model,
)
from camviz.errors import OptionsError


def test_paths_are_made_absolute_and_nothing_else(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert absolute_spec("clip.mp4") == str(tmp_path / "clip.mp4")
    assert absolute_spec("demo") == "demo" and absolute_spec("0") == "0"
    assert absolute_spec("rtsp://cam/1") == "rtsp://cam/1"
    assert absolute_spec("efficientnet_lite0_int8", ("efficientnet_lite0_int8",)) == (
        "efficientnet_lite0_int8"
    )


def test_a_remembered_model_that_is_gone_is_skipped(tmp_path: Path) -> None:
    names = ("a", "b")
    assert remembered_model("a", names) == ("a", None)
    assert remembered_model(None, names) == (None, None)
    real = tmp_path / "m.tflite"
    real.write_bytes(b"x")
    assert remembered_model(str(real), names) == (str(real), None)
    model, why = remembered_model(str(tmp_path / "gone.tflite"), names)
    assert model is None and why is not None and "gone.tflite" in why
    assert remembered_model("renamed_zoo_model", names)[0] is None


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, -1.0, "soon"])
def test_quit_after_must_be_finite_and_not_negative(bad: object) -> None:
    with pytest.raises(OptionsError):
        check_quit_after(bad)  # type: ignore[arg-type]


def test_quit_after_accepts_seconds() -> None:
    assert check_quit_after(None) is None and check_quit_after(0) == 0.0
    assert check_quit_after(2.5) == 2.5


def test_snapshots_default_to_the_pictures_folder(tmp_path: Path) -> None:
    assert default_snapshot_dir(tmp_path / "Pics") == tmp_path / "Pics" / "camviz"
    env = {"XDG_PICTURES_DIR": str(tmp_path / "X")}
    assert default_snapshot_dir(None, environ=env) == tmp_path / "X" / "camviz"
    assert default_snapshot_dir("relative", environ={}) == Path.home() / "Pictures" / "camviz"
    assert default_snapshot_dir(None, environ={}).is_absolute()
    assert default_snapshot_dir(None, environ={}) != Path.cwd() / "snapshots"
