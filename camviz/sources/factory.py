"""From a source string to a source: :func:`make_source` and :func:`open_source`.

Kind-agnostic: the string is read by :func:`camviz.sources.spec.parse_source` and
built by :func:`camviz.sources.spec.source_for` (the grammar, the one place that knows
every kind of source). A new kind is a module of its own and its entry in the grammar.
"""

from __future__ import annotations

from pathlib import Path

from camviz.sources.base import Source, StateCallback
from camviz.sources.spec import RECONNECT_BUDGET_S, SourceSpec, parse_source, source_for

__all__ = ["RECONNECT_BUDGET_S", "make_source", "open_source", "source_for"]


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
