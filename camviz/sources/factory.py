"""From a source string to a source: :func:`make_source` and :func:`open_source`.

The one place that knows every kind of source. A new kind is a module of its
own plus one line in :func:`make_source`, before the path fallback.
"""

from __future__ import annotations

from pathlib import Path

from camviz.errors import SourceOpenError
from camviz.imageio import IMAGE_EXTENSIONS
from camviz.sources.base import Source, StateCallback
from camviz.sources.camera import CameraSource, camera_spec
from camviz.sources.demo import DEMO, DemoSource
from camviz.sources.images import ImageSource
from camviz.sources.stream import StreamSource, is_stream, redact
from camviz.sources.video import VideoSource

__all__ = ["make_source", "open_source"]


def make_source(
    spec: str | Path | int,
    *,
    pace: bool = True,
    loop: bool = False,
    camera_size: tuple[int, int] | None = None,
    camera_fps: float | None = None,
    camera_fourcc: str | None = None,
    on_state: StateCallback | None = None,
) -> Source:
    """The source ``spec`` names, not yet opened (see :func:`open_source`)."""
    if isinstance(spec, int):
        return CameraSource(
            spec, size=camera_size, fps=camera_fps, fourcc=camera_fourcc, on_state=on_state
        )
    text = str(spec).strip()
    if isinstance(spec, str):  # a Path is always a file or folder
        if text.lower() == DEMO:
            return DemoSource(pace=pace, on_state=on_state)
        if (camera := camera_spec(text)) is not None:
            target, asked = camera  # options in the string win over the keywords
            return CameraSource(
                target,
                size=asked.size or camera_size,
                fps=asked.fps or camera_fps,
                fourcc=asked.fourcc or camera_fourcc,
                on_state=on_state,
            )
        if is_stream(text) and not Path(text).exists():
            return StreamSource(text, on_state=on_state)
    path = Path(text).expanduser()
    if not path.exists():
        raise SourceOpenError(
            f"{redact(text)} not found: give a camera index, 'demo', a video file, an image, "
            "a folder of images, an rtsp:// or http(s):// stream URL, or a GStreamer "
            "pipeline ending in appsink"
        )
    if path.is_dir() or path.suffix.lower() in IMAGE_EXTENSIONS:
        return ImageSource(path, pace=pace, loop=loop, on_state=on_state)
    return VideoSource(path, pace=pace, loop=loop, on_state=on_state)


def open_source(
    spec: str | Path | int,
    *,
    pace: bool = True,
    loop: bool = False,
    camera_size: tuple[int, int] | None = None,
    camera_fps: float | None = None,
    camera_fourcc: str | None = None,
    on_state: StateCallback | None = None,
) -> Source:
    """Make and open the source ``spec`` names.

    ``spec``: ``"demo"`` (the bundled reel, always looped); an int or a
    digit string (camera index); ``"/dev/video*"`` (camera device), either one
    with options (``"0?width=1280&height=720&fps=30&fourcc=MJPG"``, see
    :mod:`camviz.sources.camera`); a stream URL (``rtsp://``, ``rtsps://``,
    ``http(s)://`` ...) or a GStreamer pipeline ending in ``appsink``
    (:class:`StreamSource`); a folder or a file with an image extension
    (:class:`ImageSource`); any other file (video). ``pace`` and ``loop`` apply
    to files; ``camera_size`` ``(w, h)``, ``camera_fps`` and ``camera_fourcc`` to
    cameras (options in the camera string win). Raises
    :class:`CameraNotFoundError` or :class:`SourceOpenError` naming the source.
    """
    source = make_source(
        spec,
        pace=pace,
        loop=loop,
        camera_size=camera_size,
        camera_fps=camera_fps,
        camera_fourcc=camera_fourcc,
        on_state=on_state,
    )
    source.open()
    return source
