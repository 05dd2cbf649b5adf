"""Small HTTP servers on 127.0.0.1 for the URL tests: a photo, an MJPEG stream that ends
(and stops listening) after some frames, and an MJPEG part that declares 10 GB."""

from __future__ import annotations

import contextlib
import http.server
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

Handler = Callable[[http.server.BaseHTTPRequestHandler], None]

BOUNDARY = "camvizframe"


class Server:
    """A threading HTTP server on a free port of 127.0.0.1 running ``handle`` for every
    GET. :attr:`sent` counts the body bytes written, :attr:`requests` the GETs;
    :meth:`go_away` closes every connection and stops listening (connections refused)."""

    def __init__(self, handle: Handler, path: str = "/") -> None:
        self.handle = handle
        self.path = path
        self.sent = 0
        self.requests = 0
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._conns: list[socket.socket] = []
        outer = self

        class _Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                with outer._lock:
                    outer.requests += 1
                    outer._conns.append(self.connection)
                with contextlib.suppress(OSError):
                    outer.handle(self)

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self._up = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def write(self, handler: http.server.BaseHTTPRequestHandler, data: bytes) -> None:
        handler.wfile.write(data)
        with self._lock:
            self.sent += len(data)

    def go_away(self) -> None:
        """Stop listening and drop every connection: the server is gone."""
        self.stopping.set()
        if self._up:
            self._up = False
            self._server.shutdown()
            self._server.server_close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.go_away()
        self._thread.join(5)


def photo(data: bytes, content_type: str) -> Handler:
    """Serve ``data`` as one body of ``content_type``."""

    def handle(h: http.server.BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    return handle


def mjpeg(
    frames: list[bytes], server: list[Server], *, fps: float = 10.0, then_go_away: bool = True
) -> Handler:
    """Serve ``frames`` once as MJPEG at ``fps``; then (``then_go_away``) the server is gone.
    ``server`` is a one-element list filled in once the server exists."""

    def handle(h: http.server.BaseHTTPRequestHandler) -> None:
        srv = server[0]
        h.send_response(200)
        h.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
        h.end_headers()
        start = time.monotonic()
        for n, data in enumerate(frames):
            if srv.stopping.is_set():
                return
            part = (
                f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                f"Content-Length: {len(data)}\r\n\r\n".encode()
            )
            srv.write(h, part + data + b"\r\n")
            h.wfile.flush()
            delay = start + (n + 1) / fps - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        if then_go_away:
            threading.Thread(target=srv.go_away, daemon=True).start()

    return handle


def huge_part(good: list[bytes], server: list[Server], declared: int = 10737418240) -> Handler:
    """MJPEG: the ``good`` frames, then a part declaring ``declared`` bytes followed by
    zeros, sent for as long as the client reads them (at most ``declared``)."""

    def handle(h: http.server.BaseHTTPRequestHandler) -> None:
        srv = server[0]
        h.send_response(200)
        h.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
        h.end_headers()
        for data in good:
            head = (
                f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(data)}\r\n\r\n"
            )
            srv.write(h, head.encode() + data + b"\r\n")
            time.sleep(0.05)
        head = f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {declared}\r\n\r\n"
        srv.write(h, head.encode())
        zeros = bytes(1 << 20)
        left = declared
        while left > 0 and not srv.stopping.is_set():
            srv.write(h, zeros[: min(left, len(zeros))])
            left -= len(zeros)

    return handle
