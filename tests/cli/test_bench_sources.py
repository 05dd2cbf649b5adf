"""``camviz bench``: SOURCE as the other commands take it (``--source`` kept, not both),
``--frames`` checked once with its minimum in the help, and a bad entry of the source
named on stderr and in the JSON's errors, the rest still benched, exit 1."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from camviz.cli.parser import BENCH_MIN_FRAMES, build_parser

from ..conftest import PHOTOS, camviz

TINY = ("--frames", "10", "--invokes", "5", "--ceiling-frames", "0", "--warmup", "0")


def _mixed(tmp_path: Path) -> Path:
    folder = tmp_path / "mixed"
    folder.mkdir()
    for name in ("apple.jpg", "baboon.jpg"):
        shutil.copy(PHOTOS / "opencv" / name, folder / name)
    (folder / "empty.mp4").write_bytes(b"")  # zero bytes: no video
    return folder


def test_bench_names_a_bad_file_of_a_folder_and_still_benches_the_rest(tmp_path: Path) -> None:
    run = camviz("bench", _mixed(tmp_path), *TINY, "--json", "--quiet")
    assert run.returncode == 1, run.stderr
    record = json.loads(run.stdout)
    assert record["lossless"]["frames"] >= 10  # the photos were benched
    assert any("empty.mp4" in e for e in record["errors"]), record["errors"]
    assert "SourceError:" in run.stderr and "empty.mp4" in run.stderr


def test_bench_names_a_truncated_jpeg_of_an_image_sequence(tmp_path: Path) -> None:
    for n, name in enumerate(("apple.jpg", "baboon.jpg"), 1):
        shutil.copy(PHOTOS / "opencv" / name, tmp_path / f"img_{n:03d}.jpg")
    whole = (PHOTOS / "opencv" / "aero1.jpg").read_bytes()
    (tmp_path / "img_003.jpg").write_bytes(whole[: len(whole) // 3])
    run = camviz("bench", "--source", tmp_path / "img_%03d.jpg", *TINY, "--quiet")
    assert run.returncode == 1
    assert "img_003.jpg" in run.stderr and "truncated" in run.stderr


def test_bench_takes_source_as_the_others_do_and_refuses_two() -> None:
    parser = build_parser()
    assert parser.parse_args(["bench", "clip.avi"]).source == "clip.avi"
    assert parser.parse_args(["bench", "--source", "clip.avi"]).source_option == "clip.avi"
    bench = " ".join(parser.commands["bench"].format_help().split())  # type: ignore[attr-defined]
    assert "SOURCE what the pipeline reads" in bench and "image sequence" in bench
    assert "camviz --help" in bench
    both = camviz("bench", "demo", "--source", "demo", *TINY)
    assert both.returncode == 1
    assert both.stderr.startswith("OptionsError: two sources given")


def test_bench_frames_is_checked_once_with_its_minimum_in_the_help() -> None:
    from camviz.bench.records import MIN_FRAMES

    assert BENCH_MIN_FRAMES == MIN_FRAMES
    bench = " ".join(build_parser().commands["bench"].format_help().split())  # type: ignore[attr-defined]
    assert f"--frames N frames per pipeline run, at least {MIN_FRAMES}" in bench
    for given in ("0", "5"):
        run = camviz("bench", "--frames", given)
        assert run.returncode == 2
        assert f"--frames: expected at least {MIN_FRAMES}, got {given}" in run.stderr
