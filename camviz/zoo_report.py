"""What ``camviz models`` reports: zoo models, or any model, with latency measured here.

:func:`describe_models` opens the models a user names (files or zoo names; a
user's file is test-loaded in a child first) and returns :class:`ModelFacts`:
input shape, dtype and quantisation, the normalisation and where it came from,
the labels' source and count, the output kind and background class, size,
load and invoke time.

:func:`zoo_report` opens every model of the zoo in turn and times interpreter invokes
on a seeded-noise frame (:func:`measure_invoke_ms`, after warm-up), returning typed
records whose ``to_dict()`` is the JSON ``camviz models --json`` prints.

Layer: with ``bench`` and ``evaluate`` (above ``pipeline``, below ``app``); it times
invokes with :func:`camviz.bench.time_invokes`, the one invoke-timing loop. Imported by
``camviz.cli`` and anything above it.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, replace
from typing import Any, Final

import numpy as np

from camviz.backends import Accelerator, Delegate, delegate_runs
from camviz.classifier import Classifier, ClassifierOptions, ModelInfo
from camviz.defaults import THREADS
from camviz.errors import CamvizError, format_error
from camviz.loading import check_model_file, needs_check, open_classifier
from camviz.zoo import ModelSpec, load_zoo

__all__ = [
    "ModelFacts",
    "describe_models",
    "INVOKE_RUNS",
    "INVOKE_WARMUP",
    "ModelEntry",
    "ZooReport",
    "measure_invoke_ms",
    "zoo_report",
]

#: Invokes timed per model by ``camviz models``.
INVOKE_RUNS: Final = 20
#: Untimed invokes before those.
INVOKE_WARMUP: Final = 3


@dataclass(frozen=True, slots=True)
class ModelEntry:
    """One model of the zoo; ``latency_ms``/``load_ms`` are None when not measured."""

    name: str
    default: bool
    input_size: tuple[int, int]  # (width, height)
    dtype: str
    file_bytes: int | None  # None when the file is missing
    published_top1: float | None
    published_top5: float | None
    threads: int
    latency_ms: float | None = None  # median invoke after warm-up
    load_ms: float | None = None
    error: str | None = None  # ``Type: message`` when the model failed to load or run
    runtime: str = ""  # what ran it (``ModelInfo.runtime``, ``.device``, ``.delegate``);
    device: str = ""  # empty when not measured
    delegate: str = ""  # empty where no delegate runs (ONNX Runtime, OpenVINO)

    @classmethod
    def of(cls, spec: ModelSpec, *, default: bool, threads: int) -> ModelEntry:
        return cls(
            name=spec.name,
            default=default,
            input_size=spec.input_size,
            dtype=spec.dtype,
            file_bytes=spec.path.stat().st_size if spec.path.exists() else None,
            published_top1=spec.published_top1,
            published_top5=spec.published_top5,
            threads=threads,
        )

    def to_dict(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "name": self.name,
            "default": self.default,
            "input_size": list(self.input_size),
            "dtype": self.dtype,
            "file_bytes": self.file_bytes,
            "published_top1": self.published_top1,
            "published_top5": self.published_top5,
            "threads": self.threads,
        }
        if self.latency_ms is not None:
            record["latency_ms"] = round(self.latency_ms, 3)
        if self.load_ms is not None:
            record["load_ms"] = round(self.load_ms, 3)
        if self.runtime:
            record.update(runtime=self.runtime, device=self.device, delegate=self.delegate)
        if self.error is not None:
            record["error"] = self.error
        return record


@dataclass(frozen=True, slots=True)
class ZooReport:
    """Every model of the zoo, measured (or not) with ``threads`` interpreter threads."""

    threads: int
    models: tuple[ModelEntry, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"runtime_threads": self.threads, "models": [m.to_dict() for m in self.models]}


def measure_invoke_ms(
    clf: Classifier, runs: int = INVOKE_RUNS, warmup: int = INVOKE_WARMUP
) -> list[float]:
    """Invoke latency in ms, after warm-up, on a real-looking (seeded noise) frame."""
    from camviz.bench import time_invokes

    width, height = clf.info.input_size
    frame = np.random.default_rng(0).integers(0, 256, (height * 2, width * 2, 3), dtype=np.uint8)
    return time_invokes(clf, frame, runs, warmup)


def _measure(entry: ModelEntry, runs: int, warmup: int = INVOKE_WARMUP) -> ModelEntry:
    try:
        with open_classifier(ClassifierOptions(model=entry.name, threads=entry.threads)) as clf:
            times = measure_invoke_ms(clf, runs=runs, warmup=warmup)
    except CamvizError as exc:
        return replace(entry, error=format_error(exc))
    latency, load = round(statistics.median(times), 3), round(clf.info.load_ms, 3)
    info = clf.info
    return replace(
        entry,
        latency_ms=latency,
        load_ms=load,
        runtime=info.runtime,
        device=info.device,
        delegate=info.delegate or "",  # None where the runtime names a device instead
    )


def zoo_report(
    threads: int = THREADS,
    runs: int = INVOKE_RUNS,
    measure: bool = True,
    warmup: int = INVOKE_WARMUP,
) -> ZooReport:
    """The zoo's models in manifest order; with ``measure``, each one loaded and timed
    (``warmup`` untimed invokes first)."""
    zoo = load_zoo()
    entries = []
    for spec in zoo.models:
        entry = ModelEntry.of(spec, default=spec.name == zoo.default, threads=threads)
        entries.append(_measure(entry, runs, warmup) if measure else entry)
    return ZooReport(threads=threads, models=tuple(entries))


@dataclass(frozen=True, slots=True)
class ModelFacts:
    """One model as camviz reads and runs it; ``info`` is None when it failed to load."""

    model: str  # as the user named it
    info: ModelInfo | None
    latency_ms: float | None = None  # median invoke after warm-up
    error: str | None = None  # ``Type: message``

    def to_dict(self) -> dict[str, Any]:
        record: dict[str, Any] = {"model": self.model}
        if self.info is not None:
            record.update(self.info.to_dict())
            if not delegate_runs(self.info.runtime, self.info.device):
                record["delegate"] = None  # ONNX Runtime, OpenVINO: a device, no delegate
        record["latency_ms"] = None if self.latency_ms is None else round(self.latency_ms, 3)
        if self.error is not None:
            record["error"] = self.error
        return record


def describe_models(
    models: list[str],
    threads: int = THREADS,
    runs: int = INVOKE_RUNS,
    measure: bool = True,
    delegate: Delegate | None = None,
    backend: str = "auto",
    accelerator: str = "cpu",
    warmup: int = INVOKE_WARMUP,
) -> tuple[ModelFacts, ...]:
    """Open each model in turn and say what it is; a bad one is reported, the rest still run."""
    facts = []
    for model in models:
        options = ClassifierOptions(
            model=model,
            threads=threads,
            delegate=delegate or Delegate(),
            backend=backend,
            accelerator=Accelerator.parse(accelerator),
        )
        try:
            if needs_check(model):  # a user's file: test-load it in a child first
                check_model_file(model, backend=options.backend)
            with open_classifier(options) as clf:
                times = measure_invoke_ms(clf, runs=runs, warmup=warmup) if measure else None
                info = clf.info
        except CamvizError as exc:
            facts.append(ModelFacts(model, None, error=format_error(exc)))
            continue
        latency = statistics.median(times) if times else None
        facts.append(ModelFacts(model, info, latency))
    return tuple(facts)
