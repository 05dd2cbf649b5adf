"""StreamSource against servers the tests start on 127.0.0.1: MJPEG over HTTP (Python),
RTSP (ffmpeg encoding, a small relay answering RTSP), unreachable and silent servers;
the pipeline classifying a stream as it classifies the file; logins kept out of messages."""

from __future__ import annotations

import logging
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from camviz.errors import SourceError, SourceOpenError
from camviz.pipeline import Backpressure, run_pipeline
from camviz.sources import (
    ImageSource,
    SourceState,
    StreamSource,
    UrlSource,
    VideoSource,
    gstreamer_available,
    is_stream,
    make_source,
    open_source,
    redact,
)
from camviz.sources import stream as stream_module
from camviz.sources.http import UrlKind

from ..conftest import VIDEOS
from .conftest import (
    VTEST,
    MjpegServer,
    RtspServer,
    StateLog,
    assert_rgb_frame,
    closest_frame,
    decoded_frames,
    jpeg_frames,
    quarter_frames,
)

BIKES = VIDEOS / "bikes.mp4"
FFMPEG = shutil.which("ffmpeg")
#: Mean absolute difference (0-255) under which a streamed frame "is" a file frame:
#: JPEG at quality 90 costs about 1-2 levels; neighbouring frames of bikes.mp4 differ more.
SAME_FRAME = 4.0


@pytest.fixture(scope="module")
def bikes() -> list[np.ndarray]:
    return decoded_frames(BIKES)


@pytest.fixture(scope="module")
def bikes_small(bikes: list[np.ndarray]) -> list[np.ndarray]:
    return quarter_frames(bikes)


@pytest.fixture(scope="module")
def bikes_jpeg() -> list[bytes]:
    return jpeg_frames(BIKES)


@pytest.fixture
def mjpeg(bikes_jpeg: list[bytes]) -> Iterator[MjpegServer]:
    with MjpegServer(bikes_jpeg, fps=25.0) as server:
        yield server


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def timed_open_error(source: StreamSource) -> tuple[SourceError, float]:
    start = time.monotonic()
    with pytest.raises(SourceError) as info:
        source.open()
    return info.value, time.monotonic() - start


# -- (a) MJPEG over HTTP


def test_make_source_takes_stream_urls_and_pipelines() -> None:
    for text in (
        "rtsp://127.0.0.1:8554/live",
        "rtsps://cam.example/stream",
        "http://127.0.0.1:8080/video.mjpg",
        "https://example.com/live.m3u8",
        "RTSP://user:pw@cam/1",
        "videotestsrc ! videoconvert ! appsink",
    ):
        assert is_stream(text), text
        source = make_source(text)
        # http(s): a photo or a stream, decided from the server's answer when it opens
        kind = UrlSource if text.lower().startswith("http") else StreamSource
        assert isinstance(source, kind) and source.is_live, text
    for text in ("0", "demo", "clip.mp4", "/dev/video0", "ftp.mp4"):
        assert not is_stream(text), text


def test_mjpeg_stream_delivers_the_videos_frames(
    mjpeg: MjpegServer, bikes: list[np.ndarray], bikes_small: list[np.ndarray]
) -> None:
    log = StateLog()
    with open_source(mjpeg.url, on_state=log) as source:
        # the server's multipart/x-mixed-replace answer makes it an MJPEG stream
        assert isinstance(source, UrlSource) and source.kind is UrlKind.MJPEG
        frames = [source.read() for _ in range(40)]
        assert source.name == f"stream {mjpeg.url} (640x272)"
    got = [f for f in frames if f is not None]
    assert len(got) == 40
    for frame in got:
        assert_rgb_frame(frame)
        assert frame.image.shape == bikes[0].shape
        index, diff = closest_frame(frame.image, bikes_small)
        # Every frame, in order, none lost: the n-th frame read is the file's n-th.
        assert index == frame.index, (index, frame.index, diff)
        assert diff < SAME_FRAME
    full_diff = float(np.mean(np.abs(got[10].image.astype(int) - bikes[10].astype(int))))
    assert full_diff < SAME_FRAME
    assert log.states() == [SourceState.RUNNING, SourceState.ENDED]


