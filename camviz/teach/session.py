"""Teach new classes: a softmax head on the pooled features of a zoo backbone.

Transfer learning in seconds on a CPU, from a folder with one subfolder per
class holding photos and/or videos (``camviz teach DATA --out my.head.npz``),
or from frames handed over one by one (a GUI's live camera) through
:class:`TeachSession`::

    session = TeachSession()                 # loads the backbone on this thread
    session.add_sample("mug", frame)         # HxWx3 RGB uint8; features extracted now
    ...
    report = session.train()                 # numpy only: fine on a worker thread
    print(report.format())
    session.save("mug_or_not.head.npz")
    clf = session.to_classifier()            # a Classifier; new interpreter on this thread

A saved head (``*.head.npz``: arrays plus a JSON header, never pickles) is
accepted wherever a model is (``--model my.head.npz``): :func:`camviz.loading.open_classifier`
hands such paths to :func:`load_taught_classifier`.

Validation split: samples of a video (or of one camera recording) are split by
time, the first part for training and the last for validation, so neighbouring
frames never sit on both sides; single photos are split by a seeded shuffle.
Augmented copies (flips, crop jitter, brightness) are made of training samples only.
"""

from __future__ import annotations

import io
import json
import math
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import cv2
import numpy as np
import numpy.typing as npt

from camviz import __version__
from camviz.classifier import Classifier, ClassifierOptions, ModelInfo, softmax
from camviz.errors import (
    ExtraNotInstalledError,
    ImageError,
    ModelLoadError,
    ModelNotFoundError,
    OptionsError,
    SourceError,
    TeachError,
    format_error,
)
from camviz.features import Backbone, FeatureExtractor, load_backbone
from camviz.fileio import write_bytes_atomic
from camviz.imageio import IMAGE_EXTENSIONS, load_image
from camviz.sources import VideoSource
from camviz.zoo import load_zoo, read_labels

if TYPE_CHECKING:
    from camviz.build.export_head import ExportResult

__all__ = [
    "HEAD_SUFFIX",
    "VIDEO_EXTENSIONS",
    "TrainOptions",
    "SampleKey",
    "Head",
    "TrainReport",
    "TeachSession",
    "TaughtClassifier",
    "assign_splits",
    "augment",
    "fit_softmax",
    "teach_folder",
    "load_head",
    "load_taught_classifier",
    "is_head_path",
    "format_confusion",
    "save_confusion_png",
    "export_tflite",
    "require_export",
]

HEAD_SUFFIX = ".head.npz"
HEAD_FORMAT = "camviz-head"
HEAD_VERSION = 1
VIDEO_EXTENSIONS = frozenset(
    {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".ogv"}
)
MIN_SAMPLES = 2  # per class, before augmentation

Progress = Callable[[int, int], None]
Split = Literal["train", "val"]


def is_head_path(model: str | Path) -> bool:
    """Whether ``--model`` names a taught head (by its ``.head.npz`` ending)."""
    return str(model).lower().endswith(HEAD_SUFFIX)


# ------------------------------------------------------------------------------ options
@dataclass(frozen=True, slots=True)
class TrainOptions:
    """How to split, augment and fit; validated when made."""

    val: float = 0.2  # fraction held out for validation (0 = none)
    seed: int = 0
    l2: float = 1e-4  # L2 penalty on the weights (standardised features, mean loss)
    max_iter: int = 300
    tol: float = 1e-5  # stop when the gradient's max-norm falls below it
    balance: bool = True  # weight classes equally whatever their sample counts
    frames_per_video: int = 50
    augment: bool = False
    augment_copies: int = 2  # augmented copies per training sample

    def __post_init__(self) -> None:
        if not 0.0 <= self.val < 1.0:
            raise OptionsError(
                f"val must be a fraction from 0 up to (not including) 1, got {self.val}"
            )
        if not self.l2 >= 0.0:
            raise OptionsError(f"l2 must be zero or positive, got {self.l2}")
        if not isinstance(self.max_iter, int) or self.max_iter < 1:
            raise OptionsError(
                f"max_iter must be a whole number of at least 1, got {self.max_iter}"
            )
        if not isinstance(self.frames_per_video, int) or self.frames_per_video < 1:
            raise OptionsError(
                "frames_per_video must be a whole number of at least 1, "
                f"got {self.frames_per_video}"
            )
        if not isinstance(self.augment_copies, int) or self.augment_copies < 1:
            raise OptionsError(f"augment_copies must be at least 1, got {self.augment_copies}")


# ------------------------------------------------------------------------------ splitting
@dataclass(frozen=True, slots=True)
class SampleKey:
    """Where a sample comes from: enough to split it without looking at pixels.

    ``group`` is a file path or a recording id; ``sequence`` is True for video
    frames and camera recordings (split by ``order``, i.e. by time) and False
    for single photos (split by a seeded shuffle).
    """

    label: str
    group: str
    order: int = 0
    sequence: bool = False


