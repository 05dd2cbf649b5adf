"""The one source grammar: a source string to a typed :class:`SourceSpec`.

Every command and the window read a source string the same way
(:func:`parse_source`); :func:`source_for` (which :func:`camviz.sources.make_source`
calls) turns the spec into a :class:`~camviz.sources.Source`, and commands that
take files (classify, teach) ask the spec for its files (:meth:`SourceSpec.media`).
What a source can be is written once, in :data:`SOURCE_GRAMMAR` (``camviz --help``
prints it):

* ``demo``: the bundled reel;
* a camera index or device, optionally with a requested format: ``0``,
  ``/dev/video0``, ``0?width=1280&height=720&fps=30&fourcc=MJPG``;
* the screen: ``screen`` (the first monitor), ``screen:N`` (monitor N; 0 is all
  of them together), ``screen:X,Y,W,H`` (a region, in pixels);
* a URL: ``http(s)://`` links are decided by what the server sends (an image is
  one photo, ``multipart/x-mixed-replace`` an MJPEG stream, anything else is
  handed to FFmpeg), ``rtsp://``, ``rtmp://``, ``srt://``... are streams; or a
  GStreamer pipeline ending in ``appsink``;
* a file: a photo (by its extension: :data:`camviz.imageio.IMAGE_EXTENSIONS`) or
  a video (any other file);
* a folder: its photos and videos, recursively, sorted by path;
* a glob: ``'photos/*.jpg'``, ``'clips/**/*.mp4'`` (quote it from the shell);
* an OpenCV image sequence: ``img_%03d.jpg`` (the numbered files that exist).

A path that exists always wins over a reading as a URL, glob or sequence.

This module is the registration of every kind: its :class:`SourceKind`, its rule in
:func:`parse_source`, its line in :data:`SOURCE_GRAMMAR` and its branch in
:func:`source_for`. A kind's own module (``screen``, ``camera``, ...) holds its source
class and the parsing of its own string details (``screen.parse_screen``,
``camera.camera_spec``); ``factory`` builds on this module and knows no kind.
"""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Final
from urllib.parse import unquote, urlsplit

from camviz import limits
from camviz.errors import OptionsError, SourceOpenError
from camviz.imageio import IMAGE_EXTENSIONS, jpeg_structure
from camviz.sources.base import Source, StateCallback
from camviz.sources.camera import CameraFormat, CameraSource, camera_spec
from camviz.sources.demo import DEMO, DemoSource
from camviz.sources.http import UrlSource
from camviz.sources.images import ImageSource
from camviz.sources.playlist import PlaylistSource
from camviz.sources.screen import ScreenRegion, ScreenSource, parse_screen
from camviz.sources.stream import StreamSource, is_gstreamer_pipeline, is_stream, redact
from camviz.sources.video import VideoSource

__all__ = [
    "RECONNECT_BUDGET_S",
    "SOURCE_GRAMMAR",
    "VIDEO_EXTENSIONS",
    "Media",
    "ScreenRegion",
    "SourceKind",
    "SourceSpec",
    "holds_one_image",
    "parse_source",
    "source_for",
]

#: File extensions read as videos inside folders and globs (a file named on its own is a
#: video whatever its extension, unless it has a photo's or its bytes are one image:
#: :func:`holds_one_image`).
VIDEO_EXTENSIONS: Final = frozenset(
    {".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv", ".ts"}
    | {".3gp", ".ogv", ".mjpeg", ".mjpg", ".h264", ".y4m"}
)

#: What a source can be, in one paragraph per kind: ``camviz --help`` and the commands'
#: help print it, and the error for a source string that is none of them.
SOURCE_GRAMMAR: Final = """\
a SOURCE is one of:
  demo                      the bundled demo reel
  0, /dev/video0            a camera by index or device; a format may follow:
                            0?width=1280&height=720&fps=30&fourcc=MJPG
  screen, screen:N          the screen (monitor N; screen:0 is all monitors)
  screen:X,Y,W,H            a region of the screen, in pixels
  http(s)://host/...        a URL: a link to one image is one photo, an MJPEG or
                            other video stream is a stream (decided from what the
                            server sends, not from the name); rtsp://, rtmp://,
                            srt://, udp:// ... streams; a GStreamer pipeline
                            ending in '! appsink'
  photo.jpg, clip.mp4       a photo or a video file
  folder/                   every photo and video in it, recursively
  'photos/*.jpg', '**/*.mp4'  a glob (quote it from the shell)
  img_%03d.jpg              an image sequence (OpenCV's printf pattern)"""

