"""Build the camviz model zoo (``python -m camviz.build``).

Needs the ``build`` extra (TensorFlow, the weight packages); those are imported lazily so
that importing this package is cheap and a missing extra gives
:class:`camviz.errors.ExtraNotInstalledError`.
"""

from __future__ import annotations

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    from camviz.build.__main__ import main as _main

    return _main(argv)
