"""What the pipeline is given and what it hands out: options, stamps, results, events."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from camviz.classifier import ClassifierOptions, ModelInfo
from camviz.defaults import BUDGET_MS, HYSTERESIS, QUEUE_SIZE
from camviz.errors import OptionsError
from camviz.metrics import STAGES
from camviz.results import CLOCK as results_clock
from camviz.results import ClassificationResult
from camviz.smoothing import ProbabilitySmoother
from camviz.sources import Frame, Source, SourceState

__all__ = [
    "CLOCK",
    "Backpressure",
    "PipelineOptions",
    "FrameStamps",
    "FrameResult",
    "EventKind",
    "PipelineEvent",
]

#: The one clock of every pipeline stamp: the sources stamp ``Frame.captured`` with it,
#: and the metrics and the meter's graph compare stamps against it.
CLOCK = results_clock  # camviz.results.CLOCK, the one clock of every stamp


class Backpressure(Enum):
    LATEST = "latest"
    LOSSLESS = "lossless"


@dataclass(frozen=True, slots=True)
class PipelineOptions:
    classifier: ClassifierOptions = field(default_factory=ClassifierOptions)
    backpressure: Backpressure | None = None
    queue_size: int = QUEUE_SIZE
    budget_ms: float = BUDGET_MS
    smoothing: float = 0.0
    hysteresis: float = HYSTERESIS
    check_models: bool = True  # test-load model files (not zoo names) in a child first

    def __post_init__(self) -> None:
        if not 1 <= self.queue_size <= 1024:
            raise OptionsError(f"queue_size must be 1..1024, got {self.queue_size}")
        if self.budget_ms <= 0:
            raise OptionsError(f"budget_ms must be positive, got {self.budget_ms}")
        ProbabilitySmoother(self.smoothing, self.hysteresis)  # validates both

    def policy_for(self, source: Source) -> Backpressure:
        if self.backpressure is not None:
            return self.backpressure
        return Backpressure.LATEST if source.is_live else Backpressure.LOSSLESS


@dataclass(frozen=True, slots=True)
class FrameStamps:
    """:data:`CLOCK` seconds at which a frame crossed each stage boundary.

    ``captured`` is the source's stamp; ``queued`` (handed to the queue), ``dequeued``,
    ``postprocessed`` (result ready, smoothing included) and ``delivered`` (handed to
    the consumer) are taken by the pipeline; ``preprocessed`` and ``inferred`` by
    ``Classifier.classify`` (:class:`~camviz.results.StageTimes`). All on one clock.
    """

    captured: float
    queued: float
    dequeued: float
    preprocessed: float
    inferred: float
    postprocessed: float
    delivered: float

    @property
    def e2e_ms(self) -> float:
        return (self.delivered - self.captured) * 1000.0

    def stages_ms(self) -> dict[str, float]:
        """Milliseconds of each stage of :data:`camviz.metrics.STAGES`, from the stamps."""
        bounds = (
            self.captured,
            self.dequeued,
            self.preprocessed,
            self.inferred,
            self.postprocessed,
            self.delivered,
        )
        spans = itertools.pairwise(bounds)
        return {
            name: (end - start) * 1000.0 for name, (start, end) in zip(STAGES, spans, strict=True)
        }


@dataclass(frozen=True, slots=True)
class FrameResult:
    """One classified frame. ``model_input`` is the tensor the inference thread fed the
    model for it (at the model's size, a copy), kept only once someone asked for it
    (:meth:`camviz.pipeline.Pipeline.keep_model_inputs`); None otherwise."""

    frame_id: int
    frame: Frame
    result: ClassificationResult
    stamps: FrameStamps
    model: str
    model_input: Any = None


class EventKind(Enum):
    STARTED = "started"
    SOURCE_STATE = "source_state"
    MODEL_LOADED = "model_loaded"
    MODEL_FAILED = "model_failed"
    FRAME_FAILED = "frame_failed"
    ERROR = "error"
    ENDED = "ended"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class PipelineEvent:
    """What happened, typed: ``info`` with MODEL_LOADED, ``model`` (the spec asked for)
    with MODEL_FAILED, ``state`` with SOURCE_STATE."""

    kind: EventKind
    message: str
    error: BaseException | None = None
    info: ModelInfo | None = None
    model: str | None = None
    state: SourceState | None = None

    @property
    def data(self) -> dict[str, Any]:
        """The typed fields that are set, by name (for readers of the old untyped dict)."""
        fields = {"info": self.info, "model": self.model, "state": self.state}
        return {k: v for k, v in fields.items() if v is not None}
