"""Import rules of the package, checked on the source (and by import-linter in `make lint`).

Besides the layers: no import circle among camviz's modules (imports inside functions and
under ``TYPE_CHECKING`` count: a circle hidden from the contracts is still a tangle), and no
module reads another's private names (``obj._name`` where ``obj`` is not ``self``/``cls``/
``super()``, or ``from x import _name``). Both checks are written here with ``ast``.
"""

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
    """A module per idea: none grows past about 900 lines."""
    sizes = {
        name: len(path.read_text(encoding="utf-8").splitlines())
        for name, path in _module_files().items()
    }
    assert {n: s for n, s in sizes.items() if s > 900} == {}


# ------------------------------------------------------------------ import circles
def _import_graph(files: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the modules it imports, anywhere in it (functions, TYPE_CHECKING too).

    ``from a.b import c`` is an edge to ``a.b.c`` when that is a module, else to ``a.b``;
    relative imports are resolved; a module importing its own parent package is not
    an edge (the package's ``__init__`` running first is how packages load).
    """

    def resolve(name: str) -> str | None:
        while name and name not in files:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, *([base] if base else [])])
                targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            for target in targets:
                found = resolve(target)
                if found and found != name and not name.startswith(found + "."):
                    graph[name].add(found)
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    circles.append(sorted(component))
    return circles


def _package_files(root: Path) -> dict[str, Path]:
    files = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        files[".".join(parts)] = path
    return files


def test_no_import_circle_type_checking_imports_included() -> None:
    assert _circles(_import_graph(_module_files())) == []


def test_the_circle_check_sees_a_circle_behind_type_checking(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from pkg.b import B\n")
    (pkg / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import c\nB = 1\n"
    )
    (pkg / "c.py").write_text("def f():\n    from pkg import a\n")
    (pkg / "d.py").write_text("import pkg.a\nfrom pkg import b\n")  # imports, no circle
    assert _circles(_import_graph(_package_files(pkg))) == [["pkg.a", "pkg.b", "pkg.c"]]


# ------------------------------------------------------------------ private names
#: namedtuple's public methods begin with an underscore
_PUBLIC_UNDERSCORED = frozenset({"_replace", "_asdict", "_fields", "_make"})


def _private_reads(path: Path) -> list[str]:
    """``obj._name`` (obj not self, cls or super()) and ``from x import _name`` in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute):
            name, value = node.attr, node.value
            if not name.startswith("_") or name.startswith("__") or name in _PUBLIC_UNDERSCORED:
                continue
            if isinstance(value, ast.Name) and value.id in ("self", "cls"):
                continue
            if (
                isinstance(value, ast.Call)
                and isinstance(value.func, ast.Name)
                and value.func.id == "super"
            ):
                continue
            found.append(f"{node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.ImportFrom):
            found.extend(
                f"{node.lineno}: from {node.module} import {alias.name}"
                for alias in node.names
                if alias.name.startswith("_") and not alias.name.startswith("__")
            )
    return found


def test_no_module_reads_another_modules_private_names() -> None:
    reads = {
        str(path.relative_to(PACKAGE.parent)): found
        for path in sorted(PACKAGE.rglob("*.py"))
        if (found := _private_reads(path))
    }
    assert reads == {}


def test_the_private_check_sees_reads_and_imports(tmp_path: Path) -> None:
    code = tmp_path / "m.py"
    code.write_text(
        "from x import _hidden, shown\n"
        "class A:\n"
        "    def f(self, other):\n"
        "        self._mine = super()._base()\n"
        "        return other._theirs, self.p._deep, t._replace(a=1), other.__class__\n"
    )
    assert _private_reads(code) == [
        "1: from x import _hidden",
        "5: other._theirs",
        "5: self.p._deep",
    ]
