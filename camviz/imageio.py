"""Reading photos into RGB uint8 arrays, and finding the photos in files and folders.

Handles what real photo collections contain: greyscale, RGBA (composited on
white), 16-bit PNG/TIFF, EXIF orientation in JPEG, TIFF, PNG (eXIf) and WebP
(turned upright), JPEGs with data after their end marker (motion photos: read up
to the marker, by the JPEG's structure). Anything that is
not a complete, decodable image raises :class:`~camviz.errors.ImageError` with
the file's name, never a half-decoded picture.

Hostile files are refused before they are decoded (:mod:`camviz.limits`): only
regular files are read (a FIFO, a device, a socket or a link to one is refused,
and never blocks), at most ``MAX_IMAGE_BYTES`` of them; the width and height the
header declares (PNG, JPEG, WebP, BMP, TIFF, GIF, PNM: :func:`image_header`) must
stay within ``MAX_IMAGE_PIXELS``, and a JPEG within ``MAX_JPEG_SCANS`` scans.
Other formats OpenCV reads are bounded by its own ``OPENCV_IO_MAX_IMAGE_PIXELS``
(which :mod:`camviz.limits` sets, if it is imported before ``cv2``). The 16-bit
path converts to 8 bits without widening, and compositing works in row bands, so
decoding needs little more than the decoded image itself.

:func:`to_rgb8` is camviz's one conversion of OpenCV images to RGB uint8; the
frame sources (:mod:`camviz.sources`) use it too, so a photo and a video or
camera frame of the same pixels give the same array.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from camviz import limits
from camviz.errors import (
    ImageDecodeError,
    ImageError,
    ImageNotFoundError,
    ImageTooLargeError,
    OptionsError,
)
from camviz.fileio import describe_kind, read_regular_file

__all__ = [
    "IMAGE_EXTENSIONS",
    "load_image",
    "decode_image",
    "check_rgb_image",
    "to_bgr8",
    "to_rgb8",
    "check_image_limits",
    "apply_orientation",
    "as_rgb8",
    "check_jpeg_complete",
    "exif_orientation",
    "jpeg_body",
    "jpeg_structure",
    "jpeg_size",
    "find_images",
    "image_header",
    "read_image_file",
    "ImageSearch",
]

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp"})

_JPEG_SOI = b"\xff\xd8\xff"
_JPEG_SOS = b"\xff\xda"
_JPEG_EOI = b"\xff\xd9"


#: A marker inside entropy-coded data: 0xFF then neither 0x00 (stuffing), a restart
#: marker (0xD0-0xD7) nor another 0xFF (fill).
_JPEG_MARKER = re.compile(b"\xff[\x01-\xcf\xd8-\xfe]")


def _jpeg_scan_end(data: bytes, pos: int) -> int:
    """Where the entropy-coded data starting at ``pos`` ends: its next real marker, or
    ``len(data)``."""
    found = _JPEG_MARKER.search(data, pos)
    return len(data) if found is None else found.start()


def _jpeg_segments(data: bytes) -> Iterator[tuple[int, int]]:
    """``(marker, pos)`` of each marker segment of a JPEG after its start-of-image, in
    order (``pos``: the offset of its 0xFF), the entropy-coded data after each start of
    scan skipped: the one walk of a JPEG's structure. It ends after the end-of-image marker
    (yielded) or the data; where the structure breaks (a byte that is no marker, a segment
    cut short or with a bad length) it yields ``(-1, pos)`` and ends."""
    pos = 2
    size = len(data)
    while pos + 1 < size:
        if data[pos] != 0xFF:
            yield -1, pos
            return
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:  # end of image
            yield marker, pos
            return
        if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:  # no length
            pos += 2
            continue
        if pos + 4 > size:
            yield -1, pos
            return
        (length,) = struct.unpack_from(">H", data, pos + 2)
        if length < 2:
            yield -1, pos
            return
        yield marker, pos
        pos += 2 + length
        if marker == 0xDA:  # start of scan: entropy-coded data up to the next marker
            pos = _jpeg_scan_end(data, pos)


def jpeg_structure(data: bytes) -> tuple[int, int] | None:
    """``(end, scans)`` of a JPEG walked by its structure: ``end`` is the offset just
    after its end-of-image marker, ``scans`` its start-of-scan segments. ``None`` if
    the data ends (or breaks) before the end marker.

    Anything after the end marker (a phone's motion-photo video, an editor's
    trailer) is not part of the image and is ignored.
    """
    scans = 0
    for marker, pos in _jpeg_segments(data):
        if marker == 0xD9:
            return pos + 2, scans
        if marker == 0xDA:
            scans += 1
        elif marker < 0:
            return None
    return None


def jpeg_body(data: bytes, name: str) -> bytes:
    """A JPEG's bytes up to its end-of-image marker; ImageDecodeError if it ends before."""
    found = jpeg_structure(data)
    if found is None:
        raise ImageDecodeError(
            f"{name} is a truncated JPEG (its image data ends before the end-of-image "
            "marker); copy the file again from its source"
        )
    return data[: found[0]]


