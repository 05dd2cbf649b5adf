"""Without an extra, a model or --backend that needs it says which extra to install."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT

PHOTO = str(ROOT / "assets/photos/skimage/chelsea.png")


def _classify_without(modules: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    blocked = "".join(f"sys.modules[{m!r}] = None; " for m in modules)
    code = f"import sys; {blocked}\nfrom camviz.cli import main\nsys.exit(main({list(args)!r}))"
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT
    )


@pytest.mark.parametrize(("backend", "extra"), [("openvino", "openvino"), ("onnxruntime", "onnx")])
def test_a_backend_whose_extra_is_missing_names_the_extra(backend: str, extra: str) -> None:
    done = _classify_without(["openvino", "onnxruntime"], "classify", PHOTO, "--backend", backend)
    assert done.returncode != 0
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("ExtraNotInstalledError: --backend")
    assert f"pip install 'camviz[{extra}]'" in line


def test_the_default_runtime_needs_no_extra() -> None:
    done = _classify_without(["openvino", "onnxruntime", "onnx"], "classify", PHOTO, "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    assert '"tiger cat"' in done.stdout
