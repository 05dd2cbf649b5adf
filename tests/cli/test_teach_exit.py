"""``camviz teach`` exits 1 when it skipped files, as classify and eval do: the skipped
files named on stderr, the model still taught from the others and saved."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ..conftest import PHOTOS, camviz


def test_teach_names_skipped_files_saves_the_model_and_exits_1(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for label, names in {
        "a": ("apple.jpg", "orange.jpg"),
        "b": ("baboon.jpg", "butterfly.jpg"),
    }.items():
        (data / label).mkdir(parents=True)
        for name in names:
            shutil.copy(PHOTOS / "opencv" / name, data / label / name)
    whole = (PHOTOS / "opencv" / "aero1.jpg").read_bytes()
    (data / "a" / "cut.jpg").write_bytes(whole[:2000])
    (data / "b" / "empty.mp4").write_bytes(b"")
    (data / "b" / "zero.jpg").write_bytes(b"")
    out = tmp_path / "m.head.npz"
    run = camviz("teach", data, "--out", out, "--quiet", "--json")
    assert run.returncode == 1, run.stderr
    assert out.exists()
    assert len(json.loads(run.stdout)["skipped"]) == 3
    for name in ("cut.jpg", "empty.mp4", "zero.jpg"):
        assert name in run.stderr