def _stable_seed(seed: int, text: str) -> int:
    value = seed & 0xFFFFFFFF
    for byte in text.encode("utf-8"):
        value = (value * 1_000_003 + byte) & 0xFFFFFFFF
    return value


def assign_splits(keys: Sequence[SampleKey], val: float, seed: int = 0) -> list[Split]:
    """``"train"`` or ``"val"`` for every key; deterministic, and the same for the same keys.

    Sequence groups: the first ``1 - val`` of each group's frames (by order) train,
    the rest validate. Photos of a class: a seeded shuffle, ``round(val * n)`` validate.
    Every class keeps at least one training sample.
    """
    splits: list[Split] = ["train"] * len(keys)
    if val <= 0:
        return splits
    groups: dict[tuple[str, str], list[int]] = {}
    photos: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        if key.sequence:
            groups.setdefault((key.label, key.group), []).append(i)
        else:
            photos.setdefault(key.label, []).append(i)
    for members in groups.values():
        members.sort(key=lambda i: keys[i].order)
        n = len(members)
        n_val = min(n - 1, math.floor(n * val + 0.5)) if n > 1 else 0
        for i in members[n - n_val :]:
            splits[i] = "val"
    for label, members in photos.items():
        members.sort(key=lambda i: (keys[i].group, keys[i].order))
        rng = np.random.default_rng(_stable_seed(seed, label))
        order = rng.permutation(len(members))
        n_val = min(len(members) - 1, math.floor(len(members) * val + 0.5))
        for j in order[:n_val]:
            splits[members[int(j)]] = "val"
    by_label: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        by_label.setdefault(key.label, []).append(i)
    for members in by_label.values():  # never leave a class without training data
        if all(splits[i] == "val" for i in members):
            splits[members[0]] = "train"
    return splits


# ------------------------------------------------------------------------------ augmentation
def augment(
    image: npt.NDArray[np.uint8], rng: np.random.Generator, copies: int = 2
) -> list[npt.NDArray[np.uint8]]:
    """``copies`` variants of a frame: a horizontal flip (every other copy), a random
    crop of 70-100% of each side, and brightness/contrast jitter of up to 20%."""
    out: list[npt.NDArray[np.uint8]] = []
    height, width = image.shape[:2]
    for n in range(copies):
        variant = image[:, ::-1] if n % 2 == 0 else image
        scale = float(rng.uniform(0.7, 1.0))
        ch, cw = max(8, int(height * scale)), max(8, int(width * scale))
        top = int(rng.integers(0, height - ch + 1))
        left = int(rng.integers(0, width - cw + 1))
        variant = variant[top : top + ch, left : left + cw]
        gain = float(rng.uniform(0.8, 1.2))
        bias = float(rng.uniform(-0.1, 0.1)) * 255.0
        jittered = cv2.convertScaleAbs(np.ascontiguousarray(variant), alpha=gain, beta=bias)
        out.append(np.ascontiguousarray(jittered))
    return out


# ------------------------------------------------------------------------------ fitting
def _lbfgs(
    fun: Callable[[npt.NDArray[np.float64]], tuple[float, npt.NDArray[np.float64]]],
    x0: npt.NDArray[np.float64],
    max_iter: int,
    tol: float,
    memory: int = 10,
) -> tuple[npt.NDArray[np.float64], float, int]:
    """Minimise a smooth function with L-BFGS and a backtracking (Armijo) line search."""
    x = x0.copy()
    f, g = fun(x)
    s_hist: list[npt.NDArray[np.float64]] = []
    y_hist: list[npt.NDArray[np.float64]] = []
    iteration = 0
    while iteration < max_iter and float(np.max(np.abs(g))) >= tol:
        iteration += 1
        # two-loop recursion: direction = -H g
        q = g.copy()
        alphas: list[float] = []
        for s, y in zip(reversed(s_hist), reversed(y_hist), strict=True):
            a = float(s @ q) / float(y @ s)
            alphas.append(a)
            q -= a * y
        if y_hist:
            q *= float(s_hist[-1] @ y_hist[-1]) / float(y_hist[-1] @ y_hist[-1])
        for (s, y), a in zip(zip(s_hist, y_hist, strict=True), reversed(alphas), strict=True):
            b = float(y @ q) / float(y @ s)
            q += (a - b) * s
        direction = -q
        slope = float(g @ direction)
        if slope >= 0:  # not a descent direction: restart from steepest descent
            s_hist.clear()
            y_hist.clear()
            direction = -g
            slope = float(g @ direction)
        step = 1.0 if s_hist else min(1.0, 1.0 / max(float(np.sum(np.abs(g))), 1e-12))
        for _ in range(40):
            x_new = x + step * direction
            f_new, g_new = fun(x_new)
            if f_new <= f + 1e-4 * step * slope:
                break
            step *= 0.5
        else:
            break  # no progress possible at machine precision
        s_vec, y_vec = x_new - x, g_new - g
        if float(s_vec @ y_vec) > 1e-10:
            s_hist.append(s_vec)
            y_hist.append(y_vec)
            if len(s_hist) > memory:
                s_hist.pop(0)
                y_hist.pop(0)
        converged = abs(f - f_new) <= 1e-12 * max(1.0, abs(f))
        x, f, g = x_new, f_new, g_new
        if converged:
            break
    return x, f, iteration