#: The one-line reminder in errors (the full grammar is in ``camviz --help``).
_WHAT = (
    "give a file, a folder, a glob, an image sequence (img_%03d.jpg), a camera index or "
    "device, 'demo', 'screen', or a URL (camviz --help lists them)"
)
_SEQUENCE = re.compile(r"%(0?)(\d*)d")
_GLOB_CHARS = re.compile(r"[*?\[]")
_URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_STREAMS = ("rtsp", "rtmp", "srt", "udp", "tcp")
_SCREEN = re.compile(r"(?i)^screen(?::(.*))?$")


class SourceKind(Enum):
    """What a source string names."""

    DEMO = DEMO  # the one name: camviz.sources.demo.DEMO
    CAMERA = "camera"
    SCREEN = "screen"
    URL = "url"  # http(s): a photo or a stream, decided when it is opened
    STREAM = "stream"  # rtsp://, rtmp://, srt://, ... and GStreamer pipelines
    PHOTO = "photo"
    VIDEO = "video"
    FOLDER = "folder"
    GLOB = "glob"
    SEQUENCE = "sequence"

    @property
    def live(self) -> bool:
        """Frames that come as they happen (no end, no order to keep)."""
        return self in (SourceKind.CAMERA, SourceKind.SCREEN, SourceKind.STREAM)

    @property
    def files(self) -> bool:
        """Names files on disk (one or many)."""
        return self in _FILE_KINDS


_FILE_KINDS = frozenset(
    {SourceKind.PHOTO, SourceKind.VIDEO, SourceKind.FOLDER, SourceKind.GLOB, SourceKind.SEQUENCE}
)


@dataclass(frozen=True, slots=True)
class Media:
    """The files a file-kind spec names, sorted: photos and videos."""

    photos: tuple[Path, ...]
    videos: tuple[Path, ...]

    @property
    def files(self) -> tuple[Path, ...]:
        return tuple(sorted((*self.photos, *self.videos), key=str))


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """A parsed source string. ``text`` is what was given (kept for messages, redacted
    by :attr:`label`); the other fields are filled for the kinds they belong to."""

    kind: SourceKind
    text: str
    path: Path | None = None  # PHOTO, VIDEO, FOLDER
    camera: int | str | None = None  # CAMERA: index or device
    camera_format: CameraFormat = field(default_factory=CameraFormat)
    screen: ScreenRegion | None = None
    url: str | None = None  # URL, STREAM

    @property
    def label(self) -> str:
        """The source as it may be shown: logins and secrets of URLs replaced by ``***``."""
        return redact(self.text)

    def media(self) -> Media:
        """The photos and videos of a file-kind spec (a folder recursively; a glob's or
        sequence's matches), sorted. :class:`SourceOpenError` when there are none, or
        for a kind that names no files."""
        if self.kind is SourceKind.PHOTO and self.path is not None:
            return Media((self.path,), ())
        if self.kind is SourceKind.VIDEO and self.path is not None:
            return Media((), (self.path,))
        if self.kind is SourceKind.FOLDER and self.path is not None:
            found = _split(_walk(self.path))
            if not found.files:
                raise SourceOpenError(
                    f"folder {self.label} holds no photos ({_exts(IMAGE_EXTENSIONS)}) "
                    f"or videos ({_exts(VIDEO_EXTENSIONS)})"
                )
            return found
        if self.kind is SourceKind.GLOB:
            matches = sorted(
                Path(p) for p in glob.glob(os.path.expanduser(self.text), recursive=True)
            )
            found = _split(p for p in matches if p.is_file())
            if not found.files:
                raise SourceOpenError(
                    f"no photo or video matches {self.label} (check the pattern; quote it "
                    "so that the shell does not expand it)"
                )
            return found
        if self.kind is SourceKind.SEQUENCE:
            files = _sequence(self.text)
            if not files:
                raise SourceOpenError(
                    f"no file of the image sequence {self.label} exists (a sequence names "
                    "numbered files, e.g. img_%03d.jpg for img_000.jpg, img_001.jpg, ...)"
                )
            return Media(tuple(files), ())
        raise SourceOpenError(f"{self.label} ({self.kind.value}) names no files")

    def require(
        self, kinds: frozenset[SourceKind] | set[SourceKind], command: str, takes: str = ""
    ) -> None:
        """:class:`OptionsError` unless this spec is of one of ``kinds``, saying what
        ``command`` takes (``takes``, or the kinds' names)."""
        if self.kind in kinds:
            return
        takes = takes or ", ".join(f"a {k.value}" for k in SourceKind if k in kinds)
        raise OptionsError(
            f"{command} cannot use {self.label}, a {self.kind.value}: it takes {takes}"
        )


