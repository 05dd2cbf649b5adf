"""``http(s)://`` sources, decided by what the server sends: :class:`UrlSource`.

When it opens, :class:`UrlSource` asks the server (:func:`probe_url`) and looks at
the answer, never at the URL's name:

* an image (``Content-Type: image/*``, or JPEG/PNG/WebP/BMP bytes under another
  type): one photo, read at most :data:`camviz.limits.MAX_IMAGE_BYTES` (a larger
  declared ``Content-Length`` is refused before a byte of the body is read) and
  shown like a photo file: once when unpaced (classify gives one result and ends),
  repeated as a slideshow frame when paced;
* ``multipart/x-mixed-replace`` (MJPEG, as phone webcam apps and ESP32 cameras
  serve it): read here, part by part (:class:`MjpegCapture`), each part capped
  like a photo before it is read: a part declaring 10 GB is refused at its header.
  The closing boundary (``--boundary--``, RFC 2046) is the end of the stream: the
  source ends (unless ``loop``: then it is asked again), whatever the server does
  after it (an epilogue, the last chunk of a chunked body, keeping the connection);
* a document (``text/*``: a web page, plain text; JSON, XML, JavaScript): refused
  with a :class:`SourceOpenError` saying what the server sent, unless it is an HLS
  or DASH playlist under a text type (then a stream);
* anything else: a video stream for FFmpeg (:class:`~camviz.sources.StreamSource`).

Streams reconnect like every live capture, within ``reconnect_timeout`` seconds
(``None``: for ever, as the window does): a connection that closes without the
closing boundary is a drop, as cameras drop. Frames carry ``position_ms``: the
time since the stream's first frame.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import re
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from enum import Enum
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import cv2
import numpy as np

from camviz import limits
from camviz.defaults import OPEN_TIMEOUT_S
from camviz.errors import ImageTooLargeError, SourceError, SourceOpenError
from camviz.imageio import check_image_limits, decode_image
from camviz.sources.base import Frame, Pacer, Source, SourceState, StateCallback
from camviz.sources.capture import CaptureLike
from camviz.sources.stream import StreamSource, redact

__all__ = ["MjpegCapture", "Probe", "UrlKind", "UrlSource", "probe_url"]

#: The longest header line, and the most header lines, of an MJPEG part.
_MAX_LINE = 8192
_MAX_HEADERS = 64
#: Consecutive parts that do not decode before the stream counts as broken.
_MAX_BAD_PARTS = 50
_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"BM")
#: Content-Types that are documents, never an image or a video stream (with ``text/*``
#: and ``application/*+json``). ``application/*+xml`` is not refused: MPEG-DASH's
#: manifest is ``application/dash+xml``.
_DOCUMENT_TYPES = (
    "application/json",
    "application/xml",
    "application/xhtml+xml",
    "application/javascript",
    "application/x-javascript",
    "application/ecmascript",
)
_WEB_PAGE_TYPES = ("text/html", "application/xhtml+xml")
#: Bytes of a document's head looked at for a playlist served under a text type.
_SNIFF_BYTES = 1024
_LIMIT_HINT = "set CAMVIZ_MAX_IMAGE_MB to allow more"
#: What :meth:`MjpegCapture._delimiter` finds: a boundary between parts, the closing one.
_PART, _CLOSE = 1, 2


class UrlKind(Enum):
    PHOTO = "photo"
    MJPEG = "mjpeg"
    STREAM = "stream"  # for FFmpeg


@dataclass
class Probe:
    """What the server sent: its kind, its Content-Type, and for a photo its bytes; for
    MJPEG the open response (handed to the first :class:`MjpegCapture`) and boundary."""

    kind: UrlKind
    content_type: str
    body: bytes = b""
    response: Any = None
    boundary: bytes = b""
    declared: int | None = None  # Content-Length: a file of that length, not a live stream


def _request(url: str) -> urllib.request.Request:
    """A request for ``url`` with its login (``user:password@``) as Basic auth."""
    parts = urlsplit(url)
    headers = {"User-Agent": "camviz", "Accept": "*/*"}
    if parts.username is not None:
        login = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        headers["Authorization"] = "Basic " + base64.b64encode(login.encode()).decode()
        host = parts.hostname or ""
        netloc = f"[{host}]" if ":" in host else host
        if parts.port:
            netloc += f":{parts.port}"
        url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    return urllib.request.Request(url, headers=headers)


def _open(url: str, timeout: float) -> Any:
    label = redact(url)
    try:
        return urllib.request.urlopen(_request(url), timeout=timeout)
    except urllib.error.HTTPError as exc:
        raise SourceOpenError(f"{label}: the server answered {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, ConnectionRefusedError):
            why = "connection refused: is the server running, and is the port right?"
        elif isinstance(reason, socket.gaierror):
            why = "host not found (check the address, or the DNS)"
        elif isinstance(reason, TimeoutError | socket.timeout):
            why = f"no answer within {timeout:g} s"
        else:
            why = str(getattr(reason, "strerror", None) or reason)
        raise SourceOpenError(f"cannot open {label}: {why}") from None
    except (TimeoutError, OSError, http.client.HTTPException, ValueError) as exc:
        raise SourceOpenError(f"cannot open {label}: {exc or type(exc).__name__}") from None


def _boundary(content_type: str) -> bytes:
    match = re.search(r'(?i)boundary="?([^";,]+)"?', content_type)
    text = match.group(1).strip() if match else ""
    return text.removeprefix("--").encode("latin-1", "replace")


def _read_capped(response: Any, declared: int | None, name: str) -> bytes:
    """At most MAX_IMAGE_BYTES of ``response``: a larger declared length is refused
    before a byte is read, a longer body when it passes the limit."""
    cap = limits.MAX_IMAGE_BYTES
    if declared is not None and declared > cap:
        raise ImageTooLargeError(
            f"{name} declares {declared} bytes, over camviz's limit of {cap} bytes for a "
            f"photo; it was not read ({_LIMIT_HINT})"
        )
    data = response.read(cap + 1)
    if len(data) > cap:
        raise ImageTooLargeError(
            f"{name} is over camviz's limit of {cap} bytes for a photo; it was not "
            f"decoded ({_LIMIT_HINT})"
        )
    return bytes(data)


def _declared_length(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip()
    return int(value) if value.isascii() and value.isdigit() else None


def _decode_part(data: bytes) -> Any:
    """A part's image, or None when it is not one: an empty part (a Content-Length of
    -5 or of Unicode digits read as no length, then the next boundary at once) makes
    OpenCV's imdecode raise instead of answering None."""
    if not data:
        return None
    try:
        return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    except cv2.error:
        return None


