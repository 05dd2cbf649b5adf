"""The meter's CPU metric: the process's CPU share over the meter's window, per frame too."""

from __future__ import annotations

import os
import time

import pytest

from camviz.metrics import CpuMeter, MetricsSnapshot, PipelineMetrics


def test_cpu_share_is_cpu_seconds_over_wall_seconds_in_the_window() -> None:
    meter = CpuMeter(window_s=10.0)
    assert meter.share(0.0) is None and meter.ms_per_frame(0.0) is None
    for i in range(11):  # a frame every 0.1 s, 0.05 s of CPU each: half a core
        meter.tick(wall=i * 0.1, cpu=i * 0.05)
    assert meter.share(1.0) == pytest.approx(0.5)
    assert meter.ms_per_frame(1.0) == pytest.approx(50.0)
    # a gap of 20 s (paused; an explain map took 2 s of CPU meanwhile): no frame's cost,
    # the window starts again from the frame after it
    meter.tick(wall=21.0, cpu=0.5 + 2.0)
    assert meter.share(21.0) is None and meter.ms_per_frame(21.0) is None
    meter.tick(wall=21.1, cpu=2.5 + 0.05)
    assert meter.ms_per_frame(21.1) == pytest.approx(50.0)


def test_a_busy_thread_shows_in_the_snapshot_and_its_json() -> None:
    metrics = PipelineMetrics()
    assert metrics.snapshot().cpu_share is None
    stamps = []
    for _ in range(5):
        cpu = time.process_time()
        while time.process_time() - cpu < 0.02:  # 20 ms of CPU a frame, however long it takes
            pass
        now = time.monotonic()
        stamps.append(now)
        metrics.frame_done({}, 20.0, now, now)
    snap = metrics.snapshot(now)
    assert snap.cpu_ms_per_frame is not None and snap.cpu_ms_per_frame >= 19.0
    assert snap.cpu_share is not None and 0.0 < snap.cpu_share <= (os.cpu_count() or 1) + 0.5
    span = stamps[-1] - stamps[0]
    assert snap.cpu_share == pytest.approx(snap.cpu_ms_per_frame * 4 / 1000.0 / span)
    assert snap.to_dict()["cpu_share"] == round(snap.cpu_share, 3)
    assert snap.meter_dict().keys() == {"cpu_share", "cpu_ms_per_frame"}
    assert MetricsSnapshot().meter_dict() == {"cpu_share": None, "cpu_ms_per_frame": None}
