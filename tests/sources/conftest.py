"""Shared by the source tests: the real media in assets/, a state recorder, a fake camera,
and the stream servers (MJPEG over HTTP, RTSP) the stream tests run on 127.0.0.1."""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from camviz.sources import Frame, ImageSource, SourceState, VideoSource

from ..conftest import ASSETS, PHOTOS, VIDEOS

TREE = VIDEOS / "tree.avi"
VTEST = VIDEOS / "vtest.avi"
CHELSEA = PHOTOS / "skimage" / "chelsea.png"
COFFEE = PHOTOS / "skimage" / "coffee.png"
ORANGE = PHOTOS / "opencv" / "orange.jpg"
GREY = PHOTOS / "skimage" / "camera.png"
DEMO_REEL = ASSETS / "demo" / "demo_reel.mp4"


def decoded_frames(path: Path) -> list[np.ndarray]:
    """Every frame plain cv2.VideoCapture decodes from ``path``, as RGB."""
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    cap.release()
    return frames


def decoded_count(path: Path) -> int:
    cap = cv2.VideoCapture(str(path))
    n = 0
    while cap.grab():
        n += 1
    cap.release()
    return n


class StateLog:
    def __init__(self) -> None:
        self.events: list[tuple[SourceState, str]] = []
        self.lock = threading.Lock()

    def __call__(self, state: SourceState, message: str) -> None:
        with self.lock:
            self.events.append((state, message))

    def states(self) -> list[SourceState]:
        """The sequence of states, consecutive repeats collapsed."""
        out: list[SourceState] = []
        for state, _ in self.events:
            if not out or out[-1] is not state:
                out.append(state)
        return out


def assert_rgb_frame(frame: Frame) -> None:
    assert frame.image.dtype == np.uint8
    assert frame.image.ndim == 3 and frame.image.shape[2] == 3
    assert frame.image.flags.c_contiguous


class FakeCamera:
    """A camera whose sessions are scripted.

    ``sessions``: for each open in turn, the number of frames it delivers before
    its reads fail (``None``: the open fails; the last entry repeats).
    ``image``: what each read returns (a copy); by default a 4x6 BGR frame whose
    red channel counts the reads and whose blue channel is 10.
    """

    def __init__(
        self,
        sessions: list[int | None],
        *,
        hang: float = 0.0,
        image: np.ndarray | None = None,
    ) -> None:
        self.sessions = sessions
        self.hang = hang
        self.image = image
        self.opens: list[float] = []
        self.targets: list[int | str] = []
        self.props: dict[int, float] = {}
        self.serial = 0
        self.released = 0
        self.unhang = threading.Event()

    def __call__(self, target: int | str) -> FakeCamera.Capture:
        if self.hang:
            self.unhang.wait(self.hang)
        session = self.sessions[min(len(self.opens), len(self.sessions) - 1)]
        self.opens.append(time.monotonic())
        self.targets.append(target)
        return FakeCamera.Capture(self, session)

    class Capture:
        def __init__(self, camera: FakeCamera, frames: int | None) -> None:
            self.camera = camera
            self.left = frames

        def isOpened(self) -> bool:  # OpenCV's name
            return self.left is not None

        def read(self) -> tuple[bool, Any]:
            if not self.left:
                return False, None
            self.left -= 1
            self.camera.serial += 1
            if self.camera.image is not None:
                return True, self.camera.image.copy()
            image = np.zeros((4, 6, 3), np.uint8)
            image[..., 0] = 10  # B
            image[..., 2] = self.camera.serial % 256  # R
            return True, image

        def set(self, prop_id: int, value: float) -> bool:
            self.camera.props[prop_id] = value
            return True

        def get(self, prop_id: int) -> float:
            return 30.0 if prop_id == cv2.CAP_PROP_FPS else 0.0

        def release(self) -> None:
            self.camera.released += 1


def closes_promptly(source: VideoSource | ImageSource) -> float:
    """Read the first frame, then time a paced read interrupted by close()."""
    assert source.read() is not None
    threading.Timer(0.1, source.close).start()
    start = time.monotonic()
    assert source.read() is None
    return time.monotonic() - start - 0.1


# -- servers for the stream tests (tests/sources/test_stream.py), on 127.0.0.1 only


