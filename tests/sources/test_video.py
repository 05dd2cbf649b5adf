"""VideoSource on the real clips in assets/video: order, pacing, looping, damaged files."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from camviz.errors import SourceOpenError
from camviz.sources import SourceState, VideoSource, open_source

from .conftest import (
    TREE,
    VTEST,
    StateLog,
    assert_rgb_frame,
    closes_promptly,
    decoded_count,
    decoded_frames,
)


def test_video_unpaced_every_frame_once_in_order() -> None:
    expected = decoded_frames(TREE)
    assert len(expected) > 10
    log = StateLog()
    source = open_source(TREE, pace=False, on_state=log)
    assert isinstance(source, VideoSource)
    assert not source.is_live
    assert source.name == "tree.avi"
    assert source.nominal_fps == pytest.approx(15.0, abs=0.01)
    frames = list(source)
    assert len(frames) == len(expected)
    assert [f.index for f in frames] == list(range(len(expected)))
    for frame, want in zip(frames, expected, strict=True):
        assert_rgb_frame(frame)
        np.testing.assert_array_equal(frame.image, want)
    positions = [f.position_ms for f in frames]
    assert positions[0] == pytest.approx(0.0)
    assert all(p is not None for p in positions)
    assert positions == sorted(positions)
    captured = [f.captured for f in frames]
    assert captured == sorted(captured)
    # End of file: None again and again, state ENDED, reported once.
    assert source.read() is None
    assert source.read() is None
    assert source.state is SourceState.ENDED
    assert log.states() == [SourceState.RUNNING, SourceState.ENDED]
    source.close()
    assert log.states() == [SourceState.RUNNING, SourceState.ENDED]


def test_video_vga_count_matches_decoder() -> None:
    with open_source(VTEST, pace=False) as source:
        first = source.read()
        assert first is not None
        assert first.image.shape == (576, 768, 3)
        assert first.image.shape[0] >= 480 and first.image.shape[1] >= 640
        n = 1 + sum(1 for _ in iter(source.read, None))
    assert n == decoded_count(VTEST)
    assert source.closed


def test_video_paced_holds_file_fps() -> None:
    n = 16  # tree.avi is 15 fps: 15 frame periods after the first
    with VideoSource(TREE, pace=True) as source:
        start = time.monotonic()
        frames = [source.read() for _ in range(n)]
        elapsed = time.monotonic() - start
    assert all(f is not None for f in frames)
    expected = (n - 1) / 15.0
    assert 0.5 * expected <= elapsed <= 1.5 * expected, elapsed


def test_video_loop_restarts_and_keeps_counting() -> None:
    expected = decoded_frames(TREE)
    n = len(expected)
    with VideoSource(TREE, pace=False, loop=True) as source:
        frames = [source.read() for _ in range(2 * n + 3)]
        assert source.state is SourceState.RUNNING
    assert all(f is not None for f in frames)
    got = [f for f in frames if f is not None]
    assert [f.index for f in got] == list(range(2 * n + 3))
    np.testing.assert_array_equal(got[n].image, expected[0])
    np.testing.assert_array_equal(got[2 * n + 2].image, expected[2])
    assert got[n].position_ms == pytest.approx(0.0)


def test_corrupt_video_random_bytes(tmp_path: Path) -> None:
    bad = tmp_path / "noise.mp4"
    bad.write_bytes(np.random.default_rng(1).bytes(50_000))
    with pytest.raises(SourceOpenError, match=r"noise\.mp4"):
        open_source(bad)


def test_truncated_video(tmp_path: Path) -> None:
    bad = tmp_path / "cut.avi"
    bad.write_bytes(TREE.read_bytes()[:3000])
    source = VideoSource(bad)
    with pytest.raises(SourceOpenError, match=r"cut\.avi"):
        source.open()
    assert source.state is SourceState.FAILED


def test_text_file_as_video(tmp_path: Path) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("not a video\n" * 100)
    with pytest.raises(SourceOpenError, match=r"notes\.txt is a text file"):
        open_source(bad)


def test_close_unblocks_paced_video_read(tmp_path: Path) -> None:
    slow = tmp_path / "slow.avi"  # a real clip re-timed to 0.5 fps: 2 s between frames
    writer = cv2.VideoWriter(str(slow), cv2.VideoWriter_fourcc(*"MJPG"), 0.5, (320, 240))
    cap = cv2.VideoCapture(str(TREE))
    for _ in range(3):
        ok, frame = cap.read()
        assert ok
        writer.write(frame)
    writer.release()
    cap.release()
    source = VideoSource(slow, pace=True)
    source.open()
    assert source.nominal_fps == pytest.approx(0.5)
    assert closes_promptly(source) < 0.5
    assert source.closed and source.read() is None


def _frames_at(path: Path, wanted: set[int]) -> dict[int, np.ndarray]:
    """Frames ``wanted`` (by decode order) of ``path``, as RGB, decoding from the start."""
    cap = cv2.VideoCapture(str(path))
    got: dict[int, np.ndarray] = {}
    i = 0
    while len(got) < len(wanted):
        ok, image = cap.read()
        if not ok:
            break
        if i in wanted:
            got[i] = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        i += 1
    cap.release()
    return got


def test_video_seek_goes_there_and_says_where_it_is() -> None:
    source = VideoSource(VTEST, pace=False)
    source.open()
    count = source.frame_count
    assert count is not None and source.duration_ms is not None
    assert source.duration_ms == pytest.approx(count * 1000 / source.nominal_fps)
    expected = _frames_at(VTEST, {0, count // 2, count - 1})
    first = source.read()
    assert first is not None and source.position_ms == pytest.approx(0.0)
    source.seek(0.5)
    frame = source.read()
    assert frame is not None
    np.testing.assert_array_equal(frame.image, expected[count // 2])
    assert source.position_ms is not None
    assert source.position_ms / source.duration_ms == pytest.approx(0.5, abs=0.01)
    source.seek(0.0)  # back to the start
    frame = source.read()
    assert frame is not None
    np.testing.assert_array_equal(frame.image, expected[0])
    source.seek(5.0)  # clamped: the last frame, then the end
    frame = source.read()
    assert frame is not None
    np.testing.assert_array_equal(frame.image, expected[count - 1])
    assert source.read() is None and source.state is SourceState.ENDED
    source.close()


def test_video_seek_by_adds_up_before_the_next_read() -> None:
    source = VideoSource(VTEST, pace=False)
    source.open()
    try:
        assert source.read() is not None and source.duration_ms is not None
        for _ in range(4):  # four presses of the arrow key before the capture thread reads
            source.seek_by(5000.0)
        frame = source.read()
        assert frame is not None and frame.position_ms is not None
        assert frame.position_ms == pytest.approx(20_000.0, abs=1000 / source.nominal_fps + 1)
        source.seek_by(-60_000.0)  # clamped at the start
        frame = source.read()
        assert frame is not None and frame.position_ms == pytest.approx(0.0)
        source.seek_by(float("nan"))  # ignored
        frame = source.read()
        assert frame is not None and frame.position_ms is not None and frame.position_ms < 1000
    finally:
        source.close()


def test_video_seek_past_what_decodes_loops_or_ends() -> None:
    # tree.avi declares 444 frames, 68 decode: a seek past them is the end of the file
    with VideoSource(TREE, pace=False, loop=True) as source:
        assert source.read() is not None
        source.seek(0.9)
        frame = source.read()
        assert frame is not None and source.position_ms == pytest.approx(0.0)  # rewound
    with VideoSource(TREE, pace=False) as source:
        assert source.read() is not None
        source.seek(0.9)
        assert source.read() is None and source.state is SourceState.ENDED
