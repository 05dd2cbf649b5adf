"""``camviz eval`` at scale: the batch runners over a labelled set, scored as camviz.evaluate does.

:func:`score_model` runs a model over a data set (:func:`camviz.evaluate.load_dataset`)
with the local decode pool or Ray actors, and counts top-1/top-5 in the same index
space as :func:`camviz.evaluate.evaluate_model`. Unlike it, the latency percentiles
are exact over every image (:class:`~camviz.metrics.LatencyStats` with
``maxlen=None``), each image's prediction can be streamed out
(``--predictions FILE``), and the (true, predicted) counts are kept for the
confusion matrix and per-class recall (:mod:`camviz.batch.plots`).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from camviz.batch.runner import Outcome, classify_paths
from camviz.classifier import ClassifierOptions
from camviz.errors import format_error
from camviz.evaluate import ModelScore, Sample, load_dataset
from camviz.features import ProgressCallback
from camviz.labels import LabelLayout, imagenet_index
from camviz.loading import open_classifier
from camviz.metrics import LatencyStats

__all__ = ["BatchScore", "score_model", "scored_labels"]

PredictionSink = Callable[[dict[str, Any]], None]


def scored_labels(labels: tuple[str, ...], layout: LabelLayout) -> tuple[str, ...]:
    """The class names of the scoring space (a 1001-class model loses 'background')."""
    return labels[1:] if layout is LabelLayout.IMAGENET_BACKGROUND else labels


@dataclass(slots=True)
class BatchScore:
    """A model's :class:`~camviz.evaluate.ModelScore` (exact percentiles) and what eval adds."""

    score: ModelScore
    labels: tuple[str, ...]  # names in the scoring space
    decode: LatencyStats = field(default_factory=lambda: LatencyStats(None))
    pairs: Counter[tuple[int, int]] = field(default_factory=Counter)  # (true, top-1) -> images
    wall_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        record = self.score.to_dict()
        lat = self.score.latency.percentiles()
        dec = self.decode.percentiles()
        record["latency_ms"]["p99"] = round(lat.p99, 3)
        record["latency_count"] = lat.count
        record["decode_ms"] = {"p50": round(dec.p50, 3), "p95": round(dec.p95, 3)}
        record["wall_s"] = round(self.wall_s, 3)
        record["images_per_s"] = round(self.score.images / self.wall_s, 2) if self.wall_s else 0.0
        return record

    def recall(self) -> dict[int, float]:
        """Per true class: the share of its images whose top-1 was right."""
        totals: Counter[int] = Counter()
        hits: Counter[int] = Counter()
        for (true, predicted), n in self.pairs.items():
            totals[true] += n
            hits[true] += n if predicted == true else 0
        return {c: hits[c] / totals[c] for c in sorted(totals)}


def _outcomes(
    options: ClassifierOptions,
    samples: list[Sample],
    ray: str | None,
    workers: int | None,
    reduce: bool,
) -> Iterator[Outcome]:
    paths = [s.path for s in samples]
    if ray is not None:
        from camviz.batch.ray_runner import RayBatch

        with RayBatch(options, ray or None, reduce=reduce) as batch:
            yield from batch.classify_paths(paths)
        return
    with open_classifier(options) as clf:
        yield from classify_paths(clf, paths, workers=workers, reduce=reduce)


def score_model(
    options: ClassifierOptions,
    data: Path,
    *,
    ray: str | None = None,
    workers: int | None = None,
    reduce: bool = True,
    progress: ProgressCallback | None = None,
    predictions: PredictionSink | None = None,
) -> BatchScore:
    """Score one model on ``data``; ``ray`` is None (local), ``""`` (local Ray) or an address.

    ``predictions(record)`` gets each image's JSON record, in data-set order.
    """
    options = options.replace(top_k=max(5, options.top_k))
    with open_classifier(options) as clf:  # the labels and layout the data set is read with
        info = clf.info
    layout = info.label_layout
    background = layout is LabelLayout.IMAGENET_BACKGROUND
    labels = scored_labels(info.labels, layout)
    problems: list[str] = []  # bad rows and files: reported, and the rest still scored
    notes: list[str] = []
    samples = load_dataset(data, labels, problems, notes)
    space = "model" if layout is LabelLayout.OTHER else "imagenet-1k"
    score = ModelScore(
        info.name,
        info.file_bytes,
        latency=LatencyStats(None),
        invoke=LatencyStats(None),
        load_ms=info.load_ms,
        index_space=space,
    )
    score.failures.extend(problems)
    score.notes.extend(notes)
    batch = BatchScore(score, labels)
    start = time.monotonic()
    for done, outcome in enumerate(_outcomes(options, samples, ray, workers, reduce), start=1):
        sample = samples[outcome.index]
        truth = sorted(sample.classes)
        record: dict[str, Any] = {"model": info.name, "path": str(sample.path), "truth": truth}
        if outcome.result is None:
            assert outcome.error is not None
            score.failures.append(f"{sample.path}: {format_error(outcome.error)}")
            kind, _, text = format_error(outcome.error).partition(": ")
            record["error"] = {"type": kind, "message": text}
        else:
            result = outcome.result
            order = [int(i) for i in np.argsort(-result.probabilities)[:6]]
            mapped = [imagenet_index(layout, i) for i in order] if background else order
            top5 = [i for i in mapped if i is not None][:5]
            right = top5[0] in sample.classes
            score.images += 1
            score.top1 += int(right)
            score.top5 += int(any(i in sample.classes for i in top5))
            score.latency.add(result.times.total_ms)
            score.invoke.add(result.times.invoke_ms)
            batch.decode.add(outcome.decode_ms)
            batch.pairs[(top5[0] if right else truth[0], top5[0])] += 1
            record.update(
                top5=top5,
                top1_correct=right,
                score=round(float(result.probabilities[order[0]]), 6),
                latency_ms=round(result.times.total_ms, 3),
                decode_ms=round(outcome.decode_ms, 3),
            )
        if predictions is not None:
            predictions(record)
        if progress is not None:
            progress(done, len(samples))
    batch.wall_s = time.monotonic() - start
    return batch
