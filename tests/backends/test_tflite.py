"""Runtime selection: ai-edge-litert first, tflite-runtime as the fallback."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from camviz.backends import runtime_status
from camviz.classifier import Classifier
from camviz.errors import RuntimeUnavailableError

from ..conftest import PHOTOS, ROOT

TFLITE_VENV = ROOT / ".venv-tflite" / "bin" / "python"


def test_litert_is_preferred(default_classifier: Classifier) -> None:
    assert default_classifier.info.runtime == "litert"
    assert runtime_status()["litert"] == "ok"


def test_unknown_forced_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAMVIZ_RUNTIME", "tensorrt")
    with pytest.raises(RuntimeUnavailableError, match="'tensorrt' is not a known runtime"):
        Classifier.create()


def test_tflite_runtime_under_numpy2_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("tflite_runtime")  # installed by the test extra
    assert int(np.__version__.split(".")[0]) >= 2
    assert "compiled against NumPy 1.x" in runtime_status()["tflite-runtime"]
    monkeypatch.setenv("CAMVIZ_RUNTIME", "tflite-runtime")
    with pytest.raises(RuntimeUnavailableError, match="environment with numpy<2"):
        Classifier.create()


@pytest.mark.slow
def test_tflite_runtime_fallback_where_it_can_work() -> None:
    """In an environment with numpy<2 and no ai-edge-litert (`make pytest` creates it)."""
    if not TFLITE_VENV.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{TFLITE_VENV} is missing: `make pytest` should have created it")
        pytest.skip("no .venv-tflite here; `make pytest` creates it")
    env = {k: v for k, v in os.environ.items() if k != "CAMVIZ_RUNTIME"}
    probe = subprocess.run(
        [
            str(TFLITE_VENV),
            "-c",
            "import numpy, json; from camviz.classifier import Classifier; "
            "c = Classifier.create(); "
            "print(json.dumps({'numpy': numpy.__version__, 'runtime': c.info.runtime}))",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert probe.returncode == 0, probe.stderr
    facts = json.loads(probe.stdout)
    assert facts["numpy"].startswith("1.") and facts["runtime"] == "tflite-runtime"
    run = subprocess.run(
        [
            str(TFLITE_VENV),
            "-m",
            "camviz",
            "classify",
            "--json",
            PHOTOS / "skimage/chelsea.png",
            PHOTOS / "skimage/coffee.png",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    cat, coffee = (json.loads(line) for line in run.stdout.splitlines())
    assert cat["top"][0]["index"] in {281, 282, 285}
    assert coffee["top"][0]["index"] == 967
    assert Path(cat["path"]).name == "chelsea.png"