# -- (b) a stream that stops is retried and resumes


def test_stream_that_stops_is_reconnected_when_the_server_is_back(
    mjpeg: MjpegServer, bikes_small: list[np.ndarray]
) -> None:
    log = StateLog()
    source = StreamSource(mjpeg.url, on_state=log, backoff_initial=0.1, backoff_max=0.5)
    source.open()
    for _ in range(5):
        assert source.read() is not None
    arrivals: list[tuple[float, np.ndarray]] = []
    done = threading.Event()

    def reader() -> None:
        while not done.is_set() and (frame := source.read()) is not None:
            arrivals.append((time.monotonic(), frame.image))

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    try:
        time.sleep(0.3)
        mjpeg.stop()
        stopped = time.monotonic()
        time.sleep(1.5)  # down for a while: several reconnect attempts fail
        assert source.state is SourceState.RECONNECTING
        mjpeg.start()  # the same port
        restarted = time.monotonic()
        deadline = restarted + 10.0
        while time.monotonic() < deadline and not any(t > restarted for t, _ in arrivals):
            time.sleep(0.02)
        after = [image for t, image in arrivals if t > restarted]
        assert after, "no frame after the server came back"
        resume_s = min(t for t, _ in arrivals if t > restarted) - restarted
        print(f"\nresumed {resume_s:.2f} s after the server came back")
        assert resume_s < 2.0
        assert not any(stopped + 0.2 < t < restarted for t, _ in arrivals)
        # Real frames again: the new connection starts at the file's first frame.
        index, diff = closest_frame(after[0], bikes_small)
        assert index == 0 and diff < SAME_FRAME
    finally:
        done.set()
        source.close()
        thread.join(5)
    assert log.states()[:4] == [
        SourceState.RUNNING,
        SourceState.RECONNECTING,
        SourceState.RUNNING,
        SourceState.ENDED,
    ]
    messages = [m for _, m in log.events]
    assert any("connection refused" in m for m in messages)
    assert any("reconnected after" in m for m in messages)


# -- (c) unreachable streams fail fast, saying why


@pytest.mark.parametrize("scheme", ["rtsp", "http"])
def test_closed_port_fails_fast_with_connection_refused(scheme: str) -> None:
    port = closed_port()
    error, elapsed = timed_open_error(StreamSource(f"{scheme}://127.0.0.1:{port}/live"))
    print(f"\n{scheme} closed port: failed in {elapsed:.3f} s: {error}")
    assert isinstance(error, SourceOpenError)
    assert elapsed < 5.0
    message = str(error)
    assert f"127.0.0.1:{port}" in message and "connection refused" in message
    assert "server running" in message


def test_unroutable_address_fails_within_the_open_timeout() -> None:
    # 10.255.255.1 is a private address nothing should answer on. Depending on the
    # network: no route (at once), a blackhole (the connect timeout), or a firewall
    # that takes the connection and drops it (FFmpeg fails at once). Always within a
    # few seconds, naming the stream.
    error, elapsed = timed_open_error(StreamSource("rtsp://10.255.255.1:554/live"))
    print(f"\nunroutable: failed in {elapsed:.3f} s: {error}")
    assert isinstance(error, SourceOpenError)
    assert elapsed < 5.0
    assert "10.255.255.1:554" in str(error)


def test_unknown_host_fails_fast() -> None:
    error, elapsed = timed_open_error(StreamSource("http://camviz-no-such-host.invalid/x.mjpg"))
    assert elapsed < 5.0
    assert "camviz-no-such-host.invalid" in str(error)


def test_silent_server_fails_within_the_open_timeout() -> None:
    # Takes the TCP connection and never says a word: FFmpeg's open timeout ends it.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        source = StreamSource(f"rtsp://127.0.0.1:{port}/live", open_timeout=2.0)
        error, elapsed = timed_open_error(source)
    print(f"\nsilent server: failed in {elapsed:.3f} s: {error}")
    assert elapsed < 5.0
    assert f"127.0.0.1:{port}" in str(error) and "no stream within 2 s" in str(error)
    assert source.state is SourceState.FAILED


