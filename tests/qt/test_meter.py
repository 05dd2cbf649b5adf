from __future__ import annotations

import time
from typing import Any

import pytest
from PySide6.QtWidgets import QLabel

from camviz.metrics import BudgetLight, MetricsSnapshot, Percentiles, PipelineMetrics, budget_light
from camviz.qt.meter import (
    GRAPH_BACKGROUND,
    GRAPH_TEXT,
    BudgetStatus,
    PerformanceMeter,
    budget_status,
    contrast_ratio,
    light_color,
)


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


def snapshot(p50: float, p95: float, budget: float = 33.0, n: int = 40) -> MetricsSnapshot:
    """Samples over the last 8 s whose p50/p95 are about ``p50``/``p95``."""
    now = time.monotonic()
    slow = max(1, n // 10)
    values = [p50] * (n - slow) + [p95] * slow
    return MetricsSnapshot(
        capture_fps=30.0,
        inference_fps=12.5,
        captured=100,
        dropped=7,
        stages_ms={"invoke": Percentiles(p50=9.0, p95=11.0, count=10)},
        e2e_ms=Percentiles(p50=p50, p95=p95, count=n),
        budget_ms=budget,
        recent_e2e_ms=tuple((now - 8.0 + i * 8.0 / n, v) for i, v in enumerate(values)),
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
        assert meter.status_text().startswith(expected.value.upper())
    meter.show_snapshot(snapshot(12.0, 20.0), display_fps=29.0)
    assert meter.value_text("camera") == "30.0"
    assert meter.value_text("inference") == "5.0"  # 40 frames over 8 s of the window
    assert meter.value_text("display") == "29.0"
    assert meter.value_text("e2e_ms") == "12.0 / 20.0"
    assert "within budget: 100% of frames under 33 ms" in meter.status_text()
    assert len(meter.graph.samples()) == 40
    meter.show_snapshot(None)
    assert meter.status() is BudgetStatus.IDLE


def test_light_agrees_with_the_graph_after_a_model_switch(qtbot) -> None:
    metrics = PipelineMetrics(budget_ms=33.0)
    meter = PerformanceMeter(provider=metrics.snapshot, refresh_hz=0)
    qtbot.addWidget(meter)
    t = time.monotonic() - 6.0
    for i in range(60):  # the old, slow model
        metrics.frame_done({}, e2e_ms=80.0, inferred_at=t + i * 0.05, delivered_at=t + i * 0.05)
    meter.refresh()
    assert meter.status() is BudgetStatus.RED
    switch = t + 3.0
    meter.reset(now=switch)  # MODEL_LOADED of the new model
    for i in range(1, 40):
        at = switch + i * 0.05
        metrics.frame_done({}, e2e_ms=12.0, inferred_at=at, delivered_at=at)
    meter.refresh()
    graphed = meter.graph.samples()
    assert graphed and all(t >= switch for t, _ in graphed)
    assert meter.status() is BudgetStatus.GREEN
    values = sorted(ms for _, ms in graphed)
    assert meter.status() is budget_light(values[len(values) // 2], values[-1], 33.0, len(values))


def test_meter_text_has_enough_contrast(qtbot) -> None:
    meter = PerformanceMeter(refresh_hz=0)
    qtbot.addWidget(meter)
    meter.show()
    for label in meter.findChildren(QLabel):
        if label.text():
            pal = label.palette()
            fg = pal.color(label.foregroundRole())
            bg = pal.color(meter.backgroundRole())
            assert contrast_ratio(fg, bg) >= 4.5, label.text()
    for colour in (GRAPH_TEXT, light_color(BudgetLight.AMBER)):
        assert contrast_ratio(colour, GRAPH_BACKGROUND) >= 4.5


def test_graph_labels_are_clear_of_the_trace(qtbot) -> None:
    meter = PerformanceMeter(refresh_hz=0)
    qtbot.addWidget(meter)
    meter.resize(400, 260)
    meter.show()
    meter.show_snapshot(snapshot(200.0, 400.0))  # the trace at the top of the scale
    plot = meter.graph.plot_rect()
    img = meter.graph.grab().toImage()
    for x in range(2, img.width() - 2, 2):  # the label strip has no trace colour in it
        for y in range(1, int(plot.top()) - 1):
            c = img.pixelColor(x, y)
            assert not (c.blue() > 200 and c.red() < 130 and c.green() > 140), (x, y)


def test_runtime_and_threads(qtbot) -> None:
    meter = PerformanceMeter(refresh_hz=0)
    qtbot.addWidget(meter)
    meter.set_runtime("openvino", "CPU", 2)
    assert meter.value_text("runtime") == "openvino · CPU · 2 threads"
    meter.set_runtime("litert", "CPU", 1, delegate="xnnpack")
    assert meter.value_text("runtime") == "litert · CPU · xnnpack · 1 thread"


def test_meter_polls_a_real_metrics_object_on_its_timer(qtbot) -> None:
    metrics = PipelineMetrics(budget_ms=33.0)
    meter = PerformanceMeter(provider=metrics.snapshot, display_fps=lambda: 24.0, refresh_hz=20)
    qtbot.addWidget(meter)
    meter.resize(480, 220)
    meter.show()
    t = time.monotonic() - 1.0
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
    assert meter.value_text("e2e_ms") == "46.0 / 47.0"
    img = meter.grab().toImage()  # paints the graph without errors
    assert img.width() == 480


def test_graph_paints_budget_line(qtbot) -> None:
    meter = PerformanceMeter(refresh_hz=0)
    qtbot.addWidget(meter)
    meter.resize(400, 240)
    meter.show()
    meter.show_snapshot(snapshot(12.0, 20.0))
    img = meter.graph.grab().toImage()
    plot = meter.graph.plot_rect()
    # the amber dashed budget line is somewhere in the plot
    amber = 0
    for x in range(img.width() // 4, img.width() // 2, 3):
        for y in range(int(plot.top()), img.height()):
            c = img.pixelColor(x, y)
            if c.red() > 150 and c.green() > 100 and c.blue() < 80:
                amber += 1
    assert amber >= 1


def test_a_long_runtime_line_never_widens_the_side_panel(qtbot: Any, make_window: Any) -> None:
    """The side panel has a fixed width and no horizontal scroll bar: a value wider than a
    meter column ("onnxruntime · CPUExecutionProvider · 2 threads") would push its content
    past the right edge (the Open… button and the spin boxes were cut). It gets a row."""
    win = make_window()
    win.meter.set_runtime("onnxruntime", "CPUExecutionProvider", 2)
    win.meter.set_runtime("litert", "CPU", 2, "xnnpack")
    qtbot.wait(50)
    panel = win.side_panel
    assert panel.widget().minimumSizeHint().width() <= panel.viewport().width()
    assert panel.widget().width() <= panel.viewport().width()


def test_the_meter_is_in_view_in_a_720_pixel_window(qtbot: Any, make_window: Any) -> None:
    """The meter (the budget light, fps and latency) is the window's answer to "does it keep
    up": in a 1280x720 window it is inside the side panel's view without scrolling, above
    the controls that a key reaches too (explain, record video); A/B's box is above it."""
    win = make_window()
    qtbot.wait(50)
    panel = win.side_panel
    top = win.meter.mapTo(panel.widget(), win.meter.rect().topLeft()).y()
    assert panel.verticalScrollBar().value() == 0
    assert top + win.meter.sizeHint().height() * 0.6 <= panel.viewport().height(), (
        top,
        win.meter.sizeHint().height(),
        panel.viewport().height(),
    )
    explain = win.explain_box.mapTo(panel.widget(), win.explain_box.rect().topLeft()).y()
    assert top < explain
