"""Hostile inputs: every case is a one-line error (or the right result) in bounded time
and memory, and the rest of the batch still runs. The files are made here, in tmp_path
(tests/hostile/makers.py)."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from camviz.cli.output import finite_json, json_line
from camviz.cli.parser import build_parser
from camviz.errors import (
    DatasetError,
    ImageDecodeError,
    ImageNotFoundError,
    ImageTooLargeError,
    LabelsError,
    ModelError,
    OptionsError,
    WriteRefusedError,
)
from camviz.fileio import read_regular_file, write_bytes_atomic
from camviz.imageio import find_images, image_header, load_image, to_rgb8
from camviz.labels import read_labels
from camviz.preprocess import PreprocessSpec
from tests.hostile import makers

ROOT = Path(__file__).resolve().parents[2]
LIMIT_S = 30.0
LIMIT_MB = 1024.0


#: Runs ``camviz ARGS`` and, whatever happens, writes the process's peak resident memory
#: (VmHWM: since exec, so not the forking parent's) to the file named by the env below.
_LAUNCH = """
import atexit, os, sys
def _peak():
    with open("/proc/self/status") as status:
        hwm = next(line for line in status if line.startswith("VmHWM:"))
    with open(os.environ["CAMVIZ_TEST_PEAK_FILE"], "w") as out:
        out.write(hwm.split()[1])
