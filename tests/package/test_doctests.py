"""The doctests in camviz's docstrings run (from the checkout's root: they name its files)."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _modules_with_doctests() -> list[str]:
    names = []
    for path in sorted((ROOT / "camviz").rglob("*.py")):
        if ">>> " not in path.read_text(encoding="utf-8"):
            continue
        parts = path.relative_to(ROOT).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


MODULES = _modules_with_doctests()


def test_the_modules_with_doctests_are_found() -> None:
    assert {"camviz.classifier", "camviz.classifier.classifier", "camviz.features"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    module = importlib.import_module(name)
    outcome = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False, report=True)
    assert outcome.attempted > 0, f"{name} has '>>> ' but no doctest ran"
    assert outcome.failed == 0, f"{outcome.failed} of {outcome.attempted} doctests failed in {name}"
