"""Hostile inputs made at test time: image bombs by header, many-scan JPEGs, tiny models.

Used by tests/hostile/test_hostile.py; every maker writes into a folder it is given.
"""

from __future__ import annotations

import struct
import subprocess
import zlib
from pathlib import Path

import cv2
import numpy as np


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_bomb(path: Path, width: int = 30000, height: int = 30000, rows: int = 64) -> Path:
    """A small PNG whose IHDR declares ``width x height`` RGB pixels (the data: zeros)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    raw = zlib.compress(b"\x00" * ((width * 3 + 1) * rows), 9)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", raw)
        + _png_chunk(b"IEND", b"")
    )
    return path


def png16_rgba(path: Path, width: int, height: int) -> Path:
    """A real 16-bit RGBA PNG (a gradient, half transparent)."""
    image = np.zeros((height, width, 4), np.uint16)
    image[:, :, 0] = np.linspace(0, 65535, width, dtype=np.uint16)[None, :]
    image[:, :, 1] = 30000
    image[:, :, 3] = 40000
    cv2.imwrite(str(path), image, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    return path


def jpeg_bomb(path: Path, width: int = 40000, height: int = 40000) -> Path:
    """A real small JPEG with its frame header patched to declare ``width x height``."""
    _ok, buf = cv2.imencode(".jpg", np.full((16, 16, 3), 128, np.uint8))
    data = bytearray(buf.tobytes())
    sof = data.find(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, height, width)
    path.write_bytes(bytes(data))
    return path


def _segments(data: bytes) -> list[bytes]:
    """A JPEG's markers with their payloads; an SOS carries its entropy-coded data."""
    out, pos = [], 2
    while pos < len(data):
        marker = data[pos + 1]
        if marker == 0xD9:
            out.append(data[pos : pos + 2])
            break
        (length,) = struct.unpack_from(">H", data, pos + 2)
        end = pos + 2 + length
        if marker == 0xDA:  # entropy data runs to the next marker (not 00, not RSTn)
            while not (data[end] == 0xFF and data[end + 1] not in (0, *range(0xD0, 0xD8))):
                end += 1
        out.append(data[pos:end])
        pos = end
    return out


def many_scan_jpeg(path: Path, scans: int = 3000, size: int = 64) -> Path:
    """A progressive JPEG whose last scan is repeated until it has ``scans`` scans."""
    image = np.random.default_rng(0).integers(0, 255, (size, size, 3), dtype=np.uint8)
    _ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_PROGRESSIVE, 1])
    parts = _segments(buf.tobytes())
    sos = [p for p in parts if p[1] == 0xDA]
    extra = sos[-1] * (scans - len(sos))
    body = b"".join(parts[:-1]) + extra + parts[-1]
    path.write_bytes(b"\xff\xd8" + body)
    return path


