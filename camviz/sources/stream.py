"""Network streams and GStreamer pipelines: :class:`StreamSource`.

What a user writes (anywhere a source is taken: ``--source``, the window's
source box, ``make_source``):

* ``rtsp://host:8554/live``, ``rtsps://...`` (IP cameras, NVRs, media servers);
  a login goes in the URL: ``rtsp://user:password@host/stream``;
* ``http://host:8080/video.mjpg`` (MJPEG: ``multipart/x-mixed-replace``, as
  phone webcam apps and ESP32 cameras serve it), ``https://host/live.m3u8``
  (HLS), and any other ``http(s)``, ``rtmp(s)``, ``srt``, ``udp`` or ``tcp`` URL
  FFmpeg opens. A URL of a finite file (``http://host/clip.mp4``) plays, and
  is reopened from the start when it ends, like a stream that dropped, unless
  ``finite`` (what :class:`~camviz.sources.UrlSource` passes for a video file
  the server declares the length of, when not looping): then its end is the end;
* a GStreamer pipeline ending in ``appsink``, e.g.
  ``rtspsrc location=rtsp://host/live latency=0 ! decodebin ! videoconvert ! appsink``
  (only with an OpenCV built with GStreamer: :func:`gstreamer_available`).

A stream is live like a camera (the pipeline keeps the latest frame and counts
the drops), and reconnects like one: a failed or stalled read releases the
capture and reopens it with exponential back-off until the server answers
again, ``reconnect_timeout`` passes, or ``close()`` interrupts the wait.

An unreachable stream fails within about ``open_timeout`` seconds with a
:class:`SourceOpenError` that says why: before FFmpeg is asked, a TCP connect
to the server's port tells "host not found", "connection refused" and "no
answer" apart; FFmpeg itself gets ``CAP_PROP_OPEN_TIMEOUT_MSEC`` and
``CAP_PROP_READ_TIMEOUT_MSEC``; and :func:`open_with_timeout` bounds it all even
if the driver hangs.

Logins never leave this module: :func:`redact` replaces the ``user:password@``
of every URL (and ``password=``/``token=``-like query values, GStreamer's
``user-pw=``) with ``***`` in the source's name and in every message.
"""

from __future__ import annotations

import functools
import re
import socket
import time
from urllib.parse import urlsplit

import cv2
import numpy as np

from camviz.defaults import BACKOFF_INITIAL_S, BACKOFF_MAX_S, OPEN_TIMEOUT_S
from camviz.errors import SourceOpenError
from camviz.sources.base import SourceState, StateCallback, valid_fps
from camviz.sources.capture import (
    CaptureFactory,
    CaptureLike,
    CaptureSource,
)

__all__ = [
    "STREAM_SCHEMES",
    "StreamSource",
    "gstreamer_available",
    "is_gstreamer_pipeline",
    "is_stream",
    "redact",
]

#: URL schemes handed to FFmpeg as network streams.
STREAM_SCHEMES = ("rtsp", "rtsps", "http", "https", "rtmp", "rtmps", "srt", "udp", "tcp")

#: Ports of the schemes that run over TCP, for the reachability check before FFmpeg.
_TCP_PORTS = {"rtsp": 554, "rtsps": 322, "http": 80, "https": 443, "rtmp": 1935, "rtmps": 443}

#: Seconds the whole open may take beyond ``open_timeout`` (FFmpeg's own timeout
#: fires first; this bound is for a driver that ignores it).
_OPEN_SLACK = 0.75

_URL_LOGIN = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s]*@")
_QUERY_SECRET = re.compile(
    r"(?i)([?&;](?:password|passwd|pass|pwd|token|access_token|auth|key|apikey|api_key|"
    r"secret|signature|sig)=)[^&\s#\"']*"
)
_GST_SECRET = re.compile(r"(?i)\b((?:user|proxy)-(?:id|pw)=)(\"[^\"]*\"|'[^']*'|\S+)")


def redact(text: str) -> str:
    """``text`` with every login and secret of a URL or pipeline replaced by ``***``."""
    text = _URL_LOGIN.sub(r"\1***@", text)
    text = _QUERY_SECRET.sub(r"\1***", text)
    return _GST_SECRET.sub(r"\1***", text)


