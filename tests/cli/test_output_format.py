"""Output manners (issue 20, item 2): the format from --format or --out's suffix,
contradictory flags refused, CSV as CSV readers expect it (true/false, empty for none),
video frame text lines keep "not sure"."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from camviz.cli import main

from ..conftest import PHOTOS, VIDEOS

COFFEE = str(PHOTOS / "skimage/coffee.png")
ORANGE = str(PHOTOS / "opencv/orange.jpg")


def _classify(*args: str) -> int:
    return main(["classify", "--threads", "1", "--quiet", *args])


def test_the_format_follows_the_out_suffix(tmp_path: Path) -> None:
    as_csv, as_json, as_text = tmp_path / "r.csv", tmp_path / "r.jsonl", tmp_path / "r.txt"
    assert _classify("--out", str(as_csv), COFFEE, ORANGE) == 0
    rows = list(csv.DictReader(as_csv.open()))
    assert [r["path"] for r in rows] == [COFFEE, ORANGE] and rows[0]["label"] == "espresso"
    assert _classify("--out", str(as_json), COFFEE) == 0
    assert json.loads(as_json.read_text())["top"][0]["label"] == "espresso"
    assert _classify("--out", str(as_text), COFFEE) == 0
    header = "model efficientnet_lite0_int8: litert on CPU\n"  # what ran it, then the photos
    assert as_text.read_text().startswith(f"{header}{COFFEE}  [") and "1. " in as_text.read_text()
    other = tmp_path / "r.results"  # an unknown suffix: JSON lines, as before
    assert _classify("--out", str(other), COFFEE) == 0
    assert json.loads(other.read_text())["path"] == COFFEE


@pytest.mark.parametrize(
    "flags",
    [
        ("--json", "--csv"),
        ("--format", "csv", "--json"),
        ("--format", "json", "--out", "x.csv"),
        ("--csv", "--out", "x.jsonl"),
        ("--format", "text", "--out", "x.csv"),
    ],
)
def test_contradictory_formats_are_refused(
    flags: tuple[str, ...], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flags = tuple(str(tmp_path / f) if f.startswith("x.") else f for f in flags)
    assert _classify(*flags, COFFEE) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("OptionsError: contradictory output formats")
    assert not list(tmp_path.iterdir())  # refused before anything was written


def test_agreeing_flags_are_fine(tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    assert _classify("--csv", "--format", "csv", "--out", str(out), COFFEE) == 0
    assert len(list(csv.DictReader(out.open()))) == 1


def test_csv_writes_true_false_and_empty_for_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not a photo")
    out = tmp_path / "r.csv"
    assert _classify("--min-confidence", "0.9", "--out", str(out), COFFEE, ORANGE, str(bad)) == 1
    rows = {Path(r["path"]).name: r for r in csv.DictReader(out.open())}
    coffee, orange, broken = rows["coffee.png"], rows["orange.jpg"], rows["bad.jpg"]
    assert {coffee["uncertain"], orange["uncertain"]} <= {"true", "false"}
    assert coffee["uncertain"] == "false"  # 94% espresso is above 0.9
    assert broken["uncertain"] == "" and broken["index"] == "" and broken["score"] == ""
    assert coffee["frame"] == "" and coffee["timestamp_s"] == ""  # a photo has no frame
    assert broken["error"].startswith("ImageDecodeError: ")
    for row in rows.values():
        assert "None" not in row.values() and "True" not in row.values()
    assert _classify("--min-confidence", "1", "--out", str(out), "--resume", COFFEE) == 0
    capsys.readouterr()
    again = list(csv.DictReader(out.open()))
    assert len(again) == 3  # coffee was there already: skipped (resume reads CSV too)


def test_video_frame_text_lines_keep_not_sure(capsys: pytest.CaptureFixture[str]) -> None:
    video = str(VIDEOS / "vtest.avi")
    assert _classify("--min-confidence", "1", "--every", "40", "--max-frames", "3", video) == 0
    header, *lines = capsys.readouterr().out.splitlines()
    assert header == "model efficientnet_lite0_int8: litert on CPU"
    assert len(lines) == 3 and all("frame" in line and "not sure" in line for line in lines)
    assert _classify("--min-confidence", "0", "--every", "40", "--max-frames", "2", video) == 0
    assert "not sure" not in capsys.readouterr().out