# ------------------------------------------------------------------------------ models
def _model(kind: str) -> bytes:
    """A tiny float model: [1,8,8,3] -> mean colour [1,3] -> ``kind``.

    ``nan``: times a NaN constant (every output NaN); ``loop``: a WHILE loop whose
    condition is always true (the invoke never ends); ``two``: two outputs.
    """
    import flatbuffers
    from ai_edge_litert import schema_py_generated as s

    buffers: list[bytes] = [b""]

    def buffer(data: bytes) -> int:
        buffers.append(data)
        return len(buffers) - 1

    def tensor(shape: list[int], name: str, dtype: int = s.TensorType.FLOAT32, data: int = 0):
        t = s.TensorT()
        t.shape, t.name, t.type, t.buffer = shape, name.encode(), dtype, data
        return t

    codes: list[int] = []

    def op(code: int, inputs: list[int], outputs: list[int], kind=0, options=None):
        if code not in codes:
            codes.append(code)
        o = s.OperatorT()
        o.opcodeIndex, o.inputs, o.outputs = codes.index(code), inputs, outputs
        o.builtinOptionsType, o.builtinOptions = kind, options
        return o

    B, Opt = s.BuiltinOperator, s.BuiltinOptions
    main = s.SubGraphT()
    main.tensors = [
        tensor([1, 8, 8, 3], "image"),
        tensor([2], "axes", s.TensorType.INT32, buffer(np.array([1, 2], np.int32).tobytes())),
        tensor([1, 3], "mean"),
        tensor([3], "k", data=buffer(np.full(3, np.nan, np.float32).tobytes())),
        tensor([1, 3], "scores"),
    ]
    main.inputs, main.outputs = [0], [4]
    reducer = s.ReducerOptionsT()
    main.operators = [op(B.MEAN, [0, 1], [2], Opt.ReducerOptions, reducer)]
    subgraphs = [main]
    if kind == "nan":
        main.operators.append(op(B.MUL, [2, 3], [4], Opt.MulOptions, s.MulOptionsT()))
    elif kind == "two":
        main.tensors[3] = tensor([3], "k", data=buffer(np.ones(3, np.float32).tobytes()))
        main.tensors.append(tensor([1, 3], "second"))
        main.operators.append(op(B.MUL, [2, 3], [4], Opt.MulOptions, s.MulOptionsT()))
        main.operators.append(op(B.ADD, [2, 3], [5], Opt.AddOptions, s.AddOptionsT()))
        main.outputs = [4, 5]
    elif kind == "loop":
        loop = s.WhileOptionsT()
        loop.condSubgraphIndex, loop.bodySubgraphIndex = 1, 2
        main.operators.append(op(B.WHILE, [2], [4], Opt.WhileOptions, loop))
        cond = s.SubGraphT()
        cond.tensors = [
            tensor([1, 3], "a"),
            tensor([1], "zero", data=buffer(np.zeros(1, np.float32).tobytes())),
            tensor([1], "one", data=buffer(np.ones(1, np.float32).tobytes())),
            tensor([1], "go", s.TensorType.BOOL),
        ]
        cond.inputs, cond.outputs = [0], [3]
        cond.operators = [op(B.LESS, [1, 2], [3], Opt.LessOptions, s.LessOptionsT())]
        body = s.SubGraphT()
        body.tensors = [
            tensor([1, 3], "b"),
            tensor([3], "nothing", data=buffer(np.zeros(3, np.float32).tobytes())),
            tensor([1, 3], "b2"),
        ]
        body.inputs, body.outputs = [0], [2]
        body.operators = [op(B.ADD, [0, 1], [2], Opt.AddOptions, s.AddOptionsT())]
        subgraphs += [cond, body]
    model = s.ModelT()
    model.version = 3
    model.subgraphs = subgraphs
    model.operatorCodes = []
    for code in codes:
        c = s.OperatorCodeT()
        c.builtinCode = code
        c.deprecatedBuiltinCode = min(code, 127)
        c.version = 1
        model.operatorCodes.append(c)
    model.buffers = []
    for data in buffers:
        b = s.BufferT()
        b.data = list(data) if data else None
        model.buffers.append(b)
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def tiny_model(folder: Path, kind: str) -> Path:
    """``folder/<kind>.tflite`` and its labels file (red, green, blue)."""
    path = folder / f"{kind}.tflite"
    path.write_bytes(_model(kind))
    path.with_suffix(".txt").write_text("red\ngreen\nblue\n")
    return path


def big_frame_video(path: Path, width: int = 12000, height: int = 6000, frames: int = 3) -> Path:
    """A small MJPEG AVI (about 1 MB) of flat ``width`` x ``height`` frames, made by ffmpeg.

    72 MP frames by default: past camviz's 50 MP a frame, and about 1 GB of memory for a
    reader that decodes and converts them. The test process never holds one.
    """
    subprocess.run(
        [
            "ffmpeg", "-y", "-loglevel", "error", "-f", "lavfi",
            "-i", f"color=c=gray:s={width}x{height}:r=5",
            "-frames:v", str(frames), "-c:v", "mjpeg", "-q:v", "31", str(path),
        ],
        check=True,
        timeout=120,
    )  # fmt: skip
    return path


def big_jpeg(path: Path, width: int = 12000, height: int = 6000) -> Path:
    """A real flat JPEG of ``width`` x ``height`` (a stream frame), made by ffmpeg."""
    subprocess.run(
        [
            "ffmpeg", "-y", "-loglevel", "error", "-f", "lavfi",
            "-i", f"color=c=gray:s={width}x{height}",
            "-frames:v", "1", "-c:v", "mjpeg", "-q:v", "31", "-f", "mjpeg", str(path),
        ],
        check=True,
        timeout=120,
    )  # fmt: skip
    return path
