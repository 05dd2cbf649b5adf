"""Training reports: text and PNG confusion matrices; missing extras are named."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from camviz.errors import ExtraNotInstalledError
from camviz.export import export_head
from camviz.teach import TeachSession, save_confusion_png


def test_confusion_png_and_text(trained: TeachSession, tmp_path: Path) -> None:
    report = trained.report
    assert report is not None
    text = report.format()
    assert "confusion matrix" in text and "4: carphone" in text
    pytest.importorskip("matplotlib", reason="the confusion PNG needs the 'plot' extra")
    png = save_confusion_png(report, tmp_path / "confusion.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_missing_extras_are_named(
    trained: TeachSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report, head = trained.report, trained.head
    assert report is not None and head is not None
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ExtraNotInstalledError, match="Confusion plot needs the 'plot' extra"):
        save_confusion_png(report, tmp_path / "c.png")
    monkeypatch.setitem(sys.modules, "tensorflow", None)  # the head export needs no extra
    assert export_head(head, tmp_path / "m.tflite").path.is_file()
