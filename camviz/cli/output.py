"""What every command prints with: exit codes, the progress bar, tables, number formats.

Imports only :mod:`camviz.jsonio` and :mod:`camviz.errors` of camviz: the commands of
:mod:`camviz.cli` import it. Every text line (tables, log lines, listings) passes what came
from outside through :func:`camviz.errors.terminal_safe`; JSON is left to the encoder.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any, Final, TextIO

from camviz import jsonio
from camviz.errors import terminal_safe

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "ProgressBar",
    "finite_json",
    "json_line",
    "mb",
    "pct",
    "print_json",
    "stderr_log",
    "table",
    "terminal_safe",
]

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2  # what argparse exits with on a bad option
EXIT_INTERRUPTED: Final = 130


class ProgressBar:
    """ProgressBar with rate and time left (tqdm) on stderr, as ``progress(done, total)``.

    Silent when stderr is not a terminal (a log, a pipe, CI) or when not ``enabled``
    (``--quiet`` / ``--no-progress``): the results on stdout are the same either way.
    """

    def __init__(
        self, label: str, stream: TextIO | None = None, enabled: bool = True, unit: str = "it"
    ) -> None:
        self.label = terminal_safe(label)  # a model's or file's name from outside
        base = stream or sys.stderr
        self.stream = getattr(base, "unescaped", base)  # tqdm redraws with CR
        self.enabled = enabled and _isatty(self.stream)
        self.unit = unit
        self._bar: Any = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self._bar is None:
            from tqdm import tqdm  # a dependency; only the command line draws bars

            self._bar = tqdm(
                total=total, desc=self.label, unit=self.unit, file=self.stream, leave=True
            )
        bar = self._bar
        if total != bar.total:
            bar.total = total
        bar.update(done - bar.n)
        if done >= total:
            self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _isatty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def stderr_log(prefix: str, quiet: bool) -> Callable[[str], None]:
    """A log function printing ``prefix: message`` lines on stderr, or nothing if ``quiet``."""

    def log(message: str) -> None:
        if not quiet:
            print(terminal_safe(f"{prefix}: {message}"), file=sys.stderr, flush=True)

    return log


def finite_json(payload: Any) -> Any:
    """``payload`` with every non-finite float as None (see :mod:`camviz.jsonio`)."""
    return jsonio.finite(payload)


def json_line(payload: Any) -> str:
    """Strict one-line JSON (non-finite numbers as null), for JSON-lines output."""
    return jsonio.dumps(payload)


def print_json(payload: Any) -> None:
    """One indented, strict JSON document on stdout (non-finite numbers as null)."""
    print(jsonio.dumps(payload, indent=2))


def table(rows: Sequence[Sequence[str]], out: TextIO | None = None) -> None:
    """Left-aligned columns, the first row as the header underlined with dashes."""
    out = out or sys.stdout
    rows = [[terminal_safe(cell) for cell in row] for row in rows]
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
