"""Small, separately tested metric objects: frame rate, latency percentiles, budget misses.

All times are ``time.monotonic()`` seconds in, milliseconds out. None of these
objects locks; :class:`PipelineMetrics` serialises access for the pipeline.

The budget light (:func:`budget_light`) is the one rule for "does the pipeline meet
its frame budget", shown by the window's meter and used by ``camviz bench``. With
``p50``/``p95`` the end-to-end latency percentiles (capture -> result delivered) and
``budget`` the frame budget in ms (default 33 ms, i.e. 30 fps):

* **green**  ``p95 <= budget``: nearly every frame is within budget;
* **amber**  ``p50 <= budget < p95``: the typical frame fits, the slow tail does not;
* **red**    ``p50 > budget``: the typical frame is over budget;
* **idle**   no measured frame yet.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import numpy as np

from camviz.defaults import BUDGET_MS, FPS_WINDOW_S, LATENCY_HISTORY, METER_SPAN_S

__all__ = [
    "FpsMeter",
    "LatencyStats",
    "Percentiles",
    "BudgetCounter",
    "CpuMeter",
    "PipelineMetrics",
    "MetricsSnapshot",
    "STAGES",
    "BudgetLight",
    "budget_light",
]


class BudgetLight(Enum):
    """The traffic light of a latency distribution against a budget (module doc)."""

    IDLE = "idle"
    GREEN = "green"
    AMBER = "amber"
    RED = "red"

    @property
    def over_budget(self) -> bool:
        """The slow tail (p95) is over the budget: amber or red."""
        return self in (BudgetLight.AMBER, BudgetLight.RED)


def budget_light(p50_ms: float, p95_ms: float, budget_ms: float, count: int = 1) -> BudgetLight:
    """The one budget rule: see the module doc. ``count`` is the number of frames measured."""
    if count <= 0:
        return BudgetLight.IDLE
    if p95_ms <= budget_ms:
        return BudgetLight.GREEN
    if p50_ms <= budget_ms:
        return BudgetLight.AMBER
    return BudgetLight.RED


class FpsMeter:
    """Frames per second over a sliding window of monotonic time stamps."""

    def __init__(self, window_s: float = FPS_WINDOW_S, maxlen: int = 4096) -> None:
        if window_s <= 0:
            raise ValueError("window_s must be positive")
        self.window_s = window_s
        self._stamps: deque[float] = deque(maxlen=maxlen)
        self.count = 0

    def tick(self, stamp: float | None = None) -> None:
        self._stamps.append(time.monotonic() if stamp is None else stamp)
        self.count += 1

    def fps(self, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        stamps = self._stamps
        while stamps and stamps[0] < now - self.window_s:
            stamps.popleft()
        if len(stamps) < 2:
            return 0.0
        span = stamps[-1] - stamps[0]
        return (len(stamps) - 1) / span if span > 0 else 0.0


@dataclass(frozen=True, slots=True)
class Percentiles:
    p50: float = 0.0
    p95: float = 0.0
    p99: float = 0.0
    mean: float = 0.0
    max: float = 0.0
    count: int = 0

    @classmethod
    def of(cls, values: Iterable[float]) -> Percentiles:
        """The percentiles of ``values`` (milliseconds): the one place they are computed."""
        data = np.fromiter(values, np.float64)
        if data.size == 0:
            return cls()
        p50, p95, p99 = np.percentile(data, [50, 95, 99])
        return cls(
            float(p50), float(p95), float(p99), float(data.mean()), float(data.max()), data.size
        )

    def to_dict(self) -> dict[str, float | int]:
        return {
            "p50": round(self.p50, 3),
            "p95": round(self.p95, 3),
            "p99": round(self.p99, 3),
            "mean": round(self.mean, 3),
            "max": round(self.max, 3),
            "count": self.count,
        }


class LatencyStats:
    """The last ``maxlen`` latencies in milliseconds and their percentiles.

    ``maxlen=None`` keeps every value: exact percentiles over a whole run (``camviz eval``
    over any number of images; 8 bytes a value).
    """

    def __init__(self, maxlen: int | None = LATENCY_HISTORY) -> None:
        self._values: deque[float] = deque(maxlen=maxlen)

    def add(self, ms: float) -> None:
        self._values.append(ms)

    def __len__(self) -> int:
        return len(self._values)

    def values(self) -> list[float]:
        return list(self._values)

    def percentiles(self) -> Percentiles:
        return Percentiles.of(self._values)


class BudgetCounter:
    """How many frames took longer than the budget."""

    def __init__(self, budget_ms: float = BUDGET_MS) -> None:
        if budget_ms <= 0:
            raise ValueError("budget_ms must be positive")
        self.budget_ms = budget_ms
        self.total = 0
        self.over = 0

    def add(self, ms: float) -> None:
        self.total += 1
        if ms > self.budget_ms:
            self.over += 1

    @property
    def over_fraction(self) -> float:
        return self.over / self.total if self.total else 0.0


class CpuMeter:
    """The process's CPU share over a sliding window: ``time.process_time`` deltas (every
    thread of the process) over wall-clock deltas, sampled once per frame.

    1.0 is one core busy the whole time; on a machine with N cores it can reach N.
    ``ms_per_frame`` is the process's CPU time per frame over the same window.
    """

    def __init__(self, window_s: float = METER_SPAN_S, maxlen: int = 4096) -> None:
        if window_s <= 0:
            raise ValueError("window_s must be positive")
        self.window_s = window_s
        self._samples: deque[tuple[float, float]] = deque(maxlen=maxlen)  # (wall, cpu) seconds

    #: A gap between two frames longer than this (a pause, a step while paused, a stalled
    #: source) starts the window again: what the process did meanwhile (an explain map,
    #: say) is no frame's cost.
    GAP_S = 2.0

    def tick(self, wall: float | None = None, cpu: float | None = None) -> None:
        """One frame done at ``wall`` (monotonic) with the process at ``cpu`` CPU seconds."""
        wall = time.monotonic() if wall is None else wall
        if self._samples and wall - self._samples[-1][0] > self.GAP_S:
            self._samples.clear()
        self._samples.append((wall, time.process_time() if cpu is None else cpu))

    def _window(self, now: float) -> tuple[float, float, int] | None:
        samples = self._samples
        while len(samples) > 2 and samples[0][0] < now - self.window_s:
            samples.popleft()
        if len(samples) < 2:
            return None
        (w0, c0), (w1, c1) = samples[0], samples[-1]
        return (w1 - w0, c1 - c0, len(samples) - 1) if w1 > w0 else None

    def share(self, now: float | None = None) -> float | None:
        """CPU seconds per wall second over the window (None before two frames)."""
        window = self._window(time.monotonic() if now is None else now)
        return None if window is None else max(0.0, window[1] / window[0])

    def ms_per_frame(self, now: float | None = None) -> float | None:
        """CPU milliseconds the process spent per frame over the window (None before two)."""
        window = self._window(time.monotonic() if now is None else now)
        return None if window is None else max(0.0, window[1] * 1000.0 / window[2])


#: Stage names in frame order; each is the time from the previous stamp.
STAGES = ("queue", "preprocess", "invoke", "postprocess", "deliver")


@dataclass(frozen=True, slots=True)
class MetricsSnapshot:
    """A consistent copy of the pipeline's metrics at one moment."""

    capture_fps: float = 0.0
    inference_fps: float = 0.0
    delivered_fps: float = 0.0
    captured: int = 0
    inferred: int = 0
    delivered: int = 0
    dropped: int = 0
    failed: int = 0
    stages_ms: dict[str, Percentiles] = field(default_factory=dict)
    e2e_ms: Percentiles = Percentiles()
    budget_ms: float = BUDGET_MS
    over_budget: int = 0
    over_budget_frac: float = 0.0
    model_load_ms: float | None = None
    first_invoke_ms: float | None = None
    queue_depth: int = 0
    queue_peak: int = 0
    recent_e2e_ms: tuple[tuple[float, float], ...] = ()  # (monotonic stamp, ms), for graphs
    #: the process's CPU share over the meter's window (1.0: one core busy), None before 2 frames
    cpu_share: float | None = None
    cpu_ms_per_frame: float | None = None  # the process's CPU time per frame, same window

    @property
    def light(self) -> BudgetLight:
        """The budget light of the end-to-end latency."""
        e2e = self.e2e_ms
        return budget_light(e2e.p50, e2e.p95, self.budget_ms, e2e.count)

    def to_dict(self) -> dict[str, Any]:
        return {
            "capture_fps": round(self.capture_fps, 2),
            "inference_fps": round(self.inference_fps, 2),
            "delivered_fps": round(self.delivered_fps, 2),
            "captured": self.captured,
            "inferred": self.inferred,
            "delivered": self.delivered,
            "dropped": self.dropped,
            "failed": self.failed,
            "stages_ms": {k: v.to_dict() for k, v in self.stages_ms.items()},
            "e2e_ms": self.e2e_ms.to_dict(),
            "budget_ms": self.budget_ms,
            "over_budget": self.over_budget,
            "over_budget_frac": round(self.over_budget_frac, 4),
            "model_load_ms": self.model_load_ms,
            "first_invoke_ms": self.first_invoke_ms,
            "queue_depth": self.queue_depth,
            "queue_peak": self.queue_peak,
            **self.meter_dict(),
        }

    def meter_dict(self) -> dict[str, Any]:
        """The meter's metrics (JSON-ready): what ``camviz bench`` reports beside its own."""
        return {
            "cpu_share": None if self.cpu_share is None else round(self.cpu_share, 3),
            "cpu_ms_per_frame": (
                None if self.cpu_ms_per_frame is None else round(self.cpu_ms_per_frame, 3)
            ),
        }


