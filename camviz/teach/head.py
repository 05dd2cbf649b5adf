"""The taught head and its file format (``*.head.npz``).

:class:`Head` holds the softmax layer (weights on standardised features) and
names the zoo backbone (by name and sha256) whose features it was fitted on.
:meth:`Head.save` writes a ``*.head.npz`` atomically: the arrays ``weights``,
``bias``, ``mean`` and ``std`` plus ``header``, a uint8 array holding a JSON
object (format ``camviz-head``, version, backbone, labels, training details).
:func:`load_head` reads one back and checks it; pickles are never loaded, only a
regular file is read, and every array's declared shape (its ``.npy`` header) and
inflated size are checked against :data:`camviz.limits.MAX_HEAD_ARRAY_BYTES`
before it is loaded.
The ``.head.npz`` naming rule itself is :data:`camviz.zoo.HEAD_SUFFIX` /
:func:`camviz.zoo.is_head_path`.
"""

from __future__ import annotations

import io
import json
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from camviz import __version__, jsonio, limits
from camviz.classifier import softmax
from camviz.errors import ModelLoadError, ModelNotFoundError, OptionsError
from camviz.fileio import check_regular_file, write_bytes_atomic
from camviz.zoo import HEAD_SUFFIX, is_head_path

__all__ = ["HEAD_FORMAT", "HEAD_VERSION", "Head", "load_head"]

HEAD_FORMAT = "camviz-head"
HEAD_VERSION = 1


