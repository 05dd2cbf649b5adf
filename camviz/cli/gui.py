"""``camviz`` with no command: the window (:func:`camviz.qt.app.run_gui`).

The window needs PySide6, which is the ``gui`` extra (``pip install 'camviz[gui]'``):
the command line and the API work without it, and the window says so when it is missing.
"""

from __future__ import annotations

import argparse
import importlib.util

from camviz.errors import ExtraNotInstalledError

__all__ = ["cmd_gui", "require_gui"]


def require_gui() -> None:
    """:class:`ExtraNotInstalledError` naming the extra when PySide6 is not installed."""
    try:
        found = importlib.util.find_spec("PySide6") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise ExtraNotInstalledError("The window", "gui", "PySide6")


def cmd_gui(args: argparse.Namespace) -> int:
    require_gui()
    from camviz.qt.app import run_gui

    return int(
        run_gui(
            source=args.source,
            model=args.model,
            threads=args.threads,
            quit_after=args.quit_after,
            delegate=args.delegate,
            backend=getattr(args, "backend", None),
            accelerator=getattr(args, "accelerator", None),
            stats_json=args.stats_json,
        )
    )