@dataclass(frozen=True, slots=True)
class FitResult:
    weights: npt.NDArray[np.float32]  # (classes, dim) on standardised features
    bias: npt.NDArray[np.float32]
    mean: npt.NDArray[np.float32]
    std: npt.NDArray[np.float32]
    loss: float
    iterations: int
    seconds: float


def fit_softmax(
    features: npt.NDArray[np.float32],
    targets: npt.NDArray[np.int64],
    num_classes: int,
    *,
    l2: float = 1e-4,
    max_iter: int = 300,
    tol: float = 1e-5,
    balance: bool = True,
) -> FitResult:
    """Multinomial logistic regression with an L2 penalty, fitted by L-BFGS on
    standardised features. Deterministic (starts from zero)."""
    start = time.perf_counter()
    x = features.astype(np.float64)
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    std[std < 1e-6] = 1.0
    z = (x - mean) / std
    n, dim = z.shape
    onehot = np.zeros((n, num_classes))
    onehot[np.arange(n), targets] = 1.0
    counts = np.bincount(targets, minlength=num_classes).astype(np.float64)
    if balance:
        per_class = np.where(counts > 0, 1.0 / np.maximum(counts, 1.0), 0.0)
        sample_w = per_class[targets]
    else:
        sample_w = np.ones(n)
    sample_w /= sample_w.sum()
    weighted = onehot * sample_w[:, None]

    def loss_grad(theta: npt.NDArray[np.float64]) -> tuple[float, npt.NDArray[np.float64]]:
        w = theta[: num_classes * dim].reshape(num_classes, dim)
        b = theta[num_classes * dim :]
        logits = z @ w.T + b
        logits -= logits.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(logits).sum(axis=1, keepdims=True))
        log_p = logits - log_norm
        loss = -float(np.sum(weighted * log_p)) + 0.5 * l2 * float(np.sum(w * w))
        residual = np.exp(log_p) * sample_w[:, None] - weighted  # d loss / d logits
        grad_w = residual.T @ z + l2 * w
        grad_b = residual.sum(axis=0)
        return loss, np.concatenate([grad_w.ravel(), grad_b])

    theta, loss, iterations = _lbfgs(
        loss_grad, np.zeros(num_classes * (dim + 1)), max_iter=max_iter, tol=tol
    )
    weights = theta[: num_classes * dim].reshape(num_classes, dim)
    bias = theta[num_classes * dim :]
    return FitResult(
        weights.astype(np.float32),
        bias.astype(np.float32),
        mean.astype(np.float32),
        std.astype(np.float32),
        loss,
        iterations,
        time.perf_counter() - start,
    )


# ------------------------------------------------------------------------------ the head
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
        result: npt.NDArray[np.int64] = np.argmax(self.logits(features), axis=-1).astype(np.int64)
        return result

    def header(self) -> dict[str, Any]:
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
        header = json.dumps(self.header(), indent=1, sort_keys=True).encode("utf-8")
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


def load_head(path: str | Path) -> Head:
    """Read and check a ``*.head.npz`` (no pickles are ever loaded)."""
    path = Path(path)
    if not path.is_file():
        raise ModelNotFoundError(f"taught model {path} does not exist")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: np.asarray(data[key]) for key in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise _bad_head(path, f"not a readable .npz file: {exc}") from exc
    needed = {"header", "weights", "bias", "mean", "std"}
    if not needed <= set(arrays):
        raise _bad_head(path, f"it lacks {', '.join(sorted(needed - set(arrays)))}")
    try:
        header = json.loads(arrays["header"].astype(np.uint8).tobytes().decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise _bad_head(path, f"its header is not JSON: {exc}") from exc
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
        dict(header.get("training") or {}),
    )


def _backbone_for(head: Head, source: str) -> Backbone:
    """The zoo backbone a head was trained on, checked by sha256."""
    zoo = load_zoo()
    name = head.backbone
    if name not in zoo.names:
        same = zoo.by_sha256(head.backbone_sha256)
        if same is None:
            raise ModelNotFoundError(
                f"{source} was taught on backbone {name!r}, which is not in the zoo "
                f"({', '.join(zoo.names)}); teach it again on one of those"
            )
        name = same.name
    backbone = load_backbone(name)
    if backbone.sha256 != head.backbone_sha256:
        raise ModelLoadError(
            f"{source} was taught on {head.backbone} with sha256 {head.backbone_sha256[:16]}..., "
            f"but models/{backbone.spec.path.name} now has sha256 {backbone.sha256[:16]}... "
            "(the backbone was rebuilt or replaced): its features differ, so teach the classes "
            "again with  camviz teach"
        )
    if backbone.dim != head.dim:
        raise ModelLoadError(f"{source} expects {head.dim} features; {name} gives {backbone.dim}")
    return backbone


