"""CameraSource and list_cameras: real OpenCV probes, and fakes for hangs and camera loss."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from camviz.errors import CameraNotFoundError, SourceOpenError
from camviz.sources import (
    CameraFormat,
    CameraInfo,
    CameraSource,
    SourceState,
    camera,
    list_cameras,
    make_source,
    open_source,
)

from .conftest import TREE, FakeCamera, StateLog, assert_rgb_frame, decoded_frames


def absent_camera_index() -> int:
    """An index no camera answers at: 7 unless this machine has a /dev/video7 (and so on)."""
    return next(i for i in range(7, 64) if not Path(f"/dev/video{i}").exists())


def device_nodes(max_index: int) -> list[int]:
    """Indices below ``max_index`` that have a /dev/videoN node (none off Linux)."""
    return [i for i in range(max_index) if Path(f"/dev/video{i}").exists()]


def test_nonexistent_camera_index_fails_fast() -> None:
    index = absent_camera_index()
    start = time.monotonic()
    with pytest.raises(CameraNotFoundError) as info:
        open_source(str(index))
    elapsed = time.monotonic() - start
    assert elapsed < 3.0
    message = str(info.value)
    assert f"index {index}" in message and "camviz cameras" in message and "demo" in message


def test_nonexistent_camera_device_fails_fast() -> None:
    device = f"/dev/video{absent_camera_index()}"
    start = time.monotonic()
    source = make_source(device)
    assert isinstance(source, CameraSource) and source.is_live
    with pytest.raises(CameraNotFoundError, match=device):
        source.open()
    assert time.monotonic() - start < 3.0
    assert source.state is SourceState.FAILED


def test_list_cameras_answers_quickly_with_or_without_cameras() -> None:
    # True on a server without cameras and on a laptop with a webcam: whatever is
    # found is a real frame size, and on Linux only indices with a device node are
    # asked, each within the probe timeout.
    start = time.monotonic()
    found = list_cameras(timeout=1.5)
    elapsed = time.monotonic() - start
    assert all(isinstance(c, CameraInfo) and c.width > 0 and c.height > 0 for c in found)
    assert [c.index for c in found] == sorted({c.index for c in found})
    if sys.platform.startswith("linux"):
        nodes = device_nodes(5)
        assert {c.index for c in found} <= set(nodes)
        assert elapsed < 1.0 + 1.5 * len(nodes)
    else:
        assert elapsed < 1.0 + 1.5 * 5


def test_list_cameras_asks_only_where_the_system_has_a_device(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeCamera([5])  # would answer at every index
    monkeypatch.setattr(camera, "default_capture", fake)
    monkeypatch.setattr(camera, "_may_have_camera", lambda index: index in (1, 3))
    assert list_cameras(5) == [CameraInfo(1, 6, 4), CameraInfo(3, 6, 4)]
    assert fake.targets == [1, 3]


def test_list_cameras_reports_a_real_capture_and_its_frame_size(tmp_path: Path) -> None:
    # A video file stands in for a camera at index 1: OpenCV really opens and reads it.
    def factory(index: int | str) -> cv2.VideoCapture:
        return cv2.VideoCapture(str(TREE if index == 1 else tmp_path / "no-camera.avi"))

    assert list_cameras(3, capture_factory=factory) == [CameraInfo(1, 320, 240)]


def test_a_video_file_as_camera_device_delivers_rgb_frames() -> None:
    source = CameraSource(0, capture_factory=lambda _: cv2.VideoCapture(str(TREE)))
    with source:
        frame = source.read()
        assert source.name == "camera 0 (320x240)"
    assert frame is not None
    assert_rgb_frame(frame)
    np.testing.assert_array_equal(frame.image, decoded_frames(TREE)[0])


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
    assert source.name == "camera 0 (6x4 @ 30 fps)"  # what was granted, as something was asked
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
    # live: positions are the time since the first frame, from 0, never going back
    positions = [f.position_ms or 0.0 for f in got]
    assert got[0].position_ms == 0.0 and all(f.position_ms is not None for f in got)
    assert positions == sorted(positions)
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


# -- requested formats (fakes: there may be no webcam)


class GrantingDriver:
    """A fake camera driver: records every property set, in order, and grants up to
    ``max_size`` and only the FOURCCs in ``formats`` (else its first)."""

    def __init__(self, max_size: tuple[int, int] = (1920, 1080), formats: str = "MJPG YUYV"):
        self.max_size = max_size
        self.formats = formats.split()
        self.sets: list[tuple[int, float]] = []

    def __call__(self, target: int | str) -> GrantingDriver.Capture:
        return GrantingDriver.Capture(self)

    class Capture:
        def __init__(self, driver: GrantingDriver) -> None:
            self.driver = driver
            self.size = (640, 480)
            self.fps = 30.0
            self.fourcc = driver.formats[-1]

        def isOpened(self) -> bool:  # OpenCV's name
            return True

        def set(self, prop_id: int, value: float) -> bool:
            self.driver.sets.append((prop_id, value))
            if prop_id == cv2.CAP_PROP_FOURCC:
                code = camera.fourcc_text(value) or ""
                self.fourcc = code if code in self.driver.formats else self.driver.formats[0]
            elif prop_id == cv2.CAP_PROP_FRAME_WIDTH:
                self.size = (min(int(value), self.driver.max_size[0]), self.size[1])
            elif prop_id == cv2.CAP_PROP_FRAME_HEIGHT:
                self.size = (self.size[0], min(int(value), self.driver.max_size[1]))
            elif prop_id == cv2.CAP_PROP_FPS:
                self.fps = min(value, 30.0)
            return True

        def get(self, prop_id: int) -> float:
            if prop_id == cv2.CAP_PROP_FPS:
                return self.fps
            if prop_id == cv2.CAP_PROP_FOURCC:
                return float(cv2.VideoWriter.fourcc(*self.fourcc))
            return 0.0

        def read(self) -> tuple[bool, np.ndarray]:
            return True, np.zeros((self.size[1], self.size[0], 3), np.uint8)

        def release(self) -> None:
            pass


def test_camera_sets_the_requested_format_and_reports_what_was_granted() -> None:
    driver = GrantingDriver()
    log = StateLog()
    source = CameraSource(
        0, size=(1280, 720), fps=30, fourcc="MJPG", capture_factory=driver, on_state=log
    )
    with source:
        assert source.read() is not None
    props = [prop for prop, _ in driver.sets]
    # V4L2's order: the pixel format first, then the size, then the rate.
    assert props == [
        cv2.CAP_PROP_BUFFERSIZE,
        cv2.CAP_PROP_FOURCC,
        cv2.CAP_PROP_FRAME_WIDTH,
        cv2.CAP_PROP_FRAME_HEIGHT,
        cv2.CAP_PROP_FPS,
    ]
    values = dict(driver.sets)
    assert values[cv2.CAP_PROP_FOURCC] == cv2.VideoWriter.fourcc(*"MJPG")
    assert (values[cv2.CAP_PROP_FRAME_WIDTH], values[cv2.CAP_PROP_FRAME_HEIGHT]) == (1280, 720)
    assert values[cv2.CAP_PROP_FPS] == 30
    assert source.requested == CameraFormat(1280, 720, 30, "MJPG")
    assert source.granted == CameraFormat(1280, 720, 30.0, "MJPG")
    assert source.name == "camera 0 (1280x720 MJPG @ 30 fps)"
    assert not any("asked for" in m for _, m in log.events)


def test_camera_says_when_the_driver_grants_less() -> None:
    driver = GrantingDriver(max_size=(640, 480), formats="YUYV")
    log = StateLog()
    with CameraSource(
        "/dev/video0", size=(1280, 720), fps=60, fourcc="MJPG", capture_factory=driver, on_state=log
    ) as source:
        assert source.granted == CameraFormat(640, 480, 30.0, "YUYV")
    notes = [m for _, m in log.events if "asked for" in m]
    assert notes == [
        "camera /dev/video0: asked for 1280x720 MJPG @ 60 fps, "
        "the driver gave 640x480 YUYV @ 30 fps"
    ]


def test_camera_without_a_request_leaves_the_driver_alone() -> None:
    driver = GrantingDriver()
    with CameraSource(0, capture_factory=driver) as source:
        assert source.name == "camera 0 (640x480)"
        assert source.granted == CameraFormat(640, 480, 30.0, "YUYV")
    assert [prop for prop, _ in driver.sets] == [cv2.CAP_PROP_BUFFERSIZE]
    assert source.requested == CameraFormat()


def test_camera_source_strings_carry_the_request() -> None:
    source = make_source("0?width=1280&height=720&fps=30&fourcc=MJPG")
    assert isinstance(source, CameraSource) and source.target == 0
    assert source.requested == CameraFormat(1280, 720, 30.0, "MJPG")
    assert source.size == (1280, 720) and source.requested_fps == 30 and source.fourcc == "MJPG"
    device = make_source("/dev/video2?fourcc=yuyv", camera_size=(320, 240))
    assert isinstance(device, CameraSource) and device.target == "/dev/video2"
    assert device.requested == CameraFormat(320, 240, None, "yuyv")
    plain = make_source("1")
    assert isinstance(plain, CameraSource) and plain.requested == CameraFormat()
    assert camera.camera_spec("clip.mp4") is None


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("0?widht=1280&height=720", "unknown option 'widht'; the options are width, height"),
        ("0?width=1280", "give width and height together"),
        ("0?width=big&height=720", "width='big' is not a positive whole number"),
        ("0?fps=-5", "fps='-5' is not a positive number"),
        ("0?fps=inf", "fps='inf' is not a positive number"),
        ("0?fourcc=MJPEG", "fourcc 'MJPEG' is not four characters"),
    ],
)
def test_bad_camera_options_are_refused_by_name(text: str, match: str) -> None:
    with pytest.raises(SourceOpenError, match=match):
        make_source(text)
    with pytest.raises(SourceOpenError, match="not four characters"):
        CameraSource(0, fourcc="MJ")


def test_fourcc_text() -> None:
    assert camera.fourcc_text(float(cv2.VideoWriter.fourcc(*"MJPG"))) == "MJPG"
    assert camera.fourcc_text(0.0) is None
    assert camera.fourcc_text(-1.0) is None
    assert camera.fourcc_text(float("nan")) is None


def test_a_frame_over_the_pixel_limit_is_not_passed_on(monkeypatch: pytest.MonkeyPatch) -> None:
    # a driver that declares no size and then delivers frames past the limit (a stream
    # that grew mid-way): the frame is refused by name, not converted and queued
    from camviz import limits
    from camviz.errors import SourceError

    monkeypatch.setattr(limits, "MAX_IMAGE_PIXELS", 40 * 30 - 1)
    fake = FakeCamera([5], image=np.zeros((30, 40, 3), np.uint8))
    source = CameraSource(0, capture_factory=fake)
    with pytest.raises(SourceError, match=r"camera 0.*40x30 \(0.0012 MP\), over camviz's limit"):
        source.read()
    source.close()
    monkeypatch.setattr(limits, "MAX_IMAGE_PIXELS", 40 * 30)  # at the limit: delivered
    with CameraSource(
        0, capture_factory=FakeCamera([5], image=np.zeros((30, 40, 3), np.uint8))
    ) as ok:
        frame = ok.read()
    assert frame is not None and frame.image.shape == (30, 40, 3)


def test_a_camera_that_declares_frames_over_the_limit_fails_to_open(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from camviz import limits

    monkeypatch.setattr(limits, "MAX_IMAGE_PIXELS", 100)
    source = CameraSource(0, capture_factory=lambda _: cv2.VideoCapture(str(TREE)))  # 320x240
    with pytest.raises(
        SourceOpenError, match=r"^camera 0: its frames are 320x240 \(0.0768 MP\).*CAMVIZ_MAX_PIXELS"
    ):
        source.open()
    assert source.state is SourceState.FAILED
    source.close()