def test_lost_stream_gives_up_after_reconnect_timeout(mjpeg: MjpegServer) -> None:
    source = StreamSource(mjpeg.url, backoff_initial=0.05, backoff_max=0.1, reconnect_timeout=0.5)
    source.open()
    assert source.read() is not None
    mjpeg.stop()
    start = time.monotonic()
    with pytest.raises(SourceOpenError, match="lost and not back after"):
        while source.read() is not None:
            pass
    assert time.monotonic() - start < 5.0
    assert source.state is SourceState.FAILED
    source.close()


@pytest.mark.skipif(FFMPEG is None, reason="ffmpeg makes the frame (apt-get install ffmpeg)")
def test_stream_of_frames_over_the_pixel_limit_is_refused_before_one_is_decoded(
    tmp_path: Path,
) -> None:
    import resource

    from tests.hostile import makers

    big = makers.big_jpeg(tmp_path / "big.jpg").read_bytes()  # 12000x6000, 72 MP
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with MjpegServer([big], fps=5.0) as server:
        source = StreamSource(server.url)
        error, seconds = timed_open_error(source)
        source.close()
    assert isinstance(error, SourceOpenError)
    assert "12000x6000 (72 MP), over camviz's limit of 50 MP a frame" in str(error)
    assert "CAMVIZ_MAX_PIXELS" in str(error) and seconds < 5.0
    # one decoded frame would be 216 MB of BGR in this process
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before < 150


# -- (d) RTSP


@pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is not installed (apt-get install ffmpeg)")
def test_rtsp_stream_delivers_the_videos_frames(tmp_path: Path) -> None:
    assert FFMPEG is not None
    reference = quarter_frames(decoded_frames(VTEST))
    server = RtspServer(FFMPEG, VTEST, tmp_path)
    try:
        start = time.monotonic()
        with StreamSource(server.url, open_timeout=8.0) as source:
            opened = time.monotonic() - start
            frames = [source.read() for _ in range(15)]
            assert source.name == f"stream {server.url} (768x576)"
            assert source.nominal_fps == pytest.approx(10.0, abs=0.5)
    finally:
        server.close()
    print(f"\nrtsp opened in {opened:.2f} s")
    got = [f for f in frames if f is not None]
    assert len(got) == 15
    matches = [closest_frame(f.image, reference) for f in got]
    # ffmpeg joined mid-loop: the frames are consecutive frames of the file.
    indices = [i for i, _ in matches]
    steps = np.diff(indices) % len(reference)
    assert np.count_nonzero(steps == 1) >= 12, indices
    assert all(diff < 8.0 for _, diff in matches), matches  # MJPEG at q:v 3


# -- (e) the pipeline classifies a stream as it classifies the file


def test_pipeline_on_mjpeg_stream_agrees_with_the_file(
    mjpeg: MjpegServer, bikes_small: list[np.ndarray], bikes_jpeg: list[bytes], tmp_path: Path
) -> None:
    from_file = run_pipeline(VideoSource(BIKES, pace=False), timeout=120)
    assert from_file.count == len(bikes_small) and not from_file.errors
    file_top = {f.index: f.top for f in from_file.frames}
    # The very JPEGs the server sends, classified from disk: what JPEG itself changes.
    for i, data in enumerate(bikes_jpeg):
        (tmp_path / f"{i:04d}.jpg").write_bytes(data)
    from_jpeg = run_pipeline(ImageSource(tmp_path, pace=False), timeout=120)
    assert from_jpeg.count == len(bikes_jpeg) and not from_jpeg.errors
    jpeg_top = {f.index: f.top for f in from_jpeg.frames}

    run = run_pipeline(StreamSource(mjpeg.url), frames=60, keep_results=True, timeout=60)
    assert run.policy is Backpressure.LATEST
    assert run.count == 60 and not run.errors
    same_as_file = same_as_jpeg = 0
    for item in run.results:
        index, diff = closest_frame(item.frame.image, bikes_small)
        assert diff < SAME_FRAME
        top = None if item.result.top is None else item.result.top.index
        same_as_file += top == file_top[index]
        same_as_jpeg += top == jpeg_top[index]
    jpeg_vs_file = sum(jpeg_top[i] == file_top[i] for i in file_top) / len(file_top)
    print(
        f"\ntop-1 stream vs file: {same_as_file}/{run.count}, stream vs the same JPEGs "
        f"from disk: {same_as_jpeg}/{run.count}, JPEGs vs file (all {len(file_top)} "
        f"frames): {jpeg_vs_file:.0%}; {run.dropped} dropped"
    )
    assert same_as_jpeg / run.count >= 0.85  # FFmpeg and libjpeg decode a little apart
    assert same_as_file / run.count >= 0.7  # JPEG q90 flips the top-1 of ~20% of frames


