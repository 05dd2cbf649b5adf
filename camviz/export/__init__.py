"""Exporting a taught head as one standalone int8 ``.tflite`` (``camviz teach --export-tflite``).

What lives here: the export (``head``: graph surgery on the shipped int8 zoo backbone, the
taught head in place of its last dense layer, then a softmax; no TensorFlow, no extra) and
the standard TFLite metadata, written by the registry (:func:`camviz.backends.add_metadata`,
the format's business, in ``camviz/backends``, which ``tools/zoo_build`` shares). What
builds models from weights (EfficientNet-Lite in TensorFlow ops, the converter, the
calibration crops) is in ``tools/zoo_build``, outside the package.

Who may import it: ``camviz.cli`` (lazily, for ``--export-tflite`` and ``export-head``), the
tests and ``tools/zoo_build``.
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
