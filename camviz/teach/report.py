"""What training did and how well it went: :class:`TrainReport`, as text, JSON or a PNG.

:meth:`TrainReport.format` and :func:`format_confusion` are plain text (the CLI
prints them); :func:`save_confusion_png` draws the validation confusion matrix
with matplotlib, imported only when called (the 'plot' extra; without it
:class:`~camviz.errors.ExtraNotInstalledError` says what to install).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from camviz.errors import ExtraNotInstalledError, OptionsError

__all__ = [
    "NEAR_DUPLICATE",
    "TrainReport",
    "format_confusion",
    "nearest_similarity",
    "save_confusion_png",
    "split_warnings",
]

#: Validation samples whose features are this close (cosine) to a training sample of
#: their class are near-duplicates of it: a burst of camera frames of one still
#: scene scores about 0.97-0.99, frames of a moving scene or other views below.
NEAR_DUPLICATE = 0.97


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
    #: median cosine similarity of validation samples to their nearest training sample
    val_similarity: float | None = None
    warnings: tuple[str, ...] = ()  # why the validation score may be optimistic

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
            "val_similarity": self.val_similarity,
            "warnings": list(self.warnings),
        }

    def format(self) -> str:
        """Per-class counts and accuracy, then the confusion matrix, as text."""
        lines = [f"features from {self.backbone}"] if self.backbone else []
        lines.extend(f"warning: {w}" for w in self.warnings)
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


def nearest_similarity(
    val: npt.NDArray[np.float32],
    val_labels: npt.NDArray[np.int64],
    train: npt.NDArray[np.float32],
    train_labels: npt.NDArray[np.int64],
) -> npt.NDArray[np.float64]:
    """For each validation sample, the cosine similarity of its nearest training sample
    of the same class (-1 when its class has none)."""
    out = np.full(len(val), -1.0)
    if not len(val) or not len(train):
        return out

    def unit(x: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
        rows = np.asarray(x, np.float64).reshape(len(x), -1)
        norms = np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
        return np.asarray(rows / norms, np.float64)

    sims = unit(val) @ unit(train).T
    same = np.asarray(val_labels)[:, None] == np.asarray(train_labels)[None, :]
    sims = np.where(same, sims, -1.0)
    return np.asarray(sims.max(axis=1), np.float64)


def split_warnings(
    labels: Sequence[str],
    val_labels: npt.NDArray[np.int64],
    similarity: npt.NDArray[np.float64],
    threshold: float = NEAR_DUPLICATE,
) -> tuple[str, ...]:
    """What makes a validation score untrustworthy: near-duplicate validation samples,
    classes with nothing to validate on."""
    warnings: list[str] = []
    if similarity.size:
        near = float(np.mean(similarity >= threshold))
        if near >= 0.5:
            warnings.append(
                f"{near * 100:.0f}% of the validation frames are near-duplicates of training "
                f"frames (feature similarity >= {threshold:.2f}): the validation accuracy is "
                "optimistic; capture each class again from other views, places and lighting"
            )
    missing = [label for i, label in enumerate(labels) if not np.any(val_labels == i)]
    if missing:
        names = ", ".join(repr(m) for m in missing)
        warnings.append(
            f"no validation frames for {names}: frames captured in one burst stay together; "
            "capture each class in two or more separate takes to validate it"
        )
    return tuple(warnings)


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