def _scheme(text: str) -> str:
    head, sep, _ = text.partition("://")
    return head.lower() if sep and head.isascii() and head.isalnum() else ""


def is_gstreamer_pipeline(text: str) -> bool:
    """Whether ``text`` reads as a GStreamer pipeline (elements joined by ``" ! "``)."""
    return " ! " in text and _scheme(text) not in STREAM_SCHEMES


def is_stream(text: str) -> bool:
    """Whether ``text`` names a network stream (a URL of :data:`STREAM_SCHEMES`) or a
    GStreamer pipeline, i.e. what :class:`StreamSource` opens."""
    text = text.strip()
    return _scheme(text) in STREAM_SCHEMES or is_gstreamer_pipeline(text)


@functools.cache
def gstreamer_available() -> bool:
    """Whether this OpenCV was built with GStreamer (its build information says so)."""
    for line in cv2.getBuildInformation().splitlines():
        key, _, value = line.strip().partition(":")
        if key.strip() == "GStreamer":
            return value.strip().upper().startswith("YES")
    return False


def _ends_in_appsink(pipeline: str) -> bool:
    last = pipeline.rsplit("!", 1)[-1].split()
    return bool(last) and last[0] == "appsink"


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _server(url: str) -> str:
    """``host:port`` of ``url`` (never its login), or "the server" if it has none."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return "the server"
    if not host:
        return "the server"
    return f"{host}:{port}" if port else host


class StreamUnreachable(Exception):
    """Raised by the reachability check; its message names host and port, never a login."""


def check_reachable(url: str, timeout: float) -> None:
    """Connect to the TCP port of ``url`` (schemes of :data:`_TCP_PORTS` only) and hang up.

    Raises :class:`StreamUnreachable` saying why not: unknown host, connection
    refused, no answer within ``timeout`` seconds, or the system's reason.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _TCP_PORTS or not parts.hostname:
        return
    host = parts.hostname
    try:
        port = parts.port or _TCP_PORTS[scheme]
    except ValueError:
        raise StreamUnreachable(
            f"the port in the URL of host {host} is not a number 0-65535"
        ) from None
    where = f"{host}:{port}"
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return
    except socket.gaierror:
        why = f"host {host} not found (check the address, or the DNS)"
    except ConnectionRefusedError:
        why = (
            f"nothing is listening at {where} (connection refused): "
            "is the server running, and is the port right?"
        )
    except TimeoutError:
        why = (
            f"{where} did not answer within {timeout:g} s "
            "(wrong address, or a firewall drops the connection)"
        )
    except OSError as exc:
        why = f"cannot reach {where}: {exc.strerror or exc}"
    raise StreamUnreachable(why)