# ------------------------------------------------------------------------------ classifier
class TaughtClassifier(Classifier):
    """A :class:`Classifier` whose scores come from a taught head on backbone features.

    Same interface as any classifier (classify, preprocess, probabilities, result_from,
    invoke_raw, update, close, context manager); ``invoke_raw`` returns features.
    """

    def __init__(
        self, extractor: FeatureExtractor, head: Head, info: ModelInfo, options: ClassifierOptions
    ) -> None:
        super().__init__(extractor.model, info, extractor.preprocessor, options)
        self.head = head
        self.extractor = extractor
        self._out_scale = 0.0  # dequantisation is the extractor's

    @classmethod
    def from_head(
        cls,
        head: Head,
        options: ClassifierOptions | None = None,
        *,
        path: Path | None = None,
        file_bytes: int = 0,
    ) -> TaughtClassifier:
        """Load the head's backbone on the calling thread and wrap both as a classifier."""
        options = options or ClassifierOptions(model=str(path or "taught"))
        source = str(path) if path else "the taught model"
        start = time.perf_counter()
        backbone = _backbone_for(head, source)
        labels = head.labels
        if options.labels is not None:
            labels = read_labels(options.labels, len(head.labels))
        extractor = FeatureExtractor.create(backbone, threads=options.threads)
        try:
            grey = np.full((extractor.input_size[1], extractor.input_size[0], 3), 128, np.uint8)
            t0 = time.perf_counter()
            extractor.extract(grey)
            first_invoke_ms = (time.perf_counter() - t0) * 1000.0
        except BaseException:
            extractor.close()
            raise
        load_ms = (t0 - start) * 1000.0
        tensor = extractor.model.inputs[0]
        name = path.name[: -len(HEAD_SUFFIX)] if path and is_head_path(path) else "taught"
        info = ModelInfo(
            name=name,
            path=path,
            input_size=extractor.input_size,
            dtype=str(tensor.dtype),
            num_classes=len(labels),
            labels=labels,
            file_bytes=file_bytes + backbone.file_bytes,
            output="logits",
            preprocessing=backbone.spec.preprocessing,
            runtime=extractor.runtime,
            load_ms=load_ms,
            first_invoke_ms=first_invoke_ms,
            spec=None,
        )
        return cls(extractor, head, info, options)

    def probabilities(self, raw: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
        """Raw feature tensor -> probability for every taught label."""
        return self.head.probabilities(self.extractor.dequantize(raw))

    def close(self) -> None:
        super().close()
        self.extractor.close()

    def __enter__(self) -> TaughtClassifier:
        return self


def load_taught_classifier(options: ClassifierOptions) -> TaughtClassifier:
    """What :func:`camviz.loading.open_classifier` does for ``*.head.npz`` paths."""
    path = Path(str(options.model)).expanduser()
    head = load_head(path)
    return TaughtClassifier.from_head(head, options, path=path, file_bytes=path.stat().st_size)


# ------------------------------------------------------------------------------ report
@dataclass(frozen=True)
class TrainReport:
    """What training did and how well the head does on held-out samples."""

    labels: tuple[str, ...]
    train_counts: tuple[int, ...]  # per class, augmented copies included
    val_counts: tuple[int, ...]
    train_accuracy: float
    val_accuracy: float | None  # None without validation samples
    class_accuracy: tuple[float | None, ...]  # validation accuracy per class
    confusion: npt.NDArray[np.int64]  # validation: rows true class, columns predicted
    loss: float
    iterations: int
    train_seconds: float
    extract_seconds: float = 0.0
    extracted: int = 0  # frames run through the backbone
    skipped: tuple[str, ...] = ()  # files that could not be read, with the reason
    backbone: str = ""
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def extract_ms_per_frame(self) -> float | None:
        return self.extract_seconds * 1000.0 / self.extracted if self.extracted else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "labels": list(self.labels),
            "backbone": self.backbone,
            "train_counts": list(self.train_counts),
            "val_counts": list(self.val_counts),
            "train_accuracy": self.train_accuracy,
            "val_accuracy": self.val_accuracy,
            "class_accuracy": list(self.class_accuracy),
            "confusion": self.confusion.tolist(),
            "loss": self.loss,
            "iterations": self.iterations,
            "train_seconds": round(self.train_seconds, 4),
            "extract_seconds": round(self.extract_seconds, 3),
            "extracted": self.extracted,
            "skipped": list(self.skipped),
            "options": self.options,
        }

    def format(self) -> str:
        """Per-class counts and accuracy, then the confusion matrix, as text."""
        lines = []
        width = max(len(label) for label in self.labels)
        width = max(width, len("class"))
        lines.append(f"{'class'.ljust(width)}  train    val  val accuracy")
        for i, label in enumerate(self.labels):
            acc = self.class_accuracy[i]
            text = "-" if acc is None else f"{acc * 100:.1f}%"
            counts = f"{self.train_counts[i]:5d}  {self.val_counts[i]:5d}"
            lines.append(f"{label.ljust(width)}  {counts}  {text:>12}")
        overall = "-" if self.val_accuracy is None else f"{self.val_accuracy * 100:.1f}%"
        lines.append(
            f"validation accuracy {overall}, training accuracy {self.train_accuracy * 100:.1f}%"
        )
        timing = f"fit {self.train_seconds * 1000:.0f} ms ({self.iterations} L-BFGS iterations)"
        if self.extracted:
            timing += (
                f", features {self.extract_seconds:.1f} s for {self.extracted} frames "
                f"({self.extract_ms_per_frame:.1f} ms/frame)"
            )
        lines.append(timing)
        if int(self.confusion.sum()):
            lines.append("")
            lines.append("confusion matrix (validation; rows: true class, columns: predicted)")
            lines.append(format_confusion(self.labels, self.confusion))
        return "\n".join(lines)


