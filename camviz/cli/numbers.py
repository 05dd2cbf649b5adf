"""Number options of the command line: one parser per kind, each bounded to what its
consumer takes.

Every parser refuses ``nan``, ``inf`` and ``1e999``; whole numbers are written in decimal
digits (any script's: ``٣`` is 3, as Python reads it) and a digit-like sign that is not
one (``²``, ``½``) is refused by name. Each kind has the upper bound of what consumes it:
a C ``int`` for counts (:data:`MAX_COUNT`), a timer's milliseconds for seconds
(:data:`MAX_TIMER_S`: Qt's timers take an ``int`` of milliseconds, and ``1e10`` aborted
the window), the threads and workers a process can start, a 32-bit seed.
"""

from __future__ import annotations

import argparse
import math
import unicodedata
from collections.abc import Callable
from typing import Final

__all__ = [
    "MAX_COUNT",
    "MAX_THREADS",
    "MAX_TIMER_S",
    "MAX_WORKERS",
    "bounded_int",
    "camera_index_count",
    "finite_float",
    "non_negative_float",
    "positive_float",
    "positive_int",
    "seed_int",
    "thread_count",
    "timer_seconds",
    "unit_float",
    "worker_count",
]

#: Counts (frames, runs, top-k, every N...) go to C ints somewhere below.
MAX_COUNT: Final = 2**31 - 1
#: Interpreter threads: far more than any machine's cores, and few enough to start.
MAX_THREADS: Final = 1024
#: Decode threads: each keeps about two decoded photos in flight.
MAX_WORKERS: Final = 64
#: Seconds a timer can wait: Qt timers take an int of milliseconds (about 24.8 days).
MAX_TIMER_S: Final = (2**31 - 1) // 1000
_MAX_SEED: Final = 2**32 - 1  # numpy's legacy seeds are 32-bit
_MAX_CAMERAS: Final = 64


def _whole(text: str) -> int:
    stripped = text.strip()
    body = stripped[1:] if stripped[:1] in "+-" else stripped
    if not body or not body.isdecimal():
        odd = next((c for c in body if c.isdigit() or c.isnumeric()), None)
        if odd is not None and not odd.isdecimal():
            name = unicodedata.name(odd, "a digit-like sign").lower()
            raise argparse.ArgumentTypeError(
                f"expected a whole number in digits 0-9, got {text!r} ({odd!r} is {name}, "
                "not a digit)"
            )
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}")
    return int(stripped)


def bounded_int(low: int, high: int, what: str = "") -> Callable[[str], int]:
    """A parser of whole numbers from ``low`` to ``high`` (``what`` says why the bound)."""

    def parse(text: str) -> int:
        value = _whole(text)
        if value < low:
            raise argparse.ArgumentTypeError(f"expected at least {low}, got {value}")
        if value > high:
            why = f" ({what})" if what else ""
            raise argparse.ArgumentTypeError(f"expected at most {high:,}{why}, got {value:,}")
        return value

    parse.__name__ = "whole number"
    return parse


positive_int = bounded_int(1, MAX_COUNT, "a C int")
thread_count = bounded_int(1, MAX_THREADS, "threads")
worker_count = bounded_int(1, MAX_WORKERS, "decode threads, each with photos in flight")
camera_index_count = bounded_int(1, _MAX_CAMERAS, "camera indices to try")
seed_int = bounded_int(0, _MAX_SEED, "a 32-bit seed")


def finite_float(text: str) -> float:
    """A finite number: ``nan``, ``inf`` and ``1e999`` are refused (they enter no option)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def positive_float(text: str) -> float:
    value = finite_float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {value}")
    return value


def timer_seconds(text: str) -> float:
    """Positive seconds a timer can wait: at most :data:`MAX_TIMER_S` (``1e10`` is refused)."""
    value = positive_float(text)
    if value > MAX_TIMER_S:
        raise argparse.ArgumentTypeError(
            f"expected at most {MAX_TIMER_S:,} seconds (about 24 days, what a timer can "
            f"wait), got {text}"
        )
    return value


def unit_float(text: str) -> float:
    """A probability or fraction, 0..1."""
    value = finite_float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number from 0 to 1, got {value}")
    return value


def non_negative_float(text: str) -> float:
    value = finite_float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of at least 0, got {value}")
    return value