atexit.register(_peak)
from camviz.cli import main
sys.exit(main(sys.argv[1:]))
"""


def run_camviz(*args: str, env: dict[str, str] | None = None) -> tuple[Any, float, float]:
    """Run ``camviz ARGS``; (completed run, seconds, peak RSS MB of the camviz process).

    The peak is the process's own high-water mark since exec: ``wait4``'s ``ru_maxrss``
    would include the pytest process it was forked from (over a GB late in the suite).
    """
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as scratch:
        peak_file = Path(scratch) / "peak"
        child = subprocess.Popen(
            [sys.executable, "-c", _LAUNCH, *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={
                **os.environ,
                "QT_QPA_PLATFORM": "offscreen",
                "CAMVIZ_TEST_PEAK_FILE": str(peak_file),
                **(env or {}),
            },
        )
        try:
            out, err = child.communicate(timeout=45)  # a hang fails the test, not the suite
        except subprocess.TimeoutExpired:
            child.kill()
            out, err = child.communicate()
        seconds = time.monotonic() - started
        peak_kb = float(peak_file.read_text()) if peak_file.is_file() else float("inf")
    run = subprocess.CompletedProcess(args, child.returncode, out.decode(), err.decode())
    return run, seconds, peak_kb / 1024.0


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def good_png(path: Path) -> Path:
    cv2.imwrite(str(path), np.full((64, 64, 3), (30, 160, 220), np.uint8))
    return path


# ------------------------------------------------------------------------ the batch, end to end
@pytest.mark.slow
def test_classify_batch_of_hostile_photos(tmp_path: Path) -> None:
    bad = [
        makers.png_bomb(tmp_path / "bomb.png"),
        makers.jpeg_bomb(tmp_path / "bomb.jpg"),
        makers.png_bomb(tmp_path / "bomb16.png", 20000, 20000),
        makers.many_scan_jpeg(tmp_path / "scans.jpg"),
        fifo(tmp_path / "fifo.jpg"),
    ]
    zero = tmp_path / "zero.jpg"
    zero.symlink_to("/dev/zero")
    bad.append(zero)
    rgba16 = makers.png16_rgba(tmp_path / "rgba16.png", 4000, 3000)  # 12 MP, 96 MB decoded
    paths = [good_png(tmp_path / "good.png"), *bad, rgba16, good_png(tmp_path / "good2.png")]
    run, seconds, peak = run_camviz("classify", "--json", *map(str, paths))
    records = [json.loads(line) for line in run.stdout.splitlines()]
    results = [r["path"] for r in records if "error" not in r]
    errors = [r for r in records if "error" in r]
    assert run.returncode == 1
    assert results == [str(paths[0]), str(rgba16), str(paths[-1])], run.stderr
    assert [e["path"] for e in errors] == [str(p) for p in bad]
    assert len(run.stderr.strip().splitlines()) == len(bad), run.stderr
    assert all(len(r["top"]) > 0 for r in records if "error" not in r)
    assert seconds < LIMIT_S and peak < LIMIT_MB, (seconds, peak)


needs_ffmpeg = pytest.mark.skipif(
    shutil.which("ffmpeg") is None, reason="ffmpeg makes the video (make test installs it)"
)


@needs_ffmpeg
def test_video_whose_frames_are_over_the_pixel_limit_is_refused_before_decoding(
    tmp_path: Path,
) -> None:
    # 72 MP frames in a 1 MB file: before the check, classify decoded them at about 1 GB
    big = makers.big_frame_video(tmp_path / "big.avi")
    paths = [good_png(tmp_path / "good.png"), big, good_png(tmp_path / "good2.png")]
    run, seconds, peak = run_camviz("classify", "--json", *map(str, paths))
    records = [json.loads(line) for line in run.stdout.splitlines()]
    assert run.returncode == 1
    assert [r["path"] for r in records if "error" not in r] == [str(paths[0]), str(paths[2])]
    (error,) = [r["error"] for r in records if "error" in r]
    assert error["type"] == "SourceOpenError"
    assert "12000x6000 (72 MP), over camviz's limit of 50 MP a frame" in error["message"]
    assert run.stderr.strip().splitlines()[-1].startswith(f"SourceOpenError: {big}:")
    assert seconds < LIMIT_S and peak < 400, (seconds, peak)


def test_special_files_named_like_videos_are_refused_without_blocking(tmp_path: Path) -> None:
    clip = fifo(tmp_path / "clip.mp4")
    zero = tmp_path / "zero.avi"
    zero.symlink_to("/dev/zero")
    good = good_png(tmp_path / "good.png")
    run, seconds, peak = run_camviz("classify", "--json", str(clip), str(zero), str(good))
    records = [json.loads(line) for line in run.stdout.splitlines()]
    assert run.returncode == 1 and [r["path"] for r in records if "error" not in r] == [str(good)]
    messages = [r["error"]["message"] for r in records if "error" in r]
    assert messages == [
        f"{clip} is a FIFO (named pipe), not a regular file; camviz reads videos only from "
        "regular files",
        f"{zero} (a symlink to /dev/zero) is a character device, not a regular file; camviz "
        "reads videos only from regular files",
    ]
    assert seconds < LIMIT_S and peak < LIMIT_MB
    bench, seconds, _ = run_camviz("bench", "--source", str(clip), "--frames", "10")
    assert bench.returncode != 0 and seconds < LIMIT_S
    assert bench.stderr.strip().splitlines()[-1].startswith(f"SourceOpenError: {clip} is a FIFO")


def test_nan_model_is_refused_in_one_line(tmp_path: Path) -> None:
    model = makers.tiny_model(tmp_path, "nan")
    run, seconds, peak = run_camviz(
        "classify", "--model", str(model), str(good_png(tmp_path / "a.png"))
    )
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 1 and len(lines) == 1, run.stderr
    assert "Error: " in lines[0] and "no valid output" in lines[0]  # refused, or per photo
    assert seconds < LIMIT_S and peak < LIMIT_MB


@pytest.mark.slow
def test_eval_and_bench_test_load_a_never_ending_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import functools

    from camviz import bench, evaluate
    from camviz.loading import check_model_file

    model = makers.tiny_model(tmp_path, "loop")
    good_png(tmp_path / "a.png")
    (tmp_path / "set.csv").write_text("a.png,0\n")
    quick = functools.partial(check_model_file, timeout=3.0)
    monkeypatch.setattr(evaluate, "check_model_file", quick)
    monkeypatch.setattr(bench, "check_model_file", quick)
    started = time.monotonic()
    with pytest.raises(ModelError, match="did not finish a test load within 3 s"):
        evaluate.evaluate_models([str(model)], tmp_path / "set.csv")
    with pytest.raises(ModelError, match="did not finish a test load within 3 s"):
        bench.run_bench(bench.BenchOptions(models=(str(model),)))
    assert time.monotonic() - started < 12


def test_bench_budget_nan_and_quit_after_nan_are_usage_errors() -> None:
    parser = build_parser()
    for argv in (
        ["bench", "--budget-ms", "nan"],
        ["bench", "--budget-ms", "inf"],
        ["--quit-after", "nan"],
        ["classify", "x.png", "--min-confidence", "nan"],
        ["classify", "x.png", "--score-threshold", "1e999"],
        ["teach", "d", "--out", "x.head.npz", "--l2", "-inf"],
    ):
        with pytest.raises(SystemExit) as stop:
            parser.parse_args(argv)
        assert stop.value.code == 2


# ------------------------------------------------------------------------ images, in process
def test_headers_are_read_without_decoding(tmp_path: Path) -> None:
    image = np.zeros((30, 50, 3), np.uint8)
    for ext in (".png", ".jpg", ".webp", ".bmp", ".tiff", ".ppm"):
        _ok, buf = cv2.imencode(ext, image)
        header = image_header(buf.tobytes())
        assert header is not None and header[1:] == (50, 30), ext
    assert image_header(b"\x89PNG\r\n\x1a\n") is None  # cut short: no error, no size
    webp_bomb = b"RIFF\x00\x00\x00\x00WEBPVP8X" + bytes(8) + b"\xff\xff\xff\xff\xff\xff"
    with pytest.raises(ImageTooLargeError, match="16777216x16777216"):
        from camviz.imageio import decode_image

        decode_image(webp_bomb, "bomb.webp")


def test_sixteen_bit_conversion_is_exact_without_widening() -> None:
    values = np.arange(65536, dtype=np.uint16).reshape(256, 256)
    expected = ((values.astype(np.uint32) + 128) // 257).astype(np.uint8)
    assert np.array_equal(to_rgb8(values)[:, :, 0], expected)
    rng = np.random.default_rng(1)
    bgra = rng.integers(0, 256, (40, 30, 4), dtype=np.uint8)
    alpha = bgra[:, :, 3:4].astype(np.float32) / 255.0
    old = np.rint(bgra[:, :, :3].astype(np.float32) * alpha + 255.0 * (1.0 - alpha))
    assert np.array_equal(to_rgb8(bgra), cv2.cvtColor(old.astype(np.uint8), cv2.COLOR_BGR2RGB))


def test_jpeg_with_few_scans_still_decodes(tmp_path: Path) -> None:
    ok = makers.many_scan_jpeg(tmp_path / "ok.jpg", scans=50)
    assert load_image(ok).shape == (64, 64, 3)


def test_special_files_are_refused_without_blocking(tmp_path: Path) -> None:
    pipe = fifo(tmp_path / "pipe.jpg")
    zero = tmp_path / "zero.jpg"
    zero.symlink_to("/dev/zero")
    started = time.monotonic()
    with pytest.raises(ImageDecodeError, match="FIFO"):
        load_image(pipe)
    with pytest.raises(ImageDecodeError, match="symlink to /dev/zero.*character device"):
        load_image(zero)
    with pytest.raises(LabelsError, match="FIFO"):
        read_labels(fifo(tmp_path / "labels.txt"))
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 2000)
    with pytest.raises(LabelsError, match="more than 1,000 bytes"):
        read_regular_file(big, 1000, LabelsError)
    (tmp_path / "latin1.txt").write_bytes(b"cat\ncaf\xe9\n")
    with pytest.raises(LabelsError, match="line 2: not UTF-8"):
        read_labels(tmp_path / "latin1.txt")
    assert time.monotonic() - started < 2


def test_folder_walk_reports_special_files_and_loops(tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    (photos / "sub").mkdir(parents=True)
    good_png(photos / "a.png")
    fifo(photos / "pipe.png")
    (photos / "sub" / "back").symlink_to(photos)  # a loop
    (photos / "loop.jpg").symlink_to(photos / "loop.jpg")
    (photos / "gone.jpg").symlink_to(tmp_path / "nowhere.jpg")
    search = find_images([photos])
    assert search.images == (photos / "a.png",)
    messages = {p.name: str(e) for p, e in search.problems}
    assert "FIFO" in messages["pipe.png"]
    assert "symlink loop" in messages["back"]
    assert "symlink loop" in messages["loop.jpg"]
    assert "broken symlink" in messages["gone.jpg"]
    assert all(isinstance(e, ImageDecodeError | ImageNotFoundError) for _, e in search.problems)


# ------------------------------------------------------------------------ writing
def test_writes_go_through_symlinks_refuse_devices_and_honour_the_umask(tmp_path: Path) -> None:
    real = tmp_path / "real.bin"
    real.write_bytes(b"old")
    os.chmod(real, 0o640)
    link = tmp_path / "link.bin"
    link.symlink_to(real)
    write_bytes_atomic(link, b"new")
    assert link.is_symlink() and real.read_bytes() == b"new"
    assert real.stat().st_mode & 0o777 == 0o640  # a replaced file keeps its mode
    old = os.umask(0o027)
    try:
        write_bytes_atomic(tmp_path / "fresh.bin", b"x")
    finally:
        os.umask(old)
    assert (tmp_path / "fresh.bin").stat().st_mode & 0o777 == 0o640
    pipe = fifo(tmp_path / "pipe.bin")
    with pytest.raises(WriteRefusedError, match="FIFO"):
        write_bytes_atomic(pipe, b"x")
    assert pipe.exists() and not pipe.is_file()
    loop = tmp_path / "loop.bin"
    loop.symlink_to(loop)
    with pytest.raises(WriteRefusedError, match="loop"):
        write_bytes_atomic(loop, b"x")
    assert isinstance(WriteRefusedError("x"), OSError)


# ------------------------------------------------------------------------ models and heads
def test_packed_label_zip_bomb_is_not_inflated() -> None:
    import io

    from camviz.backends import tflite_metadata

    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("labels.txt", b"\n" * (64 * 2**20))
    started = time.monotonic()
    with pytest.raises(tflite_metadata._Corrupt, match="of camviz's limit for packed files"):
        tflite_metadata._read_zip_member(b"model" + packed.getvalue(), "labels.txt")
    assert time.monotonic() - started < 1


def test_non_finite_normalisation_is_refused() -> None:
    from camviz.backends import tflite_metadata

    with pytest.raises(tflite_metadata._Corrupt, match="not finite"):
        tflite_metadata._check_normalization((math.nan, 0.0, 0.0), (1.0, 1.0, 1.0))
    with pytest.raises(OptionsError, match="finite"):
        PreprocessSpec(mean=(0.0, 0.0, 0.0), std=(math.inf, 1.0, 1.0))


def _npy_header(shape: tuple[int, ...]) -> bytes:
    header = f"{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}"
    header += " " * (118 - len(header)) + "\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode()


def test_head_with_a_huge_declared_array_is_refused_before_loading(tmp_path: Path) -> None:
    from camviz.teach.head import load_head

    head = tmp_path / "bomb.head.npz"
    with zipfile.ZipFile(head, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("weights.npy", _npy_header((100000, 100000)) + bytes(1024))
        for name in ("header", "bias", "mean", "std"):
            zf.writestr(f"{name}.npy", _npy_header((2,)) + bytes(8))
    with pytest.raises(ModelError, match=r"declares shape \(100000, 100000\)"):
        load_head(head)
    deep = tmp_path / "deep.head.npz"
    text = ("[" * 100000 + "]" * 100000).encode()
    with deep.open("wb") as handle:
        arrays = {k: np.ones(2, np.float32) for k in ("weights", "bias", "mean", "std")}
        np.savez(handle, header=np.frombuffer(text, np.uint8), **arrays)
    with pytest.raises(ModelError, match="header is not JSON"):
        load_head(deep)


def test_model_outputs_nan_or_two_outputs(tmp_path: Path) -> None:
    from camviz.classifier import Classifier, ClassifierOptions
    from camviz.errors import InferenceError, NotAClassifierError

    frame = np.zeros((8, 8, 3), np.uint8)
    nan = ClassifierOptions(model=str(makers.tiny_model(tmp_path, "nan")))
    with Classifier.create(nan) as c, pytest.raises(InferenceError, match="no valid output"):
        c.classify(frame)
    # two outputs: not a classifier (one scores output), refused at load naming its outputs
    two = ClassifierOptions(model=str(makers.tiny_model(tmp_path, "two")))
    with pytest.raises(NotAClassifierError, match=r"two\.tflite looks like a model with 2 outputs"):
        Classifier.create(two)


def test_model_check_refuses_special_files(tmp_path: Path) -> None:
    from camviz.loading import check_model_file

    zero = tmp_path / "zero.tflite"
    zero.symlink_to("/dev/zero")
    with pytest.raises(ModelError, match="character device"):
        check_model_file(zero)
    with pytest.raises(ModelError, match="FIFO"):
        check_model_file(fifo(tmp_path / "pipe.tflite"))


# ------------------------------------------------------------------------ text and JSON
def test_eval_csv_bad_rows_are_reported_and_good_rows_count(tmp_path: Path) -> None:
    from camviz.evaluate import load_dataset

    csv_file = tmp_path / "set.csv"
    csv_file.write_bytes(
        b"path,indices\n"
        b"a.png,0\n"
        b"caf\xe9.png,1\n"  # not UTF-8
        b"b.png," + b"1 " * 100000 + b"\n"  # a field over the size limit
        b"c.png,\x00\n"  # NUL
        b"d.png,7\n"  # out of range
        b"e.png,2\n"
    )
    problems: list[str] = []
    samples = load_dataset(csv_file, ["a", "b", "c"], problems)
    assert [s.path.name for s in samples] == ["a.png", "e.png"]
    assert len(problems) == 4, problems
    assert all(p.startswith("DatasetError: ") and f"{csv_file}:" in p for p in problems)
    assert all("\n" not in p for p in problems)
    with pytest.raises(DatasetError, match=r"set.csv:3: the row is not UTF-8"):
        load_dataset(csv_file, ["a", "b", "c"])
    with pytest.raises(DatasetError, match="FIFO"):
        load_dataset(fifo(tmp_path / "pipe.csv"), ["a"])


def test_json_is_strict() -> None:
    payload = {"p95": math.nan, "fps": [math.inf, 1.5], "ok": True}
    assert finite_json(payload) == {"p95": None, "fps": [None, 1.5], "ok": True}
    assert json.loads(json_line(payload)) == {"p95": None, "fps": [None, 1.5], "ok": True}


def test_teaching_frames_are_shrunk_as_sampled() -> None:
    from camviz.teach.dataset import shrink

    frame = np.zeros((2160, 3840, 3), np.uint8)
    assert shrink(frame).shape == (576, 1024, 3)
    small = np.zeros((480, 640, 3), np.uint8)
    assert shrink(small) is small
