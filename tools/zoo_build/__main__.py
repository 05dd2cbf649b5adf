"""Command line: ``python -m tools.zoo_build [--only NAME ...] [--out DIR] [--photos DIR]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from camviz.errors import CamvizError, format_error

_ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    from tools.zoo_build.specs import SPECS

    parser = argparse.ArgumentParser(prog="python -m tools.zoo_build", description=__doc__)
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        choices=[s.name for s in SPECS],
        help="build only this model (repeatable)",
    )
    parser.add_argument("--out", type=Path, default=_ROOT / "models", help="output folder")
    parser.add_argument(
        "--photos",
        type=Path,
        default=_ROOT / "assets" / "photos",
        help="photo folder (opencv/ = calibration, skimage/ = held-out)",
    )
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    from tools.zoo_build.builder import BuildOptions, build

    try:
        build(
            BuildOptions(
                out_dir=args.out,
                photos_dir=args.photos,
                only=tuple(args.only),
                threads=args.threads,
            )
        )
    except CamvizError as exc:
        print(format_error(exc), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
