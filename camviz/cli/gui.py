"""``camviz`` with no command: the window (:func:`camviz.qt.app.run_gui`)."""

from __future__ import annotations

import argparse

from camviz.errors import CamvizError

__all__ = ["cmd_gui"]


def cmd_gui(args: argparse.Namespace) -> int:
    try:
        from camviz.qt.app import run_gui
    except ImportError as exc:
        raise CamvizError(
            f"the window needs PySide6 ({exc}); install it with  pip install PySide6-Essentials"
        ) from exc
    return int(
        run_gui(
            source=args.source,
            model=args.model,
            threads=args.threads,
            quit_after=args.quit_after,
            delegate=args.delegate,
            stats_json=args.stats_json,
        )
    )
