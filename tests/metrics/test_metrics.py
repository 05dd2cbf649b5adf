from __future__ import annotations

import numpy as np
import pytest

from camviz.metrics import (
    BudgetCounter,
    BudgetLight,
    FpsMeter,
    LatencyStats,
    MetricsSnapshot,
    Percentiles,
    PipelineMetrics,
    budget_light,
)


def test_fps_meter_counts_frames_in_window() -> None:
    meter = FpsMeter(window_s=1.0)
    for i in range(31):
        meter.tick(10.0 + i / 30)  # 30 fps for one second
    assert meter.fps(now=11.0) == pytest.approx(30.0)
    assert meter.count == 31


def test_fps_meter_forgets_old_stamps() -> None:
    meter = FpsMeter(window_s=1.0)
    for i in range(10):
        meter.tick(float(i))
    assert meter.fps(now=100.0) == 0.0


def test_fps_meter_needs_two_stamps() -> None:
    meter = FpsMeter()
    assert meter.fps(now=0.0) == 0.0
    meter.tick(0.0)
    assert meter.fps(now=0.0) == 0.0


def test_latency_percentiles_match_numpy() -> None:
    rng = np.random.default_rng(1)
    values = rng.gamma(2.0, 5.0, 500)
    stats = LatencyStats()
    for v in values:
        stats.add(float(v))
    p = stats.percentiles()
    assert p.p50 == pytest.approx(np.percentile(values, 50))
    assert p.p95 == pytest.approx(np.percentile(values, 95))
    assert p.p99 == pytest.approx(np.percentile(values, 99))
    assert p.count == 500
    assert p.max == pytest.approx(values.max())


def test_latency_window_is_bounded() -> None:
    stats = LatencyStats(maxlen=10)
    for v in range(100):
        stats.add(float(v))
    assert len(stats) == 10
    assert stats.percentiles().p50 == pytest.approx(94.5)


def test_budget_counter() -> None:
    budget = BudgetCounter(33.0)
    for ms in (10, 20, 33, 34, 50):
        budget.add(ms)
    assert (budget.total, budget.over) == (5, 2)
    assert budget.over_fraction == pytest.approx(0.4)
    with pytest.raises(ValueError):
        BudgetCounter(0)


def test_pipeline_metrics_snapshot() -> None:
    metrics = PipelineMetrics(budget_ms=20.0)
    for i in range(10):
        metrics.captured(i * 0.1, depth=1)
        stages = {"queue": 1.0, "preprocess": 2.0, "invoke": 5.0, "postprocess": 0.5}
        metrics.frame_done(stages, 10.0 + i * 2, i * 0.1 + 0.01, i * 0.1 + 0.02)
    metrics.dropped(3)
    snap = metrics.snapshot(now=0.95)
    assert snap.captured == 10 and snap.delivered == 10 and snap.dropped == 3
    assert snap.capture_fps == pytest.approx(10.0)
    assert snap.stages_ms["invoke"].p50 == pytest.approx(5.0)
    assert snap.over_budget == 4  # 22, 24, 26, 28 ms
    assert snap.to_dict()["e2e_ms"]["p50"] == pytest.approx(19.0)


@pytest.mark.parametrize(
    ("p50", "p95", "count", "expected"),
    [
        (10.0, 20.0, 5, BudgetLight.GREEN),
        (20.0, 33.0, 5, BudgetLight.GREEN),  # at the budget counts as within
        (20.0, 33.01, 5, BudgetLight.AMBER),
        (33.0, 80.0, 5, BudgetLight.AMBER),
        (33.01, 80.0, 5, BudgetLight.RED),
        (0.0, 0.0, 0, BudgetLight.IDLE),  # nothing measured: no verdict
        (50.0, 70.0, 0, BudgetLight.IDLE),
    ],
)
def test_budget_light_rule(p50: float, p95: float, count: int, expected: BudgetLight) -> None:
    assert budget_light(p50, p95, 33.0, count) is expected


def test_over_budget_is_amber_or_red() -> None:
    assert [light.over_budget for light in BudgetLight] == [False, False, True, True]


def test_snapshot_light_uses_its_budget_and_e2e() -> None:
    e2e = Percentiles(p50=25.0, p95=45.0, count=10)
    assert MetricsSnapshot(e2e_ms=e2e, budget_ms=33.0).light is BudgetLight.AMBER
    assert MetricsSnapshot(e2e_ms=e2e, budget_ms=50.0).light is BudgetLight.GREEN
    assert MetricsSnapshot(e2e_ms=e2e, budget_ms=20.0).light is BudgetLight.RED
    assert MetricsSnapshot().light is BudgetLight.IDLE