def _exts(extensions: frozenset[str]) -> str:
    return ", ".join(sorted(e[1:] for e in extensions))


def _walk(root: Path) -> list[Path]:
    """Regular files under ``root``, recursively (links to folders followed once)."""
    found: list[Path] = []
    seen: set[tuple[int, int]] = set()
    for folder, dirs, files in os.walk(root, followlinks=True):
        try:
            st = os.stat(folder)
        except OSError:
            dirs[:] = []
            continue
        if (st.st_dev, st.st_ino) in seen:
            dirs[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        dirs.sort()
        for name in files:
            path = Path(folder, name)
            if path.suffix.lower() in IMAGE_EXTENSIONS | VIDEO_EXTENSIONS and path.is_file():
                found.append(path)
    return sorted(found, key=str)


def _split(paths: object) -> Media:
    photos: list[Path] = []
    videos: list[Path] = []
    for path in paths:  # type: ignore[attr-defined]
        suffix = path.suffix.lower()
        if suffix in IMAGE_EXTENSIONS:
            photos.append(path)
        elif suffix in VIDEO_EXTENSIONS:
            (photos if holds_one_image(path) else videos).append(path)
    return Media(tuple(sorted(photos, key=str)), tuple(sorted(videos, key=str)))


def _sequence(pattern: str) -> list[Path]:
    """The files of an OpenCV image sequence that exist, by number."""
    path = Path(pattern).expanduser()
    match = _SEQUENCE.search(path.name)
    if match is None:
        return []
    head, tail = path.name[: match.start()], path.name[match.end() :]
    width = int(match.group(2)) if match.group(2) else 0
    folder = path.parent
    if not folder.is_dir():
        return []
    numbered = re.compile(
        re.escape(head) + (rf"(\d{{{width},}})" if width else r"(\d+)") + re.escape(tail) + "$"
    )
    found: list[tuple[int, Path]] = []
    for entry in folder.iterdir():
        hit = numbered.match(entry.name)
        if hit is not None and entry.is_file():
            found.append((int(hit.group(1)), entry))
    return [p for _, p in sorted(found)]


def parse_source(text: str | Path | int, *, missing_ok: bool = False) -> SourceSpec:
    """The :class:`SourceSpec` of a source string (see the module and :data:`SOURCE_GRAMMAR`).

    Raises :class:`SourceOpenError` for a string that is no source, naming what a
    source can be, or for a malformed camera or screen string. ``missing_ok``: a
    string that is no other kind is a path that does not exist (yet), a PHOTO or
    VIDEO spec by its extension, for the reader to report (classify does).
    """
    if isinstance(text, int):
        return SourceSpec(SourceKind.CAMERA, str(text), camera=text)
    if isinstance(text, Path):  # always a file or folder
        path = text.expanduser()
        if not (path.exists() or path.is_symlink() or missing_ok):
            raise SourceOpenError(f"{redact(str(text))} not found: {_WHAT}")
        return _path_spec(str(text), path)
    raw = text.strip()
    if not raw:
        raise SourceOpenError(f"no source given: {_WHAT}")
    if raw.lower() == DEMO:
        return SourceSpec(SourceKind.DEMO, raw)
    if (screen := _SCREEN.match(raw)) is not None and not Path(raw).exists():
        return SourceSpec(SourceKind.SCREEN, raw, screen=parse_screen(raw, screen.group(1)))
    if (camera := camera_spec(raw)) is not None:
        target, asked = camera
        return SourceSpec(SourceKind.CAMERA, raw, camera=target, camera_format=asked)
    path = Path(raw).expanduser()
    if path.exists() or path.is_symlink():
        return _path_spec(raw, path)
    if is_stream(raw):
        scheme = raw.partition("://")[0].lower()
        if scheme in ("http", "https") and not is_gstreamer_pipeline(raw):
            return SourceSpec(SourceKind.URL, raw, url=raw)
        return SourceSpec(SourceKind.STREAM, raw, url=raw)
    if raw.lower().startswith("file://"):  # a local file as a browser names it
        local = Path(unquote(urlsplit(raw).path))
        if local.exists() or local.is_symlink() or missing_ok:
            return _path_spec(str(local), local)
        raise SourceOpenError(f"{redact(raw)} not found: {_WHAT}")
    if (other := _URL_SCHEME.match(raw)) is not None:  # ftp://, s3://...
        raise SourceOpenError(
            f"{redact(raw)}: camviz does not read {other.group(1).lower()}:// links; give an "
            f"http(s) link, a stream ({', '.join(s + '://' for s in _STREAMS)}), or a local "
            "file or folder"
        )
    if _SEQUENCE.search(path.name):
        return SourceSpec(SourceKind.SEQUENCE, raw)
    if _GLOB_CHARS.search(raw):
        return SourceSpec(SourceKind.GLOB, raw)
    if missing_ok:
        return _path_spec(raw, path)
    raise SourceOpenError(f"{redact(raw)} not found, and it is no other kind of source: {_WHAT}")


def _path_spec(text: str, path: Path) -> SourceSpec:
    if path.is_dir():
        return SourceSpec(SourceKind.FOLDER, text, path=path)
    if path.suffix.lower() in IMAGE_EXTENSIONS or holds_one_image(path):
        return SourceSpec(SourceKind.PHOTO, text, path=path)
    return SourceSpec(SourceKind.VIDEO, text, path=path)


#: The first bytes of the still-image formats OpenCV decodes (GIF is left to its name: an
#: animated one is a video to FFmpeg).
_IMAGE_MAGIC: Final = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"BM", b"II*\x00", b"MM\x00*")