# -- (f) logins stay out of names, messages and logs


def test_redact_hides_logins_and_secrets() -> None:
    assert redact("rtsp://admin:hunter2@10.0.0.5:554/h264") == "rtsp://***@10.0.0.5:554/h264"
    assert redact("rtsp://admin:p@ss@cam/1") == "rtsp://***@cam/1"
    assert redact("http://cam/video?user=bob&password=hunter2&x=1") == (
        "http://cam/video?user=bob&password=***&x=1"
    )
    assert redact("https://cdn/live.m3u8?token=abc123") == "https://cdn/live.m3u8?token=***"
    pipeline = "rtspsrc location=rtsp://u:hunter2@cam/1 user-pw=hunter2 ! decodebin ! appsink"
    assert "hunter2" not in redact(pipeline)
    assert redact("rtsp://cam/1") == "rtsp://cam/1"


def test_credentials_never_reach_errors_states_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    port = closed_port()
    url = f"rtsp://alice:hunter2@127.0.0.1:{port}/live?token=t0ps3cret"
    log = StateLog()
    source = StreamSource(url, on_state=log)
    error, _ = timed_open_error(source)
    texts = [str(error), source.name, repr(source), *(m for _, m in log.events), caplog.text]
    with pytest.raises(SourceOpenError) as missing:
        make_source("ftp://alice:hunter2@host/file.mp4")  # not a stream: "not found"
    texts.append(str(missing.value))
    for text in texts:
        assert "hunter2" not in text and "alice" not in text and "t0ps3cret" not in text, text
    assert f"rtsp://***@127.0.0.1:{port}/live?token=***" in str(error)
    assert source.url == url  # kept, for reconnecting


def test_credentials_stay_out_of_reconnect_messages(mjpeg: MjpegServer) -> None:
    url = mjpeg.url.replace("http://", "http://bob:hunter2@")
    log = StateLog()
    source = StreamSource(url, on_state=log, backoff_initial=0.05, backoff_max=0.1)
    source.open()
    assert source.read() is not None
    mjpeg.stop()

    def drain() -> None:
        while source.read() is not None:
            pass

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    names: list[str] = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not any("attempt 2" in m for _, m in log.events):
        names += [t.name for t in threading.enumerate()]  # the open helper threads too
        time.sleep(0.01)
    source.close()
    reader.join(5)
    assert SourceState.RECONNECTING in log.states()
    for text in [*names, *(m for _, m in log.events)]:
        assert "hunter2" not in text and "bob" not in text, text


# -- GStreamer pipelines


def test_gstreamer_pipeline_refused_clearly_without_gstreamer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stream_module, "gstreamer_available", lambda: False)
    source = make_source("videotestsrc num-buffers=10 ! videoconvert ! appsink")
    assert isinstance(source, StreamSource) and source.gstreamer
    with pytest.raises(SourceOpenError, match=r"OpenCV built with GStreamer.*GStreamer: NO"):
        source.open()
    assert source.state is SourceState.FAILED


def test_gstreamer_pipeline_must_end_in_appsink() -> None:
    with pytest.raises(SourceOpenError, match="does not end in appsink"):
        StreamSource("videotestsrc ! videoconvert ! autovideosink").open()


@pytest.mark.skipif(not gstreamer_available(), reason="this OpenCV has no GStreamer")
def test_gstreamer_test_pipeline_delivers_frames() -> None:
    text = "videotestsrc num-buffers=30 ! video/x-raw,width=320,height=240 ! videoconvert ! appsink"
    with StreamSource(text) as source:
        frame = source.read()
    assert frame is not None and frame.image.shape == (240, 320, 3)
