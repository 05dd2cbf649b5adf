"""http(s) URLs decided by what the server sends (servers on 127.0.0.1 started here): a
photo is one photo whatever the URL's name, MJPEG is read part by part with each part
capped before it is read, and a stream that stays down fails within its reconnect budget."""

from __future__ import annotations

import http.server
import time

import cv2
import numpy as np
import pytest

from camviz.errors import ImageTooLargeError, SourceError, SourceOpenError
from camviz.imageio import load_image
from camviz.sources import SourceState, UrlSource, make_source
from camviz.sources.http import UrlKind, probe_url

from .conftest import CHELSEA, ORANGE, TREE, StateLog, decoded_count, jpeg_frames
from .httpserve import Server, huge_part, mjpeg, photo


@pytest.fixture(scope="module")
def tree_jpegs() -> list[bytes]:
    frames = jpeg_frames(TREE, limit=30, quality=95)  # OpenCV's default JPEG quality
    assert len(frames) == 30
    return frames


def test_a_photo_is_one_photo_whatever_its_name() -> None:
    data = ORANGE.read_bytes()
    # a stream-like name and a type that says nothing: the bytes say JPEG
    with Server(photo(data, "application/octet-stream"), "/video.mjpg") as server:
        source = make_source(server.url, pace=False)
        assert isinstance(source, UrlSource)
        with source:
            frames = list(iter(source.read, None))
        assert source.kind is UrlKind.PHOTO and not source.is_live
        assert len(frames) == 1 and np.array_equal(frames[0].image, load_image(ORANGE))
        assert source.state is SourceState.ENDED
        assert server.requests == 1  # asked once, never again


def test_a_paced_photo_repeats_like_a_slideshow_frame() -> None:
    with Server(photo(CHELSEA.read_bytes(), "image/png"), "/x") as server:
        with make_source(server.url, pace=True, loop=True) as source:
            frames = [source.read() for _ in range(3)]
        assert all(f is not None for f in frames)
        assert source.name.startswith("photo ") and "(451x300)" in source.name


def test_mjpeg_under_a_photo_name_is_a_stream(tree_jpegs: list[bytes]) -> None:
    holder: list[Server] = []
    server = Server(mjpeg(tree_jpegs[:10], holder, fps=50, then_go_away=False), "/photo.jpg")
    holder.append(server)
    with server:
        log = StateLog()
        with make_source(server.url, on_state=log) as source:
            assert isinstance(source, UrlSource) and source.kind is UrlKind.MJPEG
            frames = [source.read() for _ in range(10)]
        got = [f for f in frames if f is not None]
        assert len(got) == 10
        expected = cv2.cvtColor(cv2.imdecode(np.frombuffer(tree_jpegs[3], np.uint8), 1), 4)
        assert np.array_equal(got[3].image, expected)
        positions = [f.position_ms for f in got]
        assert positions[0] == 0.0 and positions == sorted(positions)  # type: ignore[type-var]
        assert server.requests == 1  # the probe's answer is the stream read


def test_an_mjpeg_part_declaring_10_gb_is_refused_at_its_header(tree_jpegs: list[bytes]) -> None:
    holder: list[Server] = []
    server = Server(huge_part(tree_jpegs[:3], holder), "/cam")
    holder.append(server)
    with server, make_source(server.url) as source:
        got = [source.read() for _ in range(3)]
        assert all(f is not None for f in got)
        started = time.monotonic()
        with pytest.raises(SourceError, match=r"declares 10737418240 bytes, over camviz's limit"):
            source.read()
        assert time.monotonic() - started < 5
    # refused before the body was read: what the server got out is what socket buffers hold
    assert server.sent < 64 * 2**20


def test_a_huge_photo_is_refused_before_its_body_is_read() -> None:
    def handle(h: http.server.BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "image/jpeg")
        h.send_header("Content-Length", "10737418240")
        h.end_headers()

    with (
        Server(handle, "/big.jpg") as server,
        pytest.raises(ImageTooLargeError, match="declares 10737418240 bytes"),
    ):
        probe_url(server.url)


def test_an_http_error_and_a_closed_port_are_one_clear_line() -> None:
    def not_found(h: http.server.BaseHTTPRequestHandler) -> None:
        h.send_error(404, "Not Found")

    with Server(not_found, "/gone.jpg") as server:
        with pytest.raises(SourceOpenError, match="the server answered 404"):
            make_source(server.url).open()
        url = server.url
    with pytest.raises(SourceOpenError, match="connection refused"):
        make_source(url).open()


def test_a_stream_that_stays_down_fails_within_the_reconnect_budget(
    tree_jpegs: list[bytes],
) -> None:
    holder: list[Server] = []
    server = Server(mjpeg(tree_jpegs[:5], holder, fps=50), "/live")
    holder.append(server)
    with server:
        log = StateLog()
        source = UrlSource(server.url, on_state=log, reconnect_timeout=1.0)
        source.open()
        frames = []
        started = time.monotonic()
        with pytest.raises(SourceOpenError, match="lost and not back after"):
            while (frame := source.read()) is not None:
                frames.append(frame)
        assert time.monotonic() - started < 15
        assert len(frames) == 5
        assert SourceState.RECONNECTING in log.states()
        assert log.states()[-1] is SourceState.FAILED
        source.close()


def test_a_video_file_served_over_http_plays_once_unless_looped() -> None:
    with Server(photo(TREE.read_bytes(), "video/x-msvideo"), "/clip.avi") as server:
        once = make_source(server.url, pace=False)
        with once:
            frames = list(iter(once.read, None))
        assert isinstance(once, UrlSource) and once.kind is UrlKind.STREAM
        assert len(frames) == decoded_count(TREE) and once.state is SourceState.ENDED
        looped = make_source(server.url, pace=False, loop=True)  # the window, bench: again
        with looped:
            again = [looped.read() for _ in range(decoded_count(TREE) + 5)]
        assert all(f is not None for f in again)


def test_a_login_in_the_url_is_sent_as_basic_auth_and_never_shown() -> None:
    import base64

    data = ORANGE.read_bytes()
    seen: list[str] = []

    def handle(h: http.server.BaseHTTPRequestHandler) -> None:
        seen.append(h.headers.get("Authorization", ""))
        if seen[-1] != "Basic " + base64.b64encode(b"me:s3cret").decode():
            h.send_error(401, "Unauthorized")
            return
        photo(data, "image/jpeg")(h)

    with Server(handle, "/snap.jpg") as server:
        url = server.url.replace("http://", "http://me:s3cret@")
        with make_source(url, pace=False) as source:
            assert source.read() is not None
        assert "s3cret" not in source.name and "***" in source.name
        wrong = server.url.replace("http://", "http://me:nope@")
        with pytest.raises(SourceOpenError, match="answered 401") as refused:
            make_source(wrong).open()
        assert "nope" not in str(refused.value)
