"""Soak the whole app: the real MainWindow (offscreen) on the unpaced demo reel for N minutes.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/soak.py --minutes 30 --out soak-30min

Every ``--interval`` seconds it records resident memory (RSS), the pipeline's queue depth and
peak, inference fps over the interval, p95 end-to-end latency of the frames delivered in the
interval, the results the window showed and the live thread count, to ``<out>/soak.csv``; at the
end it plots them to ``<out>/soak.png`` (matplotlib, imported only then) and prints a summary
as JSON.

Pass/fail (exit 1 on failure), all measured after the warm-up (the first ``--warmup`` seconds,
default 15% of the run, at least 10 s):

* memory: the median RSS of the last five samples minus the median of the first five is
  below ``--limit-mb`` (20 MB);
* fps drift: the median fps of the last quarter is at least ``1 - --fps-drift`` (default 0.4,
  i.e. at most a 40% drop) times the median of the first quarter;
* p95 drift: the median p95 of the last quarter is at most ``1 + --p95-drift`` (default 0.5)
  times the first quarter's, plus ``--p95-slack-ms`` (5 ms) for scheduler noise;
* the window kept showing results (some in the last quarter) and no pipeline ERROR event.

The tolerances are wide because the machine running CI is shared and timings are noisy; a
leak or a slowdown that builds over time still trips them.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness import percentiles

from camviz.defaults import THREADS

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

COLUMNS = (
    "t_s",
    "rss_mb",
    "queue_depth",
    "queue_peak",
    "fps",
    "p95_ms",
    "inferred",
    "dropped",
    "results_shown",
    "threads",
)


@dataclass(frozen=True)
class Sample:
    t_s: float
    rss_mb: float
    queue_depth: int
    queue_peak: int
    fps: float
    p95_ms: float
    inferred: int
    dropped: int
    results_shown: int
    threads: int


@dataclass
class SoakReport:
    seconds: float
    samples: list[Sample]
    warmup_s: float
    rss_after_warmup_mb: float
    rss_end_mb: float
    rss_growth_mb: float
    fps_first_quarter: float
    fps_last_quarter: float
    p95_first_quarter_ms: float
    p95_last_quarter_ms: float
    frames_inferred: int
    results_shown: int
    queue_peak: int
    dropped: int
    errors: list[str]
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def summary(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("samples")
        data["samples"] = len(self.samples)
        data["ok"] = self.ok
        for key, value in data.items():
            if isinstance(value, float):
                data[key] = round(value, 2)
        return data


def run_soak(
    seconds: float,
    *,
    model: str = "",
    threads: int = THREADS,
    interval: float = 2.0,
    warmup_s: float | None = None,
    limit_mb: float = 20.0,
    fps_drift: float = 0.4,
    p95_drift: float = 0.5,
    p95_slack_ms: float = 5.0,
    settings_dir: Path | None = None,
) -> SoakReport:
    """Run the real window for ``seconds`` and judge memory, fps and latency over time."""
    import psutil
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from camviz.pipeline import EventKind
    from camviz.qt.window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    warmup = warmup_s if warmup_s is not None else max(10.0, 0.15 * seconds)
    process = psutil.Process()
    tmp = tempfile.TemporaryDirectory(prefix="camviz-soak-")
    folder = Path(settings_dir or tmp.name)
    settings = QSettings(str(folder / "soak.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, cameras=[], snapshot_dir=folder / "snapshots")
    window.threads_spin.setValue(threads)
    window.resize(1280, 720)
    window.show()
    samples: list[Sample] = []
    started = time.monotonic()
    last = {"t": started, "inferred": 0}

    def sample() -> None:
        pipeline = window.session.pipeline
        if pipeline is None:
            return
        now = time.monotonic()
        snap = pipeline.metrics.snapshot(now)
        dt = max(1e-6, now - last["t"])
        fps = (snap.inferred - last["inferred"]) / dt
        recent = [ms for stamp, ms in snap.recent_e2e_ms if stamp > last["t"]]
        last["t"], last["inferred"] = now, snap.inferred
        samples.append(
            Sample(
                t_s=round(now - started, 3),
                rss_mb=process.memory_info().rss / 2**20,
                queue_depth=snap.queue_depth,
                queue_peak=snap.queue_peak,
                fps=fps,
                p95_ms=percentiles(recent).p95,
                inferred=snap.inferred,
                dropped=snap.dropped,
                results_shown=window.results_shown,
                threads=threading.active_count(),
            )
        )

    timer = QTimer()
    timer.timeout.connect(sample)
    timer.start(round(interval * 1000))
    QTimer.singleShot(round(seconds * 1000), window.close)
    if not window.start("demo", model or None, pace=False):
        window.shutdown()
        raise RuntimeError("the window could not start the demo source")
    try:
        app.exec()
    finally:
        timer.stop()
        window.shutdown()
    elapsed = time.monotonic() - started
    snap = window.final_metrics
    errors = [e.message for e in window.events if e.kind in (EventKind.ERROR,)]
    window.deleteLater()
    app.processEvents()
    tmp.cleanup()
    return judge(
        samples,
        elapsed=elapsed,
        warmup_s=warmup,
        limit_mb=limit_mb,
        fps_drift=fps_drift,
        p95_drift=p95_drift,
        p95_slack_ms=p95_slack_ms,
        queue_peak=snap.queue_peak if snap else 0,
        dropped=snap.dropped if snap else 0,
        errors=errors,
    )


def judge(
    samples: list[Sample],
    *,
    elapsed: float,
    warmup_s: float,
    limit_mb: float,
    fps_drift: float,
    p95_drift: float,
    p95_slack_ms: float,
    queue_peak: int = 0,
    dropped: int = 0,
    errors: list[str] | None = None,
) -> SoakReport:
    """The verdict on a series of samples (pure: unit-testable without a window)."""
    steady = [s for s in samples if s.t_s >= warmup_s]
    failures: list[str] = []
    if len(steady) < 8:
        failures.append(f"only {len(steady)} samples after the warm-up; run longer")
    quarter = max(1, len(steady) // 4)
    first, last = steady[:quarter], steady[-quarter:]
    rss_start = percentiles([s.rss_mb for s in steady[:5]]).p50
    rss_end = percentiles([s.rss_mb for s in steady[-5:]]).p50
    growth = rss_end - rss_start
    fps_first = percentiles([s.fps for s in first]).p50
    fps_last = percentiles([s.fps for s in last]).p50
    p95_first = percentiles([s.p95_ms for s in first if s.p95_ms == s.p95_ms]).p50
    p95_last = percentiles([s.p95_ms for s in last if s.p95_ms == s.p95_ms]).p50
    if steady:
        if not growth < limit_mb:
            failures.append(f"memory grew {growth:.1f} MB after warm-up (limit {limit_mb:g} MB)")
        if not fps_last >= (1.0 - fps_drift) * fps_first:
            failures.append(
                f"fps fell from {fps_first:.1f} to {fps_last:.1f} "
                f"(tolerance: a {fps_drift:.0%} drop)"
            )
        if not p95_last <= (1.0 + p95_drift) * p95_first + p95_slack_ms:
            failures.append(
                f"p95 latency rose from {p95_first:.1f} to {p95_last:.1f} ms "
                f"(tolerance: +{p95_drift:.0%} + {p95_slack_ms:g} ms)"
            )
        if last[-1].results_shown <= first[0].results_shown or not fps_last > 0:
            failures.append("the window stopped showing results")
    if errors:
        failures.append(f"{len(errors)} pipeline error(s): {errors[0]}")
    return SoakReport(
        seconds=elapsed,
        samples=samples,
        warmup_s=warmup_s,
        rss_after_warmup_mb=rss_start,
        rss_end_mb=rss_end,
        rss_growth_mb=growth,
        fps_first_quarter=fps_first,
        fps_last_quarter=fps_last,
        p95_first_quarter_ms=p95_first,
        p95_last_quarter_ms=p95_last,
        frames_inferred=samples[-1].inferred if samples else 0,
        results_shown=samples[-1].results_shown if samples else 0,
        queue_peak=queue_peak,
        dropped=dropped,
        errors=list(errors or []),
        failures=failures,
    )


def write_csv(report: SoakReport, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for s in report.samples:
            values = asdict(s).values()
            writer.writerow([round(v, 3) if isinstance(v, float) else v for v in values])
    return path


def write_plot(report: SoakReport, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = [s.t_s / 60.0 for s in report.samples]
    fig, axes = plt.subplots(4, 1, figsize=(9, 9), sharex=True)
    series = (
        ("RSS (MB)", [s.rss_mb for s in report.samples]),
        ("inference fps", [s.fps for s in report.samples]),
        ("p95 end-to-end (ms)", [s.p95_ms for s in report.samples]),
        ("queue depth / peak", [s.queue_depth for s in report.samples]),
    )
    for ax, (label, values) in zip(axes, series, strict=True):
        ax.plot(t, values, lw=1)
        ax.set_ylabel(label)
        ax.axvline(report.warmup_s / 60.0, color="grey", ls=":", lw=1)
        ax.grid(alpha=0.3)
    axes[3].plot(t, [s.queue_peak for s in report.samples], lw=1, ls="--")
    axes[-1].set_xlabel("minutes (dotted: end of warm-up)")
    verdict = "PASS" if report.ok else "FAIL"
    fig.suptitle(
        f"camviz soak, {report.seconds / 60:.1f} min: {verdict}; "
        f"RSS +{report.rss_growth_mb:.1f} MB after warm-up"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--model", default="")
    parser.add_argument("--threads", type=int, default=THREADS)
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between samples")
    parser.add_argument("--warmup", type=float, default=None, help="seconds (default 15%%)")
    parser.add_argument("--limit-mb", type=float, default=20.0)
    parser.add_argument("--fps-drift", type=float, default=0.4)
    parser.add_argument("--p95-drift", type=float, default=0.5)
    parser.add_argument("--p95-slack-ms", type=float, default=5.0)
    parser.add_argument("--out", type=Path, default=Path("soak-out"))
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args(argv)
    report = run_soak(
        args.minutes * 60.0,
        model=args.model,
        threads=args.threads,
        interval=args.interval,
        warmup_s=args.warmup,
        limit_mb=args.limit_mb,
        fps_drift=args.fps_drift,
        p95_drift=args.p95_drift,
        p95_slack_ms=args.p95_slack_ms,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    write_csv(report, args.out / "soak.csv")
    if not args.no_plot:
        write_plot(report, args.out / "soak.png")
    print(json.dumps(report.summary(), indent=2))
    for failure in report.failures:
        print(f"soak: FAIL: {failure}", file=sys.stderr)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