_FIRST_READ: Final = 1 << 20


def holds_one_image(path: Path) -> bool:
    """Whether a regular file without a photo's extension holds one still image (a JPEG
    saved as ``.mp4`` or ``.mjpg``, a PNG without an extension: what phones and
    downloads make). Read by its bytes, as a URL is by what the server sends: a JPEG is
    one photo unless another JPEG follows its end (an MJPEG file); special files are
    never read (a FIFO would block)."""
    try:
        if not path.is_file():
            return False
        with path.open("rb") as file:
            head = file.read(16)
            webp = head[:4] == b"RIFF" and head[8:12] == b"WEBP"
            if not (head.startswith(_IMAGE_MAGIC) or webp):
                return False
            if not head.startswith(b"\xff\xd8\xff"):
                return True
            data = head + file.read(_FIRST_READ)  # an MJPEG file's first frame ends early
            walked = jpeg_structure(data)
            if walked is None and len(data) > _FIRST_READ:  # a large photo: read it all
                data += file.read(limits.MAX_IMAGE_BYTES)
                walked = jpeg_structure(data)
    except OSError:
        return False
    if walked is None:
        return True  # cut short: a photo, whose reader says it is truncated
    end = walked[0]
    return b"\xff\xd8\xff" not in data[end : end + 64]  # a second frame: MJPEG


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
