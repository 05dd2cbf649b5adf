"""Packaging: what the wheel carries, where camviz finds its data, declared dependencies, the API.

The full install-and-run check of the wheel (a fresh venv outside the checkout) is
``scripts/wheel_smoke.sh`` (``make wheel-smoke``); this file checks the pieces fast.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement

import camviz
from camviz.errors import OptionsError
from camviz.imageio import load_image
from camviz.sources import demo_reel_path
from camviz.zoo import models_dir

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PHOTOS = ROOT / "assets" / "photos"
ZOO_BUILD = ROOT / "tools" / "zoo_build"


# ----------------------------------------------------------------------------- the wheel
@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        timeout=240,
    )
    (path,) = out.glob("camviz-*.whl")
    return zipfile.ZipFile(path)


@pytest.mark.slow
def test_the_wheel_carries_the_zoo_and_the_demo_reel(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    manifest = json.loads((ROOT / "models" / "manifest.json").read_text(encoding="utf-8"))
    needed = {"manifest.json", "imagenet_labels.txt"}
    for entry in manifest["models"]:
        needed |= {entry["file"], entry.get("labels", "imagenet_labels.txt")}
    missing = {f"camviz/_data/models/{n}" for n in needed} - names
    assert not missing, f"the wheel lacks {sorted(missing)}"
    assert "camviz/_data/assets/demo/demo_reel.mp4" in names
    for name in needed:  # byte for byte the repo's files
        assert wheel.read(f"camviz/_data/models/{name}") == (ROOT / "models" / name).read_bytes()
    assert not [n for n in names if n.startswith("camviz/_data/models/reference")]
    assert {n.split("/")[0] for n in names} == {"camviz", "camviz-0.1.0.dist-info"}


def _top_level_names(source: str) -> set[str]:
    tree = ast.parse(source)
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {n for n in names if not n.startswith("_") and n not in ("main", "ROOT")}


@pytest.mark.slow
def test_the_wheel_holds_no_model_building_code(wheel: zipfile.ZipFile) -> None:
    names = wheel.namelist()
    assert not [n for n in names if n.startswith(("tools/", "camviz/modelbuild/"))]
    # nothing the zoo build defines (its specs, the builder, SqueezeNet, the NumPy reference,
    # the README writer) is defined by any module of the wheel
    builder = {
        name
        for path in ZOO_BUILD.glob("*.py")
        for name in _top_level_names(path.read_text(encoding="utf-8"))
    }
    assert {"SPECS", "build", "BuildOptions", "squeezenet_function", "write_readme"} <= builder
    for name in (n for n in names if n.endswith(".py")):
        shipped = _top_level_names(wheel.read(name).decode("utf-8"))
        assert not shipped & builder, f"{name} defines {sorted(shipped & builder)}"
        imported = [
            alias.name if isinstance(node, ast.Import) else str(node.module)
            for node in ast.walk(ast.parse(wheel.read(name)))
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        ]
        assert not [m for m in imported if m.split(".")[0] == "tools"], name
        # nothing installed imports what builds models from weights, lazily or not
        heavy = [m for m in imported if m.split(".")[0] in ("tensorflow", "torch", "tf_keras")]
        assert not heavy, f"{name} imports {heavy}"
    # the head export ships (graph surgery, no extra), without the zoo build's network code
    assert "camviz/export/head.py" in names
    moved = {p.name for p in ZOO_BUILD.glob("*.py")} - {"__init__.py", "__main__.py"}
    assert {"efficientnet.py", "tfnet.py", "calibration.py"} <= moved
    assert not [n for n in names if n.startswith("camviz/") and Path(n).name in moved]


@pytest.mark.slow
def test_the_wheel_metadata_declares_the_runtime_dependencies(wheel: zipfile.ZipFile) -> None:
    metadata = wheel.read("camviz-0.1.0.dist-info/METADATA").decode()
    core = {
        Requirement(line.split(":", 1)[1].strip()).name.lower()
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist:") and "extra ==" not in line
    }
    assert core == {
        "ai-edge-litert",
        "flatbuffers",
        "numpy",
        "opencv-python-headless",
        "tqdm",
    }
    # the window's PySide6 is the gui extra: the command line and the API run without it
    gui = {
        Requirement(line.split(":", 1)[1].strip()).name.lower()
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist:") and "extra == 'gui'" in line.replace('"', "'")
    }
    assert gui == {"pyside6-essentials"}
    entry_points = wheel.read("camviz-0.1.0.dist-info/entry_points.txt").decode()
    assert "camviz = camviz.cli:main" in entry_points


# ------------------------------------------------------------------------ finding the data
def test_a_checkout_reads_its_own_models_and_assets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CAMVIZ_MODELS_DIR", raising=False)
    assert not (ROOT / "camviz" / "_data").exists()  # the wheel's mapping never lands in git
    assert models_dir() == ROOT / "models"
    assert demo_reel_path() == ROOT / "assets" / "demo" / "demo_reel.mp4"


def test_camviz_models_dir_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CAMVIZ_MODELS_DIR", str(tmp_path))
    assert models_dir() == tmp_path


# ------------------------------------------------------------------- declared dependencies
def _requirements(*groups: str) -> dict[str, Requirement]:
    project = PYPROJECT["project"]
    lines = list(project["dependencies"]) if "core" in groups else []
    for group in groups:
        lines += project["optional-dependencies"].get(group, [])
    return {Requirement(line).name.lower(): Requirement(line) for line in lines}


#: import name -> distribution
_DISTRIBUTION = {
    "cv2": "opencv-python-headless",
    "numpy": "numpy",
    "PySide6": "pyside6-essentials",
    "flatbuffers": "flatbuffers",
    "ai_edge_litert": "ai-edge-litert",
    "matplotlib": "matplotlib",
    "tflite_runtime": "tflite-runtime",
    "tensorflow": "tensorflow-cpu",
    "psutil": "psutil",
    "ray": "ray",
    "tqdm": "tqdm",
}


def _third_party_imports(paths: list[Path]) -> set[str]:
    found: set[str] = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                names = [node.args[0].value]
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in ("camviz", "__future__"):
                    found.add(top)
    return found


def test_what_camviz_imports_is_declared() -> None:
    package = ROOT / "camviz"
    runtime = list(package.rglob("*.py"))  # the head export included: it needs no extra
    # the runtime: core dependencies, the extras (plot, ray, ...), the tflite-runtime fallback
    groups = PYPROJECT["project"]["optional-dependencies"]
    extras = [g for g in groups if g not in ("test", "build")]
    runtime_ok = {*_requirements("core", *extras), "tflite-runtime"}
    used = {_DISTRIBUTION.get(m, m) for m in _third_party_imports(runtime)}
    assert used <= runtime_ok, f"imported, not declared: {sorted(used - runtime_ok)}"
    # make models (tools/zoo_build); crosscheck_torch is a one-off needing torch in a venv of
    # its own
    builders = list(ZOO_BUILD.rglob("*.py"))
    tools = [p for p in builders if p.name != "crosscheck_torch.py"]
    build_ok = {*_requirements("core", "build"), "ai-edge-litert"}
    used = {_DISTRIBUTION.get(m, m) for m in _third_party_imports(tools) - {"tools"}}
    assert used <= build_ok, f"imported, not declared: {sorted(used - build_ok)}"


def test_every_declared_dependency_is_used() -> None:
    camviz_imports = {
        _DISTRIBUTION.get(m, m) for m in _third_party_imports(list((ROOT / "camviz").rglob("*.py")))
    }
    for name in _requirements("core"):
        assert name in camviz_imports | {"ai-edge-litert"}, f"{name} is declared but not imported"
    repo = [*(ROOT / "tests").rglob("*.py"), *(ROOT / "benchmarks").glob("*.py")]
    repo_imports = {_DISTRIBUTION.get(m, m) for m in _third_party_imports(repo)}
    plugins = {"pytest-qt", "pytest-timeout", "ruff", "mypy", "import-linter", "tflite-runtime"}
    for name in _requirements("test"):
        assert name in repo_imports | plugins, f"test extra: {name} is declared but not imported"


@pytest.mark.parametrize(
    ("system", "machine", "has_wheels"),
    [
        ("linux", "x86_64", True),
        ("linux", "aarch64", True),
        ("darwin", "arm64", True),
        ("win32", "AMD64", True),
        ("darwin", "x86_64", False),  # ai-edge-litert 2.x: no macOS x86_64 wheels on PyPI
        ("win32", "ARM64", False),
        ("linux", "armv7l", False),
    ],
)
def test_the_litert_marker_is_the_platforms_pypi_has(
    system: str, machine: str, has_wheels: bool
) -> None:
    marker = _requirements("core")["ai-edge-litert"].marker
    assert isinstance(marker, Marker)
    env = {"sys_platform": system, "platform_machine": machine, "python_version": "3.11"}
    assert marker.evaluate(env) is has_wheels


def test_build_pins_live_in_a_constraints_file() -> None:
    pins = {
        Requirement(line).name.lower(): Requirement(line)
        for line in (ROOT / "constraints" / "build.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for name, requirement in _requirements("build").items():
        assert not any(s.operator == "==" for s in requirement.specifier), f"{name} pinned"
        assert name in pins, f"{name} has no pin in constraints/build.txt"
    assert {"numpy", "opencv-python-headless", "ai-edge-litert"} <= set(pins)
    makefile = (ROOT / "Makefile").read_text()
    assert "-c constraints/build.txt" in makefile and "-c constraints/dev.txt" in makefile


# ------------------------------------------------------------------------------ the API
def test_import_camviz_is_cheap_and_every_public_name_resolves() -> None:
    code = (
        "import sys, camviz\n"
        "heavy = [m for m in ('cv2', 'numpy', 'PySide6', 'ai_edge_litert') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "import camviz.teach.session\n"  # it imports camviz.__version__: no cycle
        "missing = [n for n in camviz.__all__ if getattr(camviz, n, None) is None]\n"
        "assert not missing, missing\n"
        "print(len(camviz.__all__))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr


def test_the_public_names() -> None:
    names = set(camviz.__all__)
    assert {
        "Classifier",
        "ClassifierOptions",
        "open_classifier",
        "ClassificationResult",
        "Category",
        "Pipeline",
        "PipelineOptions",
        "open_source",
        "make_source",
        "load_image",
    } <= names
    exports: dict[str, Any] = camviz._EXPORTS
    assert names - {"__version__"} == set(exports)
    from camviz.loading import open_classifier

    assert camviz.open_classifier is open_classifier
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = camviz.nope  # type: ignore[attr-defined]


def test_classify_takes_the_colour_order(default_classifier: Any) -> None:
    path = PHOTOS / "opencv" / "orange.jpg"
    rgb = default_classifier.classify(load_image(path))
    bgr_frame = cv2.imread(str(path))
    bgr = default_classifier.classify(bgr_frame, color="bgr")
    assert bgr.top.label == rgb.top.label == "orange"
    np.testing.assert_allclose(bgr.probabilities, rgb.probabilities, atol=1e-6)
    swapped = default_classifier.classify(np.ascontiguousarray(bgr_frame))  # BGR fed as RGB
    assert not np.allclose(swapped.probabilities, rgb.probabilities, atol=1e-3)
    with pytest.raises(OptionsError, match="'rgb' or 'bgr'"):
        default_classifier.classify(bgr_frame, color="BGRA")
