"""What every command prints with: exit codes, the progress bar, tables, number formats.

Imports nothing of camviz: the commands of :mod:`camviz.cli` import it.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, Final, TextIO

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "Progress",
    "finite_json",
    "json_line",
    "mb",
    "pct",
    "print_json",
    "stderr_log",
    "table",
]

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2  # what argparse exits with on a bad option
EXIT_INTERRUPTED: Final = 130


class Progress:
    """A one-line progress bar on stderr (only redrawn when stderr is a terminal)."""

    def __init__(self, label: str, stream: TextIO | None = None, enabled: bool = True) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = self.stream.isatty()
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if self.tty and (now - self._last > 0.1 or done == total):
            self._last = now
            width = 30
            filled = int(width * done / max(total, 1))
            bar = "#" * filled + "-" * (width - filled)
            self.stream.write(f"\r{self.label} [{bar}] {done}/{total}")
            if done == total:
                self.stream.write("\n")
            self.stream.flush()
        elif not self.tty and done == total:
            self.stream.write(f"{self.label}: {done}/{total} done\n")


def stderr_log(prefix: str, quiet: bool) -> Callable[[str], None]:
    """A log function printing ``prefix: message`` lines on stderr, or nothing if ``quiet``."""

    def log(message: str) -> None:
        if not quiet:
            print(f"{prefix}: {message}", file=sys.stderr, flush=True)

    return log


def finite_json(payload: Any) -> Any:
    """``payload`` with every NaN or infinite float replaced by ``None`` (JSON null).

    JSON has no NaN or Infinity; Python's ``json`` writes them anyway, and strict
    readers (``jq``, browsers, other languages) then refuse the whole document.
    """
    if isinstance(payload, float):
        return payload if math.isfinite(payload) else None
    if isinstance(payload, dict):
        return {key: finite_json(value) for key, value in payload.items()}
    if isinstance(payload, list | tuple):
        return [finite_json(value) for value in payload]
    return payload


def json_line(payload: Any) -> str:
    """Strict one-line JSON (non-finite numbers as null), for JSON-lines output."""
    return json.dumps(finite_json(payload), allow_nan=False)


def print_json(payload: Any) -> None:
    """One indented, strict JSON document on stdout (non-finite numbers as null)."""
    print(json.dumps(finite_json(payload), indent=2, allow_nan=False))


def table(rows: Sequence[Sequence[str]], out: TextIO | None = None) -> None:
    """Left-aligned columns, the first row as the header underlined with dashes."""
    out = out or sys.stdout
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        out.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        out.write("\n")
        if n == 0:
            out.write("  ".join("-" * w for w in widths) + "\n")


def pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


def mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"
