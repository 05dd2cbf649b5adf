"""What every benchmark script shares: the timing loop, percentiles, the machine, tables.

Run as scripts (``python benchmarks/x.py``), the scripts find this module beside them; the
tests import them as modules because pytest puts ``benchmarks/`` on ``sys.path``
(``pythonpath`` in pyproject.toml). Built on camviz's own helpers, not copies of them:

* :func:`time_calls` (``camviz.bench``): milliseconds of each call; :func:`time_repeated`
  the same for one call repeated after a warm-up; :class:`Span` the wall and CPU time of a
  block (``time.perf_counter`` and ``time.process_time``, all threads).
* :func:`percentiles`: p50/p95/p99/mean/max of any values (``camviz.metrics.LatencyStats``,
  NaN when there are none, so an empty run never reads as a fast one).
* :func:`machine`: the CPU model, the SIMD flags TFLite's kernels use (AVX2, AVX-512,
  VNNI), cores, load average, Python, platform and the versions of numpy, OpenCV and
  the runtimes, and whether each runtime loads (``camviz.bench.machine_description``
  plus flags and versions).
* :func:`markdown_table`: rows as a GitHub table.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

from camviz.metrics import LatencyStats, Percentiles

__all__ = [
    "Machine",
    "Percentiles",
    "SIMD_FLAGS",
    "Span",
    "machine",
    "markdown_table",
    "percentiles",
    "time_calls",
    "time_repeated",
]

#: /proc/cpuinfo flags worth naming in a result (the rest are the same on every x86-64 CPU
#: a benchmark here has run on)
SIMD_FLAGS = ("avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni", "amx_int8")

#: distributions whose versions a machine line names (when installed)
VERSIONS = (
    "numpy",
    "opencv-python-headless",
    "opencv-contrib-python",
    "opencv-python",
    "ai-edge-litert",
    "tflite-runtime",
    "onnxruntime",
    "openvino",
    "mediapipe",
    "PySide6-Essentials",
)


T = TypeVar("T")
R = TypeVar("R")


def time_calls(call: Callable[[T], R], items: Iterable[T]) -> tuple[list[float], list[R]]:
    """Milliseconds of ``call(item)`` for each of ``items``, and what each call returned.

    ``camviz.bench.time_calls``, imported when first timed (the percentiles and tables
    need only ``camviz.metrics``).
    """
    from camviz.bench import time_calls as timed

    return timed(call, items)


def time_repeated(call: Callable[[], object], runs: int, warmup: int = 0) -> list[float]:
    """Milliseconds of each of ``runs`` calls of ``call()``, after ``warmup`` untimed ones."""
    for _ in range(warmup):
        call()
    return time_calls(lambda _: call(), range(runs))[0]


@dataclass
class Span:
    """Wall and CPU seconds of a ``with`` block (CPU: the whole process, every thread)."""

    wall_s: float = math.nan
    cpu_s: float = math.nan
    _start: tuple[float, float] = field(default=(0.0, 0.0), repr=False)

    def __enter__(self) -> Span:
        self._start = (time.perf_counter(), time.process_time())
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall_s = time.perf_counter() - self._start[0]
        self.cpu_s = time.process_time() - self._start[1]


def percentiles(values: Iterable[float]) -> Percentiles:
    """p50, p95, p99, mean, max and count of ``values`` (every one kept); NaN when empty."""
    stats = LatencyStats(maxlen=None)
    for value in values:
        stats.add(value)
    if not len(stats):
        return Percentiles(math.nan, math.nan, math.nan, math.nan, math.nan, 0)
    return stats.percentiles()


@dataclass(frozen=True)
class Machine:
    """Where a benchmark ran (:func:`machine`)."""

    cpu: str
    cores: int | None
    flags: tuple[str, ...]
    load_average: float | None
    python: str
    platform: str
    versions: dict[str, str]
    runtimes: dict[str, str] = field(default_factory=dict)

    def line(self) -> str:
        """One line for a report: ``AMD EPYC ..., 2 cores (avx2 ...), load 1.2; Python ...``."""
        flags = " ".join(self.flags) or "no AVX2"
        load = f", 1-min load {self.load_average:.2f}" if self.load_average is not None else ""
        versions = ", ".join(f"{name} {v}" for name, v in self.versions.items())
        return (
            f"{self.cpu}, {self.cores} cores ({flags}){load}; Python {self.python}, "
            f"{self.platform}; {versions}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "cpu": self.cpu,
            "cores": self.cores,
            "flags": list(self.flags),
            "load_average": self.load_average,
            "python": self.python,
            "platform": self.platform,
            "versions": dict(self.versions),
            "runtimes": dict(self.runtimes),
        }


def _cpu_flags() -> tuple[str, ...]:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("flags", "Features")):
                present = set(line.split(":", 1)[1].split())
                return tuple(f for f in SIMD_FLAGS if f in present)
    return ()


def _versions(extra: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for name in (*VERSIONS, *extra):
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[name] = metadata.version(name)
    return found


def machine(extra: Sequence[str] = ()) -> Machine:
    """This machine, and the versions of :data:`VERSIONS` and ``extra`` that are installed."""
    from camviz.bench import machine_description

    base = machine_description()
    load: float | None = None
    with contextlib.suppress(OSError, AttributeError):
        load = round(os.getloadavg()[0], 2)
    return Machine(
        cpu=str(base["cpu"]),
        cores=base["cores"],
        flags=_cpu_flags(),
        load_average=load,
        python=str(base["python"]),
        platform=str(base["platform"]),
        versions=_versions(extra),
        runtimes=dict(base["runtimes"]),
    )


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A GitHub table; cells are ``str()``-ed, ``|`` in them escaped, numbers right-aligned."""
    body = [[str(cell).replace("|", "\\|") for cell in row] for row in rows]
    numeric = [
        bool(body) and all(_is_number(row[i]) for row in body if i < len(row))
        for i in range(len(header))
    ]
    rule = ["---:" if num else "---" for num in numeric]
    lines = [header, rule, *body]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
