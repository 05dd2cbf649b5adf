"""The standard model metadata writer, now in :mod:`camviz.backends` (writing a model's
metadata is its format's business: ``camviz.backends.tflite_metadata_writer``).

Kept only so that ``tools/zoo_build`` keeps importing it from here while it moves to
``from camviz.backends import ...``; remove it then.
"""

from __future__ import annotations

from camviz.backends import LABELS_NAME, DisplayNames, ImageClassifierMetadata, add_metadata

__all__ = ["LABELS_NAME", "DisplayNames", "ImageClassifierMetadata", "add_metadata"]