class StreamSource(CaptureSource):
    """A network stream (URL) or GStreamer pipeline, read through ``cv2.VideoCapture``.

    * ``open_timeout``: seconds to connect and get a first frame (FFmpeg's open
      timeout; the whole open is bounded a little above it even if FFmpeg hangs).
    * ``read_timeout``: seconds a read may stall before the stream counts as lost
      and is reconnected (FFmpeg's read timeout).
    * Back-off and ``reconnect_timeout`` as for :class:`CaptureSource` (None:
      retry until closed, as for cameras).
    * ``capture_factory`` makes the capture from the URL; tests inject fakes. By
      default: the reachability check, then FFmpeg (a URL) or GStreamer (a pipeline).

    :attr:`name` is the redacted URL (plus the frame size once open);
    :attr:`url` keeps the real one for reconnecting.
    """

    open_error = SourceOpenError

    def __init__(
        self,
        url: str,
        *,
        on_state: StateCallback | None = None,
        capture_factory: CaptureFactory | None = None,
        open_timeout: float = OPEN_TIMEOUT_S,
        read_timeout: float = 5.0,
        backoff_initial: float = BACKOFF_INITIAL_S,
        backoff_max: float = BACKOFF_MAX_S,
        reconnect_timeout: float | None = None,
        finite: bool = False,
    ) -> None:
        text = url.strip()
        if not is_stream(text):
            raise SourceOpenError(
                f"{_shorten(redact(text))} is not a stream: give an rtsp://, rtsps:// or "
                "http(s):// URL, or a GStreamer pipeline ending in '! appsink'"
            )
        self.url = text
        self.gstreamer = is_gstreamer_pipeline(text)
        if self.gstreamer:
            self.label = f"GStreamer pipeline '{_shorten(redact(text))}'"
        else:
            self.label = f"stream {redact(text)}"
        self.read_timeout = read_timeout
        #: A file served over the network (its length declared): its end is the end.
        self.finite = finite
        self.connect_timeout = open_timeout
        super().__init__(
            self.label,
            text,
            on_state=on_state,
            capture_factory=capture_factory or self._default_capture,
            open_timeout=open_timeout + _OPEN_SLACK,
            backoff_initial=backoff_initial,
            backoff_max=backoff_max,
            reconnect_timeout=reconnect_timeout,
        )

    # -- capture
    def _default_capture(self, target: int | str) -> CaptureLike:
        url = str(target)
        if self.gstreamer:
            gst: CaptureLike = cv2.VideoCapture(url, cv2.CAP_GSTREAMER)
            return gst
        try:
            check_reachable(url, self.connect_timeout)
        except StreamUnreachable as exc:
            raise SourceOpenError(str(exc)) from None
        params = [
            cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
            max(1, round(self.connect_timeout * 1000)),
            cv2.CAP_PROP_READ_TIMEOUT_MSEC,
            max(1, round(self.read_timeout * 1000)),
        ]
        started = time.monotonic()
        cap: CaptureLike = cv2.VideoCapture(url, cv2.CAP_FFMPEG, params)
        if not cap.isOpened() and time.monotonic() - started >= 0.8 * self.connect_timeout:
            cap.release()
            raise SourceOpenError(  # FFmpeg's open timeout fired: connected, but no answer
                f"{_server(url)} took the connection but sent no stream within "
                f"{self.connect_timeout:g} s (is it a stream server? check the port and path)"
            )
        return cap

    # -- Source
    def _open(self) -> None:
        if self.gstreamer:
            if not _ends_in_appsink(self.url):
                raise SourceOpenError(
                    f"{self.label} does not end in appsink: camviz reads frames from "
                    "an appsink, e.g. '... ! videoconvert ! appsink'"
                )
            if not gstreamer_available():
                raise SourceOpenError(
                    f"{self.label} needs an OpenCV built with GStreamer, and this one is not "
                    "(cv2.getBuildInformation() says 'GStreamer: NO'): install an OpenCV "
                    "with GStreamer (e.g. Debian's python3-opencv, or opencv-python built "
                    "with ENABLE_GSTREAMER), or give the stream's URL instead"
                )
        super()._open()

    def _open_failed(self, why: str) -> str:
        what = self.label
        if why == "timeout":
            return (
                f"{what} did not answer within {self.connect_timeout:g} s: check that "
                "the server is up and the address is right"
            )
        if why == "noframe":
            return (
                f"{what} connected but gave no frame within {self.read_timeout:g} s "
                "(is anything being streamed there?)"
            )
        if why.startswith("error: "):
            text = redact(why[7:])  # a reader's own error names the stream already
            return text if text.startswith(what) else f"cannot open {what}: {text}"
        if self.gstreamer:
            return (
                f"cannot open {what}: GStreamer could not start it (check each element "
                "with gst-launch-1.0, ending in fakesink instead of appsink)"
            )
        return (
            f"cannot open {what}: FFmpeg could not connect to it or does not understand "
            "it (check the path and the login; does ffplay or VLC open it?)"
        )

    def _ran_out(self) -> bool:
        if not self.finite:
            return False
        if self.state is SourceState.ENDED:
            return True
        with self._lock:
            self._release_locked()
        self._set_state(SourceState.ENDED, f"{self.name}: end after {self._index} frames")
        return True

    def _lost(self, waited: float) -> str:
        return f"{self.label} lost and not back after {waited:.1f} s"

    def _after_open(self, cap: CaptureLike, image: np.ndarray) -> None:
        h, w = image.shape[:2]
        self.name = f"{self.label} ({w}x{h})"
        try:
            self.nominal_fps = valid_fps(float(cap.get(cv2.CAP_PROP_FPS)))
        except Exception:
            self.nominal_fps = None
