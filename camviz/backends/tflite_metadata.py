"""Read standard TFLite model metadata (labels, normalisation, colour space) without TensorFlow.

A ``.tflite`` file is a FlatBuffer (``schema.fbs``, identifier ``TFL3``).  Standard metadata
is a second FlatBuffer (``metadata_schema.fbs``, identifier ``M001``) stored in one of the
model's buffers and named ``TFLITE_METADATA`` in ``Model.metadata``; files it refers to, such
as the label file, are packed in a ZIP archive appended to the model.  This module walks both
FlatBuffers with a small bounds-checked reader (stdlib only), so the app can use it with
nothing but its TFLite runtime installed.

:func:`read_metadata` returns ``None`` for a model without metadata and raises
:class:`camviz.errors.ModelLoadError` when the bytes are not a TFLite model or the metadata is
corrupt.

Packed files are inflated only if the zip declares at most
:data:`camviz.limits.MAX_PACKED_FILE_BYTES` for them (and reading stops there
whatever it declares), so a zip bomb in a model costs nothing; the normalisation
``mean`` and ``std`` must be finite numbers.
"""

from __future__ import annotations

import io
import math
import struct
import zipfile
import zlib
from pathlib import Path

from camviz import limits
from camviz.backends.base import ModelMetadata
from camviz.errors import ModelLoadError
from camviz.fileio import read_regular_file

__all__ = ["ModelMetadata", "read_metadata", "read_metadata_file"]

_METADATA_NAME = b"TFLITE_METADATA"
_COLOR_SPACES = {0: "UNKNOWN", 1: "RGB", 2: "GRAYSCALE"}
_IMAGE_PROPERTIES = 2  # ContentProperties union member
_NORMALIZATION_OPTIONS = 1  # ProcessUnitOptions union member
_TENSOR_AXIS_LABELS = 2  # AssociatedFileType


class _Corrupt(Exception):
    pass


class _FlatBuffer:
    """Minimal bounds-checked FlatBuffer table access."""

    def __init__(self, buf: bytes | memoryview) -> None:
        self.buf = memoryview(buf)
        self.size = len(self.buf)

    def _u(self, fmt: str, pos: int) -> int:
        n = struct.calcsize(fmt)
        if pos < 0 or pos + n > self.size:
            raise _Corrupt(f"read of {n} bytes at {pos} outside a buffer of {self.size}")
        value: int = struct.unpack_from(fmt, self.buf, pos)[0]
        return value

    def root(self) -> int:
        return self._deref(0)

    def identifier(self) -> bytes:
        return bytes(self.buf[4:8]) if self.size >= 8 else b""

    def _deref(self, pos: int) -> int:
        target = pos + self._u("<I", pos)
        if target >= self.size:
            raise _Corrupt(f"offset at {pos} points outside the buffer")
        return target

    def _field(self, table: int, slot: int) -> int | None:
        vtable = table - self._u("<i", table)
        vt_size = self._u("<H", vtable)
        entry = 4 + 2 * slot
        if entry + 2 > vt_size:
            return None
        off = self._u("<H", vtable + entry)
        return table + off if off else None

    def table(self, table: int, slot: int) -> int | None:
        pos = self._field(table, slot)
        return None if pos is None else self._deref(pos)

    def scalar(self, table: int, slot: int, fmt: str, default: int) -> int:
        pos = self._field(table, slot)
        return default if pos is None else self._u(fmt, pos)

    def string(self, table: int, slot: int) -> str | None:
        raw = self.bytes_vector(table, slot)
        if raw is None:
            return None
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _Corrupt("a string is not UTF-8") from exc

    def _vector(self, table: int, slot: int) -> tuple[int, int] | None:
        pos = self.table(table, slot)
        if pos is None:
            return None
        length = self._u("<I", pos)
        return pos + 4, length

    def bytes_vector(self, table: int, slot: int) -> bytes | None:
        vec = self._vector(table, slot)
        if vec is None:
            return None
        start, length = vec
        if start + length > self.size:
            raise _Corrupt("a byte vector runs past the end of the buffer")
        return bytes(self.buf[start : start + length])

    def floats(self, table: int, slot: int) -> tuple[float, ...] | None:
        vec = self._vector(table, slot)
        if vec is None:
            return None
        start, length = vec
        if start + 4 * length > self.size:
            raise _Corrupt("a float vector runs past the end of the buffer")
        return tuple(float(x) for x in struct.unpack_from(f"<{length}f", self.buf, start))

    def tables(self, table: int, slot: int) -> list[int]:
        vec = self._vector(table, slot)
        if vec is None:
            return []
        start, length = vec
        if start + 4 * length > self.size:
            raise _Corrupt("a table vector runs past the end of the buffer")
        return [self._deref(start + 4 * i) for i in range(length)]


