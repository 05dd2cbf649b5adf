"""``camviz classify`` audit: a URL serving one image is a photo, results in input order,
no text appended onto JSON lines or CSV (nor those onto text), CSV's model column,
the summary's wording, no label above the threshold said, the lock file removed, and
every option's help with its default."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from camviz.cli import main
from camviz.cli.parser import build_parser

from ..conftest import PHOTOS, VIDEOS
from ..sources.httpserve import Server, photo

CHELSEA = str(PHOTOS / "skimage/chelsea.png")
COFFEE = str(PHOTOS / "skimage/coffee.png")
VIDEO = str(VIDEOS / "vtest.avi")
FRAMES = ("--max-frames", "2")


def _classify(*args: str) -> int:
    return main(["classify", "--threads", "1", "--quiet", *map(str, args)])


def _json(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_a_url_serving_one_image_is_a_photo(capsys: pytest.CaptureFixture[str]) -> None:
    data = Path(CHELSEA).read_bytes()
    with Server(photo(data, "image/png"), "/photo.png") as server:
        assert _classify("--json", server.url, CHELSEA) == 0
        url_record, file_record = _json(capsys.readouterr().out)
        assert url_record["path"] == server.url
        assert set(url_record) == set(file_record)  # no frame, timestamp_s nor clock
        assert "frame" not in url_record and url_record["top"] == file_record["top"]
        assert _classify("--format", "text", server.url) == 0
        text = capsys.readouterr().out
    assert "frame 0" not in text and f"{server.url}  [" in text and "  1. " in text


def test_results_follow_the_input_order(capsys: pytest.CaptureFixture[str]) -> None:
    assert _classify("--csv", *FRAMES, VIDEO, CHELSEA, VIDEO, COFFEE) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    got = [(r["path"], r["frame"]) for r in rows]
    video = [(VIDEO, "0"), (VIDEO, "1")]
    assert got == [*video, (CHELSEA, ""), *video, (COFFEE, "")]


def test_a_folder_keeps_its_sorted_order_between_the_inputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    for name, source in (("a.png", CHELSEA), ("b.avi", VIDEO), ("c.png", COFFEE)):
        (folder / name).symlink_to(Path(source).resolve())
    assert _classify("--json", *FRAMES, COFFEE, folder) == 0
    paths = [Path(str(r["path"])).name for r in _json(capsys.readouterr().out)]
    assert paths == ["coffee.png", "a.png", "b.avi", "b.avi", "c.png"]


def test_resume_in_input_order_skips_what_is_there(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    assert _classify("--out", out, *FRAMES, VIDEO, CHELSEA) == 0
    first = _json(out.read_text())
    assert [r.get("frame") for r in first] == [0, 1, None]
    assert _classify("--out", out, "--resume", *FRAMES, VIDEO, CHELSEA, COFFEE) == 0
    again = _json(out.read_text())
    assert again[:3] == first and [r["path"] for r in again[3:]] == [COFFEE]


@pytest.mark.parametrize(
    ("first", "then", "holds"),
    [
        ("json", "text", "JSON lines"),
        ("csv", "text", "CSV rows"),
        ("text", "json", "no JSON lines"),
        ("text", "csv", "no CSV header"),
    ],
)
def test_no_layout_is_appended_onto_another(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], first: str, then: str, holds: str
) -> None:
    out = tmp_path / "results.log"
    assert _classify("--out", out, "--format", first, CHELSEA) == 0
    before = out.read_bytes()
    capsys.readouterr()
    assert _classify("--out", out, "--format", then, CHELSEA) != 0
    error = capsys.readouterr().err
    assert error.startswith(f"OutputError: {out} holds {holds}") and error.count("\n") == 1
    assert out.read_bytes() == before
    assert _classify("--out", out, "--format", first, COFFEE) == 0  # the same layout: fine
    assert len(out.read_bytes()) > len(before)


def test_csv_names_the_model_as_json_does(capsys: pytest.CaptureFixture[str]) -> None:
    assert _classify("--csv", CHELSEA) == 0
    (row,) = csv.DictReader(io.StringIO(capsys.readouterr().out))
    assert _classify("--json", CHELSEA) == 0
    (record,) = _json(capsys.readouterr().out)
    assert row["model"] == record["model"] and row["model"]


def test_the_summary_counts_records_and_names_standard_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _classify("--out", "-", "--json", CHELSEA) == 0
    assert "camviz classify: 1 record to standard output," in capsys.readouterr().err
    out = tmp_path / "r.jsonl"
    assert _classify("--out", out, CHELSEA, COFFEE) == 0
    assert f"camviz classify: 2 records to {out}," in capsys.readouterr().err
    assert _classify("--out", out, "--resume", CHELSEA) == 0
    assert "0 records to" in capsys.readouterr().err


def test_no_label_above_the_threshold_is_said(capsys: pytest.CaptureFixture[str]) -> None:
    args = ("--format", "text", "--score-threshold", "0.99", "--max-frames", "1")
    assert _classify(*args, CHELSEA, VIDEO) == 0
    photo_part, frame_line = capsys.readouterr().out.split(f"\n{VIDEO} frame 0")
    assert photo_part.splitlines()[-1] == "  no label above the threshold"
    assert "no label above the threshold" in frame_line and "0.0%" not in frame_line


def test_the_lock_file_is_removed_when_the_run_ends(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    assert _classify("--out", out, CHELSEA) == 0
    assert out.exists() and not (tmp_path / "out.jsonl.lock").exists()


@pytest.mark.parametrize("option", ["--every", "--fps", "--record", "--ray", "--out"])
def test_every_classify_option_shows_its_default(option: str) -> None:
    parser = build_parser()
    sub = next(
        a
        for a in parser._actions
        if a.choices and "classify" in a.choices  # type: ignore[operator]
    ).choices["classify"]  # type: ignore[index]
    (action,) = [a for a in sub._actions if option in a.option_strings]
    assert action.help and "default" in action.help
