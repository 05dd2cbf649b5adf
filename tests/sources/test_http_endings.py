"""How an http(s) URL ends, and what is not a stream (servers on 127.0.0.1 started here).

* An MJPEG stream whose server sends the closing boundary (``--boundary--``, RFC 2046)
  ends there: the source is ENDED and ``classify`` exits after its frames, whatever the
  server does after it (closes, sends an epilogue and the last chunk of a chunked body,
  keeps the connection open). It used to count as a drop: reconnected for ever, the
  frames repeating, ``classify`` running until killed.
* A connection that closes without the closing boundary is still a drop: reconnected.
* A web page, plain text or JSON is refused with a message saying what the server sent
  (it used to go to FFmpeg: "FFmpeg could not connect to it or does not understand it").
"""

from __future__ import annotations

import http.server
import json
import time

import pytest

from camviz.errors import SourceOpenError
from camviz.sources import Frame, SourceState, UrlSource
from camviz.sources.http import UrlKind, probe_url

from ..conftest import camviz
from .conftest import ORANGE, TREE, StateLog, jpeg_frames
from .httpserve import BOUNDARY, Server

FRAMES = 5


@pytest.fixture(scope="module")
def jpegs() -> list[bytes]:
    return jpeg_frames(TREE, limit=FRAMES)


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n" if data else b""


def _mjpeg(
    frames: list[bytes],
    server: list[Server],
    *,
    ending: bytes,
    lengths: bool = True,
    chunked: bool = False,
    whole_length: bool = False,
    keep_open: bool = False,
) -> object:
    """Serve ``frames`` as MJPEG (each part with a Content-Length unless not ``lengths``),
    then ``ending``; as a chunked HTTP/1.1 body ending in its zero-length chunk
    (``chunked``), or with the whole body's Content-Length (``whole_length``); then keep
    the connection open until the server stops (``keep_open``) or close it."""

    def handle(h: http.server.BaseHTTPRequestHandler) -> None:
        srv = server[0]
        body = b""
        for data in frames:
            length = f"Content-Length: {len(data)}\r\n" if lengths else ""
            body += f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\n{length}\r\n".encode()
            body += data + b"\r\n"
        body += ending
        head = [
            "HTTP/1.1 200 OK",
            f"Content-Type: multipart/x-mixed-replace; boundary={BOUNDARY}",
        ]
        if chunked:
            head.append("Transfer-Encoding: chunked")
            half = len(body) // 2
            body = _chunk(body[:half]) + _chunk(body[half:]) + b"0\r\n\r\n"
        elif whole_length:
            head.append(f"Content-Length: {len(body)}")
        h.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        h.wfile.flush()
        if keep_open:
            srv.stopping.wait(30)
        h.close_connection = True

    return handle


def _serve(frames: list[bytes], **kwargs: object) -> Server:
    holder: list[Server] = []
    server = Server(_mjpeg(frames, holder, **kwargs), "/clip.mjpg")  # type: ignore[arg-type]
    holder.append(server)
    return server


CLOSE = f"--{BOUNDARY}--\r\n".encode()


def _read_at_most(source: UrlSource, limit: int) -> list[Frame]:
    """The frames up to the source's end, at most ``limit`` (a stream that never ends)."""
    frames: list[Frame] = []
    while len(frames) < limit and (frame := source.read()) is not None:
        frames.append(frame)
    return frames


ENDINGS = {
    "closing boundary, then the server closes": {"ending": CLOSE},
    "parts without a length, closing boundary with no line end": {
        "ending": f"--{BOUNDARY}--".encode(),
        "lengths": False,
    },
    "closing boundary, epilogue, last chunk; the connection stays open": {
        "ending": CLOSE + b"epilogue: ignored\r\n",
        "chunked": True,
        "keep_open": True,
    },
    "closing boundary inside a body of declared length; the connection stays open": {
        "ending": CLOSE,
        "whole_length": True,
        "keep_open": True,
    },
    "closing boundary, padded with white space; the connection stays open": {
        "ending": f"--{BOUNDARY}--  \t\r\n".encode(),
        "keep_open": True,
    },
}


@pytest.mark.parametrize("how", list(ENDINGS))
def test_the_closing_boundary_ends_the_stream(jpegs: list[bytes], how: str) -> None:
    with _serve(jpegs, **ENDINGS[how]) as server:
        log = StateLog()
        source = UrlSource(server.url, on_state=log, reconnect_timeout=2.0)
        started = time.monotonic()
        with source:
            assert source.kind is UrlKind.MJPEG
            frames = _read_at_most(source, FRAMES + 3)
            assert source.read() is None
        assert time.monotonic() - started < 4  # not a read timeout, not a reconnect
        assert len(frames) == FRAMES
        assert [f.index for f in frames] == list(range(FRAMES))
        assert source.state is SourceState.ENDED
        assert SourceState.RECONNECTING not in log.states()
        assert server.requests == 1