def _metadata_buffer(model: bytes) -> bytes | None:
    fb = _FlatBuffer(model)
    root = fb.root()
    entries = fb.tables(root, 6)  # Model.metadata
    index = None
    for entry in entries:
        if fb.bytes_vector(entry, 0) == _METADATA_NAME:  # Metadata.name
            index = fb.scalar(entry, 1, "<I", 0)  # Metadata.buffer
            break
    if index is None:
        return None
    buffers = fb.tables(root, 4)  # Model.buffers
    if index >= len(buffers):
        raise _Corrupt(f"metadata buffer index {index} out of range ({len(buffers)} buffers)")
    buffer = buffers[index]
    data = fb.bytes_vector(buffer, 0)  # Buffer.data
    if data is None:  # large models may keep buffers after the flatbuffer
        offset = fb.scalar(buffer, 1, "<Q", 0)
        size = fb.scalar(buffer, 2, "<Q", 0)
        if offset <= 1 or offset + size > len(model):
            raise _Corrupt("metadata buffer is empty")
        data = model[offset : offset + size]
    return data


def _read_zip_member(model: bytes, name: str, limit: int | None = None) -> bytes:
    """A packed file's bytes; refused, never inflated, past ``limit`` (default: the limit)."""
    if limit is None:
        limit = limits.MAX_PACKED_FILE_BYTES
    try:
        with zipfile.ZipFile(io.BytesIO(model)) as zf:
            info = zf.getinfo(name)
            if info.file_size > limit:
                raise _Corrupt(
                    f"associated file {name!r} inflates to {info.file_size:,} bytes, over "
                    f"the {limit:,} left of camviz's limit for packed files; it was not unpacked"
                )
            with zf.open(info) as member:
                data = member.read(limit + 1)
            if len(data) > limit:
                raise _Corrupt(f"associated file {name!r} inflates past {limit:,} bytes")
            return data
    except KeyError as exc:
        raise _Corrupt(f"associated file {name!r} is not packed in the model") from exc
    except (
        zipfile.BadZipFile,
        OSError,
        EOFError,
        NotImplementedError,  # a damaged header names an unknown compression method
        RuntimeError,  # ... or says the member is encrypted
        ValueError,
        zlib.error,
    ) as exc:
        raise _Corrupt(f"associated file {name!r}: the packed zip is unreadable ({exc})") from exc


def _check_normalization(mean: tuple[float, ...] | None, std: tuple[float, ...] | None) -> None:
    """Shape before values: 1 or 3 numbers each (one per channel, or one for all), finite,
    and a std above zero (a zero one divides every pixel by zero)."""
    for name, values in (("mean", mean), ("std", std)):
        if values is None:
            continue
        if len(values) not in (1, 3):
            raise _Corrupt(
                f"the input normalisation {name} has {len(values)} values; it takes 1 or 3"
            )
        if not all(math.isfinite(v) for v in values):
            raise _Corrupt(f"the input normalisation {name} {list(values)} is not finite")
    if std is not None and min(std) <= 0:
        raise _Corrupt(f"the input normalisation std {list(std)} is not above zero")


