"""Nothing lost (issue 24, items 4 and 5): an output that is not a regular file is refused at
once; a full disk, a size limit, a kill, a read-only folder or a second writer leave the
output whole (every line valid), with a one-line error naming the file and the cause; and
``--resume`` afterwards leaves exactly one valid line per input."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from camviz.batch.records import ResultsFile
from camviz.errors import OutputError, WriteRefusedError

from ..conftest import PHOTOS, ROOT, VIDEOS, camviz


@pytest.fixture
def photos(tmp_path: Path) -> list[Path]:
    """Twelve photos (copies of three real ones under distinct names)."""
    folder = tmp_path / "photos"
    folder.mkdir()
    sources = [
        PHOTOS / "skimage/coffee.png",
        PHOTOS / "opencv/orange.jpg",
        PHOTOS / "opencv/apple.jpg",
    ]
    out = []
    for i in range(12):
        src = sources[i % 3]
        out.append(folder / f"p{i:02d}{src.suffix}")
        shutil.copy(src, out[-1])
    return out


def _whole_lines(path: Path) -> list[dict[str, object]]:
    data = path.read_bytes()
    assert data == b"" or data.endswith(b"\n"), "a torn last line"
    return [json.loads(line) for line in data.decode().splitlines()]


def _one_line_error(stderr: str, *words: str) -> str:
    errors = [line for line in stderr.splitlines() if "Error: " in line]
    assert len(errors) == 1, stderr
    assert "Traceback" not in stderr
    for word in words:
        assert word in errors[0], errors[0]
    return errors[0]


def _exactly_once(out: Path, photos: list[Path]) -> None:
    records = _whole_lines(out)
    assert sorted(str(r["path"]) for r in records) == sorted(map(str, photos))
    assert all("top" in r for r in records)


def _run(*args: object, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return camviz("classify", "--threads", "1", "--quiet", *map(str, args), **kwargs)  # type: ignore[arg-type]


# -- outputs that are not regular files ----------------------------------------------------------


def test_a_fifo_nobody_reads_is_refused_at_once(tmp_path: Path, photos: list[Path]) -> None:
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    start = time.monotonic()
    run = _run("--out", fifo, photos[0], timeout=60)
    assert run.returncode == 1 and time.monotonic() - start < 30
    _one_line_error(run.stderr, "WriteRefusedError", str(fifo), "FIFO")


@pytest.mark.parametrize("device", ["/dev/null", "/dev/full", "/dev/zero"])
def test_a_device_is_refused_but_stdout_is_taken(device: str, photos: list[Path]) -> None:
    with pytest.raises(WriteRefusedError, match="character device"), ResultsFile(Path(device)):
        pass
    run = _run("--out", device, photos[0])
    assert run.returncode == 1
    _one_line_error(run.stderr, "WriteRefusedError", device)
    run = _run("--out", "/dev/stdout", "--format", "csv", photos[0], photos[1])
    assert run.returncode == 0 and len(run.stdout.splitlines()) == 3  # header and two rows


# -- full disks, size limits, read-only folders --------------------------------------------------


def _limit_file_size(limit: int) -> object:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_size_limit_leaves_whole_lines_and_resume_finishes(
    tmp_path: Path, photos: list[Path]
) -> None:
    out = tmp_path / "out.jsonl"
    assert _run("--out", out, photos[0]).returncode == 0
    line = out.stat().st_size
    limit = int(line * 3.5)  # three more lines fit, the fourth is cut by the kernel
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "camviz",
            "classify",
            "--threads",
            "1",
            "--quiet",
            "--out",
            str(out),
            "--resume",
            *map(str, photos),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        preexec_fn=_limit_file_size(limit),
    )
    assert run.returncode == 1
    _one_line_error(run.stderr, "OutputError", str(out), "file size limit", "--resume")
    assert len(_whole_lines(out)) == 3
    assert _run("--out", out, "--resume", *photos).returncode == 0
    _exactly_once(out, photos)


@contextlib.contextmanager
def _tmpfs(where: Path, options: str) -> Iterator[Path]:
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.mark.skipif(shutil.which("mount") is None, reason="needs mount(8)")
def test_a_full_disk_leaves_whole_lines_and_resume_finishes(
    tmp_path: Path, photos: list[Path]
) -> None:
    probe = tmp_path / "probe.jsonl"
    assert _run("--out", probe, photos[0]).returncode == 0
    line = probe.stat().st_size
    with _tmpfs(tmp_path / "small", "size=16k") as disk:
        filler = disk / "filler"
        filler.write_bytes(b"\0" * (16384 - 2 * 4096))  # about two pages left
        out = disk / "out.jsonl"
        run = _run("--out", out, *photos)
        assert run.returncode == 1
        _one_line_error(run.stderr, "OutputError", str(out), "disk is full")
        kept = _whole_lines(out)
        assert 0 < len(kept) < len(photos) and out.stat().st_size <= 8192
        filler.unlink()  # room again
        assert line * len(photos) < 16384 - 4096
        assert _run("--out", out, "--resume", *photos).returncode == 0
        _exactly_once(out, photos)


def test_a_read_only_folder_is_a_one_line_error(tmp_path: Path, photos: list[Path]) -> None:
    if os.geteuid() == 0:
        ctx = _tmpfs(tmp_path / "ro", "ro,size=16k")  # root ignores modes; not a read-only mount
    else:
        folder = tmp_path / "ro"
        folder.mkdir(mode=0o555)
        ctx = contextlib.nullcontext(folder)
    with ctx as folder:
        out = folder / "out.jsonl"
        run = _run("--out", out, photos[0])
        assert run.returncode == 1
        _one_line_error(run.stderr, "OutputError", str(out))
        assert not out.exists()


# -- kills and torn tails -------------------------------------------------------------------------


def _start(*args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "camviz", "classify", "--threads", "1", "--quiet", *map(str, args)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_lines(out: Path, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if out.exists() and out.read_bytes().count(b"\n") >= count:
            return
        time.sleep(0.01)
    raise AssertionError(f"{out} never reached {count} lines")


def test_a_kill_and_a_torn_tail_then_resume_gives_one_line_per_input(
    tmp_path: Path, photos: list[Path]
) -> None:
    out = tmp_path / "out.jsonl"
    child = _start("--out", out, *photos)
    _wait_lines(out, 2)
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=30)
    kept = _whole_lines(out)
    assert 2 <= len(kept) < len(photos)
    with out.open("ab") as handle:  # what a crash mid-write (another tool, NFS) leaves
        handle.write(b'{"path": "' + str(photos[-1]).encode() + b'", "top": [{"ind')
    run = _run("--out", out, "--resume", *photos)
    assert run.returncode == 0
    assert "cut a torn last line" in run.stderr
    _exactly_once(out, photos)


@pytest.mark.slow
def test_a_second_writer_is_refused_and_the_first_finishes(
    tmp_path: Path, photos: list[Path]
) -> None:
    out = tmp_path / "out.jsonl"
    video = VIDEOS / "vtest.avi"  # its frames keep the first writer busy for a while
    frames = ("--max-frames", "600")
    first = _start("--out", out, "--resume", *frames, *photos, video)
    _wait_lines(out, 1)
    second = _run("--out", out, "--resume", *frames, *photos, video)
    assert first.wait(timeout=120) == 0
    assert second.returncode == 1
    _one_line_error(second.stderr, "OutputError", "another camviz run is writing", str(out))
    records = _whole_lines(out)
    keys = [f"{r['path']}#{r.get('frame', '')}" for r in records]
    assert len(keys) == len(set(keys)) == len(photos) + 600  # every input exactly once
    assert not (tmp_path / "out.jsonl.lock").exists()  # removed by the run that held it
    assert _run("--out", out, "--resume", *frames, *photos, video).returncode == 0
    assert len(_whole_lines(out)) == len(records)


def test_results_file_refuses_a_second_holder_in_process(tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    with ResultsFile(out) as first:
        first.write('{"path": "a"}\n')
        with pytest.raises(OutputError, match="another camviz run"):
            ResultsFile(out).__enter__()
    with ResultsFile(out) as again:
        again.write('{"path": "b"}\n')
    assert out.read_text() == '{"path": "a"}\n{"path": "b"}\n'


def test_eval_predictions_to_a_fifo_is_refused_and_a_file_is_rewritten(tmp_path: Path) -> None:
    from ..conftest import DATA

    fifo = tmp_path / "pred.fifo"
    os.mkfifo(fifo)
    run = camviz("eval", DATA / "eval_photos.csv", "--no-progress", "--predictions", fifo)
    assert run.returncode == 1
    _one_line_error(run.stderr, "WriteRefusedError", str(fifo))
    pred = tmp_path / "pred.jsonl"
    pred.write_text("old line, not whole")
    run = camviz("eval", DATA / "eval_photos.csv", "--no-progress", "--predictions", pred)
    assert run.returncode in (0, 1) and "Traceback" not in run.stderr
    records = _whole_lines(pred)
    assert records and all("path" in r for r in records)