def jpeg_frames(path: Path, limit: int | None = None, quality: int = 90) -> list[bytes]:
    """The frames of the video at ``path`` (at most ``limit``), each encoded as a JPEG."""
    out: list[bytes] = []
    cap = cv2.VideoCapture(str(path))
    while limit is None or len(out) < limit:
        ok, frame = cap.read()
        if not ok:
            break
        ok, data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
        assert ok, f"cannot JPEG-encode frame {len(out)} of {path}"
        out.append(data.tobytes())
    cap.release()
    return out


class MjpegServer:
    """An HTTP MJPEG server (``multipart/x-mixed-replace``), as phone and ESP32 cameras serve.

    Every client gets the frames from the first, in order, at ``fps`` (looping).
    ``stop()`` closes the listening socket and every client connection; ``start()``
    serves again, on the same port if it had one.
    """

    BOUNDARY = "camvizframe"

    def __init__(self, frames: list[bytes], fps: float = 25.0, port: int = 0) -> None:
        self.frames = frames
        self.fps = fps
        self.port = port
        self.served = 0  # frames sent, all clients
        self.clients = 0  # connections served
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._open: set[Any] = set()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/video.mjpg"

    def start(self) -> MjpegServer:
        import http.server

        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                with owner._lock:
                    owner._open.add(self.connection)
                    owner.clients += 1
                try:
                    owner._stream(self)
                except OSError:
                    pass  # the client or stop() hung up
                finally:
                    with owner._lock:
                        owner._open.discard(self.connection)

        self._stopping.clear()
        server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def _stream(self, handler: Any) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={self.BOUNDARY}")
        handler.send_header("Cache-Control", "no-cache")
        handler.end_headers()
        period = 1.0 / self.fps
        start = time.monotonic()
        n = 0
        while not self._stopping.is_set():
            data = self.frames[n % len(self.frames)]
            handler.wfile.write(
                f"--{self.BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                f"Content-Length: {len(data)}\r\n\r\n".encode("ascii")
                + data
                + b"\r\n"
            )
            handler.wfile.flush()
            n += 1
            self.served += 1
            delay = start + n * period - time.monotonic()
            if delay > 0:
                self._stopping.wait(delay)

    def stop(self) -> None:
        import socket

        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._lock:
            conns = list(self._open)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> MjpegServer:
        return self.start() if self._server is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def closest_frame(image: np.ndarray, reference: list[np.ndarray]) -> tuple[int, float]:
    """The index of the ``reference`` frame nearest ``image`` and their mean absolute
    difference (0-255 levels), compared at 1/4 size."""
    small = _quarter(image)
    best, best_diff = -1, float("inf")
    for i, ref in enumerate(reference):
        diff = float(np.mean(cv2.absdiff(small, ref)))
        if diff < best_diff:
            best, best_diff = i, diff
    return best, best_diff


def quarter_frames(frames: list[np.ndarray]) -> list[np.ndarray]:
    return [_quarter(f) for f in frames]