def check_jpeg_complete(data: bytes, name: str) -> None:
    """Raise ImageDecodeError if a JPEG's data ends before its end-of-image marker
    (walked by its structure, so data after the marker is allowed)."""
    jpeg_body(data, name)


def jpeg_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a JPEG's frame header (before EXIF rotation), or None."""
    for marker, pos in _jpeg_segments(data):
        if marker in _JPEG_SOF and pos + 9 <= len(data):
            height, width = struct.unpack_from(">HH", data, pos + 5)
            return width, height
        if marker in (-1, 0xDA, 0xD9):  # broken, or a scan or the end before any frame header
            return None
    return None


_JPEG_SOF = frozenset(
    {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
)


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30:
        w, h = struct.unpack_from("<HH", data, 26)
        return w & 0x3FFF, h & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    return None


def _tiff_size(data: bytes) -> tuple[int, int] | None:
    order = "<" if data[:2] == b"II" else ">"
    if len(data) < 8 or struct.unpack_from(order + "H", data, 2)[0] != 42:
        return None  # BigTIFF and others: OpenCV's own limit applies
    (ifd,) = struct.unpack_from(order + "I", data, 4)
    if ifd + 2 > len(data):
        return None
    (count,) = struct.unpack_from(order + "H", data, ifd)
    found: dict[int, int] = {}
    for i in range(min(count, 4096)):
        at = ifd + 2 + 12 * i
        if at + 12 > len(data):
            break
        tag, kind = struct.unpack_from(order + "HH", data, at)
        if tag in (256, 257):
            fmt = "H" if kind == 3 else "I"
            found[tag] = struct.unpack_from(order + fmt, data, at + 8)[0]
    if 256 in found and 257 in found:
        return found[256], found[257]
    return None


def _pnm_size(data: bytes) -> tuple[int, int] | None:
    tokens: list[int] = []
    for line in data[2:4096].split(b"\n"):
        for token in line.split(b"#", 1)[0].split():
            if not token.isdigit():
                return None
            tokens.append(int(token))
            if len(tokens) == 2:
                return tokens[0], tokens[1]
    return None


def image_header(data: bytes) -> tuple[str, int, int] | None:
    """``(format, width, height)`` the header of encoded image bytes declares.

    Reads PNG, JPEG, WebP, BMP, TIFF, GIF and PNM headers without decoding
    anything; ``None`` for other formats or a header too damaged to read.
    """
    size: tuple[int, int] | None = None
    kind = ""
    try:
        if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
            kind, size = "PNG", struct.unpack_from(">II", data, 16)
        elif data.startswith(_JPEG_SOI):
            kind, size = "JPEG", jpeg_size(data)
        elif data.startswith(b"RIFF") and data[8:12] == b"WEBP":
            kind, size = "WebP", _webp_size(data)
        elif data.startswith(b"BM") and len(data) >= 26:
            kind = "BMP"
            if struct.unpack_from("<I", data, 14)[0] == 12:
                size = struct.unpack_from("<HH", data, 18)
            else:
                w, h = struct.unpack_from("<ii", data, 18)
                size = (abs(w), abs(h))
        elif data[:4] in (b"II*\x00", b"MM\x00*"):
            kind, size = "TIFF", _tiff_size(data)
        elif data[:6] in (b"GIF87a", b"GIF89a"):
            kind, size = "GIF", struct.unpack_from("<HH", data, 6)
        elif len(data) > 2 and data[0:1] == b"P" and data[1:2] in b"123456":
            kind, size = "PNM", _pnm_size(data)
    except struct.error:  # a header cut short
        return None
    if size is None:
        return None
    return kind, int(size[0]), int(size[1])


def check_image_limits(data: bytes, name: str) -> None:
    """Refuse, from the header alone, an image over the pixel or JPEG scan limits."""
    header = image_header(data)
    if header is not None:
        kind, width, height = header
        if width * height > limits.MAX_IMAGE_PIXELS:
            raise ImageTooLargeError(
                f"{name} is a {kind} declaring {width}x{height} pixels "
                f"({width * height / 1e6:.0f} MP), over camviz's limit of "
                f"{limits.MAX_IMAGE_PIXELS / 1e6:g} MP; it was not decoded "
                "(set CAMVIZ_MAX_PIXELS to allow more)"
            )
    if data.startswith(_JPEG_SOI):
        found = jpeg_structure(data)
        scans = found[1] if found is not None else data.count(_JPEG_SOS)
        if scans > limits.MAX_JPEG_SCANS:
            raise ImageTooLargeError(
                f"{name} is a JPEG of {scans} scans, over camviz's limit of "
                f"{limits.MAX_JPEG_SCANS} (photos have 1 to ~12); it was not decoded "
                "(set CAMVIZ_MAX_JPEG_SCANS to allow more)"
            )


#: Rows composited at a time, so RGBA on white needs no full-size float copy.
_BAND_PIXELS = 1 << 20


def _on_white(pixels: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """BGRA -> BGR composited on white: round(c * a / 255 + 255 - a), in integers."""
    height, width = pixels.shape[:2]
    out = np.empty((height, width, 3), np.uint8)
    band = max(1, _BAND_PIXELS // max(width, 1))
    for top in range(0, height, band):
        rows = pixels[top : top + band]
        alpha = rows[:, :, 3:4].astype(np.uint16)
        # c*a + 255*(255-a) <= 65025 and +127 still fits uint16; (n + 127) // 255 rounds
        # n / 255 to nearest (no exact halves exist), as np.rint of the float formula did.
        mixed = rows[:, :, :3].astype(np.uint16) * alpha + (255 - alpha) * 255 + 127
        out[top : top + band] = mixed // 255
    return out


def to_rgb8(image: npt.NDArray[Any], name: str = "image") -> npt.NDArray[np.uint8]:
    """An image as OpenCV decodes it to an HxWx3 C-contiguous RGB uint8 array.

    The one conversion camviz has, for photos and for video and camera frames:
    BGR, BGRA (composited on white) or grey (HxW or HxWx1); ``uint8``,
    ``uint16`` (rounded to the nearest 8-bit value, ``v / 257``, so 16-bit
    white stays 255 and ``v * 257`` gives back ``v``) or float in ``0..1``.
    Any other pixel type or channel count raises :class:`ImageDecodeError`
    naming ``name``.
    """
    pixels, channels = _three_channel_source(image, name)
    codes = {1: cv2.COLOR_GRAY2RGB, 3: cv2.COLOR_BGR2RGB}
    return np.ascontiguousarray(cv2.cvtColor(pixels, codes[channels]), dtype=np.uint8)


def to_bgr8(image: npt.NDArray[Any], name: str = "image") -> npt.NDArray[np.uint8]:
    """As :func:`to_rgb8`, but in OpenCV's BGR order: an HxWx3 uint8 BGR frame (what
    video files and cameras decode to) is returned as it is, with no copy and no
    conversion, when it is C-contiguous. For frames that keep the decoder's order
    until the model-size image (:class:`camviz.sources.Frame`)."""
    pixels, channels = _three_channel_source(image, name)
    if channels == 1:
        return np.ascontiguousarray(cv2.cvtColor(pixels, cv2.COLOR_GRAY2BGR), dtype=np.uint8)
    return np.ascontiguousarray(pixels, dtype=np.uint8)


def _three_channel_source(image: npt.NDArray[Any], name: str) -> tuple[npt.NDArray[np.uint8], int]:
    """``image`` in 8 bits, four channels composited on white: (pixels, 1 or 3 channels)."""
    if image.dtype == np.uint16:
        # round(v / 257) without widening: OpenCV scales and rounds straight into
        # uint8 (v / 257 is never exactly a half, so this equals (v + 128) // 257).
        image = cv2.convertScaleAbs(image, alpha=1.0 / 257.0)
    elif image.dtype in (np.float32, np.float64):
        image = np.clip(np.nan_to_num(image) * 255.0 + 0.5, 0, 255)
    elif image.dtype != np.uint8:
        raise ImageDecodeError(f"{name} has unsupported pixel type {image.dtype}")
    pixels: npt.NDArray[np.uint8] = image.astype(np.uint8, copy=False)
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    if channels == 4:
        pixels = _on_white(pixels)
        channels = 3
    if channels not in (1, 3):
        raise ImageDecodeError(f"{name} has {channels} channels; expected 1, 3 or 4")
    if pixels.ndim == 3 and channels == 1:
        pixels = pixels[:, :, 0]
    return pixels, channels


def _tiff_orientation(tiff: bytes) -> int:
    """The Orientation tag (0x0112) of IFD0 of TIFF-structured bytes (EXIF), or 1."""
    if len(tiff) < 8 or tiff[:4] not in (b"II*\x00", b"MM\x00*"):
        return 1
    order = "<" if tiff[:2] == b"II" else ">"
    try:
        (ifd,) = struct.unpack_from(order + "I", tiff, 4)
        (count,) = struct.unpack_from(order + "H", tiff, ifd)
        for i in range(min(count, 1024)):
            tag, kind, _n = struct.unpack_from(order + "HHI", tiff, ifd + 2 + 12 * i)
            if tag == 0x0112 and kind == 3:  # SHORT
                value = int(struct.unpack_from(order + "H", tiff, ifd + 2 + 12 * i + 8)[0])
                return value if 1 <= value <= 8 else 1
    except struct.error:
        return 1
    return 1


def _exif_payload(payload: bytes) -> bytes:
    return payload[6:] if payload.startswith(b"Exif\x00\x00") else payload


def exif_orientation(data: bytes) -> int:
    """The EXIF orientation (1..8, 1 = upright) of a PNG (its eXIf chunk) or a WebP (its
    EXIF chunk); 1 for other formats or when there is none.

    OpenCV's decoders apply JPEG's and TIFF's own orientation; these two are read here.
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        pos = 8
        while pos + 8 <= len(data):
            length, kind = struct.unpack_from(">I4s", data, pos)
            if kind == b"eXIf":
                return _tiff_orientation(_exif_payload(data[pos + 8 : pos + 8 + length]))
            if kind == b"IEND":
                break
            pos += 12 + length
        return 1
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        pos = 12
        while pos + 8 <= len(data):
            kind, length = struct.unpack_from("<4sI", data, pos)
            if kind == b"EXIF":
                return _tiff_orientation(_exif_payload(data[pos + 8 : pos + 8 + length]))
            pos += 8 + length + (length & 1)
    return 1


def apply_orientation(image: npt.NDArray[np.uint8], orientation: int) -> npt.NDArray[np.uint8]:
    """``image`` turned upright for an EXIF orientation (1..8), as a C-contiguous array."""
    ops: dict[int, Any] = {
        2: lambda a: cv2.flip(a, 1),
        3: lambda a: cv2.rotate(a, cv2.ROTATE_180),
        4: lambda a: cv2.flip(a, 0),
        5: lambda a: cv2.transpose(a),
        6: lambda a: cv2.rotate(a, cv2.ROTATE_90_CLOCKWISE),
        7: lambda a: cv2.flip(cv2.transpose(a), -1),
        8: lambda a: cv2.rotate(a, cv2.ROTATE_90_COUNTERCLOCKWISE),
    }
    op = ops.get(orientation)
    return image if op is None else np.ascontiguousarray(op(image))


def decode_image(data: bytes, name: str = "image") -> npt.NDArray[np.uint8]:
    """Decode encoded image bytes into an upright HxWx3 RGB uint8 array.

    A JPEG is read up to its end-of-image marker (a motion photo's appended video
    is ignored); EXIF orientation is applied in JPEG and TIFF (by OpenCV), PNG (eXIf)
    and WebP (EXIF chunk).
    """
    if not data:
        raise ImageDecodeError(f"{name} is an empty file (0 bytes); it holds no image")
    is_jpeg = data.startswith(_JPEG_SOI)
    if is_jpeg:
        data = jpeg_body(data, name)  # trailing data (a motion photo's video) dropped
    check_image_limits(data, name)
    buffer = np.frombuffer(data, np.uint8)
    orientation = 1
    if is_jpeg:
        # IMREAD_COLOR applies the EXIF orientation; a JPEG has no alpha to lose.
        flags = cv2.IMREAD_COLOR
    else:
        # Keep alpha and 16-bit depth; PNG's and WebP's orientation is applied below.
        flags = cv2.IMREAD_UNCHANGED
        orientation = exif_orientation(data)
    try:
        image = cv2.imdecode(buffer, flags)
    except cv2.error as exc:
        reason = " ".join(str(exc).split())
        if "CV_IO_MAX_IMAGE_PIXELS" in reason:
            raise ImageTooLargeError(
                f"{name} declares more pixels than OpenCV's limit "
                f"(OPENCV_IO_MAX_IMAGE_PIXELS); it was not decoded"
            ) from exc
        raise ImageDecodeError(f"{name} cannot be decoded: {reason}") from exc
    except MemoryError as exc:
        raise ImageTooLargeError(f"{name} needs more memory to decode than is free") from exc
    if image is None or image.size == 0:
        raise ImageDecodeError(
            f"{name} is not a decodable image (expected JPEG, PNG, WebP or BMP data)"
        )
    if image.dtype == np.uint16:  # to 8 bits now, so the 16-bit array can be freed
        image = cv2.convertScaleAbs(image, alpha=1.0 / 257.0)
    return apply_orientation(to_rgb8(image, name), orientation)


def check_rgb_image(image: Any) -> None:
    """Raise :class:`OptionsError` unless ``image`` is an HxWx3 uint8 (RGB) array."""
    if (
        not isinstance(image, np.ndarray)
        or image.dtype != np.uint8
        or image.ndim != 3
        or image.shape[2] != 3
    ):
        shape = getattr(image, "shape", None)
        dtype = getattr(image, "dtype", type(image).__name__)
        raise OptionsError(f"expected an HxWx3 uint8 RGB image, got shape {shape} of {dtype}")


def as_rgb8(image: Any, color: str = "rgb", name: str = "image") -> npt.NDArray[np.uint8]:
    """An array a caller hands in, as the HxWx3 RGB uint8 the classifier takes.

    Takes what :func:`load_image` takes from files, with the same conversion
    (:func:`to_rgb8`): grey (HxW or HxWx1), three channels, four channels (alpha
    composited on white), ``uint8``, ``uint16`` (``v / 257``) or float in ``0..1``
    (clipped). ``color`` is the channel order: ``"rgb"`` (RGB, RGBA: camviz's and
    most libraries' order) or ``"bgr"`` (BGR, BGRA: OpenCV's). An HxWx3 uint8 RGB
    array is returned as it is. Anything else raises :class:`OptionsError`.
    """
    if color not in ("rgb", "bgr"):
        raise OptionsError(f"color must be 'rgb' or 'bgr', not {color!r}")
    if not isinstance(image, np.ndarray):
        raise OptionsError(f"expected an image array, got {type(image).__name__}")
    channels = 1 if image.ndim == 2 else image.shape[2] if image.ndim == 3 else 0
    kinds = (np.uint8, np.uint16, np.float32, np.float64)
    if channels not in (1, 3, 4) or image.dtype not in kinds or 0 in image.shape[:2]:
        raise OptionsError(
            f"expected an HxW, HxWx1, HxWx3 or HxWx4 image of uint8, uint16 or float (0..1), "
            f"got shape {image.shape} of {image.dtype}"
        )
    if channels == 3 and color == "rgb" and image.dtype == np.uint8:
        return image
    if channels >= 3 and color == "rgb":  # to_rgb8 reads OpenCV's BGR(A) order
        image = image[..., [2, 1, 0, 3][:channels]]
    try:
        return to_rgb8(image, name)
    except ImageDecodeError as exc:
        raise OptionsError(str(exc)) from exc


def read_image_file(path: str | Path) -> bytes:
    """A photo's bytes: a regular file only (never blocks), at most ``MAX_IMAGE_BYTES``.

    Every reader of photo files uses this (and :func:`check_image_limits` before
    decoding), so FIFOs, devices and huge files get the same one-line errors.
    """
    path = Path(path)
    try:
        return read_regular_file(
            path,
            limits.MAX_IMAGE_BYTES,
            ImageDecodeError,  # a folder, FIFO, device or socket
            "photos",
            "set CAMVIZ_MAX_IMAGE_MB to allow more",
            too_big=ImageTooLargeError,
        )
    except FileNotFoundError as exc:
        raise ImageNotFoundError(f"{path} does not exist") from exc
    except OSError as exc:
        raise ImageDecodeError(f"{path} cannot be read: {exc.strerror or exc}") from exc


def load_image(path: str | Path) -> npt.NDArray[np.uint8]:
    """Read one photo from disk as an upright HxWx3 RGB uint8 array."""
    return decode_image(read_image_file(path), str(path))


@dataclass(frozen=True, slots=True)
class ImageSearch:
    """The images found under some paths, and an error for each path that yielded none
    or was skipped (a special file, a broken link or a symlink loop inside a folder)."""

    images: tuple[Path, ...]
    problems: tuple[tuple[Path, ImageError], ...]


def _dangling(path: Path) -> ImageNotFoundError:
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return ImageNotFoundError(f"{path} is a symlink loop (skipped)")
    return ImageNotFoundError(f"{path} is a broken symlink to {os.readlink(path)} (skipped)")


def _too_long(path: Path) -> ImageNotFoundError:
    text = str(path)
    shown = text if len(text) <= 160 else f"{text[:60]}...{text[-80:]}"
    return ImageNotFoundError(
        f"{shown} ({len(text)} bytes, {len(path.parts)} folders deep) is past the system's "
        f"path length limit (PATH_MAX {os.pathconf('/', 'PC_PATH_MAX')}); it and what is "
        "below it were skipped: move them to a shallower folder"
    )


def _walk(root: Path, recursive: bool, problems: list[tuple[Path, ImageError]]) -> list[Path]:
    """Image files under ``root``; links to folders are followed once, loops reported."""
    found: list[Path] = []
    seen: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            info = os.stat(folder)
            key = (info.st_dev, info.st_ino)
            if key in seen:
                problems.append(
                    (
                        folder,
                        ImageNotFoundError(
                            f"{folder} leads back to a folder already "
                            "searched (a symlink loop; skipped)"
                        ),
                    )
                )
                continue
            seen.add(key)
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            problems.append(
                (
                    folder,
                    ImageNotFoundError(f"folder {folder} cannot be listed: {exc.strerror or exc}"),
                )
            )
            continue
        for entry in entries:
            path = Path(entry.path)
            image_like = path.suffix.lower() in IMAGE_EXTENSIONS
            try:
                mode = os.stat(path).st_mode
            except OSError as exc:
                if exc.errno == errno.ENAMETOOLONG and (image_like or recursive):
                    problems.append((path, _too_long(path)))
                elif entry.is_symlink() and (image_like or recursive):
                    problems.append((path, _dangling(path)))
                elif exc.errno not in (errno.ENOENT, errno.ELOOP) and (image_like or recursive):
                    problems.append(
                        (path, ImageNotFoundError(f"{path} cannot be read: {exc.strerror}"))
                    )
                continue
            if stat.S_ISDIR(mode):
                if recursive:
                    stack.append(path)
            elif stat.S_ISREG(mode):
                if image_like:
                    found.append(path)
            else:
                problems.append(
                    (
                        path,
                        ImageDecodeError(
                            f"{path} is {describe_kind(mode)}, not a regular file (skipped)"
                        ),
                    )
                )
    return sorted(found)


def find_images(paths: Iterable[str | Path], *, recursive: bool = True) -> ImageSearch:
    """Expand files and folders (recursively, sorted) into image paths.

    A file named explicitly is kept whatever its extension, so a bad file is
    reported by the decoder rather than skipped in silence. In folders, special
    files (FIFOs, devices, sockets), broken links and symlink loops are skipped and
    reported in ``problems``; links to folders are followed, each folder searched once.
    """
    images: list[Path] = []
    problems: list[tuple[Path, ImageError]] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = _walk(path, recursive, problems)
            if not found:
                extensions = ", ".join(sorted(IMAGE_EXTENSIONS))
                message = f"folder {path} holds no images ({extensions})"
                problems.append((path, ImageNotFoundError(message)))
            images.extend(found)
        elif path.exists():
            images.append(path)  # a FIFO or a device is refused by load_image, in order
        elif path.is_symlink():
            problems.append((path, _dangling(path)))
        else:
            problems.append((path, ImageNotFoundError(f"{path} does not exist")))
    return ImageSearch(tuple(images), tuple(problems))