def _parse(model: bytes, meta: bytes) -> ModelMetadata:
    fb = _FlatBuffer(meta)
    if fb.identifier() != b"M001":
        raise _Corrupt("metadata buffer does not carry the M001 identifier")
    root = fb.root()
    mean = std = None
    color_space = None
    labels_file = None
    localized: dict[str, str] = {}  # locale -> its first label file
    subgraphs = fb.tables(root, 3)  # ModelMetadata.subgraph_metadata
    if subgraphs:
        sg = subgraphs[0]
        inputs = fb.tables(sg, 2)  # SubGraphMetadata.input_tensor_metadata
        if inputs:
            tensor = inputs[0]
            content = fb.table(tensor, 3)  # TensorMetadata.content
            if content is not None and fb.scalar(content, 0, "<B", 0) == _IMAGE_PROPERTIES:
                props = fb.table(content, 1)
                if props is not None:
                    code = fb.scalar(props, 0, "<b", 0)
                    color_space = _COLOR_SPACES.get(code, f"UNKNOWN({code})")
            for unit in fb.tables(tensor, 4):  # TensorMetadata.process_units
                if fb.scalar(unit, 0, "<B", 0) == _NORMALIZATION_OPTIONS:
                    options = fb.table(unit, 1)
                    if options is not None:
                        mean = fb.floats(options, 0)
                        std = fb.floats(options, 1)
                        _check_normalization(mean, std)
                    break
        outputs = fb.tables(sg, 3)  # SubGraphMetadata.output_tensor_metadata
        candidates = fb.tables(outputs[0], 6) if outputs else []
        candidates += fb.tables(sg, 4) + fb.tables(root, 6)
        for assoc in candidates:
            if fb.scalar(assoc, 2, "<b", 0) != _TENSOR_AXIS_LABELS:
                continue
            name = fb.string(assoc, 0)  # AssociatedFile.name
            if not name:
                continue
            locale = fb.string(assoc, 3)  # AssociatedFile.locale
            if labels_file is None:
                labels_file = name
            if locale:
                localized.setdefault(locale, name)
    # every label file read counts against one budget, so many locales cannot add up
    budget = [limits.MAX_PACKED_FILE_BYTES]
    labels = _label_lines(model, labels_file, budget) if labels_file else None
    display_names = tuple(
        (locale, labels if name == labels_file and labels else _label_lines(model, name, budget))
        for locale, name in localized.items()
    )
    return ModelMetadata(
        name=fb.string(root, 0),
        description=fb.string(root, 1),
        labels=labels,
        mean=mean,
        std=std,
        color_space=color_space,
        version=fb.string(root, 2),
        author=fb.string(root, 4),
        license=fb.string(root, 5),
        min_parser_version=fb.string(root, 7),
        labels_file=labels_file,
        display_names=display_names,
    )


def _label_lines(model: bytes, name: str, budget: list[int]) -> tuple[str, ...]:
    """A packed label file's lines; ``budget[0]``, the bytes left to unpack, shrinks by it."""
    raw = _read_zip_member(model, name, budget[0])
    budget[0] -= len(raw)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Corrupt(f"label file {name!r} is not UTF-8") from exc
    return tuple(line.rstrip("\r") for line in text.rstrip("\n").split("\n"))


def read_metadata(model_bytes: bytes) -> ModelMetadata | None:
    """The model's standard metadata, or ``None`` if it has none.

    Raises :class:`ModelLoadError` if ``model_bytes`` is not a TFLite model or its metadata
    (or the label file it names) is corrupt.
    """
    data = bytes(model_bytes)
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise ModelLoadError("not a TFLite model: the TFL3 file identifier is missing")
    try:
        meta = _metadata_buffer(data)
    except _Corrupt as exc:
        raise ModelLoadError(f"the TFLite model structure is corrupt: {exc}") from exc
    if meta is None:
        return None
    try:
        return _parse(data, meta)
    except _Corrupt as exc:
        raise ModelLoadError(f"the model's TFLite metadata is corrupt: {exc}") from exc


def read_metadata_file(path: str | Path) -> ModelMetadata | None:
    """:func:`read_metadata` of a file (a regular file of at most ``MAX_MODEL_BYTES``)."""
    try:
        data = read_regular_file(
            path, limits.MAX_MODEL_BYTES, ModelLoadError, "models", "set CAMVIZ_MAX_MODEL_MB"
        )
    except OSError as exc:
        raise ModelLoadError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        return read_metadata(data)
    except ModelLoadError as exc:
        raise ModelLoadError(f"{path}: {exc}") from exc
