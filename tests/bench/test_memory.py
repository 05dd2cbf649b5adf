"""``camviz bench`` on a 4K clip: memory bounded by a constant, not by frame size times frames.

Issue 24: ``bench --source clip_4k.mp4`` went past 2 GB (the ceiling's measurement kept
every decoded frame at full size: 25 MB each). The bench runs in a child; a wrapper
process waits for it and reports the child's peak resident memory.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from ..conftest import PHOTOS, ROOT

FFMPEG = shutil.which("ffmpeg")
WIDTH, HEIGHT, FRAMES = 3840, 2160, 24

#: What a bench of a 4K clip may hold: the interpreter, a bounded queue of full frames,
#: the decoder's buffers. Keeping 40 ceiling frames alone was 1 GB.
LIMIT_MB = 600


def _clip_4k(path: Path) -> Path:
    """A short 4K clip of a real photo panning, by ffmpeg (x264) or else OpenCV's writer."""
    photo = cv2.imread(str(PHOTOS / "skimage/chelsea.png"))
    big = cv2.resize(photo, (WIDTH + FRAMES * 8, HEIGHT), interpolation=cv2.INTER_CUBIC)
    if FFMPEG is not None:
        command = [FFMPEG, "-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
        command += ["-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{WIDTH}x{HEIGHT}"]
        command += ["-r", "30", "-i", "-", "-c:v", "libx264", "-preset", "ultrafast"]
        command += ["-pix_fmt", "yuv420p", str(path)]
        frames = b"".join(
            np.ascontiguousarray(big[:, i * 8 : i * 8 + WIDTH]).tobytes() for i in range(FRAMES)
        )
        done = subprocess.run(command, input=frames, capture_output=True, timeout=120)
        if done.returncode == 0:
            return path
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30, (WIDTH, HEIGHT))
    assert writer.isOpened()
    for i in range(FRAMES):
        writer.write(np.ascontiguousarray(big[:, i * 8 : i * 8 + WIDTH]))
    writer.release()
    return path


@pytest.mark.slow
def test_bench_of_a_4k_clip_stays_under_600_mb(tmp_path: Path) -> None:
    clip = _clip_4k(tmp_path / "clip_4k.mp4")
    capture = cv2.VideoCapture(str(clip))
    ok, frame = capture.read()
    capture.release()
    assert ok and frame.shape == (HEIGHT, WIDTH, 3)
    bench = [sys.executable, "-m", "camviz", "bench", "--source", str(clip), "--json"]
    bench += ["--frames", "30", "--invokes", "20", "--warmup", "2", "--ceiling-frames", "40"]
    bench += ["--threads", "1"]
    wrapper = (
        "import resource, subprocess, sys\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "sys.stderr.write(done.stderr)\n"
        "print(done.returncode)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0)\n"
        "print(done.stdout)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", wrapper, *bench],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    code, peak, report = run.stdout.split("\n", 2)
    assert int(code) in (0, 1), run.stderr[-2000:]  # 1: over budget, a verdict, not a failure
    record = json.loads(report)
    assert record["lossless"]["frames"] == 30 and record["ceiling"]["frames"] == 40
    assert record["ceiling"]["decode_ms"] > 0
    assert float(peak) < LIMIT_MB, f"peak RSS {float(peak):.0f} MB"
