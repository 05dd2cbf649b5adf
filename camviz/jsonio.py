"""The one way camviz writes JSON: strict (no NaN or Infinity), whatever the payload holds.

JSON has no NaN or Infinity; Python's :mod:`json` writes them anyway, and strict
readers (``jq``, browsers, other languages) then refuse the whole document. Every
JSON camviz writes (results, reports, stats, snapshots, manifests, head headers)
goes through :func:`dumps`, which writes non-finite floats as ``null``.

A foundation module: stdlib only, importable from every layer.
"""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["dumps", "finite"]


def finite(payload: Any) -> Any:
    """``payload`` with every NaN or infinite float replaced by ``None`` (JSON null)."""
    if isinstance(payload, float):
        return payload if math.isfinite(payload) else None
    if isinstance(payload, dict):
        return {key: finite(value) for key, value in payload.items()}
    if isinstance(payload, list | tuple):
        return [finite(value) for value in payload]
    return payload


def dumps(payload: Any, **options: Any) -> str:
    """:func:`json.dumps` of :func:`finite` ``payload``, refusing anything non-finite left."""
    return json.dumps(finite(payload), allow_nan=False, **options)
