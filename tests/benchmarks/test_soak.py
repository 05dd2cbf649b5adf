"""The soak benchmark: its verdict logic, and a 60 s run of the real window in CI."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import soak

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _samples(n: int, rss: Any, fps: Any, p95: Any) -> list[Any]:
    return [
        soak.Sample(
            t_s=2.0 * i,
            rss_mb=rss(i),
            queue_depth=1,
            queue_peak=1,
            fps=fps(i),
            p95_ms=p95(i),
            inferred=30 * i,
            dropped=0,
            results_shown=30 * i,
            threads=3,
        )
        for i in range(n)
    ]


def _judge(samples: list[Any]) -> Any:
    return soak.judge(
        samples, elapsed=60, warmup_s=10, limit_mb=20, fps_drift=0.4, p95_drift=0.5, p95_slack_ms=5
    )


def test_judge_passes_a_steady_run() -> None:
    report = _judge(_samples(30, lambda i: 180.0 + (i % 3), lambda i: 30.0, lambda i: 40.0))
    assert report.ok, report.failures


def test_judge_catches_a_leak_and_drift() -> None:
    leak = _judge(_samples(30, lambda i: 180.0 + 2.0 * i, lambda i: 30.0, lambda i: 40.0))
    assert not leak.ok and "memory grew" in leak.failures[0]
    slow = _judge(_samples(30, lambda i: 180.0, lambda i: 30.0 - i, lambda i: 40.0 + 5 * i))
    assert any("fps fell" in f for f in slow.failures)
    assert any("p95 latency rose" in f for f in slow.failures)


@pytest.mark.slow
@pytest.mark.gui
def test_soak_60s_real_window(tmp_path: Path) -> None:
    report = soak.run_soak(60.0, interval=2.0, settings_dir=tmp_path)
    soak.write_csv(report, tmp_path / "soak.csv")
    summary = report.summary()
    print(summary)
    assert report.ok, (report.failures, summary)
    assert report.frames_inferred > 100
    assert len((tmp_path / "soak.csv").read_text().splitlines()) == len(report.samples) + 1