def _quarter(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    return cv2.resize(image, (w // 4, h // 4), interpolation=cv2.INTER_AREA)


class RtspServer:
    """A minimal RTSP server on 127.0.0.1 playing ``video`` in a loop, encoded by ffmpeg.

    FFmpeg's RTSP muxer only pushes to a server (its ``-rtsp_flags listen`` is for
    receiving), so ffmpeg here sends RTP (``-f rtp``) to a local UDP port and writes
    the SDP; this server answers OPTIONS / DESCRIBE / SETUP / PLAY / TEARDOWN
    and relays the RTP packets to each playing client interleaved in its RTSP
    connection (RTP over TCP: a UDP SETUP gets 461, and FFmpeg retries with TCP).
    """

    def __init__(self, ffmpeg: str, video: Path, workdir: Path, codec: str = "mjpeg") -> None:
        import socket
        import subprocess

        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.udp.settimeout(0.2)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        sdp_path = workdir / "stream.sdp"
        codec_args = ["-c:v", "mjpeg", "-q:v", "3", "-huffman", "default"]  # RFC 2435
        if codec == "libx264":
            codec_args = ["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency"]
            codec_args += ["-g", "10", "-pix_fmt", "yuv420p"]
        rtp = f"rtp://127.0.0.1:{self.udp.getsockname()[1]}?pkt_size=1200"
        command = [ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin", "-re"]
        command += ["-stream_loop", "-1", "-i", str(video), "-an", *codec_args]
        command += ["-f", "rtp", "-sdp_file", str(sdp_path), rtp]
        self.process = subprocess.Popen(command, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10.0
        while not (sdp_path.exists() and sdp_path.stat().st_size > 0):
            if self.process.poll() is not None or time.monotonic() > deadline:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                self.close()
                raise RuntimeError(f"ffmpeg did not start the RTP stream: {err}")
            time.sleep(0.05)
        time.sleep(0.1)  # the file is written in one go, but let it finish
        self.sdp = self._describe(sdp_path.read_text())
        self.playing: list[tuple[Any, threading.Lock]] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.relayed = 0
        self.threads = [
            threading.Thread(target=self._relay, daemon=True),
            threading.Thread(target=self._accept, daemon=True),
        ]
        for thread in self.threads:
            thread.start()

    @property
    def url(self) -> str:
        return f"rtsp://127.0.0.1:{self.port}/live"

    @staticmethod
    def _describe(sdp: str) -> str:
        lines = []
        for line in sdp.strip().splitlines():
            if line.startswith("m="):
                kind, _port, *rest = line.split(" ")
                line = " ".join([kind, "0", *rest])
            lines.append(line)
            if line.startswith("m="):
                lines.append("a=control:track0")
        return "\r\n".join(lines) + "\r\n"

    def _relay(self) -> None:
        while not self.stopping.is_set():
            try:
                packet = self.udp.recv(65536)
            except OSError:
                continue
            frame = b"$\x00" + len(packet).to_bytes(2, "big") + packet
            with self.lock:
                clients = list(self.playing)
            for conn, lock in clients:
                try:
                    with lock:
                        conn.sendall(frame)
                    self.relayed += 1
                except OSError:
                    with self.lock:
                        if (conn, lock) in self.playing:
                            self.playing.remove((conn, lock))

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: Any) -> None:
        lock = threading.Lock()
        buffer = b""
        conn.settimeout(0.5)
        try:
            while not self.stopping.is_set():
                if buffer.startswith(b"$") and len(buffer) >= 4:  # RTCP from the client
                    size = int.from_bytes(buffer[2:4], "big")
                    if len(buffer) < 4 + size:
                        buffer += self._recv(conn)
                        continue
                    buffer = buffer[4 + size :]
                    continue
                if b"\r\n\r\n" not in buffer:
                    buffer += self._recv(conn)
                    continue
                head, buffer = buffer.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                method, url = lines[0].split(" ")[:2]
                headers = {}
                for line in lines[1:]:
                    key, _, value = line.partition(":")
                    headers[key.strip().lower()] = value.strip()
                size = int(headers.get("content-length", "0"))
                while len(buffer) < size:
                    buffer += self._recv(conn)
                buffer = buffer[size:]
                reply, body = self._answer(method, url, headers)
                with lock:
                    conn.sendall(reply.encode("latin-1") + body)
                if method == "PLAY":
                    with self.lock:
                        self.playing.append((conn, lock))
                elif method == "TEARDOWN":
                    break
        except (OSError, ValueError, ConnectionError):
            pass
        finally:
            with self.lock:
                if (conn, lock) in self.playing:
                    self.playing.remove((conn, lock))
            conn.close()

    @staticmethod
    def _recv(conn: Any) -> bytes:
        try:
            data = conn.recv(65536)
        except TimeoutError:
            return b""
        if not data:
            raise ConnectionError("client hung up")
        return bytes(data)

    def _answer(self, method: str, url: str, headers: dict[str, str]) -> tuple[str, bytes]:
        head = f"CSeq: {headers.get('cseq', '0')}\r\n"
        body = b""
        status = "200 OK"
        if method == "OPTIONS":
            head += "Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER\r\n"
        elif method == "DESCRIBE":
            body = self.sdp.encode("ascii")
            head += f"Content-Base: {url.rstrip('/')}/\r\nContent-Type: application/sdp\r\n"
            head += f"Content-Length: {len(body)}\r\n"
        elif method == "SETUP":
            if "TCP" not in headers.get("transport", "").upper():
                status = "461 Unsupported Transport"
            else:
                head += "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n"
                head += "Session: 12345678;timeout=60\r\n"
        elif method in ("PLAY", "GET_PARAMETER", "TEARDOWN"):
            head += "Session: 12345678\r\n"
            if method == "PLAY":
                head += "Range: npt=0.000-\r\n"
        else:
            status = "501 Not Implemented"
        return f"RTSP/1.0 {status}\r\n{head}\r\n", body

    def close(self) -> None:
        self.stopping = getattr(self, "stopping", threading.Event())
        self.stopping.set()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except Exception:
                self.process.kill()
        self.listener.close()
        self.udp.close()
