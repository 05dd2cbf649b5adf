"""Frame sources: camera, network stream, video file, image(s) and the bundled demo reel.

Every source yields :class:`Frame` objects holding an ``HxWx3`` C-contiguous
``uint8`` image in the decoder's channel order (``Frame.order``: BGR from video files,
cameras, streams and the screen, RGB from photos; ``Frame.image`` is RGB, converted on
first use), as :func:`camviz.imageio.to_bgr8` or :func:`camviz.imageio.to_rgb8` make
it). A source is used from one reading thread; only :meth:`Source.close` may be called
from another thread, and it makes a blocked :meth:`Source.read` (pacing sleep, reconnect
back-off) return ``None`` promptly.

``is_live`` tells the pipeline which backpressure to use: cameras, network
streams and the demo reel are live (latest frame wins), video files and images
are not (every frame once, in order), whatever their pacing.

The source strings every command and the window take are one grammar,
:func:`parse_source` (module ``spec``), described once in
:data:`SOURCE_GRAMMAR`: ``demo``; a camera index or device, optionally with a
requested format (``0``, ``/dev/video2``,
``0?width=1280&height=720&fps=30&fourcc=MJPG``); the screen (``screen``,
``screen:N``, ``screen:X,Y,W,H``); a URL (``http(s)://`` decided by what the
server sends: one photo, MJPEG or a stream for FFmpeg; ``rtsp://``, ``srt://``,
...) or a GStreamer pipeline ending in ``appsink``; a photo or video file; a
folder (photos and videos, recursively); a glob; an image sequence
(``img_%03d.jpg``). Headless, a lost stream or camera is retried for
:data:`RECONNECT_BUDGET_S` seconds, then the source fails; the window passes
``reconnect_timeout=None``.

State changes (and non-fatal problems, such as a skipped image) are reported
through the optional ``on_state(state, message)`` callback, called on the
reading thread (or the opening thread for :meth:`Source.open`).

One module per kind of source:

* ``base``: :class:`Frame`, :class:`SourceState`, the :class:`Source` base
  class, the pacing clock of file sources.
* ``capture``: a live ``cv2.VideoCapture`` with an open time limit and
  reconnect back-off (:class:`CaptureSource`), shared by cameras and any
  other live capture.
* ``camera``: :class:`CameraSource` (requested and granted :class:`CameraFormat`),
  :func:`list_cameras`, :class:`CameraInfo`.
* ``stream``: :class:`StreamSource` (RTSP, HTTP/MJPEG, HLS, GStreamer), and
  :func:`redact`, which keeps logins out of names and messages.
* ``video``: :class:`VideoSource` (files).
* ``images``: :class:`ImageSource` (one image, or a folder slideshow).
* ``playlist``: :class:`PlaylistSource` (photos and videos in turn: a folder or
  glob that holds videos).
* ``http``: :class:`UrlSource` (``http(s)://``: a photo or a stream, by what the
  server sends), :class:`MjpegCapture` (MJPEG parts, each capped before it is read).
* ``screen``: :class:`ScreenSource` (mss).
* ``demo``: :class:`DemoSource` (the bundled reel).
* ``spec``: the grammar: :func:`parse_source`, :class:`SourceSpec`, :class:`SourceKind`.
* ``factory``: :func:`make_source` / :func:`open_source`, the one place that
  turns a source string (through ``spec``) into a source.

Layering: this package sits above the foundation modules and imports only
``camviz.errors`` and ``camviz.imageio`` of camviz (plus OpenCV and numpy).
It is imported by the pipeline and everything above it (bench, teach, qt, cli),
always through this ``__init__`` (``from camviz.sources import ...``), which
re-exports every public name. Inside the package, modules import ``base``
(and ``capture``, ``video``, ``images``, ``stream``, ``spec``) only; ``factory``
alone imports every kind.
"""

from __future__ import annotations

from camviz.imageio import IMAGE_EXTENSIONS
from camviz.sources.base import Frame, Source, SourceState, StateCallback
from camviz.sources.camera import CameraFormat, CameraInfo, CameraSource, list_cameras
from camviz.sources.capture import CaptureFactory, CaptureLike, CaptureSource
from camviz.sources.demo import DemoSource, assets_dir, demo_reel_path
from camviz.sources.factory import RECONNECT_BUDGET_S, make_source, open_source, source_for
from camviz.sources.http import UrlSource
from camviz.sources.images import ImageSource
from camviz.sources.playlist import PlaylistSource
from camviz.sources.screen import ScreenSource
from camviz.sources.spec import (
    SOURCE_GRAMMAR,
    VIDEO_EXTENSIONS,
    Media,
    ScreenRegion,
    SourceKind,
    SourceSpec,
    parse_source,
)
from camviz.sources.stream import StreamSource, gstreamer_available, is_stream, redact
from camviz.sources.video import VideoSource

__all__ = [
    "IMAGE_EXTENSIONS",
    "RECONNECT_BUDGET_S",
    "SOURCE_GRAMMAR",
    "VIDEO_EXTENSIONS",
    "Media",
    "PlaylistSource",
    "ScreenRegion",
    "ScreenSource",
    "SourceKind",
    "SourceSpec",
    "UrlSource",
    "parse_source",
    "source_for",
    "CameraFormat",
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
    "StreamSource",
    "VideoSource",
    "assets_dir",
    "demo_reel_path",
    "gstreamer_available",
    "is_stream",
    "list_cameras",
    "make_source",
    "open_source",
    "redact",
]
