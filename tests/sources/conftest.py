"""Shared by the source tests: the real media in assets/, a state recorder, a fake camera."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from camviz.sources import Frame, ImageSource, SourceState, VideoSource

from ..conftest import ASSETS, PHOTOS, VIDEOS

TREE = VIDEOS / "tree.avi"
VTEST = VIDEOS / "vtest.avi"
CHELSEA = PHOTOS / "skimage" / "chelsea.png"
COFFEE = PHOTOS / "skimage" / "coffee.png"
ORANGE = PHOTOS / "opencv" / "orange.jpg"
GREY = PHOTOS / "skimage" / "camera.png"
DEMO_REEL = ASSETS / "demo" / "demo_reel.mp4"


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


class FakeCamera:
    """A camera whose sessions are scripted.

    ``sessions``: for each open in turn, the number of frames it delivers before
    its reads fail (``None``: the open fails; the last entry repeats).
    ``image``: what each read returns (a copy); by default a 4x6 BGR frame whose
    red channel counts the reads and whose blue channel is 10.
    """

    def __init__(
        self,
        sessions: list[int | None],
        *,
        hang: float = 0.0,
        image: np.ndarray | None = None,
    ) -> None:
        self.sessions = sessions
        self.hang = hang
        self.image = image
        self.opens: list[float] = []
        self.targets: list[int | str] = []
        self.props: dict[int, float] = {}
        self.serial = 0
        self.released = 0
        self.unhang = threading.Event()

    def __call__(self, target: int | str) -> FakeCamera.Capture:
        if self.hang:
            self.unhang.wait(self.hang)
        session = self.sessions[min(len(self.opens), len(self.sessions) - 1)]
        self.opens.append(time.monotonic())
        self.targets.append(target)
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
            if self.camera.image is not None:
                return True, self.camera.image.copy()
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


def closes_promptly(source: VideoSource | ImageSource) -> float:
    """Read the first frame, then time a paced read interrupted by close()."""
    assert source.read() is not None
    threading.Timer(0.1, source.close).start()
    start = time.monotonic()
    assert source.read() is None
    return time.monotonic() - start - 0.1
