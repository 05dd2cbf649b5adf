"""Bidirectional controls are escaped like the other controls (issue 24.6, found by V24):
a file name holding U+202E (right-to-left override) reached the terminal raw in text
output, where it shows the rest of the name reversed ("photo\\u202egpj.exe" reads as
"photoexe.jpg"). JSON already escapes it (ensure_ascii)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from camviz.errors import terminal_safe

from ..conftest import PHOTOS, camviz

BIDI = ["\u202e", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069", "\u200f", "\u061c"]


@pytest.mark.parametrize("char", BIDI)
def test_terminal_safe_escapes_bidi_controls(char: str) -> None:
    assert terminal_safe(f"a{char}b") == f"a\\u{ord(char):04x}b"
    assert terminal_safe("é 中 ü") == "é 中 ü"  # printable text is left alone


def test_a_reversing_file_name_is_escaped_in_text_and_errors(tmp_path: Path) -> None:
    good = tmp_path / "photo\u202egpj.exe.jpg"
    shutil.copy(PHOTOS / "opencv/orange.jpg", good)
    broken = tmp_path / "bad\u2067name.jpg"
    broken.write_bytes(b"\xff\xd8 not a jpeg")
    text = camviz("classify", "--quiet", good, broken)
    assert text.returncode == 1
    for stream in (text.stdout, text.stderr):
        assert not any(c in stream for c in BIDI)
    assert "photo\\u202egpj.exe.jpg" in text.stdout and "orange" in text.stdout
    assert "bad\\u2067name.jpg" in text.stderr
    rows = camviz("classify", "--quiet", "--json", good, broken).stdout.splitlines()
    assert [json.loads(row)["path"] for row in rows] == [str(good), str(broken)]
