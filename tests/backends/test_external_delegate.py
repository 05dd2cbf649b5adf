"""A real external delegate, end to end: built here from tests/backends/plugin/, loaded by
ai-edge-litert through TFLite's external-delegate interface (the path Edge TPU's
libedgetpu takes), with its options, applied by the interpreter (its Prepare runs).

It claims no operator, so answers stay the CPU kernels' and can be checked against them.
"""

from __future__ import annotations

import gc
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from camviz.app import LiveSession
from camviz.backends import Delegate, DelegateKind
from camviz.classifier import Classifier, ClassifierOptions
from camviz.errors import DelegateError
from camviz.pipeline import EventKind
from tests.conftest import MODELS, PHOTOS, camviz, wait_for

PLUGIN = Path(__file__).parent / "plugin" / "passthrough_delegate.c"
LITE0 = "efficientnet_lite0_int8"
pytestmark = pytest.mark.skipif(
    not (MODELS / f"{LITE0}.tflite").is_file(), reason=f"models/{LITE0}.tflite"
)


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler (cc) to build the test delegate")
    out = tmp_path_factory.mktemp("delegate") / "libpassthrough_delegate.so"
    subprocess.run(
        [compiler, "-shared", "-fPIC", "-O1", "-o", str(out), str(PLUGIN)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return out


def _log(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def test_an_external_delegate_loads_with_its_options_and_runs(
    library: Path, tmp_path: Path, chelsea: np.ndarray
) -> None:
    log = tmp_path / "delegate.log"
    delegate = Delegate.parse(f"{library}:log={log},device=usb")
    assert delegate.kind is DelegateKind.EXTERNAL
    with Classifier.create(ClassifierOptions(delegate=delegate)) as clf:
        assert clf.info.delegate == f"{library}:log={log},device=usb"
        result = clf.classify(chelsea)
    with Classifier.create() as plain:
        reference = plain.classify(chelsea)
    assert result.top is not None and reference.top is not None
    assert result.top.index == reference.top.index
    assert np.abs(result.probabilities - reference.probabilities).max() < 1e-4
    lines = _log(log)
    assert lines[:2] == [f"option log={log}", "option device=usb"]  # the options reached it
    assert "prepare" in lines  # the interpreter applied it
    del clf
    gc.collect()
    assert _log(log)[-1] == "destroy"  # and released it with the interpreter


def test_a_delegate_that_fails_to_start_is_named(library: Path) -> None:
    with pytest.raises(DelegateError, match=f"delegate library {library} cannot be loaded"):
        Classifier.create(ClassifierOptions(delegate=Delegate.parse(f"{library}:fail=1")))


def test_classify_and_bench_run_on_it_and_say_so(library: Path, tmp_path: Path) -> None:
    log = tmp_path / "cli.log"
    spec = f"{library}:log={log}"
    photo = PHOTOS / "skimage/coffee.png"
    run = camviz("classify", "--delegate", spec, "--json", photo)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["top"][0]["index"] == 967  # espresso
    assert "prepare" in _log(log)
    bench = camviz("bench", "--delegate", spec, "--frames", "30", "--ceiling-frames", "0", "--json")
    assert bench.returncode == 0, bench.stderr
    record = json.loads(bench.stdout)
    assert record["delegate"] == spec and record["pipeline"]["frames"] >= 1
    failed = camviz("classify", "--delegate", f"{library}:fail=1", photo)
    assert failed.returncode != 0
    assert (
        failed.stderr.strip()
        .splitlines()[-1]
        .startswith(f"DelegateError: delegate library {library} cannot be loaded")
    )


def test_a_failing_delegate_leaves_the_running_model_running(
    library: Path, no_leaked_threads: None
) -> None:
    session = LiveSession()
    events: list = []
    session.events.pipeline.connect(events.append)
    try:
        assert session.start("demo", LITE0)
        assert wait_for(lambda: session.last_result is not None, 60)
        session.update(delegate=Delegate.parse(f"{library}:fail=1"))
        session.switch_model(LITE0)
        assert wait_for(lambda: any(e.kind is EventKind.MODEL_FAILED for e in events), 60)
        failed = next(e for e in events if e.kind is EventKind.MODEL_FAILED)
        assert str(library) in failed.message
        before = session.last_result
        assert wait_for(lambda: session.last_result is not before, 10)  # still classifying
        assert session.model_info is not None and session.model_info.delegate == "xnnpack"
    finally:
        session.close()
