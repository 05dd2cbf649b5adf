"""Frame sources: camera, video file, image(s) and the bundled demo reel.

Every source yields :class:`Frame` objects holding an ``HxWx3`` C-contiguous
``uint8`` RGB image (converted by :func:`camviz.imageio.to_rgb8`, the same
conversion photos get). A source is used from one reading thread; only
:meth:`Source.close` may be called from another thread, and it makes a blocked
:meth:`Source.read` (pacing sleep, reconnect back-off) return ``None`` promptly.

``is_live`` tells the pipeline which backpressure to use: cameras and the demo
reel are live (latest frame wins), video files and images are not (every frame
once, in order), whatever their pacing.

State changes (and non-fatal problems, such as a skipped image) are reported
through the optional ``on_state(state, message)`` callback, called on the
reading thread (or the opening thread for :meth:`Source.open`).

One module per kind of source:

* ``base``: :class:`Frame`, :class:`SourceState`, the :class:`Source` base
  class, the pacing clock of file sources.
* ``capture``: a live ``cv2.VideoCapture`` with an open time limit and
  reconnect back-off (:class:`CaptureSource`), shared by cameras and any
  other live capture.
* ``camera``: :class:`CameraSource`, :func:`list_cameras`, :class:`CameraInfo`.
* ``video``: :class:`VideoSource` (files).
* ``images``: :class:`ImageSource` (one image, or a folder slideshow).
* ``demo``: :class:`DemoSource` (the bundled reel).
* ``factory``: :func:`make_source` / :func:`open_source`, the one place that
  turns a source string into a source.

Layering: this package sits above the foundation modules and imports only
``camviz.errors`` and ``camviz.imageio`` of camviz (plus OpenCV and numpy).
It is imported by the pipeline and everything above it (bench, teach, qt, cli),
always through this ``__init__`` (``from camviz.sources import ...``), which
re-exports every public name. Inside the package, modules import ``base``
(and ``capture``, ``video``) only; ``factory`` alone imports every kind.
"""

from __future__ import annotations

from camviz.imageio import IMAGE_EXTENSIONS
from camviz.sources.base import Frame, Source, SourceState, StateCallback
from camviz.sources.camera import CameraInfo, CameraSource, list_cameras
from camviz.sources.capture import CaptureFactory, CaptureLike, CaptureSource
from camviz.sources.demo import DemoSource, assets_dir, demo_reel_path
from camviz.sources.factory import make_source, open_source
from camviz.sources.images import ImageSource
from camviz.sources.video import VideoSource

__all__ = [
    "IMAGE_EXTENSIONS",
    "CameraInfo",
    "CameraSource",
    "CaptureFactory",
    "CaptureLike",
    "CaptureSource",
    "DemoSource",
    "Frame",
    "ImageSource",
    "Source",
    "SourceState",
    "StateCallback",
    "VideoSource",
    "assets_dir",
    "demo_reel_path",
    "list_cameras",
    "make_source",
    "open_source",
]