class PipelineMetrics:
    """Thread-safe aggregate of everything the pipeline measures."""

    def __init__(
        self,
        budget_ms: float = BUDGET_MS,
        window_s: float = FPS_WINDOW_S,
        history: int = LATENCY_HISTORY,
    ) -> None:
        self._lock = threading.Lock()
        self._window_s = window_s
        self._history = history
        self._budget_ms = budget_ms
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._capture = FpsMeter(self._window_s)
            self._inference = FpsMeter(self._window_s)
            self._delivered = FpsMeter(self._window_s)
            self._stages = {name: LatencyStats(self._history) for name in STAGES}
            self._e2e = LatencyStats(self._history)
            # the meter's window (10 s) at up to ~200 fps
            self._recent: deque[tuple[float, float]] = deque(maxlen=2048)
            self._budget = BudgetCounter(self._budget_ms)
            self._cpu = CpuMeter()
            self._dropped = 0
            self._failed = 0
            self._load_ms: float | None = None
            self._first_ms: float | None = None
            self._depth = 0
            self._peak = 0

    def set_budget(self, budget_ms: float) -> None:
        with self._lock:
            self._budget_ms = budget_ms
            self._budget = BudgetCounter(budget_ms)

    def captured(self, stamp: float, depth: int) -> None:
        with self._lock:
            self._capture.tick(stamp)
            self._depth = depth
            self._peak = max(self._peak, depth)

    def dropped(self, count: int = 1) -> None:
        with self._lock:
            self._dropped += count

    def failed(self) -> None:
        with self._lock:
            self._failed += 1

    def model_loaded(self, load_ms: float, first_invoke_ms: float) -> None:
        with self._lock:
            self._load_ms = load_ms
            self._first_ms = first_invoke_ms

    def frame_done(
        self, stages_ms: dict[str, float], e2e_ms: float, inferred_at: float, delivered_at: float
    ) -> None:
        with self._lock:
            self._inference.tick(inferred_at)
            self._delivered.tick(delivered_at)
            for name, ms in stages_ms.items():
                self._stages[name].add(ms)
            self._e2e.add(e2e_ms)
            self._recent.append((delivered_at, e2e_ms))
            self._budget.add(e2e_ms)
            self._cpu.tick(delivered_at)

    def snapshot(self, now: float | None = None) -> MetricsSnapshot:
        now = time.monotonic() if now is None else now
        with self._lock:
            return MetricsSnapshot(
                capture_fps=self._capture.fps(now),
                inference_fps=self._inference.fps(now),
                delivered_fps=self._delivered.fps(now),
                captured=self._capture.count,
                inferred=self._inference.count,
                delivered=self._delivered.count,
                dropped=self._dropped,
                failed=self._failed,
                stages_ms={name: s.percentiles() for name, s in self._stages.items()},
                e2e_ms=self._e2e.percentiles(),
                budget_ms=self._budget.budget_ms,
                over_budget=self._budget.over,
                over_budget_frac=self._budget.over_fraction,
                model_load_ms=self._load_ms,
                first_invoke_ms=self._first_ms,
                queue_depth=self._depth,
                queue_peak=self._peak,
                recent_e2e_ms=tuple(self._recent),
                cpu_share=self._cpu.share(now),
                cpu_ms_per_frame=self._cpu.ms_per_frame(now),
            )
