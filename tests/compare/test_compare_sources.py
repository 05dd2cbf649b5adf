"""compare takes every kind of the one source grammar (issue 20): demo, globs, image sequences,
folders of videos, URLs; live sources need --max-frames; a bad entry is named, the rest run."""

from __future__ import annotations

import argparse
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from camviz.classifier import Classifier, ClassifierOptions
from camviz.cli.parser import HelpFormatter, build_parser
from camviz.compare import compare_inputs
from camviz.loading import open_classifier
from tests.conftest import ROOT, camviz
from tests.sources.conftest import MjpegServer, jpeg_frames
from tests.sources.httpserve import Server, photo

A, B = "efficientnet_lite0_int8", "squeezenet1_1_int8"
CHELSEA = ROOT / "assets" / "photos" / "skimage" / "chelsea.png"
VTEST = ROOT / "assets" / "video" / "vtest.avi"
BIKES = ROOT / "assets" / "video" / "bikes.mp4"


@pytest.fixture(scope="module")
def models() -> Iterator[tuple[Classifier, Classifier]]:
    with (
        open_classifier(ClassifierOptions(model=A)) as a,
        open_classifier(ClassifierOptions(model=B)) as b,
    ):
        yield a, b


def _report(stdout: str) -> dict[str, object]:
    report = json.loads(stdout)
    assert isinstance(report, dict)
    return report


def test_demo_globs_sequences_and_a_folder_of_videos_are_compared(tmp_path: Path) -> None:
    seq = tmp_path / "seq"
    seq.mkdir()
    for i in range(2):
        shutil.copy(CHELSEA, seq / f"img_{i:03d}.png")
    videos = tmp_path / "videos"  # a video only: no photo in it
    videos.mkdir()
    shutil.copy(VTEST, videos / "vtest.avi")
    run = camviz(
        "compare", A, B, "demo", f"{seq}/*.png", seq / "img_%03d.png", videos,
        "--max-frames", "2", "--every", "3", "--json",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    report = _report(run.stdout)
    names = [r["name"] for r in report["frames_detail"]]  # type: ignore[attr-defined]
    photos = [str(seq / "img_000.png"), str(seq / "img_001.png")]
    assert names == [
        *photos,  # the glob's
        *photos,  # the sequence's
        "demo#0",
        "demo#3",  # --every 3, --max-frames 2 of the reel
        f"{videos / 'vtest.avi'}#0",
        f"{videos / 'vtest.avi'}#3",
    ]
    assert report["failures"] == []


def test_bad_entries_are_named_and_the_rest_still_run(tmp_path: Path) -> None:
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    shutil.copy(CHELSEA, mixed / "chelsea.png")
    (mixed / "broken.mp4").write_bytes(b"")  # a zero-byte video among photos
    run = camviz(
        "compare", A, B, "0", "screen", "rtsp://127.0.0.1:9/live", mixed, "no_such_thing",
        "--json",
    )  # fmt: skip
    assert run.returncode == 1, run.stderr
    report = _report(run.stdout)
    assert report["frames"] == 1  # the folder's photo
    failures = {f["name"]: f["error"] for f in report["failures"]}  # type: ignore[attr-defined]
    assert set(failures) == {
        "0",
        "screen",
        "rtsp://127.0.0.1:9/live",
        str(mixed / "broken.mp4"),
        "no_such_thing",
    }
    for live in ("0", "screen", "rtsp://127.0.0.1:9/live"):  # no end: refused, said why
        assert failures[live]["type"] == "OptionsError"
        assert "has no end" in failures[live]["message"]
        assert "--max-frames" in failures[live]["message"]
    assert failures[str(mixed / "broken.mp4")]["type"] == "SourceOpenError"
    assert "not found" in failures["no_such_thing"]["message"]
    assert "OptionsError: 0 is a camera, which has no end" in run.stderr
    assert "broken.mp4" in run.stderr
    assert "does not exist" not in run.stderr


def test_a_url_of_one_photo_is_one_photo(models: tuple[Classifier, Classifier]) -> None:
    with Server(photo(CHELSEA.read_bytes(), "image/png"), "/cat.png") as server:
        comparison = compare_inputs(*models, [server.url, str(CHELSEA)])
    assert [r.name for r in comparison.records] == [str(CHELSEA), server.url]
    by_name = {r.name: r for r in comparison.records}
    assert by_name[server.url].top_a == by_name[str(CHELSEA)].top_a  # the same picture
    assert not comparison.failures


def test_a_url_stream_without_max_frames_is_refused(
    models: tuple[Classifier, Classifier],
) -> None:
    with MjpegServer(jpeg_frames(BIKES, limit=10), fps=25.0) as server:
        comparison = compare_inputs(*models, [server.url, str(CHELSEA)])
    assert [r.name for r in comparison.records] == [str(CHELSEA)]
    (failure,) = comparison.failures
    assert failure["name"] == server.url and failure["error"]["type"] == "OptionsError"
    assert "--max-frames" in failure["error"]["message"]


def _subparser(name: str) -> argparse.ArgumentParser:
    parser = build_parser()
    commands = parser.commands  # type: ignore[attr-defined]
    found = commands[name]
    assert isinstance(found, argparse.ArgumentParser)
    return found


@pytest.mark.parametrize("command", ["compare", "explain"])
def test_every_option_says_its_default(command: str) -> None:
    parser = _subparser(command)
    formatter = HelpFormatter(command)
    for action in parser._actions:
        if not action.option_strings or action.nargs == 0 or action.required:
            continue
        text = formatter._get_help_string(action) or ""
        assert "default" in text, f"{command} {action.option_strings[0]}: {text!r}"
    helped = parser.format_help()
    assert "(12) (default: 12)" not in helped and "(2.0) (default" not in helped
