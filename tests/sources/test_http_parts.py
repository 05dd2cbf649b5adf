"""MJPEG parts whose Content-Length is not a length (issue 24, found by V24): a negative
number or Unicode digits is read as no length, the part's body then runs to the next
boundary and is empty. Such a part is a bad part, counted and skipped: the good parts
around it are still read (OpenCV's imdecode raised on the empty buffer, killing the
frame thread with a traceback and ending ``classify`` after two frames with exit 0)."""

from __future__ import annotations

import http.server
import json
import time

import pytest

from camviz.sources import make_source

from ..conftest import camviz
from .conftest import ORANGE
from .httpserve import BOUNDARY, Server


def _parts(bad_length: str, good: int) -> object:
    data = ORANGE.read_bytes()

    def handle(h: http.server.BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
        h.end_headers()
        for n in range(good):
            if n % 2 == 1:  # a bad part between every two good ones
                bad = f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {bad_length}"
                h.wfile.write(bad.encode() + b"\r\n\r\n")
            head = f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(data)}"
            h.wfile.write(head.encode() + b"\r\n\r\n" + data + b"\r\n")
            h.wfile.flush()
            time.sleep(0.01)

    return handle


@pytest.mark.parametrize("bad_length", ["-5", "\u00b2\u00b3", "0x10", ""])
def test_a_part_whose_length_is_not_a_number_is_skipped(bad_length: str) -> None:
    server = Server(_parts(bad_length, 8), "/cam")  # type: ignore[arg-type]
    with server, make_source(server.url) as source:
        got = [source.read() for _ in range(8)]
    assert all(frame is not None for frame in got)
    assert got[5] is not None and got[5].image.shape == got[0].image.shape  # type: ignore[union-attr]


def test_classify_reads_every_good_part_around_the_bad_ones() -> None:
    with Server(_parts("-5", 12), "/cam") as server:  # type: ignore[arg-type]
        started = time.monotonic()
        result = camviz("classify", "--json", "--quiet", "--max-frames", "10", server.url)
    assert time.monotonic() - started < 30
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 10
    assert all(row["top"][0]["label"] == "orange" for row in rows)
