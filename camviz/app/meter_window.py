"""What the performance meter says, over one time window, in plain words.

The light, the numbers and the graph of the window's meter all come from one
:class:`MeterReading`: the end-to-end latencies of the frames delivered in the
last ``span_s`` seconds *and* since the last :meth:`MeterWindow.reset` (a model,
source or thread switch), so a slow start or the previous model never colours
the light of the current one. The light is :func:`camviz.metrics.budget_light`
applied to exactly the samples the graph draws. Until ``warmup_frames`` frames
and ``warmup_s`` seconds have been measured the meter says it is warming up
instead of showing red for a model's first, slow frames.

Camera frames the model never saw (the queue keeps only the newest frame) are
counted as a share of the frames captured in the same window.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from camviz.defaults import BUDGET_MS, METER_SPAN_S
from camviz.metrics import BudgetLight, MetricsSnapshot, Percentiles, budget_light

__all__ = ["SPAN_S", "WARMUP_FRAMES", "WARMUP_S", "Meter", "MeterReading", "MeterWindow"]

SPAN_S = METER_SPAN_S
WARMUP_FRAMES = 10
WARMUP_S = 1.0


@dataclass(frozen=True, slots=True)
class MeterReading:
    """One reading of the meter: state, the window's samples and statistics, the words."""

    state: str  # "idle", "warming up", or a light: "green", "amber", "red"
    light: BudgetLight
    samples: tuple[tuple[float, float], ...] = ()  # (monotonic stamp, e2e ms) in the window
    budget_ms: float = BUDGET_MS
    span_s: float = SPAN_S
    now: float = 0.0
    p50: float = 0.0
    p95: float = 0.0
    within: float = 0.0  # share of the window's frames within the budget
    drop_share: float | None = None  # share of the window's camera frames never classified
    camera_fps: float | None = None  # frames captured per second over the window
    words: str = "not running"
    warmup: tuple[int, int] = (0, WARMUP_FRAMES)  # frames measured, frames needed
    y_max: float = field(default=BUDGET_MS * 1.5)
    #: the pipeline's metrics this reading was made from (None: idle): every other metric
    #: (fps, CPU share, failures...) is read from here, as ``camviz.metrics`` computed it
    snapshot: MetricsSnapshot | None = None
    window: Percentiles = field(default_factory=Percentiles)  # the window's latencies

    @property
    def count(self) -> int:
        return len(self.samples)

    @property
    def model_fps(self) -> float | None:
        """Frames classified per second over the window (None before two)."""
        if len(self.samples) < 2:
            return None
        span = self.samples[-1][0] - self.samples[0][0]
        return (len(self.samples) - 1) / span if span > 0 else None


class MeterWindow:
    """The meter's time window (``span_s`` seconds, cut at the last :meth:`reset`)."""

    def __init__(
        self,
        span_s: float = SPAN_S,
        *,
        warmup_frames: int = WARMUP_FRAMES,
        warmup_s: float = WARMUP_S,
    ) -> None:
        if not (math.isfinite(span_s) and span_s > 0):
            raise ValueError(f"span_s must be a positive number of seconds, got {span_s}")
        self.span_s = span_s
        self.warmup_frames = warmup_frames
        self.warmup_s = warmup_s
        self._since = -math.inf
        self._counts: deque[tuple[float, int, int]] = deque()  # (t, captured, dropped)

    @property
    def since(self) -> float:
        """When the window was last reset (monotonic seconds; -inf: never)."""
        return self._since

    def reset(self, now: float | None = None) -> None:
        """Start afresh (a model, source or thread switch): older frames no longer count."""
        self._since = time.monotonic() if now is None else now
        self._counts.clear()

    def read(self, snap: MetricsSnapshot | None, now: float | None = None) -> MeterReading:
        now = time.monotonic() if now is None else now
        if snap is None:
            return MeterReading("idle", BudgetLight.IDLE, span_s=self.span_s, now=now)
        budget = float(snap.budget_ms) if snap.budget_ms > 0 else BUDGET_MS
        start = max(now - self.span_s, self._since)
        samples = tuple((t, ms) for t, ms in snap.recent_e2e_ms if start <= t <= now)
        drop_share, camera_fps = self._camera_rates(snap, now, start)
        base = MeterReading(
            "idle",
            BudgetLight.IDLE,
            samples=samples,
            budget_ms=budget,
            span_s=self.span_s,
            now=now,
            drop_share=drop_share,
            camera_fps=camera_fps,
            words="no frames yet",
            snapshot=snap,
        )
        n = len(samples)
        if n == 0:
            return base
        window = Percentiles.of(ms for _, ms in samples)
        p50, p95 = window.p50, window.p95
        stats = replace(
            base,
            p50=p50,
            p95=p95,
            window=window,
            within=sum(1 for _, ms in samples if ms <= budget) / n,
            y_max=max(budget * 1.5, p95 * 1.3, 1.0),
        )
        measured_s = now - max(self._since, samples[0][0])
        warming = n < self.warmup_frames or (
            math.isfinite(self._since) and measured_s < self.warmup_s
        )
        if warming:
            if n < self.warmup_frames:
                words = f"warming up: {n} of {self.warmup_frames} frames measured"
            else:  # enough frames, not yet long enough
                words = f"warming up: {n} frames measured, {measured_s:.1f} of {self.warmup_s:g} s"
            return replace(
                stats,
                state="warming up",
                words=words,
                warmup=(min(n, self.warmup_frames), self.warmup_frames),
            )
        light = budget_light(p50, p95, budget, n)
        share = f"{stats.within * 100:.0f}% of frames under {budget:.0f} ms"
        words = {
            BudgetLight.GREEN: f"within budget: {share}",
            BudgetLight.AMBER: f"slow tail: {share} (p95 {p95:.0f} ms)",
            BudgetLight.RED: f"over budget: {share} (typical {p50:.0f} ms)",
        }[light]
        return replace(stats, state=light.value, light=light, words=words, warmup=(n, n))

    def _camera_rates(
        self, snap: MetricsSnapshot, now: float, start: float
    ) -> tuple[float | None, float | None]:
        """(share of camera frames never classified, camera fps) over the window."""
        counts = self._counts
        counts.append((now, int(snap.captured), int(snap.dropped)))
        while len(counts) > 1 and counts[1][0] <= start:
            counts.popleft()  # keep one record at or before the window's start
        t0, captured0, dropped0 = counts[0]
        captured = int(snap.captured) - captured0
        dropped = int(snap.dropped) - dropped0
        if captured <= 0 or dropped < 0 or captured < dropped:
            return None, None  # nothing captured in the window yet, or counters restarted
        return dropped / captured, (captured / (now - t0) if now > t0 else None)


class Meter:
    """The session's meter (``session.meter``): one :class:`MeterWindow` over the running
    pipeline's metrics. The session resets it on every model, source or thread switch;
    a view calls :meth:`read` on its timer and shows the :class:`MeterReading`."""

    def __init__(
        self, snapshot: Callable[[], MetricsSnapshot | None], span_s: float = SPAN_S
    ) -> None:
        self.window = MeterWindow(span_s)
        self._snapshot = snapshot
        self.reading = MeterReading("idle", BudgetLight.IDLE, span_s=span_s)

    def read(self, now: float | None = None) -> MeterReading:
        """The meter now (also kept as :attr:`reading`)."""
        self.reading = self.window.read(self._snapshot(), now)
        return self.reading

    def reset(self, now: float | None = None) -> None:
        """Measure afresh: frames before now no longer count (warming up again)."""
        self.window.reset(now)
