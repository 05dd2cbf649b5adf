"""Import rules of the package, checked on the source (and by import-linter in `make lint`)."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "camviz"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _module_files() -> dict[str, Path]:
    files = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        files[".".join(parts)] = path
    return files


def test_only_camviz_qt_imports_pyside6() -> None:
    offenders = [
        name
        for name, path in _module_files().items()
        if not name.startswith("camviz.qt")
        and any(i == "PySide6" or i.startswith("PySide6.") for i in _imports(path))
    ]
    assert offenders == []


def test_only_runtime_imports_a_tflite_runtime() -> None:
    runtimes = ("ai_edge_litert", "tflite_runtime", "tensorflow.lite")
    offenders = [
        name
        for name, path in _module_files().items()
        if name not in ("camviz.backends.tflite", "camviz.backends.tflite_graph")
        and not name.startswith("camviz.modelbuild")
        and any(i.startswith(runtimes) for i in _imports(path))
    ]
    assert offenders == []
    # and the TFLite backend only names them as strings, importing them lazily
    for module in ("tflite.py", "tflite_graph.py"):
        assert not any(i.startswith(runtimes) for i in _imports(PACKAGE / "backends" / module))


def test_heavy_build_tools_are_imported_lazily() -> None:
    heavy = ("tensorflow", "torch", "mediapipe", "matplotlib")
    for name, path in _module_files().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:  # module level only
            if isinstance(node, ast.Import | ast.ImportFrom):
                mods = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                )
                assert not any(m.startswith(heavy) for m in mods), f"{name} imports {mods} eagerly"


def test_import_linter_contract_covers_every_core_module() -> None:
    config = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))
    contract = config["tool"]["importlinter"]["contracts"][0]
    assert contract["forbidden_modules"] == ["PySide6"]
    core = {
        name
        for name in _module_files()
        if name.count(".") == 1 and not name.startswith("camviz.qt")
    }
    listed = set(contract["source_modules"])
    assert core <= listed, f"add to the import-linter contract: {sorted(core - listed)}"


def _layers_contract() -> dict[str, object]:
    config = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    return next(c for c in contracts if c["type"] == "layers")


def test_every_package_has_a_layer() -> None:
    layers = _layers_contract()["layers"]
    assert isinstance(layers, list)
    placed = {m.strip() for layer in layers for m in str(layer).replace("|", ":").split(":")}
    top_level = {
        ".".join(name.split(".")[:2]) for name in _module_files() if name.count(".") >= 1
    } - {"camviz.__main__"}
    assert top_level <= placed, (
        f"give these a layer in pyproject.toml: {sorted(top_level - placed)}"
    )


def test_modules_stay_small() -> None:
    """A module per idea: none grows past about 500 lines."""
    sizes = {
        name: len(path.read_text(encoding="utf-8").splitlines())
        for name, path in _module_files().items()
    }
    assert {n: s for n, s in sizes.items() if s > 530} == {}
