"""Exporting a head as a standalone .tflite: thin glue over :mod:`camviz.modelbuild.export_head`.

The real work needs TensorFlow (the 'build' extra), so :mod:`camviz.modelbuild`
is imported only inside these functions: importing :mod:`camviz.teach` stays
light, and the exporter may import :class:`~camviz.teach.Head` back without a cycle.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from camviz.teach.head import Head

if TYPE_CHECKING:
    from camviz.modelbuild.export_head import ExportResult

__all__ = ["export_tflite", "require_export"]


def require_export(backbone: str = "") -> None:
    """Raise now (before any training) if a head cannot be exported to .tflite here.

    Exporting needs the 'build' extra (TensorFlow and the backbone's weight package):
    :class:`~camviz.errors.ExtraNotInstalledError` names it.
    """
    from camviz.modelbuild.export_head import require_export as _require

    _require(backbone)


def export_tflite(
    head: Head, path: str | Path, *, log: Callable[[str], None] | None = None
) -> ExportResult:
    """A standalone int8 .tflite (backbone + head, labels in its metadata); needs TensorFlow.

    See :mod:`camviz.modelbuild.export_head`.
    """
    from camviz.modelbuild.export_head import export_head

    return export_head(head, path, log=log)
