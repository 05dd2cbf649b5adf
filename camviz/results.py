"""Typed results of a classification, shared by the CLI, the pipeline and the GUI."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

#: The one clock of camviz's stamps (frames, queues, stages): monotonic, in seconds.
CLOCK = time.monotonic

__all__ = ["CLOCK", "Category", "StageTimes", "ClassificationResult", "short_label"]


def short_label(label: str) -> str:
    """The first synonym of ``label`` (text before its first comma), stripped.

    ImageNet-style labels list synonyms ("tabby, tabby cat"); people are shown the
    first. A label with nothing before its first comma is kept whole.
    """
    text = label.strip()
    return text.split(",", 1)[0].strip() or text


@dataclass(frozen=True, slots=True)
class Category:
    """One class of the model with its probability (0..1).

    ``index`` is the model's own output index; ``imagenet_index`` the ImageNet-1k
    class it stands for (``index - 1`` in the 1001-class 'background' layout),
    or None when the model's classes are not ImageNet's. ``display_name`` is the
    name shown to people (MediaPipe's name for it): the model metadata's display
    name in the chosen locale when it has one, else the label's first synonym.
    """

    index: int
    label: str
    score: float
    imagenet_index: int | None = None
    display_name: str = ""

    def __post_init__(self) -> None:
        if not self.display_name:
            object.__setattr__(self, "display_name", short_label(self.label))

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "imagenet_index": self.imagenet_index,
            "label": self.label,
            "display_name": self.display_name,
            "score": round(float(self.score), 6),
        }


@dataclass(frozen=True, slots=True)
class StageTimes:
    """Milliseconds spent in each stage of one classification, and when each ended.

    ``started``, ``preprocessed``, ``invoked`` and ``finished`` are :data:`CLOCK`
    stamps taken inside :meth:`~camviz.classifier.Classifier.classify` (0.0 when
    not measured), the clock every camviz stamp is taken on: a frame's capture,
    its queueing and each stage, so stage durations come from differences of
    stamps on one clock, never from durations placed end to end.
    """

    preprocess_ms: float = 0.0
    invoke_ms: float = 0.0
    postprocess_ms: float = 0.0
    started: float = 0.0
    preprocessed: float = 0.0
    invoked: float = 0.0
    finished: float = 0.0

    @classmethod
    def from_stamps(
        cls, started: float, preprocessed: float, invoked: float, finished: float
    ) -> StageTimes:
        """The durations between four :data:`CLOCK` stamps, and the stamps."""
        return cls(
            (preprocessed - started) * 1e3,
            (invoked - preprocessed) * 1e3,
            (finished - invoked) * 1e3,
            started,
            preprocessed,
            invoked,
            finished,
        )

    @property
    def total_ms(self) -> float:
        return self.preprocess_ms + self.invoke_ms + self.postprocess_ms

    def to_dict(self) -> dict[str, float]:
        return {
            "preprocess_ms": round(self.preprocess_ms, 3),
            "invoke_ms": round(self.invoke_ms, 3),
            "postprocess_ms": round(self.postprocess_ms, 3),
            "total_ms": round(self.total_ms, 3),
        }


@dataclass(frozen=True, slots=True)
class ClassificationResult:
    """What the model saw in one image.

    ``probabilities`` holds a softmax probability for every label of the model;
    ``categories`` the top-k of them at or above the score threshold, best first.
    ``uncertain`` is true when no label is likely: the best probability is below
    the classifier's ``min_confidence``. ``input_clipped`` is the share of the
    model's integer input pinned at its range's ends (a wrong input mapping shows
    there: see :mod:`camviz.preprocess`). ``runtime`` and ``device`` say what ran the model
    (``ModelInfo.runtime`` and ``.device``: ``"openvino"`` on ``"CPU"``...).
    """

    categories: tuple[Category, ...]
    probabilities: npt.NDArray[np.float32] = field(repr=False, compare=False)
    uncertain: bool
    model: str
    times: StageTimes = StageTimes()
    input_clipped: float = 0.0
    runtime: str = ""
    device: str = ""

    @property
    def top(self) -> Category | None:
        return self.categories[0] if self.categories else None

    def to_dict(self) -> dict[str, Any]:
        """The one JSON form of a result: ``camviz classify --json`` (with the path) and the
        window's ``--stats-json`` use it; never build a result record by hand."""
        return {
            "model": self.model,
            "runtime": self.runtime,
            "device": self.device,
            "top": [c.to_dict() for c in self.categories],
            "uncertain": self.uncertain,
            "latency_ms": round(self.times.total_ms, 3),
            "times": self.times.to_dict(),
            "input_clipped": round(self.input_clipped, 4),
        }