@dataclass(frozen=True, eq=False)
class Head:
    """A trained softmax head: ``softmax(weights @ ((f - mean) / std) + bias)``."""

    labels: tuple[str, ...]
    weights: npt.NDArray[np.float32]  # (classes, dim)
    bias: npt.NDArray[np.float32]  # (classes,)
    mean: npt.NDArray[np.float32]  # (dim,)
    std: npt.NDArray[np.float32]  # (dim,)
    backbone: str
    backbone_sha256: str
    feature_tensor: str
    training: dict[str, Any] = field(default_factory=dict)

    @property
    def dim(self) -> int:
        """Feature size the head expects."""
        return int(self.weights.shape[1])

    def logits(self, features: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Logits for one feature vector ``(dim,)`` or a batch ``(n, dim)``."""
        z = (features.astype(np.float32) - self.mean) / self.std
        out: npt.NDArray[np.float32] = (z @ self.weights.T + self.bias).astype(np.float32)
        return out

    def probabilities(self, features: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Probabilities for one feature vector (``(classes,)``) or a batch (``(n, classes)``)."""
        logits = self.logits(features)
        if logits.ndim == 1:
            return softmax(logits)
        shifted = logits.astype(np.float64) - logits.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        probs: npt.NDArray[np.float32] = (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)
        return probs

    def predict(self, features: npt.NDArray[np.float32]) -> npt.NDArray[np.int64]:
        """Index of the best class for one feature vector, or for each of a batch."""
        result: npt.NDArray[np.int64] = np.argmax(self.logits(features), axis=-1).astype(np.int64)
        return result

    def header(self) -> dict[str, Any]:
        """The JSON header saved with the arrays (format, version, backbone, labels, ...)."""
        return {
            "format": HEAD_FORMAT,
            "version": HEAD_VERSION,
            "camviz": __version__,
            "backbone": {
                "name": self.backbone,
                "sha256": self.backbone_sha256,
                "feature_tensor": self.feature_tensor,
                "dim": self.dim,
            },
            "labels": list(self.labels),
            "arrays": {
                "weights": "float32 (classes, dim), on standardised features",
                "bias": "float32 (classes,)",
                "mean": "float32 (dim,), feature mean of the training samples",
                "std": "float32 (dim,), feature standard deviation (1 where constant)",
            },
            "training": self.training,
        }

    def save(self, path: str | Path) -> Path:
        """Write atomically (temporary file, then rename) as ``*.head.npz``."""
        target = Path(path)
        if not is_head_path(target):
            raise OptionsError(
                f"{target} does not end in {HEAD_SUFFIX}; taught models must, so that "
                f"--model recognises them (e.g. {target.name.split('.')[0]}{HEAD_SUFFIX})"
            )
        header = jsonio.dumps(self.header(), indent=1, sort_keys=True).encode("utf-8")
        buffer = io.BytesIO()
        np.savez(
            buffer,
            header=np.frombuffer(header, np.uint8),
            weights=self.weights,
            bias=self.bias,
            mean=self.mean,
            std=self.std,
        )
        try:
            return write_bytes_atomic(target, buffer.getvalue())
        except OSError as exc:
            raise OptionsError(f"cannot write {target}: {exc}") from exc


def _bad_head(path: Path, why: str) -> ModelLoadError:
    return ModelLoadError(
        f"{path} is not a usable camviz head ({why}); make one with  camviz teach DATA --out "
        f"NAME{HEAD_SUFFIX}"
    )


_ARRAYS = ("header", "weights", "bias", "mean", "std")


def _check_members(path: Path, archive: zipfile.ZipFile) -> None:
    """Refuse, from the zip directory and the ``.npy`` headers, arrays over the limit."""
    limit = limits.MAX_HEAD_ARRAY_BYTES
    over = f"over camviz's limit of {limit:,} bytes an array (set CAMVIZ_MAX_HEAD_MB)"
    infos = archive.infolist()
    if len(infos) > 64:
        raise _bad_head(path, f"it holds {len(infos)} files; a head has {len(_ARRAYS)}")
    for info in infos:
        if info.file_size > limit + 4096:
            raise _bad_head(path, f"{info.filename} inflates to {info.file_size:,} bytes, {over}")
        with archive.open(info) as member:
            version = np.lib.format.read_magic(member)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(member)
            else:
                shape, _, dtype = np.lib.format.read_array_header_2_0(member)
        if dtype.hasobject:
            raise _bad_head(
                path, f"not a readable .npz file: {info.filename} holds pickled Python objects"
            )
        declared = int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
        if declared > limit:
            raise _bad_head(
                path, f"{info.filename} declares shape {shape}, {declared:,} bytes, {over}"
            )


def load_head(path: str | Path) -> Head:
    """Read and check a ``*.head.npz`` (no pickles are ever loaded; sizes checked first)."""
    path = Path(path)
    if not path.exists():
        raise ModelNotFoundError(f"taught model {path} does not exist")
    try:
        check_regular_file(path, ModelLoadError, "taught models")
        with zipfile.ZipFile(path) as archive:
            _check_members(path, archive)
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: np.asarray(data[key]) for key in data.files if key in _ARRAYS}
    except ModelLoadError:
        raise
    except (
        OSError,
        ValueError,
        EOFError,
        zipfile.BadZipFile,
        KeyError,
        NotImplementedError,
        RuntimeError,
        zlib.error,
        MemoryError,
    ) as exc:
        raise _bad_head(path, f"not a readable .npz file: {exc}") from exc
    needed = set(_ARRAYS)
    if not needed <= set(arrays):
        raise _bad_head(path, f"it lacks {', '.join(sorted(needed - set(arrays)))}")
    # every array's dtype before any of its values is used (strings, dates, booleans, complex)
    for key in sorted(needed):
        kinds = "iu" if key == "header" else "fiu"
        if arrays[key].dtype.kind not in kinds:
            raise _bad_head(path, f"its {key} array holds {arrays[key].dtype} values, not numbers")
    try:
        header = json.loads(arrays["header"].astype(np.uint8).tobytes().decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise _bad_head(path, f"its header is not JSON: {str(exc)[:200]}") from exc
    if not isinstance(header, dict) or header.get("format") != HEAD_FORMAT:
        raise _bad_head(path, "its header does not say format camviz-head")
    version = header.get("version")
    if not isinstance(version, int) or version > HEAD_VERSION:
        raise _bad_head(
            path, f"format version {version!r}; this camviz reads up to {HEAD_VERSION}, upgrade it"
        )
    try:
        backbone = dict(header["backbone"])
        labels = tuple(str(v) for v in header["labels"])
        name, digest = str(backbone["name"]), str(backbone["sha256"])
        tensor = str(backbone.get("feature_tensor", ""))
    except (KeyError, TypeError, ValueError) as exc:
        raise _bad_head(path, f"its header lacks {exc}") from exc
    weights = arrays["weights"]
    bias, mean, std = arrays["bias"], arrays["mean"], arrays["std"]
    classes = len(labels)
    if (
        weights.ndim != 2
        or weights.shape[0] != classes
        or bias.shape != (classes,)
        or mean.shape != (weights.shape[1],)
        or std.shape != (weights.shape[1],)
        or classes < 2
    ):
        raise _bad_head(
            path,
            f"array shapes disagree (labels {classes}, weights {weights.shape}, bias "
            f"{bias.shape}, mean {mean.shape}, std {std.shape})",
        )
    if not all(np.all(np.isfinite(a)) for a in (weights, bias, mean, std)) or np.any(std <= 0):
        raise _bad_head(path, "it holds non-finite numbers or a zero std")
    return Head(
        labels,
        weights.astype(np.float32),
        bias.astype(np.float32),
        mean.astype(np.float32),
        std.astype(np.float32),
        name,
        digest,
        tensor,
        training if isinstance(training := header.get("training"), dict) else {},
    )
