"""Cameras: :class:`CameraSource` (an index or a ``/dev/video*`` device) and
:func:`list_cameras` (which indices answer, as :class:`CameraInfo`).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from camviz.errors import CameraNotFoundError
from camviz.sources.base import StateCallback, valid_fps
from camviz.sources.capture import (
    CaptureFactory,
    CaptureLike,
    CaptureSource,
    default_capture,
    open_with_timeout,
)

__all__ = ["CAMERA_HINT", "CameraInfo", "CameraSource", "camera_target", "list_cameras"]

CAMERA_HINT = "list cameras with `camviz cameras` or use --source demo / a video file"


@dataclass(frozen=True)
class CameraInfo:
    """A camera that answered :func:`list_cameras`: its index and first frame size."""

    index: int
    width: int
    height: int


def camera_target(text: str) -> int | str | None:
    """The camera a source string names: an index (``"0"``), a device path, or None."""
    if text.isdigit():
        return int(text)
    if text.startswith("/dev/video"):
        return text
    return None


def _camera_label(target: int | str) -> str:
    return f"camera {target}"


class CameraSource(CaptureSource):
    """A camera by index (``0``) or device path (``/dev/video0``).

    * ``size=(w, h)`` and ``fps`` are requested from the driver (it may pick others;
      :attr:`name` reports the size actually delivered). The driver buffer is set
      to one frame so frames are fresh.
    * :meth:`open` fails within ``open_timeout`` seconds with
      :class:`CameraNotFoundError`, even if OpenCV hangs.
    * A failed read mid-stream (camera unplugged) moves to RECONNECTING: the
      capture is released and reopened with exponential back-off
      (``backoff_initial`` doubling to ``backoff_max``) until it answers (or
      ``reconnect_timeout`` passes: FAILED and :class:`CameraNotFoundError`), then
      RUNNING again. ``close()`` interrupts the back-off.
    * ``capture_factory`` makes the capture (``cv2.VideoCapture`` by default);
      tests inject fakes.
    """

    open_error = CameraNotFoundError

    def __init__(
        self,
        target: int | str = 0,
        *,
        size: tuple[int, int] | None = None,
        fps: float | None = None,
        on_state: StateCallback | None = None,
        capture_factory: CaptureFactory | None = None,
        open_timeout: float = 3.0,
        backoff_initial: float = 0.25,
        backoff_max: float = 4.0,
        reconnect_timeout: float | None = None,
    ) -> None:
        super().__init__(
            _camera_label(target),
            target,
            on_state=on_state,
            capture_factory=capture_factory,
            open_timeout=open_timeout,
            backoff_initial=backoff_initial,
            backoff_max=backoff_max,
            reconnect_timeout=reconnect_timeout,
        )
        self.size = size
        self.requested_fps = fps
        self.nominal_fps = fps

    def _where(self) -> str:
        if isinstance(self.target, int):
            return f"at index {self.target}"
        return f"at {self.target}"

    def _configure(self, cap: CaptureLike) -> None:
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        if self.size is not None:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, float(self.size[0]))
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, float(self.size[1]))
        if self.requested_fps is not None:
            cap.set(cv2.CAP_PROP_FPS, float(self.requested_fps))

    def _open_failed(self, why: str) -> str:
        where = self._where()
        if why == "timeout":
            return (
                f"camera {where} did not answer within {self.open_timeout:g} s "
                f"(driver hung?); {CAMERA_HINT}"
            )
        if why == "noframe":
            return (
                f"camera {where} opened but gave no frame (in use by another "
                f"program?); {CAMERA_HINT}"
            )
        if why.startswith("error: "):
            return f"camera {where} failed to open ({why[7:]}); {CAMERA_HINT}"
        return f"no camera {where}; {CAMERA_HINT}"

    def _lost(self, waited: float) -> str:
        return f"camera {self._where()} lost and not back after {waited:.1f} s; {CAMERA_HINT}"

    def _after_open(self, cap: CaptureLike, image: np.ndarray) -> None:
        h, w = image.shape[:2]
        self.name = f"{_camera_label(self.target)} ({w}x{h})"
        try:
            self.nominal_fps = valid_fps(float(cap.get(cv2.CAP_PROP_FPS))) or self.requested_fps
        except Exception:
            self.nominal_fps = self.requested_fps


def _may_have_camera(index: int) -> bool:
    """False if the system says there is no camera at ``index`` (Linux: no /dev/videoN).

    True where it cannot tell without asking OpenCV.
    """
    if not sys.platform.startswith("linux"):
        return True
    return Path(f"/dev/video{index}").exists()


def list_cameras(
    max_index: int = 5,
    *,
    timeout: float = 1.5,
    capture_factory: CaptureFactory | None = None,
) -> list[CameraInfo]:
    """Cameras at indices ``0 .. max_index - 1`` that deliver a frame.

    On Linux, indices without a ``/dev/videoN`` node are skipped without asking
    OpenCV (fast and quiet). Each probe is bounded by ``timeout`` seconds.
    """
    factory = capture_factory or default_capture
    found: list[CameraInfo] = []
    for index in range(max_index):
        if capture_factory is None and not _may_have_camera(index):
            continue
        cap, image, _ = open_with_timeout(factory, index, timeout)
        if cap is not None and image is not None:
            cap.release()
            found.append(CameraInfo(index, int(image.shape[1]), int(image.shape[0])))
    return found
