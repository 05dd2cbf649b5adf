"""Every kind of source through `camviz classify` and `camviz bench`, run as real
subprocesses (servers on 127.0.0.1 and an Xvfb display started here): one grammar."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import cv2
import pytest

from camviz.sources import demo_reel_path

from ..conftest import PHOTOS, ROOT, VIDEOS, camviz
from ..sources.conftest import jpeg_frames
from ..sources.httpserve import Server, huge_part, mjpeg, photo
from ..sources.xvfb import display_env, paint_root, xvfb

ORANGE = PHOTOS / "opencv" / "orange.jpg"
CHELSEA = PHOTOS / "skimage" / "chelsea.png"
TREE = VIDEOS / "tree.avi"
QUICK_BENCH = ("--frames", "10", "--invokes", "2", "--ceiling-frames", "0", "--budget-ms", "1e4")


def _records(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def tree_jpegs() -> list[bytes]:
    frames = jpeg_frames(TREE, limit=30, quality=95)  # OpenCV's default JPEG quality
    assert len(frames) == 30
    return frames


@pytest.fixture
def sequence(tmp_path: Path) -> Path:
    """img_001.png .. img_003.png: three real photos as an OpenCV image sequence."""
    for n, source in enumerate((CHELSEA, ORANGE, CHELSEA), start=1):
        cv2.imwrite(str(tmp_path / f"img_{n:03d}.png"), cv2.imread(str(source)))
    return tmp_path / "img_%03d.png"


@pytest.fixture
def videos(tmp_path: Path) -> Path:
    folder = tmp_path / "clips"
    (folder / "more").mkdir(parents=True)
    shutil.copy(TREE, folder / "a.avi")
    shutil.copy(TREE, folder / "more" / "b.avi")
    return folder


# -- classify


def test_classify_a_photo_url_gives_exactly_one_result_and_exits() -> None:
    with Server(photo(ORANGE.read_bytes(), "image/jpeg"), "/live/stream") as server:
        started = time.monotonic()
        run = camviz("classify", server.url, "--format", "json", timeout=60)
        took = time.monotonic() - started
    assert run.returncode == 0, run.stderr
    (record,) = _records(run.stdout)
    assert record["path"] == server.url and "frame" not in record  # a photo's record
    assert record["top"][0]["label"] == "orange"  # type: ignore[index]
    assert server.requests == 1 and took < 30


@pytest.mark.slow
def test_classify_a_stream_that_goes_away_ends_with_its_results_and_one_line(
    tree_jpegs: list[bytes],
) -> None:
    holder: list[Server] = []
    server = Server(mjpeg(tree_jpegs, holder, fps=10), "/cam.mjpg")
    holder.append(server)
    with server:
        started = time.monotonic()
        run = camviz("classify", server.url, "--max-frames", "60", "--format", "json", timeout=60)
        took = time.monotonic() - started
    assert run.returncode == 1
    records = _records(run.stdout)
    results = [r for r in records if "error" not in r]
    assert len(results) == 30 and [r["frame"] for r in results] == list(range(30))
    stamps = [float(r["timestamp_s"]) for r in results]  # type: ignore[arg-type]
    assert stamps[0] == 0.0 and 2.0 < stamps[-1] < 5.0  # seconds from the stream's start
    assert {r["clock"] for r in results} == {"stream"}
    assert run.stderr.count("\n") == 1 and "lost and not back after" in run.stderr
    assert took < 30


def test_classify_an_mjpeg_part_declaring_10_gb_is_one_line_in_bounded_memory(
    tree_jpegs: list[bytes], tmp_path: Path
) -> None:
    holder: list[Server] = []
    server = Server(huge_part(tree_jpegs[:3], holder), "/cam")
    holder.append(server)
    if not Path("/proc/self/status").is_file():
        pytest.skip("the peak memory is read from /proc/self/status (Linux)")
    peak = tmp_path / "peak_kib"
    script = (  # camviz as a user runs it, then its own peak resident memory: VmHWM (the
        # high-water mark of its own memory map; ru_maxrss would carry the forking parent's)
        "import runpy\n"
        "try:\n"
        "    runpy.run_module('camviz', run_name='__main__', alter_sys=True)\n"
        "finally:\n"
        "    status = open('/proc/self/status').read().split('VmHWM:')[1].split()[0]\n"
        f"    open({str(peak)!r}, 'w').write(status)\n"
    )
    with server:
        run = subprocess.run(
            [sys.executable, "-c", script, "classify", server.url, "--format", "json"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
    assert run.returncode == 1
    assert len([r for r in _records(run.stdout) if "error" not in r]) == 3
    assert run.stderr.count("\n") == 1
    assert "a part declares 10737418240 bytes, over camviz's limit" in run.stderr
    assert server.sent < 64 * 2**20  # the part's body was never read
    assert int(peak.read_text()) < 512 * 1024  # KiB: far below the gigabytes declared


def test_classify_a_glob_and_an_image_sequence(sequence: Path) -> None:
    run = camviz(
        "classify", "--format", "json", "--top-k", "1", f"{PHOTOS}/opencv/o*.jpg", sequence
    )
    assert run.returncode == 0, run.stderr
    names = [Path(str(r["path"])).name for r in _records(run.stdout)]
    globbed = sorted(p.name for p in (PHOTOS / "opencv").glob("o*.jpg"))
    assert names == [*globbed, "img_001.png", "img_002.png", "img_003.png"]


def test_classify_a_folder_of_videos(videos: Path) -> None:
    run = camviz("classify", videos, "--format", "json", "--every", "20", "--top-k", "1")
    assert run.returncode == 0, run.stderr
    records = _records(run.stdout)
    by_file = {Path(str(r["path"])).name for r in records}
    assert by_file == {"a.avi", "b.avi"}
    per_file = [r for r in records if str(r["path"]).endswith("a.avi")]
    assert [r["frame"] for r in per_file][:2] == [0, 20] and per_file[0]["clock"] == "position"


def test_classify_a_camera_index_when_there_is_none_is_refused_clearly() -> None:
    if any(Path(f"/dev/video{i}").exists() for i in range(4)):
        pytest.skip("a camera device exists here")
    started = time.monotonic()
    run = camviz("classify", "0", "--format", "json", timeout=60)
    assert run.returncode == 1
    assert run.stderr == (
        "CameraNotFoundError: no camera at index 0; list cameras with `camviz cameras`, "
        "or give `demo` or a video file as the source\n"
    )  # one line: OpenCV's own "[ WARN:0@...] cap_v4l.cpp" lines are kept off the terminal
    assert time.monotonic() - started < 30
    bench = camviz("bench", "--source", "0", "--quiet", timeout=60)  # the example
    assert bench.returncode == 1 and bench.stderr == run.stderr
    verbose = camviz("classify", "0", "--verbose", timeout=60)
    assert verbose.returncode == 1 and "cap_v4l.cpp" in verbose.stderr  # --verbose lets them in


def test_ffmpeg_lines_stay_off_the_terminal_unless_verbose(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"  # FFmpeg logs "moov atom not found" when it opens it
    empty.write_bytes(b"")
    good = PHOTOS / "skimage" / "chelsea.png"
    run = camviz("classify", good, empty, "--format", "json", "--top-k", "1", timeout=60)
    records = _records(run.stdout)
    assert run.returncode == 1 and [("error" in r) for r in records] == [False, True]
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and "empty.mp4" in lines[0] and "moov" not in run.stderr, lines
    verbose = camviz("classify", empty, "--verbose", timeout=60)
    assert verbose.returncode == 1 and "moov atom not found" in verbose.stderr


def test_classify_demo_plays_the_reel_once() -> None:
    run = camviz("classify", "demo", "--max-frames", "3", "--format", "json", "--top-k", "1")
    assert run.returncode == 0, run.stderr
    records = _records(run.stdout)
    assert [r["frame"] for r in records] == [0, 1, 2]
    assert {r["path"] for r in records} == {str(demo_reel_path())}


def test_classify_the_screen_under_xvfb() -> None:
    pytest.importorskip("mss", reason="the screen source needs mss (the screen extra)")
    with xvfb() as display:
        paint_root(display, (250, 250, 250))
        run = camviz(
            "classify", "screen:0,0,64,48", "--max-frames", "2", "--format", "json",
            env=display_env(display),
        )  # fmt: skip
    assert run.returncode == 0, run.stderr
    records = _records(run.stdout)
    assert [r["frame"] for r in records] == [0, 1] and records[0]["clock"] == "stream"


def test_classify_says_which_inputs_are_no_source_and_runs_the_rest() -> None:
    run = camviz("classify", "screen:x", ORANGE, "--format", "json", "--top-k", "1")
    assert run.returncode == 1
    assert [Path(str(r["path"])).name for r in _records(run.stdout) if "error" not in r] == [
        "orange.jpg"
    ]
    assert "SourceOpenError: screen source 'screen:x'" in run.stderr


# -- bench


@pytest.mark.slow
def test_bench_reads_every_kind(sequence: Path, videos: Path) -> None:
    with Server(photo(ORANGE.read_bytes(), "image/jpeg"), "/p") as server:
        for source in (server.url, f"{PHOTOS}/opencv/o*.jpg", sequence, videos):
            run = camviz("bench", "--source", source, "--quiet", "--json", *QUICK_BENCH)
            assert run.returncode == 0, (source, run.stderr)
            result = json.loads(run.stdout)
            assert result["source"] == str(source), result


@pytest.mark.slow
def test_bench_on_a_stream_that_stays_down_ends_with_a_clear_error(
    tree_jpegs: list[bytes],
) -> None:
    holder: list[Server] = []
    server = Server(mjpeg(tree_jpegs[:10], holder, fps=20), "/live")
    holder.append(server)
    with server:
        started = time.monotonic()
        run = camviz("bench", "--source", server.url, "--frames", "200", "--quiet", timeout=90)
        took = time.monotonic() - started
    assert run.returncode == 1
    assert run.stderr.endswith("lost and not back after 11.8 s\n") or "lost and not back" in (
        run.stderr
    )
    assert run.stderr.count("\n") == 1 and took < 45


def test_bench_on_the_screen_under_xvfb() -> None:
    pytest.importorskip("mss", reason="the screen source needs mss (the screen extra)")
    with xvfb() as display:
        env = display_env(display)
        run = camviz("bench", "--source", "screen", "--quiet", "--json", *QUICK_BENCH, env=env)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["source"] == "screen"


def test_no_display_no_screen(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    run = camviz("classify", "screen", "--max-frames", "1", env=env)
    assert run.returncode == 1 and "there is no display" in run.stderr


def test_duration_limits_on_a_video_and_a_stream(tree_jpegs: list[bytes]) -> None:
    demo = camviz("classify", "demo", "--max-seconds", "0.5", "--format", "json", "--top-k", "1")
    assert demo.returncode == 0, demo.stderr
    stamps = [float(r["timestamp_s"]) for r in _records(demo.stdout)]  # type: ignore[arg-type]
    cap = cv2.VideoCapture(str(demo_reel_path()))
    fps = cap.get(cv2.CAP_PROP_FPS)
    cap.release()
    assert stamps == sorted(stamps) and stamps[-1] <= 0.5
    assert len(stamps) == int(0.5 * fps) + 1  # every frame from 0 to 0.5 s of the reel
    holder: list[Server] = []
    server = Server(mjpeg(tree_jpegs, holder, fps=10, then_go_away=False), "/live")
    holder.append(server)
    with server:
        started = time.monotonic()
        run = camviz("classify", server.url, "--max-seconds", "1", "--format", "json", timeout=60)
        took = time.monotonic() - started
    assert run.returncode == 0, run.stderr
    stamps = [float(r["timestamp_s"]) for r in _records(run.stdout)]  # type: ignore[arg-type]
    assert stamps[0] == 0.0 and stamps[-1] <= 1.0 and 5 <= len(stamps) <= 11
    assert took < 20  # it ended at 1 s of stream, not when the stream did (3 s)


def test_eval_and_teach_refuse_a_source_that_is_no_data_set_naming_its_kind() -> None:
    for command, extra in (("eval", ()), ("teach", ("--out", "x.head.npz"))):
        for source, kind in (("0", "a camera"), ("screen", "a screen"), (ORANGE, "a photo")):
            run = camviz(command, source, *extra)
            assert run.returncode == 1, (command, source)
            assert run.stderr.startswith(
                f"OptionsError: camviz {command} cannot use {source}, {kind}: it takes a folder"
            ), run.stderr
