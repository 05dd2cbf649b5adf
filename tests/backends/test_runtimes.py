"""Every installed runtime on one model and the same frames; ``--backend auto`` remembers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from camviz import Classifier, ClassifierOptions, load_image
from camviz.backends import BACKENDS, auto_choice_key, backend_for, choice
from camviz.runtimes import compare_runtimes, format_runtimes
from tests.conftest import MODELS, PHOTOS

pytest.importorskip("openvino", reason="a second runtime for .tflite: camviz[openvino]")

MODEL = "efficientnet_lite0_float32"
PATH = MODELS / f"{MODEL}.tflite"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CAMVIZ_CACHE_DIR", str(tmp_path))
    return tmp_path / choice.CACHE_NAME


def test_every_runtime_runs_the_same_frames_and_the_fastest_is_remembered(cache: Path) -> None:
    frames = [load_image(p) for p in sorted(PHOTOS.rglob("*.png"))[:6]]
    assert not cache.exists()
    runs = compare_runtimes(MODEL, frames, invokes=10, warmup=2, rounds=2)
    assert [r.backend for r in runs] == ["litert", "openvino"]
    assert all(r.error is None and r.p50 is not None and len(r.invoke_ms) == 10 for r in runs)
    assert runs[0].agreement == 1.0
    assert runs[1].agreement is not None and runs[1].agreement >= 5 / 6
    assert runs[1].version.startswith("openvino ") and runs[1].device == "CPU"
    text = format_runtimes(MODEL, runs)
    assert "openvino" in text and "top-1 agreement" in text
    entries = json.loads(cache.read_text())
    (entry,) = entries.values()
    fastest = min(runs, key=lambda r: r.p50 or 0.0).backend
    assert entry["backend"] == fastest
    assert backend_for(PATH).name == fastest  # auto now picks what was measured fastest


def test_auto_follows_the_remembered_choice_and_only_for_this_key(cache: Path) -> None:
    content = PATH.read_bytes()
    choice.remember(auto_choice_key(content), "openvino", {"openvino": 1.0, "litert": 2.0})
    assert backend_for(PATH).name == "openvino"
    with Classifier.create(ClassifierOptions(model=MODEL)) as clf:
        assert clf.info.runtime == "openvino"
    assert backend_for(PATH, "litert").name == "litert"  # a named backend is not overridden
    assert backend_for(PATH, accelerator="gpu").name == "litert"  # another device: not measured
    other = choice.choice_key(choice.sha256_of(content), "cpu", ["litert 0.1"])
    cache.write_text(json.dumps({other: {"backend": "openvino"}}))
    assert backend_for(PATH).name == "litert"  # other runtime versions: measured again
    cache.write_text("{not json")
    assert backend_for(PATH).name == "litert"  # an unreadable cache is ignored


def test_a_runtime_that_cannot_load_the_model_is_reported_and_the_others_run(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from camviz.errors import ModelLoadError

    def refuse(*args: object, **kwargs: object) -> None:
        raise ModelLoadError("this OpenVINO cannot read it")

    monkeypatch.setattr(BACKENDS["openvino"], "load", refuse)
    frames = [load_image(sorted(PHOTOS.rglob("*.png"))[0])]
    runs = compare_runtimes(MODEL, frames, invokes=4, warmup=1, rounds=1)
    assert runs[0].error is None and runs[0].p50 is not None
    assert runs[1].error == "ModelLoadError: this OpenVINO cannot read it"
    assert not cache.exists()  # one runtime measured: nothing to choose between


def test_the_module_runs_from_the_command_line(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    env = {**os.environ, "CAMVIZ_CACHE_DIR": str(tmp_path)}
    flags = ["--invokes", "4", "--rounds", "1", "--threads", "1", "--json"]
    photos = ["--photos", str(PHOTOS / "skimage")]
    done = subprocess.run(
        [sys.executable, "-m", "camviz.runtimes", "efficientnet_lite0_int8", *flags, *photos],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    runs = report["efficientnet_lite0_int8"]
    assert [r["backend"] for r in runs] == ["litert", "openvino"]
    assert all(r["invoke_ms"]["n"] == 4 and r["error"] is None for r in runs)
    assert (tmp_path / choice.CACHE_NAME).is_file()