def _is_document(major: str) -> bool:
    return major.startswith("text/") or major.endswith("+json") or major in _DOCUMENT_TYPES


def _is_playlist(head: bytes) -> bool:
    """Whether a document's first bytes are an HLS (``#EXTM3U``) or DASH (``<MPD``)
    playlist, as servers that do not know the type send them (``text/plain``)."""
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    return text.startswith(b"#EXTM3U") or b"<MPD" in head


def _not_media(name: str, major: str) -> SourceOpenError:
    what = f"a web page ({major})" if major in _WEB_PAGE_TYPES else major
    return SourceOpenError(
        f"{name}: the server sent {what}, not an image or a video stream: give the link "
        "of the image or of the stream itself (in a browser, right-click the picture or "
        "the video and copy its address)"
    )


def probe_url(url: str, timeout: float = OPEN_TIMEOUT_S) -> Probe:
    """Ask the server for ``url`` and tell a photo from a stream by what it sends.

    :class:`SourceOpenError` when it cannot be reached, answers an HTTP error or sends
    a document (a web page, text, JSON); :class:`ImageTooLargeError` for a photo over
    the limit.
    """
    name = redact(url)
    response = _open(url, timeout)
    content_type = response.headers.get("Content-Type", "") or ""
    major = content_type.split(";")[0].strip().lower()
    if major.startswith("multipart/"):
        return Probe(
            UrlKind.MJPEG, content_type, response=response, boundary=_boundary(content_type)
        )
    try:
        declared = _declared_length(response.headers.get("Content-Length"))
        if "mpegurl" in major:  # HLS: a playlist of a live or finite stream
            return Probe(UrlKind.STREAM, content_type)
        if major.startswith(("video/", "audio/")):
            return Probe(UrlKind.STREAM, content_type, declared=declared)
        if major.startswith("image/"):
            return Probe(UrlKind.PHOTO, content_type, _read_capped(response, declared, name))
        head = response.read(16)
        if head.startswith(_IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
            rest = _read_capped(response, None if declared is None else declared - len(head), name)
            return Probe(UrlKind.PHOTO, content_type, head + rest)
        if _is_document(major):
            head += response.read(_SNIFF_BYTES - len(head))
            if not _is_playlist(head):
                raise _not_media(name, major)
        return Probe(UrlKind.STREAM, content_type, declared=declared)
    except (TimeoutError, OSError, http.client.HTTPException) as exc:
        raise SourceOpenError(f"{name}: the server stopped sending ({exc})") from None
    finally:
        response.close()


class MjpegCapture:
    """An MJPEG (``multipart/x-mixed-replace``) response as a ``cv2.VideoCapture``-like
    object for :class:`~camviz.sources.CaptureSource`: ``read()`` gives the next part
    decoded (BGR), ``(False, None)`` when the connection drops or stalls (the source
    reconnects) or after the closing boundary (:attr:`ended`: the source ends), and
    raises :class:`SourceError` for a part over the size limit."""

    def __init__(self, url: str, timeout: float, probe: Probe | None = None) -> None:
        self.name = f"stream {redact(url)}"
        if probe is None:
            probe = Probe(UrlKind.MJPEG, "")
            response = _open(url, timeout)
            content_type = response.headers.get("Content-Type", "") or ""
            if not content_type.lower().startswith("multipart/"):
                response.close()
                raise SourceOpenError(
                    f"{self.name} no longer serves MJPEG (Content-Type {content_type!r})"
                )
            probe = Probe(UrlKind.MJPEG, content_type, response=response)
            probe.boundary = _boundary(content_type)
        self._response: Any = probe.response
        self._boundary = probe.boundary
        self._width = 0.0
        self._height = 0.0
        self._bad = 0
        self._frames = 0
        self._first: bytes | None = None  # with no boundary declared: the first one seen
        #: The server sent the closing boundary: the stream is over, not dropped.
        self.ended = False

    # -- CaptureLike
    def isOpened(self) -> bool:  # OpenCV's name
        return self._response is not None

    def set(self, prop_id: int, value: float) -> bool:
        return False

    def get(self, prop_id: int) -> float:
        if prop_id == cv2.CAP_PROP_FRAME_WIDTH:
            return self._width
        if prop_id == cv2.CAP_PROP_FRAME_HEIGHT:
            return self._height
        return 0.0

    def release(self) -> None:
        response, self._response = self._response, None
        if response is not None:
            with contextlib.suppress(Exception):
                response.close()

    def read(self) -> tuple[bool, Any]:
        while self._response is not None:
            try:
                data = self._part()
            except (TimeoutError, OSError, http.client.HTTPException, ValueError):
                data = None
            if data is None:
                self.release()
                if self.ended and not self._frames:
                    raise SourceError(f"{self.name} ended before its first frame")
                return False, None
            check_image_limits(data, f"{self.name}: a part")
            image = _decode_part(data)
            if image is None:
                self._bad += 1
                if self._bad >= _MAX_BAD_PARTS:
                    raise SourceError(f"{self.name}: {self._bad} parts in a row are not images")
                continue
            self._bad = 0
            self._frames += 1
            self._height, self._width = float(image.shape[0]), float(image.shape[1])
            return True, image
        return False, None

    # -- the multipart body
    def _line(self) -> bytes | None:
        line = self._response.readline(_MAX_LINE + 1)
        if not line:
            return None
        if len(line) > _MAX_LINE:
            raise SourceError(f"{self.name}: a part header line is over {_MAX_LINE} bytes")
        return bytes(line)

    def _delimiter(self, line: bytes) -> int:
        """_CLOSE for the closing boundary (``--boundary--``), _PART for another
        boundary line, 0 for any other line. Lenient about the hyphens a server puts
        around the boundary it declared (``--boundary`` and ``----boundary`` when it
        declared ``--boundary``); closing takes two more at the end than it declared."""
        text = line.strip()  # and the white space RFC 2046 lets follow a boundary
        if not text.startswith(b"--"):
            return 0
        core = self._boundary.strip(b"-")
        if not core:  # none declared: every "--" line; closing, the first one seen + "--"
            if self._first is None:
                self._first = text
            return _CLOSE if text == self._first + b"--" else _PART
        if text.strip(b"-") != core:
            return 0
        tail = len(text) - len(text.rstrip(b"-"))
        own = len(self._boundary) - len(self._boundary.rstrip(b"-"))
        return _CLOSE if tail >= own + 2 else _PART

    def _part(self) -> bytes | None:
        """The body of the next part, or None at the end of the response (:attr:`ended`
        set when that end is the closing boundary: what follows it is not read)."""
        if self.ended:
            return None
        headers: dict[str, str] = {}
        skipped = 0
        while True:  # up to the part's headers: the boundary, or headers right away
            line = self._line()
            if line is None:
                return None
            delimiter = self._delimiter(line)
            if delimiter == _CLOSE:
                self.ended = True
                return None
            if delimiter or not line.strip():
                skipped += len(line)
                if skipped > limits.MAX_IMAGE_BYTES:
                    raise SourceError(f"{self.name}: no part within {skipped} bytes")
                continue
            break
        for _ in range(_MAX_HEADERS):
            if not line.strip():
                break
            key, _, value = line.decode("latin-1").partition(":")
            headers[key.strip().lower()] = value.strip()
            line = self._line()
            if line is None:
                return None
        else:
            raise SourceError(f"{self.name}: a part has more than {_MAX_HEADERS} header lines")
        declared = _declared_length(headers.get("content-length"))
        cap = limits.MAX_IMAGE_BYTES
        if declared is not None:
            if declared > cap:
                raise SourceError(
                    f"{self.name}: a part declares {declared} bytes, over camviz's limit of "
                    f"{cap} bytes a frame; it was not read ({_LIMIT_HINT})"
                )
            data = self._response.read(declared)
            return bytes(data) if len(data) == declared else None
        body = bytearray()  # no length: up to the next boundary
        while True:
            line = self._response.readline(65536)
            if not line:
                return None
            if delimiter := self._delimiter(line):
                self.ended = delimiter == _CLOSE
                return bytes(body).removesuffix(b"\r\n").removesuffix(b"\n")
            body += line
            if len(body) > cap:
                raise SourceError(
                    f"{self.name}: a part is over camviz's limit of {cap} bytes a frame "
                    f"({_LIMIT_HINT})"
                )


class _MjpegStream(StreamSource):
    """An MJPEG stream: a read that fails after the server's closing boundary is its end
    (ENDED), unless ``loop`` (then it is asked again, as a dropped stream is)."""

    def __init__(self, url: str, *, loop: bool, **kwargs: Any) -> None:
        super().__init__(url, **kwargs)
        self.loop = loop

    def _ran_out(self) -> bool:
        cap = self._cap
        if isinstance(cap, MjpegCapture) and cap.ended and not self.loop:
            self.finite = True  # the server said that part was the last: a finite stream
        return super()._ran_out()


class UrlSource(Source):
    """An ``http(s)://`` URL: one photo or a stream, as the server's answer says.

    ``pace``/``loop``/``fps``/``interval`` apply to a photo as to
    :class:`~camviz.sources.ImageSource`; ``reconnect_timeout`` and the timeouts to
    a stream as to :class:`~camviz.sources.StreamSource`. :attr:`kind` is None
    until it is open. Live until it turns out to be a photo (the pipeline picks its
    backpressure before opening; a photo repeated as the latest frame loses nothing).
    """

    is_live = True

    def __init__(
        self,
        url: str,
        *,
        pace: bool = True,
        loop: bool = False,
        fps: float = 15.0,
        interval: float = 3.0,
        on_state: StateCallback | None = None,
        open_timeout: float = OPEN_TIMEOUT_S,
        read_timeout: float = 5.0,
        reconnect_timeout: float | None = None,
    ) -> None:
        self.url = url.strip()
        super().__init__(f"URL {redact(self.url)}", on_state=on_state)
        self.pace, self.loop, self.fps, self.interval = pace, loop, fps, interval
        self.open_timeout = open_timeout
        self.read_timeout = read_timeout
        self.reconnect_timeout = reconnect_timeout
        self.kind: UrlKind | None = None
        self._inner: Source | None = None
        self._image: np.ndarray | None = None
        self._repeat = max(1, round(interval * fps)) if pace else 1
        self._shown = 0
        self._pacer = Pacer(fps, self._closed) if pace else None

    def _forward(self, state: SourceState, message: str) -> None:
        self._set_state(state, message)

    def _open(self) -> None:
        probe = probe_url(self.url, self.open_timeout)
        self.kind = probe.kind
        if probe.kind is UrlKind.PHOTO:
            image = decode_image(probe.body, redact(self.url))
            image.flags.writeable = False
            self._image = image
            self.is_live = False
            height, width = image.shape[:2]
            self.name = f"photo {redact(self.url)} ({width}x{height})"
            self.nominal_fps = self.fps if self.pace else None
            return
        inner: StreamSource
        if probe.kind is UrlKind.MJPEG:
            first: list[Probe] = [probe]

            def factory(target: int | str) -> CaptureLike:
                given = first.pop() if first else None
                return MjpegCapture(str(target), self.read_timeout, given)

            inner = _MjpegStream(
                self.url,
                loop=self.loop,
                capture_factory=factory,
                open_timeout=self.open_timeout,
                read_timeout=self.read_timeout,
                reconnect_timeout=self.reconnect_timeout,
            )
        else:
            inner = StreamSource(
                self.url,
                open_timeout=self.open_timeout,
                read_timeout=self.read_timeout,
                reconnect_timeout=self.reconnect_timeout,
                finite=probe.declared is not None and not self.loop,  # a video file: once
            )
        try:
            inner.open()
        except BaseException:
            inner.close()
            if probe.response is not None:
                probe.response.close()
            raise
        inner.add_state_listener(self._forward)
        self._inner = inner
        self.nominal_fps = inner.nominal_fps
        self.name = inner.name

    def read(self) -> Frame | None:
        if not self._opened:
            self.open()
        if self._closed.is_set():
            return None
        if self._inner is not None:
            return self._inner.read()  # position_ms: since the stream's first frame
        if self._image is None or self.state is SourceState.ENDED:
            return None
        if self._shown >= self._repeat:
            if not self.loop:
                self._set_state(SourceState.ENDED, f"{self.name}: end after {self._index} frames")
                return None
            self._shown = 0
        if self._pacer is not None and not self._pacer.wait():
            return None
        self._shown += 1
        return self._make_frame(self._image, 0.0)

    def _release(self) -> None:
        inner, self._inner = self._inner, None
        if inner is not None:
            inner.close()
        self._image = None
