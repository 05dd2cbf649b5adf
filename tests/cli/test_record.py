"""classify --record and the video writer: the annotated frames, encoded off the caller's thread."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from camviz.errors import CamvizError, OptionsError, WriteRefusedError
from camviz.videoout import ENCODER_NICE, RecorderState, VideoRecorder
from tests.conftest import ROOT, camviz

REEL = ROOT / "assets" / "demo" / "demo_reel.mp4"


def _frames(path: Path) -> list[npt.NDArray[np.uint8]]:
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    return frames


@pytest.mark.slow
def test_ten_seconds_of_the_demo_reel_play_back_with_the_frames_shown(tmp_path: Path) -> None:
    out = tmp_path / "reel.mp4"
    run = camviz("classify", REEL, "--max-frames", "300", "--json", "--record", out)
    assert run.returncode == 0, run.stderr
    shown = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
    assert len(shown) == 300 and shown[-1]["timestamp_s"] == pytest.approx(9.967, abs=0.01)
    frames = _frames(out)
    assert abs(len(frames) - len(shown)) <= 0.05 * len(shown)
    capture = cv2.VideoCapture(str(out))
    assert capture.get(cv2.CAP_PROP_FPS) == pytest.approx(30.0, abs=0.01)  # the source's rate
    capture.release()
    assert "recorded 300 frames" in run.stderr and "0 dropped" in run.stderr
    # the overlay is on the video: the recorded frame differs from the reel's own frame where
    # the labels sheet is drawn (top left), and not much elsewhere
    original = _frames(REEL)[100]
    recorded = frames[100].astype(np.int16)
    sheet = np.abs(recorded[:40, :100] - original[:40, :100]).mean()
    rest = np.abs(recorded[200:300, 200:400] - original[200:300, 200:400]).mean()
    assert sheet > 3 * rest


def test_every_nth_frame_records_at_the_rate_it_keeps(tmp_path: Path) -> None:
    out = tmp_path / "every.avi"
    run = camviz("classify", REEL, "--every", "3", "--max-frames", "20", "--json", "--record", out)
    assert run.returncode == 0, run.stderr
    capture = cv2.VideoCapture(str(out))
    assert capture.get(cv2.CAP_PROP_FPS) == pytest.approx(10.0, abs=0.01)
    assert capture.get(cv2.CAP_PROP_FOURCC) == cv2.VideoWriter.fourcc(*"MJPG")
    capture.release()
    assert len(_frames(out)) == 20


def test_record_is_refused_for_photos_and_unknown_containers(tmp_path: Path) -> None:
    photo = ROOT / "assets" / "photos" / "skimage" / "chelsea.png"
    run = camviz("classify", photo, "--record", tmp_path / "x.mp4")
    assert run.returncode != 0 and "--record" in run.stderr
    run = camviz("classify", REEL, "--record", tmp_path / "x.gif")
    assert run.returncode != 0 and ".mp4 or .avi" in run.stderr
    assert not list(tmp_path.iterdir())


def _slow(image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    time.sleep(0.05)
    return image


def test_a_slow_encoder_drops_and_counts_instead_of_blocking(tmp_path: Path) -> None:
    recorder = VideoRecorder(tmp_path / "slow.mp4", 30, queue_size=2)
    recorder.start()
    image = np.zeros((120, 160, 3), np.uint8)
    accepted = [recorder.write(image, _slow) for _ in range(20)]
    stats = recorder.stop()
    assert stats.offered == 20 and stats.written == sum(accepted)
    assert stats.dropped == 20 - stats.written and stats.dropped >= 10
    assert stats.state is RecorderState.STOPPED
    assert len(_frames(tmp_path / "slow.mp4")) == stats.written


def test_lossless_writes_every_frame_and_frames_are_copied(tmp_path: Path) -> None:
    recorder = VideoRecorder(tmp_path / "all.avi", 25, queue_size=2, lossless=True)
    image = np.zeros((96, 128, 3), np.uint8)
    with recorder:
        for i in range(30):
            image[:] = i * 8  # the same buffer, changed after each write
            recorder.write(image, _fast)
    stats = recorder.stats
    assert stats.written == 30 and stats.dropped == 0 and stats.codec == "MJPG"
    frames = _frames(tmp_path / "all.avi")
    assert len(frames) == 30
    means = [float(f.mean()) for f in frames]
    assert means == sorted(means) and means[-1] - means[0] > 150


def _fast(image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    return image


def test_no_frame_no_file_and_nothing_half_written(tmp_path: Path) -> None:
    recorder = VideoRecorder(tmp_path / "empty.mp4", 30)
    recorder.start()
    assert recorder.stop().written == 0
    assert not list(tmp_path.iterdir())
    recorder = VideoRecorder(tmp_path / "part.mp4", 30, lossless=True)
    recorder.start()
    for _ in range(5):
        recorder.write(np.zeros((64, 64, 3), np.uint8))
    time.sleep(0.2)
    assert not (tmp_path / "part.mp4").exists()  # only the hidden temporary, until stop
    recorder.stop()
    assert [p.name for p in tmp_path.iterdir()] == ["part.mp4"]


def test_bad_recorder_options_are_refused(tmp_path: Path) -> None:
    with pytest.raises(OptionsError, match="frame rate"):
        VideoRecorder(tmp_path / "a.mp4", 0)
    with pytest.raises(OptionsError, match=".mp4 or .avi"):
        VideoRecorder(tmp_path / "a.webm", 30)


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread nice is Linux's")
def test_the_encoder_runs_below_the_callers_priority(tmp_path: Path) -> None:
    seen: list[int] = []

    def probe(image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        return image

    mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    with VideoRecorder(tmp_path / "nice.mp4", 30, lossless=True) as recorder:
        recorder.write(np.zeros((64, 64, 3), np.uint8), probe)
    assert seen == [min(19, mine + ENCODER_NICE)]
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == mine


def test_an_encoder_that_cannot_write_fails_at_stop_naming_the_file(tmp_path: Path) -> None:
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the recording's folder should be")
    recorder = VideoRecorder(blocker / "clip.mp4", 30)
    recorder.start()
    recorder.write(np.zeros((64, 64, 3), np.uint8))
    with pytest.raises(CamvizError, match="clip.mp4"):
        recorder.stop()
    assert recorder.stats.state is RecorderState.FAILED
    assert not recorder.write(np.zeros((64, 64, 3), np.uint8))  # a failed recorder takes none
    folder = tmp_path / "folder.mp4"
    folder.mkdir()
    with pytest.raises(WriteRefusedError, match="folder"):
        VideoRecorder(folder, 30)
