"""The PNGs of ``camviz eval``: confusion matrix with per-class recall, accuracy vs latency.

matplotlib comes with the 'plot' extra and is imported only here, inside the
functions; :func:`require_plot` tells the command line before any work starts.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from camviz.batch.scoring import BatchScore
from camviz.errors import ExtraNotInstalledError
from camviz.fileio import write_atomic

__all__ = ["require_plot", "confusion_png", "accuracy_latency_png", "confusion_counts"]

#: Classes shown by name in the confusion matrix; more are shown as numbers only.
_NAMED_CLASSES = 40


def require_plot(feature: str = "Plotting eval results") -> None:
    """Raise :class:`ExtraNotInstalledError` now if matplotlib is missing."""
    if importlib.util.find_spec("matplotlib") is None:
        raise ExtraNotInstalledError(feature, "plot", "matplotlib")


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ExtraNotInstalledError("Plotting eval results", "plot", "matplotlib") from exc
    return plt


def confusion_counts(score: BatchScore) -> tuple[list[int], np.ndarray]:
    """The true classes of the data set (sorted), and counts ``[true, predicted]`` over
    them plus a last column for predictions outside them."""
    classes = sorted({true for true, _ in score.pairs})
    where = {c: i for i, c in enumerate(classes)}
    counts = np.zeros((len(classes), len(classes) + 1), np.int64)
    for (true, predicted), n in score.pairs.items():
        counts[where[true], where.get(predicted, len(classes))] += n
    return classes, counts


def _name(score: BatchScore, index: int) -> str:
    label = score.labels[index] if 0 <= index < len(score.labels) else str(index)
    return f"{label.split(',')[0][:24]} ({index})"


def _save(fig: Any, plt: Any, path: Path) -> None:
    try:
        write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
    finally:
        plt.close(fig)


def confusion_png(score: BatchScore, path: Path) -> None:
    """Row-normalised confusion matrix (true x top-1) and per-class recall bars."""
    plt = _pyplot()
    classes, counts = confusion_counts(score)
    recall = score.recall()
    n = max(1, len(classes))
    side = min(14.0, 4.0 + 0.3 * n)
    fig, (matrix, bars) = plt.subplots(
        1, 2, figsize=(side * 1.8, side), gridspec_kw={"width_ratios": [1.4, 1]}
    )
    rows = counts.sum(axis=1, keepdims=True)
    shares = counts / np.maximum(rows, 1)
    image = matrix.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0, aspect="auto")
    fig.colorbar(image, ax=matrix, fraction=0.046, label="share of the true class's images")
    names = [_name(score, c) for c in classes]
    if n <= _NAMED_CLASSES:
        matrix.set_yticks(range(len(classes)), names, fontsize=7)
        matrix.set_xticks(range(len(classes) + 1), [*names, "other"], rotation=90, fontsize=7)
    matrix.set_xlabel("top-1 prediction")
    matrix.set_ylabel("true class")
    matrix.set_title(f"{score.score.model}: confusion ({score.score.images} images)")
    values = [recall.get(c, 0.0) * 100 for c in classes]
    bars.barh(range(len(classes)), values, color="tab:blue")
    bars.set_xlim(0, 100)
    bars.invert_yaxis()
    if n <= _NAMED_CLASSES:
        bars.set_yticks(range(len(classes)), names, fontsize=7)
    bars.set_xlabel("recall (top-1 right), %")
    bars.set_title(f"per-class recall; top-1 {score.score.top1_acc * 100:.1f}%")
    fig.tight_layout()
    _save(fig, plt, path)


def accuracy_latency_png(scores: Sequence[BatchScore], path: Path) -> None:
    """Top-1 and top-5 accuracy against p50 latency (bars: p50..p95), one point per model."""
    plt = _pyplot()
    fig, axis = plt.subplots(figsize=(8, 5.5))
    for s in scores:
        lat = s.score.latency.percentiles()
        top1, top5 = s.score.top1_acc * 100, s.score.top5_acc * 100
        axis.errorbar(lat.p50, top1, xerr=[[0], [max(0.0, lat.p95 - lat.p50)]], fmt="o", capsize=3)
        axis.plot(lat.p50, top5, marker="^", color="grey", alpha=0.6)
        axis.annotate(s.score.model, (lat.p50, top1), textcoords="offset points", xytext=(6, 4))
    axis.set_xlabel("latency per image, ms (p50; bar to p95)")
    axis.set_ylabel("accuracy, % (o top-1, ^ top-5)")
    axis.set_title("Accuracy vs latency")
    axis.grid(alpha=0.3)
    fig.tight_layout()
    _save(fig, plt, path)
