"""``camviz eval`` manifests (issue 20 item 3, issue 24 item 9): a header of named columns,
other columns ignored with a note, a header without the needed columns named; a bad row
(a symlink loop, a missing file, a bad index) reported while the rest is scored."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from camviz.cli import main

from ..conftest import PHOTOS

CAT = PHOTOS / "skimage/chelsea.png"  # tabby 281, tiger cat 282, Egyptian cat 285
COFFEE = PHOTOS / "skimage/coffee.png"  # espresso 967, cup 968, coffee mug 504


def _eval(csv: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object], str]:
    code = main(["eval", str(csv), "--json", "--no-progress", "--threads", "1"])
    captured = capsys.readouterr()
    payload = json.loads(captured.out) if captured.out.strip() else {}
    return code, payload, captured.err


def test_a_header_of_named_columns_and_extra_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "set.csv"
    csv.write_text(
        "file,package,acceptable_indices,comment\n"
        f"{CAT},com.example.cats,281 282 285,a cat\n"
        f"{COFFEE},com.example.cafe,967;968;504,\n"
    )
    code, payload, err = _eval(csv, capsys)
    result = payload["results"][0]  # type: ignore[index]
    assert code == 0 and result["images"] == 2 and result["top1"] == 1.0
    assert "note:" in err and "package, comment ignored" in err
    assert result["notes"] and not result["failures"]


def test_a_label_column_by_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv = tmp_path / "set.csv"
    csv.write_text(
        f"label,path\ntabby;tiger cat;Egyptian cat,{CAT}\nespresso;cup;coffee mug,{COFFEE}\n"
        f"no such label,{COFFEE}\n"
    )
    code, payload, err = _eval(csv, capsys)
    result = payload["results"][0]  # type: ignore[index]
    assert result["images"] == 2 and result["top1"] == 1.0
    assert code == 1 and "set.csv:4" in err and "is not a label of the model" in err


def test_a_header_without_a_class_column_says_what_it_needs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "set.csv"
    csv.write_text(f"photo,package\n{CAT},x\n")
    code, _payload, err = _eval(csv, capsys)
    assert code == 1
    line = err.strip().splitlines()[-1]
    assert line.startswith("DatasetError:") and "class column" in line and "index or label" in line


def test_bad_rows_are_reported_and_the_rest_scored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    loop = tmp_path / "loop.jpg"
    os.symlink(loop.name, loop)  # a link to itself
    chain = tmp_path / "a.jpg"
    os.symlink("b.jpg", chain)
    os.symlink("a.jpg", tmp_path / "b.jpg")
    csv = tmp_path / "set.csv"
    csv.write_text(
        "path,index\n"
        f"{CAT},281 282 285\n"
        f"{loop},281\n"
        f"{chain},281\n"
        f"{tmp_path / 'gone.jpg'},281\n"
        f"{COFFEE},99999\n"
        f"{COFFEE},967 968 504\n"
    )
    code, payload, err = _eval(csv, capsys)
    result = payload["results"][0]  # type: ignore[index]
    assert code == 1 and result["images"] == 2 and result["top1"] == 1.0
    failures = result["failures"]
    assert len(failures) == 4 and "Traceback" not in err
    assert any("loop.jpg" in f for f in failures) and any("a.jpg" in f for f in failures)
    assert any("99999" in f for f in failures) and any("gone.jpg" in f for f in failures)


def test_a_semicolon_csv_and_indices_in_a_label_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "set.csv"  # as a spreadsheet writes it where the comma is the decimal mark
    csv.write_text(f"path;label\n{CAT};281|282|285\n{COFFEE};967|cup|504\n")
    code, payload, err = _eval(csv, capsys)
    result = payload["results"][0]  # type: ignore[index]
    assert code == 0 and result["images"] == 2 and result["top1"] == 1.0, err


def test_a_first_row_that_is_no_header_says_what_eval_needs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "set.csv"
    csv.write_text(f"photo_path,truth\n{CAT},281\n")
    code, payload, err = _eval(csv, capsys)
    result = payload["results"][0]  # type: ignore[index]
    assert code == 1 and result["images"] == 1  # the row after it is still scored
    assert "set.csv: its first row (photo_path, truth) is neither a header" in err
    assert "eval needs a path column (path or file)" in err


def test_every_row_refused_says_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv = tmp_path / "set.csv"
    csv.write_text(f"path,label\n{CAT},no such label\n{COFFEE},nor this\n")
    code, _, err = _eval(csv, capsys)
    assert code != 0
    assert "holds no labelled images (2 refused; the first:" in err
    assert "'no such label' is not a label of the model" in err
