"""From a source string to a source: :func:`make_source` and :func:`open_source`.

The one place that knows every kind of source. The string is read by
:func:`camviz.sources.spec.parse_source` (the grammar); here each
:class:`~camviz.sources.spec.SourceKind` gets its class. A new kind is a module
of its own, a kind in the grammar and one branch in :func:`source_for`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from camviz.errors import SourceOpenError
from camviz.sources.base import Source, StateCallback
from camviz.sources.camera import CameraSource
from camviz.sources.demo import DemoSource
from camviz.sources.http import UrlSource
from camviz.sources.images import ImageSource
from camviz.sources.playlist import PlaylistSource
from camviz.sources.screen import ScreenSource
from camviz.sources.spec import SourceKind, SourceSpec, parse_source
from camviz.sources.stream import StreamSource
from camviz.sources.video import VideoSource

__all__ = ["RECONNECT_BUDGET_S", "make_source", "open_source", "source_for"]

#: Seconds a lost stream or camera is retried before the source fails (headless commands
#: end with its error); the window passes ``reconnect_timeout=None``: retry until closed.
RECONNECT_BUDGET_S: Final = 10.0


def source_for(
    spec: SourceSpec,
    *,
    pace: bool = True,
    loop: bool = False,
    camera_size: tuple[int, int] | None = None,
    camera_fps: float | None = None,
    camera_fourcc: str | None = None,
    on_state: StateCallback | None = None,
    reconnect_timeout: float | None = RECONNECT_BUDGET_S,
) -> Source:
    """The source of a parsed ``spec``, not yet opened."""
    kind = spec.kind
    if kind is SourceKind.DEMO:
        return DemoSource(pace=pace, on_state=on_state)
    if kind is SourceKind.CAMERA:
        assert spec.camera is not None
        asked = spec.camera_format  # options in the string win over the keywords
        return CameraSource(
            spec.camera,
            size=asked.size or camera_size,
            fps=asked.fps or camera_fps,
            fourcc=asked.fourcc or camera_fourcc,
            on_state=on_state,
            reconnect_timeout=reconnect_timeout,
        )
    if kind is SourceKind.SCREEN:
        return ScreenSource(spec.screen, on_state=on_state)
    if kind is SourceKind.URL:
        assert spec.url is not None
        return UrlSource(
            spec.url, pace=pace, loop=loop, on_state=on_state, reconnect_timeout=reconnect_timeout
        )
    if kind is SourceKind.STREAM:
        assert spec.url is not None
        return StreamSource(spec.url, on_state=on_state, reconnect_timeout=reconnect_timeout)
    if kind is SourceKind.PHOTO:
        assert spec.path is not None
        return ImageSource(spec.path, pace=pace, loop=loop, on_state=on_state)
    if kind is SourceKind.VIDEO:
        assert spec.path is not None
        return VideoSource(spec.path, pace=pace, loop=loop, on_state=on_state)
    media = spec.media()
    if not media.videos:  # photos only: a slideshow that steps
        if kind is SourceKind.FOLDER and spec.path is not None:
            return ImageSource(spec.path, pace=pace, loop=loop, on_state=on_state)
        return ImageSource(media.photos, pace=pace, loop=loop, on_state=on_state)
    if kind is SourceKind.FOLDER or kind is SourceKind.GLOB:
        return PlaylistSource(media.files, name=spec.label, pace=pace, loop=loop, on_state=on_state)
    raise SourceOpenError(f"{spec.label}: no source for a {kind.value}")  # pragma: no cover


def make_source(
    spec: str | Path | int | SourceSpec,
    *,
    pace: bool = True,
    loop: bool = False,
    camera_size: tuple[int, int] | None = None,
    camera_fps: float | None = None,
    camera_fourcc: str | None = None,
    on_state: StateCallback | None = None,
    reconnect_timeout: float | None = RECONNECT_BUDGET_S,
) -> Source:
    """The source ``spec`` names, not yet opened (see :func:`open_source`)."""
    parsed = spec if isinstance(spec, SourceSpec) else parse_source(spec)
    return source_for(
        parsed,
        pace=pace,
        loop=loop,
        camera_size=camera_size,
        camera_fps=camera_fps,
        camera_fourcc=camera_fourcc,
        on_state=on_state,
        reconnect_timeout=reconnect_timeout,
    )


def open_source(
    spec: str | Path | int | SourceSpec,
    *,
    pace: bool = True,
    loop: bool = False,
    camera_size: tuple[int, int] | None = None,
    camera_fps: float | None = None,
    camera_fourcc: str | None = None,
    on_state: StateCallback | None = None,
    reconnect_timeout: float | None = RECONNECT_BUDGET_S,
) -> Source:
    """Make and open the source ``spec`` names.

    ``spec``: any source string of the grammar (:data:`camviz.sources.SOURCE_GRAMMAR`:
    ``"demo"``, a camera index or device with options, ``"screen"``, a URL, a file,
    a folder, a glob, an image sequence), an int (a camera index), a Path, or a
    parsed :class:`SourceSpec`. ``pace`` and ``loop`` apply to files and photo URLs;
    ``camera_size`` ``(w, h)``, ``camera_fps`` and ``camera_fourcc`` to cameras
    (options in the camera string win); ``reconnect_timeout`` to cameras and
    streams: seconds a lost one is retried before it fails (None: until closed).
    Raises :class:`CameraNotFoundError` or :class:`SourceOpenError` naming the source.
    """
    source = make_source(
        spec,
        pace=pace,
        loop=loop,
        camera_size=camera_size,
        camera_fps=camera_fps,
        camera_fourcc=camera_fourcc,
        on_state=on_state,
        reconnect_timeout=reconnect_timeout,
    )
    source.open()
    return source
