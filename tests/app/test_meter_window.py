"""The meter's one time window: light, numbers and graph agree; resets; warm-up; words."""

from __future__ import annotations

import math

import pytest

from camviz.app.meter_window import MeterWindow
from camviz.metrics import BudgetLight, MetricsSnapshot, budget_light


def snap(
    samples: list[tuple[float, float]], captured: int = 0, dropped: int = 0
) -> MetricsSnapshot:
    return MetricsSnapshot(
        captured=captured, dropped=dropped, budget_ms=33.0, recent_e2e_ms=tuple(samples)
    )


def test_idle_without_a_pipeline_or_frames() -> None:
    w = MeterWindow()
    assert w.read(None, now=5.0).state == "idle"
    r = w.read(snap([]), now=5.0)
    assert r.light is BudgetLight.IDLE and r.words == "no frames yet"


def test_warming_up_instead_of_red_at_the_start() -> None:
    w = MeterWindow(warmup_frames=10, warmup_s=1.0)
    w.reset(now=100.0)
    slow = [(100.0 + i * 0.1, 200.0) for i in range(3)]  # a model's first, slow frames
    r = w.read(snap(slow), now=100.3)
    assert r.state == "warming up" and r.light is BudgetLight.IDLE
    assert r.words == "warming up: 3 of 10 frames measured"


def test_light_numbers_and_graph_share_the_window_after_a_model_switch() -> None:
    w = MeterWindow(span_s=10.0)
    old = [(100.0 + i * 0.05, 90.0) for i in range(100)]  # slow model: red
    assert w.read(snap(old), now=105.0).light is BudgetLight.RED
    w.reset(now=105.0)  # model switch
    new = [(105.0 + i * 0.05, 10.0 + (i % 5)) for i in range(1, 41)]  # fast model
    r = w.read(snap(old + new), now=107.0)
    assert all(t >= 105.0 for t, _ in r.samples) and r.count == 40
    values = sorted(ms for _, ms in r.samples)
    assert r.light is BudgetLight.GREEN is budget_light(r.p50, r.p95, 33.0, r.count)
    assert values[0] <= r.p50 <= r.p95 <= values[-1]
    assert r.words == "within budget: 100% of frames under 33 ms"


def test_window_drops_old_samples_and_words_say_the_share() -> None:
    w = MeterWindow(span_s=2.0, warmup_frames=1, warmup_s=0.0)
    samples = [(0.0, 500.0)] + [(10.0 + i * 0.1, 20.0 if i % 4 else 50.0) for i in range(20)]
    r = w.read(snap(samples), now=12.0)
    assert r.count == 20 and min(t for t, _ in r.samples) >= 10.0
    assert r.light is BudgetLight.AMBER
    assert r.words.startswith("slow tail: 75% of frames under 33 ms")


def test_y_axis_ignores_a_start_up_spike() -> None:
    w = MeterWindow(warmup_frames=1, warmup_s=0.0)
    samples = [(10.0, 900.0)] + [(10.0 + i * 0.05, 15.0) for i in range(1, 100)]
    r = w.read(snap(samples), now=15.0)
    assert r.y_max < 100.0  # scaled to the frames, not to the 900 ms spike


def test_drops_as_a_share_of_the_window() -> None:
    w = MeterWindow(span_s=10.0)
    w.reset(now=0.0)
    assert w.read(snap([], captured=1000, dropped=900), now=0.0).drop_share is None
    r = w.read(snap([], captured=1100, dropped=950), now=1.0)
    assert r.drop_share == pytest.approx(0.5)


def test_span_must_be_finite() -> None:
    with pytest.raises(ValueError):
        MeterWindow(span_s=math.nan)


def test_rates_are_over_the_same_window() -> None:
    w = MeterWindow(span_s=10.0, warmup_frames=1, warmup_s=0.0)
    w.reset(now=0.0)
    w.read(snap([], captured=0), now=0.0)
    samples = [(1.0 + i * 0.1, 20.0) for i in range(21)]  # 10 classified per second
    r = w.read(snap(samples, captured=60, dropped=30), now=3.0)
    assert r.model_fps == pytest.approx(10.0)
    assert r.camera_fps == pytest.approx(20.0) and r.drop_share == pytest.approx(0.5)


def test_warming_up_by_time_once_enough_frames_are_measured() -> None:
    w = MeterWindow(warmup_frames=10, warmup_s=1.0)
    w.reset(now=100.0)
    fast = [(100.0 + i * 0.025, 10.0) for i in range(16)]  # 16 frames in 0.4 s
    r = w.read(snap(fast), now=100.4)
    assert r.state == "warming up"
    assert r.words == "warming up: 16 frames measured, 0.4 of 1 s"  # not "16 of 10"
    assert r.warmup == (10, 10)
    assert w.read(snap(fast), now=101.2).state == "green"