def test_looping_asks_a_finite_stream_again(jpegs: list[bytes]) -> None:
    with _serve(jpegs, ending=CLOSE) as server:
        source = UrlSource(server.url, loop=True, reconnect_timeout=2.0)
        with source:
            frames = [source.read() for _ in range(FRAMES + 2)]
        assert all(f is not None for f in frames)
        assert server.requests == 2


DROPS = {
    "the server closes after a part": {"ending": b""},
    "the server closes inside a part": {
        "ending": f"--{BOUNDARY}\r\nContent-Length: 900\r\n\r\nxx".encode()
    },
    "a chunked body ends without the closing boundary": {"ending": b"", "chunked": True},
}


@pytest.mark.parametrize("how", list(DROPS))
def test_a_connection_closed_without_the_closing_boundary_is_a_drop(
    jpegs: list[bytes], how: str
) -> None:
    with _serve(jpegs, **DROPS[how]) as server:  # answers again: a camera that dropped
        log = StateLog()
        source = UrlSource(server.url, on_state=log, reconnect_timeout=2.0)
        with source:
            frames = [source.read() for _ in range(2 * FRAMES + 1)]
        assert all(f is not None for f in frames)  # the frames of the second connection
        assert log.states()[:3] == [
            SourceState.RUNNING,
            SourceState.RECONNECTING,
            SourceState.RUNNING,
        ]
        assert server.requests >= 2


def test_a_stream_closed_before_its_first_frame_says_so() -> None:
    with (
        _serve([], ending=CLOSE) as server,
        pytest.raises(SourceOpenError, match="ended before its first frame"),
    ):
        UrlSource(server.url, reconnect_timeout=1.0).open()


def test_classify_of_a_finite_mjpeg_stream_ends_after_its_frames(jpegs: list[bytes]) -> None:
    started = time.monotonic()
    with _serve(jpegs, ending=CLOSE, keep_open=True) as server:
        result = camviz("classify", "--json", "--quiet", server.url, timeout=20)
    assert time.monotonic() - started < 20
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == FRAMES
    assert server.requests == 1


def _document(body: bytes, content_type: str) -> object:
    def handle(h: http.server.BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        if content_type:  # "": none sent
            h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return handle


PAGE = b"<!doctype html><html><head><title>Camera</title></head><body><img src=/v></body></html>"


@pytest.mark.parametrize(
    ("content_type", "body", "said"),
    [
        ("text/html; charset=utf-8", PAGE, "a web page (text/html)"),
        ("application/xhtml+xml", PAGE, "a web page (application/xhtml+xml)"),
        ("text/plain", b"hello\n", "text/plain"),
        ("application/json", b'{"status": "ok"}', "application/json"),
        ("application/problem+json", b'{"title": "no"}', "application/problem+json"),
        ("application/xml", b"<?xml version='1.0'?><a/>", "application/xml"),
    ],
)
def test_a_document_is_refused_saying_what_the_server_sent(
    content_type: str, body: bytes, said: str
) -> None:
    server = Server(_document(body, content_type), "/page.html")  # type: ignore[arg-type]
    with server, pytest.raises(SourceOpenError) as refused:
        UrlSource(server.url).open()
    message = str(refused.value)
    assert server.url in message
    assert f"the server sent {said}, not an image or a video stream" in message
    assert "link of the image or of the stream itself" in message
    assert "FFmpeg" not in message


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", b"#EXTM3U\n#EXT-X-VERSION:3\n"),  # HLS from a server that does not know
        ("application/xml", b"<?xml version='1.0'?>\n<MPD xmlns='urn:mpeg:dash:schema:mpd:2011'>"),
        ("application/dash+xml", b"<?xml version='1.0'?>\n<MPD>"),
        ("application/octet-stream", b"\x47\x40\x00\x10" * 47),  # MPEG-TS bytes
        ("video/mp2t", b"\x47\x40\x00\x10" * 47),
        ("application/x-mpegURL", b"#EXTM3U\n"),
        ("", b"\x00\x01"),
    ],
)
def test_playlists_and_streams_still_go_to_ffmpeg(content_type: str, body: bytes) -> None:
    with Server(_document(body, content_type), "/live") as server:  # type: ignore[arg-type]
        assert probe_url(server.url).kind is UrlKind.STREAM


def test_an_image_under_a_text_type_is_still_a_photo() -> None:
    with Server(_document(ORANGE.read_bytes(), "text/plain"), "/snap") as server:  # type: ignore[arg-type]
        assert probe_url(server.url).kind is UrlKind.PHOTO


def test_classify_of_a_web_page_says_it_is_a_web_page() -> None:
    with Server(_document(PAGE, "text/html"), "/page.html") as server:  # type: ignore[arg-type]
        result = camviz("classify", "--quiet", server.url, timeout=30)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert server.url in result.stderr
    assert "the server sent a web page (text/html), not an image or a video stream" in (
        result.stderr
    )
    assert "FFmpeg" not in result.stderr
