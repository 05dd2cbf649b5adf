"""Only camviz/backends knows a runtime: no runtime name in code anywhere else.

A runtime name (litert, tflite, onnx, openvino, xnnpack) in an identifier, an import
or a string literal outside :mod:`camviz.backends` is knowledge of a runtime that the
registry should supply (``model_file_suffixes``, ``is_model_file``,
``file_dialog_filter``, ``model_files_hint``, ``runtime_family``, ``backend_choices``,
``accelerators``...). Docstrings and comments may name runtimes.

:data:`PENDING` lists the files of other areas that named one when the registry
landed, each with the registry call that replaces it; a file not listed fails.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from camviz import backends
from tests.conftest import ROOT

PACKAGE = ROOT / "camviz"
RUNTIME_NAME = re.compile(r"litert|tflite|onnx|openvino|xnnpack", re.IGNORECASE)

#: Files that cannot ask the registry, and why: they may hold a runtime's word, but only one
#: the registry answers (:func:`_registry_words`, checked word by word below), so a backend
#: renamed or a default changed there fails here. Every other file asks the registry.
MIRRORS: dict[str, str] = {
    # a foundation layer, below camviz.backends in the layers contract: it cannot import it
    # (tests/live_options pins defaults.DELEGATE to str(Delegate()) too)
    "defaults.py": "the --delegate default, str(Delegate())",
    # the command line's parser builds every command's help at start and stays free of the
    # runtimes' modules and numpy (camviz.backends costs ~0.6 s to import), so `camviz --help`
    # and the commands that run no model start fast
    "cli/flags.py": "backend_names() and extras in --backend's help",
    "cli/parser.py": "model_file_suffixes() in the --model help, --export-tflite (export_suffix())",
}


def _registry_words() -> set[str]:
    """Every runtime word the registry answers, lower case: backend names and their other
    names, titles, families, extras, suffixes, the delegates and the head export's flag."""
    words = set(backends.backend_names()) | set(backends.delegate_choices())
    for backend in backends.BACKENDS.values():
        words |= {w for w in (*backend.title.split(), backend.family) if RUNTIME_NAME.search(w)}
        if backend.extra:
            words |= {backend.extra, f"camviz[{backend.extra}]"}
        words |= set(backend.suffixes)
    words |= {name for name in ("tflite", "onnx") if backends.is_backend_name(name)}
    words.add("--export-" + backends.export_suffix().lstrip("."))
    return {w.lower() for w in words}


WORD = re.compile(r"[\w.\[\]-]*(?:litert|tflite|onnx|openvino|xnnpack)[\w\[\]-]*", re.IGNORECASE)


def _docstrings(tree: ast.AST) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.body[0] if node.body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                found.add(id(first.value))
    return found


def runtime_names_in_code(source: str) -> list[tuple[int, str]]:
    """(line, text) of every identifier, import or string literal (not a docstring) naming a
    runtime."""
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    hits: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        text: str | None = None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = None if id(node) in docstrings else node.value
        elif isinstance(node, ast.Name):
            text = node.id
        elif isinstance(node, ast.Attribute):
            text = node.attr
        elif isinstance(node, (ast.alias, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            text = node.name
        elif isinstance(node, (ast.arg, ast.keyword)):
            text = node.arg
        elif isinstance(node, ast.ImportFrom):
            text = node.module
        if text and RUNTIME_NAME.search(text):
            hits.append((getattr(node, "lineno", 0), text))
    return hits


def _offenders() -> dict[str, list[tuple[int, str]]]:
    found: dict[str, list[tuple[int, str]]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith("backends/"):
            continue
        hits = runtime_names_in_code(path.read_text(encoding="utf-8"))
        if hits:
            found[relative] = hits
    return found


def test_no_runtime_name_in_code_outside_the_backends() -> None:
    new = {f: hits for f, hits in _offenders().items() if f not in MIRRORS}
    assert not new, (
        "runtime names outside camviz/backends (ask camviz.backends' registry instead): "
        + "; ".join(f"{f}: {hits[:3]}" for f, hits in new.items())
    )


def test_the_files_that_cannot_ask_hold_only_the_registry_s_words() -> None:
    known = _registry_words()
    found = _offenders()
    for path in MIRRORS:
        assert path in found, f"{path} names no runtime any more: drop it from MIRRORS"
        words = {
            w.strip(".,;:()'\"").lower() for _, text in found[path] for w in WORD.findall(text)
        }
        assert words and words <= known, f"{path}: {sorted(words - known)} not the registry's"


def test_the_word_check_catches_a_word_the_registry_does_not_answer() -> None:
    known = _registry_words()
    assert {"xnnpack", "litert", ".tflite", "camviz[onnx]", "--export-tflite"} <= known
    assert not {w.lower() for w in WORD.findall("runs on tflite2 or openvino-gpu")} <= known


def test_the_scanner_finds_code_and_skips_docstrings() -> None:
    code = (
        '"""Runs on LiteRT."""\n'
        "import onnxruntime\n"
        "SUFFIX = '.tflite'\n"
        "def f(delegate='cpu'):\n"
        '    """XNNPACK too."""\n'
        "    return f'{delegate} on openvino'\n"
    )
    lines = [line for line, _ in runtime_names_in_code(code)]
    assert sorted(set(lines)) == [2, 3, 6]


@pytest.mark.parametrize("path", ["m.tflite", "m.ONNX", "m.xml", "m.lite"])
def test_the_registry_answers_what_a_model_file_is(path: str) -> None:
    assert backends.is_model_file(path)
    assert Path(path).suffix.lower() in backends.file_dialog_filter()


def test_the_registry_names_backends_and_accelerators() -> None:
    assert backends.backend_names() == ("litert", "onnxruntime", "openvino")
    assert backends.backend_choices()[0] == "auto"
    assert backends.accelerators() == ("cpu", "gpu", "npu")
    assert backends.delegate_choices() == ("xnnpack", "cpu")
    assert not backends.is_model_file("photo.jpg")
    assert backends.runtime_family("m.tflite") == "TFLite"
    assert backends.backend_for("m.tflite").name == "litert"
    assert backends.canonical_backend_name("tflite") == "litert"
