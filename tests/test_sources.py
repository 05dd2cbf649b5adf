"""Tests of camviz.sources on the real media in assets/ (and fakes for camera loss)."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from camviz.errors import CameraNotFoundError, OptionsError, SourceOpenError
from camviz.sources import (
    CameraInfo,
    CameraSource,
    DemoSource,
    Frame,
    ImageSource,
    SourceState,
    VideoSource,
    list_cameras,
    make_source,
    open_source,
)

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"
TREE = ASSETS / "video" / "tree.avi"
VTEST = ASSETS / "video" / "vtest.avi"
PHOTOS = ASSETS / "photos"
CHELSEA = PHOTOS / "skimage" / "chelsea.png"
COFFEE = PHOTOS / "skimage" / "coffee.png"
ORANGE = PHOTOS / "opencv" / "orange.jpg"
GREY = PHOTOS / "skimage" / "camera.png"


def decoded_frames(path: Path) -> list[np.ndarray]:
    """Every frame plain cv2.VideoCapture decodes from ``path``, as RGB."""
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    cap.release()
    return frames


def decoded_count(path: Path) -> int:
    cap = cv2.VideoCapture(str(path))
    n = 0
    while cap.grab():
        n += 1
    cap.release()
    return n


class StateLog:
    def __init__(self) -> None:
        self.events: list[tuple[SourceState, str]] = []
        self.lock = threading.Lock()

    def __call__(self, state: SourceState, message: str) -> None:
        with self.lock:
            self.events.append((state, message))

    def states(self) -> list[SourceState]:
        """The sequence of states, consecutive repeats collapsed."""
        out: list[SourceState] = []
        for state, _ in self.events:
            if not out or out[-1] is not state:
                out.append(state)
        return out


def assert_rgb_frame(frame: Frame) -> None:
    assert frame.image.dtype == np.uint8
    assert frame.image.ndim == 3 and frame.image.shape[2] == 3
    assert frame.image.flags.c_contiguous


# ----------------------------------------------------------------------------- video


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


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceOpenError, match="not found"):
        open_source(tmp_path / "nope.mp4")
    with pytest.raises(SourceOpenError, match=r"nope\.avi not found"):
        VideoSource(tmp_path / "nope.avi").open()
    with pytest.raises(SourceOpenError, match="not found"):
        ImageSource(tmp_path / "nope.jpg").open()


# ---------------------------------------------------------------------------- images


def test_folder_skips_bad_file_and_reports(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    shutil.copy(CHELSEA, tmp_path / "a_cat.png")
    (tmp_path / "b_broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 definitely not a jpeg")
    shutil.copy(ORANGE, tmp_path / "sub" / "c_orange.JPG")
    (tmp_path / "readme.txt").write_text("ignored")
    log = StateLog()
    source = open_source(tmp_path, pace=False, on_state=log)
    assert isinstance(source, ImageSource)
    frames = list(source)
    assert len(frames) == 2
    assert [f.index for f in frames] == [0, 1]
    assert frames[0].image.shape == (300, 451, 3)
    assert frames[1].image.shape == (512, 512, 3)
    for frame in frames:
        assert_rgb_frame(frame)
        assert frame.position_ms is None
    assert [p.name for p, _ in source.skipped] == ["b_broken.jpg"]
    assert any("b_broken.jpg" in m for _, m in log.events)
    assert source.state is SourceState.ENDED
    # Same pixels as a plain decode, in RGB.
    want = cv2.cvtColor(cv2.imread(str(CHELSEA)), cv2.COLOR_BGR2RGB)
    np.testing.assert_array_equal(frames[0].image, want)


def test_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("no images here")
    with pytest.raises(SourceOpenError, match="no images"):
        open_source(tmp_path)


def test_folder_with_only_bad_images(tmp_path: Path) -> None:
    (tmp_path / "x.png").write_bytes(b"nope")
    (tmp_path / "y.jpg").write_bytes(b"")
    with pytest.raises(SourceOpenError, match="none of the 2 images"):
        open_source(tmp_path)


def test_single_bad_image(tmp_path: Path) -> None:
    bad = tmp_path / "bad.webp"
    bad.write_bytes(b"RIFF....WEBPjunk")
    with pytest.raises(SourceOpenError, match=r"bad\.webp"):
        open_source(bad)


def test_grey_and_rgba_images_become_rgb(tmp_path: Path) -> None:
    with open_source(GREY, pace=False) as source:
        frame = source.read()
        assert frame is not None and source.read() is None
    assert_rgb_frame(frame)
    assert frame.image.shape == (512, 512, 3)
    assert np.array_equal(frame.image[..., 0], frame.image[..., 2])

    bgra = np.zeros((4, 4, 4), np.uint8)
    bgra[..., 0] = 255  # blue
    bgra[:2, :, 3] = 255  # top half opaque, bottom half transparent
    path = tmp_path / "alpha.png"
    assert cv2.imwrite(str(path), bgra)
    with open_source(path, pace=False) as source:
        frame = source.read()
    assert frame is not None
    assert frame.image[0, 0].tolist() == [0, 0, 255]  # opaque blue
    assert frame.image[3, 3].tolist() == [255, 255, 255]  # transparent on white


def test_paced_slideshow_repeats_each_image(tmp_path: Path) -> None:
    shutil.copy(CHELSEA, tmp_path / "1.png")
    shutil.copy(COFFEE, tmp_path / "2.png")
    source = ImageSource(tmp_path, pace=True, fps=20.0, interval=0.25)
    assert not source.is_live
    source.open()
    assert source.nominal_fps == 20.0
    start = time.monotonic()
    frames = list(source)
    elapsed = time.monotonic() - start
    assert len(frames) == 10
    assert [f.image.shape for f in frames] == [(300, 451, 3)] * 5 + [(400, 600, 3)] * 5
    expected = 9 / 20.0
    assert 0.5 * expected <= elapsed <= 1.5 * expected, elapsed


def test_image_loop(tmp_path: Path) -> None:
    shutil.copy(CHELSEA, tmp_path / "1.png")
    shutil.copy(ORANGE, tmp_path / "2.jpg")
    with ImageSource(tmp_path, pace=False, loop=True) as source:
        shapes = [f.image.shape for f in (source.read() for _ in range(5)) if f is not None]
    assert shapes == [(300, 451, 3), (512, 512, 3)] * 2 + [(300, 451, 3)]


def test_image_options_validated() -> None:
    with pytest.raises(OptionsError):
        ImageSource(CHELSEA, fps=0)


# ---------------------------------------------------------------------------- camera


def test_nonexistent_camera_index_fails_fast() -> None:
    start = time.monotonic()
    with pytest.raises(CameraNotFoundError) as info:
        open_source("7")
    elapsed = time.monotonic() - start
    assert elapsed < 3.0
    message = str(info.value)
    assert "index 7" in message and "camviz cameras" in message and "demo" in message


def test_nonexistent_camera_device_fails_fast() -> None:
    start = time.monotonic()
    source = make_source("/dev/video63")
    assert isinstance(source, CameraSource) and source.is_live
    with pytest.raises(CameraNotFoundError, match="/dev/video63"):
        source.open()
    assert time.monotonic() - start < 3.0
    assert source.state is SourceState.FAILED


def test_list_cameras_finds_none_here_quickly() -> None:
    start = time.monotonic()
    assert list_cameras() == []
    assert time.monotonic() - start < 3.0


class FakeCamera:
    """A camera whose sessions are scripted.

    ``sessions``: for each open in turn, the number of frames it delivers before
    its reads fail (``None``: the open fails; the last entry repeats).
    """

    def __init__(self, sessions: list[int | None], *, hang: float = 0.0) -> None:
        self.sessions = sessions
        self.hang = hang
        self.opens: list[float] = []
        self.props: dict[int, float] = {}
        self.serial = 0
        self.released = 0
        self.unhang = threading.Event()

    def __call__(self, target: int | str) -> FakeCamera.Capture:
        if self.hang:
            self.unhang.wait(self.hang)
        session = self.sessions[min(len(self.opens), len(self.sessions) - 1)]
        self.opens.append(time.monotonic())
        return FakeCamera.Capture(self, session)

    class Capture:
        def __init__(self, camera: FakeCamera, frames: int | None) -> None:
            self.camera = camera
            self.left = frames

        def isOpened(self) -> bool:  # OpenCV's name
            return self.left is not None

        def read(self) -> tuple[bool, Any]:
            if not self.left:
                return False, None
            self.left -= 1
            self.camera.serial += 1
            image = np.zeros((4, 6, 3), np.uint8)
            image[..., 0] = 10  # B
            image[..., 2] = self.camera.serial % 256  # R
            return True, image

        def set(self, prop_id: int, value: float) -> bool:
            self.camera.props[prop_id] = value
            return True

        def get(self, prop_id: int) -> float:
            return 30.0 if prop_id == cv2.CAP_PROP_FPS else 0.0

        def release(self) -> None:
            self.camera.released += 1


def test_camera_reconnects_with_backoff() -> None:
    fake = FakeCamera([3, None, None, 1000])
    log = StateLog()
    source = CameraSource(
        0,
        size=(640, 480),
        fps=30,
        capture_factory=fake,
        on_state=log,
        backoff_initial=0.02,
        backoff_max=0.05,
    )
    source.open()
    assert source.name == "camera 0 (6x4)"
    assert source.nominal_fps == 30.0
    assert fake.props[cv2.CAP_PROP_BUFFERSIZE] == 1
    assert fake.props[cv2.CAP_PROP_FRAME_WIDTH] == 640
    assert fake.props[cv2.CAP_PROP_FRAME_HEIGHT] == 480
    frames = [source.read() for _ in range(6)]
    source.close()
    got = [f for f in frames if f is not None]
    assert len(got) == 6
    assert [f.index for f in got] == list(range(6))
    # RGB: red channel carries the serial, blue is constant.
    assert [int(f.image[0, 0, 0]) for f in got] == [1, 2, 3, 4, 5, 6]
    assert all(int(f.image[0, 0, 2]) == 10 for f in got)
    assert all(f.position_ms is None for f in got)
    assert log.states() == [
        SourceState.RUNNING,
        SourceState.RECONNECTING,
        SourceState.RUNNING,
        SourceState.ENDED,
    ]
    assert any("reconnected after 3 attempt" in m for _, m in log.events)
    # Back-off: 0.02, then 0.04, then 0.05 (capped) between the reopen attempts.
    gaps = np.diff(fake.opens)
    assert len(gaps) == 3
    assert gaps[1] >= 0.03 and gaps[2] >= 0.04
    assert fake.released == 4  # the dropped session, two failed opens, the last at close


def test_camera_reconnect_gives_up_after_timeout() -> None:
    fake = FakeCamera([1, None])
    log = StateLog()
    source = CameraSource(
        1,
        capture_factory=fake,
        on_state=log,
        backoff_initial=0.01,
        backoff_max=0.02,
        reconnect_timeout=0.1,
    )
    source.open()
    assert source.read() is not None
    with pytest.raises(CameraNotFoundError, match="index 1"):
        source.read()
    assert source.state is SourceState.FAILED
    source.close()


def test_camera_hanging_driver_times_out() -> None:
    fake = FakeCamera([100], hang=10.0)
    source = CameraSource(2, capture_factory=fake, open_timeout=0.3)
    start = time.monotonic()
    try:
        with pytest.raises(CameraNotFoundError, match="did not answer"):
            source.open()
        assert time.monotonic() - start < 1.0
    finally:
        fake.unhang.set()


def test_close_interrupts_camera_backoff() -> None:
    fake = FakeCamera([1, None])
    source = CameraSource(0, capture_factory=fake, backoff_initial=10.0)
    source.open()
    assert source.read() is not None
    threading.Timer(0.1, source.close).start()
    start = time.monotonic()
    assert source.read() is None
    assert time.monotonic() - start < 0.5


def test_list_cameras_with_fake() -> None:
    fake = FakeCamera([5, None, 5])
    assert list_cameras(3, capture_factory=fake) == [CameraInfo(0, 6, 4), CameraInfo(2, 6, 4)]


# -------------------------------------------------------------- close() from a thread


def closes_promptly(source: VideoSource | ImageSource) -> float:
    """Read the first frame, then time a paced read interrupted by close()."""
    assert source.read() is not None
    threading.Timer(0.1, source.close).start()
    start = time.monotonic()
    assert source.read() is None
    return time.monotonic() - start - 0.1


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


def test_close_unblocks_paced_slideshow_read() -> None:
    source = ImageSource(CHELSEA, pace=True, fps=0.5, interval=10.0)
    source.open()
    assert closes_promptly(source) < 0.5


# ------------------------------------------------------------------------------ demo


def test_demo_source() -> None:
    source = open_source("demo")
    try:
        assert isinstance(source, DemoSource)
        assert source.is_live and source.loop and source.pace
        assert source.nominal_fps == pytest.approx(30.0)
        for _ in range(3):
            frame = source.read()
            assert frame is not None
            assert frame.image.shape == (480, 640, 3)
            assert_rgb_frame(frame)
    finally:
        source.close()
    assert source.read() is None


def test_demo_reel_file() -> None:
    reel = ASSETS / "demo" / "demo_reel.mp4"
    assert reel.stat().st_size < 6.5e6
    cap = cv2.VideoCapture(str(reel))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 990
    cap.release()


# ------------------------------------------------------------------------- dispatch


def test_make_source_dispatch(tmp_path: Path) -> None:
    assert isinstance(make_source(0), CameraSource)
    assert isinstance(make_source("1"), CameraSource)
    assert isinstance(make_source("/dev/video0"), CameraSource)
    assert isinstance(make_source("demo"), DemoSource)
    assert isinstance(make_source(PHOTOS), ImageSource)
    assert isinstance(make_source(str(CHELSEA)), ImageSource)
    video = make_source(TREE, pace=False, loop=True)
    assert isinstance(video, VideoSource) and not video.pace and video.loop
    camera = make_source("0", camera_size=(320, 240), camera_fps=15)
    assert isinstance(camera, CameraSource)
    assert camera.size == (320, 240) and camera.requested_fps == 15
    with pytest.raises(SourceOpenError, match="not found"):
        make_source(tmp_path / "missing")


def test_context_manager_and_idempotent_close() -> None:
    with open_source(TREE, pace=False) as source:
        assert source.state is SourceState.RUNNING
        source.open()  # idempotent
        assert source.read() is not None
    assert source.closed
    source.close()
    assert source.read() is None
    fresh = VideoSource(TREE)
    fresh.close()
    with pytest.raises(SourceOpenError, match="closed"):
        fresh.open()


def test_state_listeners() -> None:
    first, second = StateLog(), StateLog()
    source = VideoSource(TREE, pace=False, on_state=first)
    source.add_state_listener(second)
    source.open()
    source.remove_state_listener(second)
    source.close()
    assert first.states() == [SourceState.RUNNING, SourceState.ENDED]
    assert second.states() == [SourceState.RUNNING]
