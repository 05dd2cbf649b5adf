from __future__ import annotations

import time

import pytest

from camviz.metrics import BudgetLight, MetricsSnapshot, Percentiles, PipelineMetrics, budget_light
from camviz.qt.meter import BudgetStatus, PerformanceMeter, budget_status, light_color


@pytest.mark.parametrize(
    ("p50", "p95", "count", "expected"),
    [
        (10.0, 20.0, 5, BudgetStatus.GREEN),
        (20.0, 33.0, 5, BudgetStatus.GREEN),  # at the budget counts as within
        (20.0, 40.0, 5, BudgetStatus.AMBER),
        (33.0, 80.0, 5, BudgetStatus.AMBER),
        (40.0, 80.0, 5, BudgetStatus.RED),
        (0.0, 0.0, 0, BudgetStatus.IDLE),
    ],
)
def test_budget_rule(p50: float, p95: float, count: int, expected: BudgetStatus) -> None:
    assert budget_status(p50, p95, 33.0, count) is expected


def test_the_meter_uses_the_one_rule_in_metrics() -> None:
    assert BudgetStatus is BudgetLight and budget_status is budget_light
    assert {light_color(light).name() for light in BudgetLight} == {
        "#7f7f7f",
        "#2ea043",
        "#d29922",
        "#da3633",
    }


def snapshot(p50: float, p95: float, budget: float = 33.0) -> MetricsSnapshot:
    now = time.monotonic()
    return MetricsSnapshot(
        capture_fps=30.0,
        inference_fps=12.5,
        dropped=7,
        stages_ms={"invoke": Percentiles(p50=9.0, p95=11.0, count=10)},
        e2e_ms=Percentiles(p50=p50, p95=p95, count=10),
        budget_ms=budget,
        recent_e2e_ms=tuple((now - 9.0 + i * 0.5, p50 + i) for i in range(18)),
    )


def test_meter_colours_follow_the_rule(qtbot) -> None:
    meter = PerformanceMeter(refresh_hz=0)
    qtbot.addWidget(meter)
    assert meter.status() is BudgetStatus.IDLE
    for snap, expected in [
        (snapshot(12.0, 20.0), BudgetStatus.GREEN),
        (snapshot(25.0, 45.0), BudgetStatus.AMBER),
        (snapshot(50.0, 70.0), BudgetStatus.RED),
        (snapshot(50.0, 70.0, budget=100.0), BudgetStatus.GREEN),
    ]:
        meter.show_snapshot(snap, display_fps=29.0)
        assert meter.status() is expected is snap.light
    meter.show_snapshot(snapshot(12.0, 20.0), display_fps=29.0)
    assert meter.value_text("camera") == "30.0"
    assert meter.value_text("inference") == "12.5"
    assert meter.value_text("display") == "29.0"
    assert meter.value_text("infer_ms") == "9.0 / 11.0"
    assert meter.value_text("e2e_ms") == "12.0 / 20.0"
    assert meter.value_text("dropped") == "7"
    assert len(meter.graph.samples()) == 18
    meter.show_snapshot(None)
    assert meter.status() is BudgetStatus.IDLE


def test_meter_polls_a_real_metrics_object_on_its_timer(qtbot) -> None:
    metrics = PipelineMetrics(budget_ms=33.0)
    meter = PerformanceMeter(provider=metrics.snapshot, display_fps=lambda: 24.0, refresh_hz=20)
    qtbot.addWidget(meter)
    meter.resize(480, 220)
    meter.show()
    t = time.monotonic()
    for i in range(30):
        metrics.captured(t + i / 30, 0)
        stages = {"invoke": 40.0, "preprocess": 2.0}
        metrics.frame_done(
            stages, e2e_ms=45.0 + i % 3, inferred_at=t + i / 30, delivered_at=t + i / 30
        )
    with qtbot.waitSignal(meter.statusChanged, timeout=2000) as blocker:
        pass
    assert blocker.args == ["red"]
    start = meter.refresh_count
    qtbot.waitUntil(lambda: meter.refresh_count >= start + 3, timeout=2000)
    assert meter.value_text("display") == "24.0"
    assert meter.value_text("infer_ms") == "40.0 / 40.0"
    img = meter.grab().toImage()  # paints the graph without errors
    assert img.width() == 480


def test_graph_paints_budget_line(qtbot) -> None:
    meter = PerformanceMeter(refresh_hz=0)
    qtbot.addWidget(meter)
    meter.resize(400, 240)
    meter.show()
    meter.show_snapshot(snapshot(12.0, 20.0))
    img = meter.graph.grab().toImage()
    # the amber dashed budget line is somewhere in the graph
    amber = 0
    for x in range(img.width() // 4, img.width() // 2, 3):
        for y in range(img.height()):
            c = img.pixelColor(x, y)
            if c.red() > 150 and c.green() > 100 and c.blue() < 80:
                amber += 1
    assert amber >= 1