def format_confusion(labels: Sequence[str], matrix: npt.NDArray[np.int64]) -> str:
    """A text confusion matrix; columns are numbered, the key is in the row names."""
    width = max(len(f"{i}: {label}") for i, label in enumerate(labels))
    cell = max(3, len(str(int(matrix.max()) if matrix.size else 0)) + 1)
    head = " " * width + "".join(str(i).rjust(cell) for i in range(len(labels)))
    rows = [head]
    for i, label in enumerate(labels):
        name = f"{i}: {label}".ljust(width)
        rows.append(name + "".join(str(int(v)).rjust(cell) for v in matrix[i]))
    return "\n".join(rows)


def save_confusion_png(report: TrainReport, path: str | Path) -> Path:
    """The validation confusion matrix as a PNG (needs matplotlib, the 'plot' extra)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ExtraNotInstalledError("Confusion plot", "plot", "matplotlib") from exc
    target = Path(path)
    matrix = report.confusion
    n = len(report.labels)
    size = 1.6 + 0.6 * n
    fig, ax = plt.subplots(figsize=(size + 1.5, size))
    try:
        totals = matrix.sum(axis=1, keepdims=True)
        share = np.divide(matrix, np.maximum(totals, 1))
        image = ax.imshow(share, cmap="Blues", vmin=0.0, vmax=1.0)
        ax.set_xticks(range(n), report.labels, rotation=45, ha="right")
        ax.set_yticks(range(n), report.labels)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true class")
        acc = "-" if report.val_accuracy is None else f"{report.val_accuracy * 100:.1f}%"
        ax.set_title(f"validation accuracy {acc}")
        for i in range(n):
            for j in range(n):
                colour = "white" if share[i, j] > 0.5 else "black"
                ax.text(j, i, str(int(matrix[i, j])), ha="center", va="center", color=colour)
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of the row")
        fig.tight_layout()
        try:
            fig.savefig(target, dpi=100)
        except OSError as exc:
            raise OptionsError(f"cannot write {target}: {exc}") from exc
    finally:
        plt.close(fig)
    return target


# ------------------------------------------------------------------------------ session
class TeachSession:
    """Collect labelled frames, train a head, classify with it, save it.

    Frames go through the backbone when added (:meth:`add_sample`, on the thread
    that created the session, which owns the interpreter); :meth:`train` is numpy
    only and may run on a worker thread. A GUI's Teach panel calls
    ``add_sample(label, frame)`` as it captures (one ``recording`` per press of a
    capture button, so that split by time works), ``train()`` in the background,
    then ``to_classifier()`` on its inference thread, or ``save(path)``.
    """

    def __init__(
        self,
        backbone: str | Backbone = "",
        *,
        options: TrainOptions | None = None,
        threads: int = 2,
        extractor: FeatureExtractor | None = None,
    ) -> None:
        self.options = options or TrainOptions()
        self.extractor = extractor or FeatureExtractor.create(backbone, threads=threads)
        self._features: list[npt.NDArray[np.float32]] = []
        self._keys: list[SampleKey] = []
        self._parent: list[int] = []  # -1 for originals, else the index of the original
        self._labels: list[str] = []
        self._rng = np.random.default_rng(self.options.seed)
        self.extract_seconds = 0.0
        self.extracted = 0
        self.skipped: list[str] = []
        self.head: Head | None = None
        self.report: TrainReport | None = None

    # collecting --------------------------------------------------------------------------
    @property
    def labels(self) -> tuple[str, ...]:
        """Class names in the order they were first added."""
        return tuple(self._labels)

    def counts(self) -> dict[str, int]:
        """Original (not augmented) samples per class."""
        result = dict.fromkeys(self._labels, 0)
        for key, parent in zip(self._keys, self._parent, strict=True):
            if parent < 0:
                result[key.label] += 1
        return result

    def add_class(self, label: str) -> None:
        label = label.strip()
        if not label:
            raise OptionsError("a class needs a non-empty name")
        if label not in self._labels:
            self._labels.append(label)

    def remove_class(self, label: str) -> None:
        """Forget a class and all its samples."""
        keep = [i for i, key in enumerate(self._keys) if key.label != label]
        remap = {old: new for new, old in enumerate(keep)}
        self._features = [self._features[i] for i in keep]
        self._keys = [self._keys[i] for i in keep]
        self._parent = [remap[self._parent[i]] if self._parent[i] >= 0 else -1 for i in keep]
        if label in self._labels:
            self._labels.remove(label)

    def add_sample(
        self,
        label: str,
        frame: npt.NDArray[np.uint8],
        *,
        recording: str = "camera",
        order: int | None = None,
        sequence: bool = True,
        augment_copies: int | None = None,
    ) -> npt.NDArray[np.float32]:
        """Add one HxWx3 RGB uint8 frame of class ``label``; returns its features.

        ``recording`` groups frames that were captured in a row (a video file, one
        camera capture); with ``sequence=True`` they are split by ``order`` (time,
        default: the order of adding). Augmented copies (``options.augment``) are
        made now and used only if the frame ends up in the training split.
        """
        self.add_class(label)
        label = label.strip()
        if order is None:
            order = sum(1 for k in self._keys if k.group == recording and k.label == label)
        start = time.perf_counter()
        features = self.extractor.extract(frame)
        self.extracted += 1
        index = len(self._keys)
        self._features.append(features)
        self._keys.append(SampleKey(label, recording, order, sequence))
        self._parent.append(-1)
        copies = (
            augment_copies
            if augment_copies is not None
            else (self.options.augment_copies if self.options.augment else 0)
        )
        if copies:
            for variant in augment(frame, self._rng, copies):
                self._features.append(self.extractor.extract(variant))
                self._keys.append(SampleKey(label, recording, order, sequence))
                self._parent.append(index)
                self.extracted += 1
        self.extract_seconds += time.perf_counter() - start
        return features

    def add_features(
        self, label: str, features: npt.NDArray[np.float32], key: SampleKey | None = None
    ) -> None:
        """Add a precomputed feature vector (e.g. cached) as an original sample."""
        vector = np.asarray(features, np.float32).reshape(-1)
        if vector.shape != (self.extractor.dim,):
            raise OptionsError(
                f"features must have {self.extractor.dim} values, got {vector.shape}"
            )
        self.add_class(label)
        label = label.strip()
        self._features.append(vector)
        order = sum(1 for k in self._keys if k.label == label)
        self._keys.append(key or SampleKey(label, "features", order, True))
        self._parent.append(-1)

    # training ----------------------------------------------------------------------------
    def _check_enough(self) -> None:
        counts = self.counts()
        labels = [label for label, n in counts.items() if n > 0]
        empty = [label for label, n in counts.items() if n == 0]
        if empty:
            raise TeachError(
                f"class {empty[0]!r} has no samples; add at least {MIN_SAMPLES} frames or "
                "photos of it, or remove the class"
            )
        if len(labels) < 2:
            only = f" (only {labels[0]!r})" if labels else ""
            raise TeachError(
                f"teaching needs at least 2 classes{only}; add a second class, for example "
                "'background' with frames of everything else"
            )
        small = [(label, n) for label, n in counts.items() if n < MIN_SAMPLES]
        if small:
            label, n = small[0]
            raise TeachError(
                f"class {label!r} has only {n} usable sample; add at least {MIN_SAMPLES} "
                "(better 20 or more, from different views) or remove the class"
            )

    def train(self) -> TrainReport:
        """Split, fit and evaluate; sets :attr:`head` and :attr:`report`. Numpy only."""
        self._check_enough()
        opts = self.options
        labels = tuple(self._labels)
        index = {label: i for i, label in enumerate(labels)}
        originals = [i for i, p in enumerate(self._parent) if p < 0]
        splits_of = dict(
            zip(
                originals,
                assign_splits([self._keys[i] for i in originals], opts.val, opts.seed),
                strict=True,
            )
        )
        split = [
            splits_of[i] if self._parent[i] < 0 else splits_of[self._parent[i]]
            for i in range(len(self._keys))
        ]
        train_idx = [i for i in range(len(self._keys)) if split[i] == "train"]
        val_idx = [i for i in originals if split[i] == "val"]  # augmented copies never validate
        features = np.stack(self._features)
        targets = np.array([index[k.label] for k in self._keys], np.int64)
        fit = fit_softmax(
            features[train_idx],
            targets[train_idx],
            len(labels),
            l2=opts.l2,
            max_iter=opts.max_iter,
            tol=opts.tol,
            balance=opts.balance,
        )
        backbone = self.extractor.backbone
        training = {
            "samples": {
                label: {
                    "train": int(np.sum(targets[train_idx] == i)),
                    "val": int(np.sum(targets[val_idx] == i)),
                }
                for i, label in enumerate(labels)
            },
            "options": _options_dict(opts),
            "loss": fit.loss,
            "iterations": fit.iterations,
        }
        head = Head(
            labels,
            fit.weights,
            fit.bias,
            fit.mean,
            fit.std,
            backbone.name,
            backbone.sha256,
            backbone.dense.input_name,
            training,
        )
        train_pred = head.predict(features[train_idx])
        confusion = np.zeros((len(labels), len(labels)), np.int64)
        if val_idx:
            val_pred = head.predict(features[val_idx])
            np.add.at(confusion, (targets[val_idx], val_pred), 1)
        per_class = tuple(
            float(confusion[i, i] / confusion[i].sum()) if confusion[i].sum() else None
            for i in range(len(labels))
        )
        val_acc = float(np.trace(confusion) / confusion.sum()) if val_idx else None
        training["val_accuracy"] = val_acc
        report = TrainReport(
            labels=labels,
            train_counts=tuple(int(np.sum(targets[train_idx] == i)) for i in range(len(labels))),
            val_counts=tuple(int(np.sum(targets[val_idx] == i)) for i in range(len(labels))),
            train_accuracy=float(np.mean(train_pred == targets[train_idx])),
            val_accuracy=val_acc,
            class_accuracy=per_class,
            confusion=confusion,
            loss=fit.loss,
            iterations=fit.iterations,
            train_seconds=fit.seconds,
            extract_seconds=self.extract_seconds,
            extracted=self.extracted,
            skipped=tuple(self.skipped),
            backbone=backbone.name,
            options=_options_dict(opts),
        )
        self.head, self.report = head, report
        return report

    # using -------------------------------------------------------------------------------
    def _require_head(self) -> Head:
        if self.head is None:
            raise TeachError("nothing taught yet: call train() first")
        return self.head

    def classify_features(self, features: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Probabilities of the trained head for a feature vector."""
        return self._require_head().probabilities(features)

    def predict(self, frame: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        """Probabilities for a frame with this session's extractor (its thread only)."""
        return self.classify_features(self.extractor.extract(frame))

    def to_classifier(self, options: ClassifierOptions | None = None) -> TaughtClassifier:
        """A classifier with the trained head; its own interpreter, on the calling thread."""
        return TaughtClassifier.from_head(self._require_head(), options)

    def save(self, path: str | Path) -> Path:
        return self._require_head().save(path)

    def close(self) -> None:
        self.extractor.close()

    def __enter__(self) -> TeachSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _options_dict(opts: TrainOptions) -> dict[str, Any]:
    return {
        "val": opts.val,
        "seed": opts.seed,
        "l2": opts.l2,
        "max_iter": opts.max_iter,
        "balance": opts.balance,
        "frames_per_video": opts.frames_per_video,
        "augment": opts.augment,
        "augment_copies": opts.augment_copies if opts.augment else 0,
    }


# ------------------------------------------------------------------------------ folders
@dataclass(frozen=True, slots=True)
class _Item:
    label: str
    path: Path
    video: bool


def _scan(data: Path) -> tuple[list[str], list[_Item], list[str]]:
    if not data.exists():
        raise TeachError(f"data folder {data} does not exist")
    if not data.is_dir():
        raise TeachError(
            f"{data} is not a folder; give a folder with one subfolder per class, each "
            "holding photos and/or videos"
        )
    classes = sorted(p for p in data.iterdir() if p.is_dir() and not p.name.startswith("."))
    items: list[_Item] = []
    skipped: list[str] = []
    for folder in classes:
        for path in sorted(folder.rglob("*")):
            if not path.is_file() or any(part.startswith(".") for part in path.parts[-2:]):
                continue
            suffix = path.suffix.lower()
            if suffix in IMAGE_EXTENSIONS:
                items.append(_Item(folder.name, path, False))
            elif suffix in VIDEO_EXTENSIONS:
                items.append(_Item(folder.name, path, True))
            else:
                skipped.append(f"{path}: not a photo or video file (skipped)")
    labels = [p.name for p in classes]
    if len(labels) < 2:
        only = f" (only {labels[0]!r})" if labels else ""
        raise TeachError(
            f"{data} has {len(labels)} class folder{'s' if len(labels) != 1 else ''}{only}; "
            "teaching needs at least 2 subfolders, one per class"
        )
    return labels, items, skipped


def _video_frames(path: Path, wanted: int) -> list[tuple[int, npt.NDArray[np.uint8]]]:
    """``wanted`` frames evenly spread over the video, with their frame numbers.

    Containers often declare a wrong length; when decoding ends early the frames
    are picked again over the part that decodes.
    """
    with VideoSource(path, pace=False) as source:
        source.open()
        count = source.frame_count
        if count is None:
            count = sum(1 for _ in source)  # unknown length: count in a first pass
        else:
            frames, decoded = _pick(source, count, wanted)
            if decoded >= count or len(frames) >= min(wanted, count):
                return frames
            count = decoded
    with VideoSource(path, pace=False) as source:
        return _pick(source, count, wanted)[0]


def _pick(
    source: VideoSource, count: int, wanted: int
) -> tuple[list[tuple[int, npt.NDArray[np.uint8]]], int]:
    if count <= 0:
        return [], 0
    spots = np.linspace(0, count - 1, min(wanted, count)).round().astype(int)
    indices = {int(i) for i in spots}
    last = max(indices)
    frames = []
    decoded = 0
    for frame in source:
        decoded = frame.index + 1
        if frame.index in indices:
            frames.append((frame.index, frame.image))
        if frame.index >= last:
            break
    return frames, decoded


def teach_folder(
    data: str | Path,
    *,
    backbone: str = "",
    options: TrainOptions | None = None,
    threads: int = 2,
    progress: Progress | None = None,
    session: TeachSession | None = None,
) -> tuple[Head, TrainReport]:
    """Teach the classes of ``data`` (one subfolder per class of photos and/or videos).

    Unreadable files are reported in ``report.skipped`` and left out; a class left
    with fewer than two samples, a single class, or no class raise :class:`TeachError`.
    """
    opts = options or TrainOptions()
    root = Path(data)
    labels, items, skipped = _scan(root)
    own = session is None
    session = session or TeachSession(backbone, options=opts, threads=threads)
    try:
        for label in labels:
            session.add_class(label)
        session.skipped.extend(skipped)
        # Photos are split up front (videos per file below), so that only training
        # samples get augmented copies; train() assigns the same splits again.
        photo_keys = [SampleKey(it.label, str(it.path), 0, False) for it in items if not it.video]
        photo_split = dict(
            zip(
                (k.group for k in photo_keys),
                assign_splits(photo_keys, opts.val, opts.seed),
                strict=True,
            )
        )
        total = sum(opts.frames_per_video if it.video else 1 for it in items)
        done = shown = 0

        def advance(n: int) -> None:
            nonlocal done, shown
            done = min(done + n, total)
            if progress is not None and done != shown:
                shown = done
                progress(done, total)

        for item in items:
            expected = opts.frames_per_video if item.video else 1
            try:
                if item.video:
                    frames = _video_frames(item.path, opts.frames_per_video)
                    if not frames:
                        raise TeachError(f"{item.path} has no decodable frame")
                    keys = [SampleKey(item.label, str(item.path), n, True) for n, _ in frames]
                    images = [image for _, image in frames]
                    splits = assign_splits(keys, opts.val, opts.seed)
                else:
                    images = [load_image(item.path)]
                    keys = [SampleKey(item.label, str(item.path), 0, False)]
                    splits = [photo_split[str(item.path)]]
            except (ImageError, SourceError, TeachError) as exc:
                message = format_error(exc)
                where = "" if str(item.path) in message else f"{item.path}: "
                session.skipped.append(f"{where}{message} (skipped)")
                advance(expected)
                continue
            for key, image, split in zip(keys, images, splits, strict=True):
                copies = opts.augment_copies if opts.augment and split == "train" else 0
                session.add_sample(
                    key.label,
                    image,
                    recording=key.group,
                    order=key.order,
                    sequence=key.sequence,
                    augment_copies=copies,
                )
                advance(1)
            advance(expected - len(images))  # a short video: count the frames it lacked
        report = session.train()
        assert session.head is not None
        return session.head, report
    finally:
        if own:
            session.close()


# ------------------------------------------------------------------------------ export
def require_export(backbone: str = "") -> None:
    """Raise now (before any training) if a head cannot be exported to .tflite here.

    Exporting needs the 'build' extra (TensorFlow and the backbone's weight package):
    :class:`ExtraNotInstalledError` names it.
    """
    from camviz.build.export_head import require_export as _require

    _require(backbone)


def export_tflite(
    head: Head, path: str | Path, *, log: Callable[[str], None] | None = None
) -> ExportResult:
    """A standalone int8 .tflite (backbone + head, labels in its metadata); needs TensorFlow.

    See :mod:`camviz.build.export_head`.
    """
    from camviz.build.export_head import export_head

    return export_head(head, path, log=log)
