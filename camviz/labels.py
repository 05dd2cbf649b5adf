"""Label files and label layouts: which index space a model's outputs are in.

Two text formats are read, both one class a line: plain (``tabby, tabby cat``)
and numbered (``281 tabby, tabby cat``, as Coral and Teachable Machine write
them); a file is numbered only if every line is, counting 0, 1, 2, ... in order.

Models trained on ImageNet come in two layouts: 1000 outputs in ImageNet-1k
order, and the classic TensorFlow layout of 1001 outputs with ``background``
first (output ``i`` is ImageNet-1k class ``i - 1``). :func:`label_layout` tells
them apart from the labels, so results can carry the ImageNet-1k index and
evaluation can score in the right index space.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

from camviz import limits
from camviz.errors import LabelsError
from camviz.fileio import read_regular_file

__all__ = [
    "LabelLayout",
    "imagenet_index",
    "label_layout",
    "parse_labels",
    "read_labels",
]

_NUMBERED = re.compile(r"^\s*(\d+)[\s:]+(\S.*?)\s*$")
#: Share of labels that must match ImageNet-1k's (by first name) to call a model ImageNet.
_IMAGENET_AGREEMENT = 0.9


class LabelLayout(StrEnum):
    """The index space of a model's outputs."""

    IMAGENET = "imagenet-1k"  # 1000 outputs, ImageNet-1k order
    IMAGENET_BACKGROUND = "imagenet-1k+background"  # 1001 outputs, 'background' first
    OTHER = "own"  # the model's own classes


def parse_labels(text: str) -> tuple[str, ...]:
    """Labels from the text of a labels file (plain or numbered); blank trailing lines ignored."""
    lines = [line.strip() for line in text.rstrip("\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    matches = [_NUMBERED.match(line) for line in lines]
    if (
        lines
        and all(matches)
        and [int(m.group(1)) for m in matches if m] == list(range(len(lines)))
    ):
        return tuple(m.group(2) for m in matches if m)
    return tuple(lines)


def read_labels(path: Path, expected: int | None = None) -> tuple[str, ...]:
    """One label a line (plain or numbered); checks the count if ``expected``.

    Only a regular file is read (a FIFO or a device is refused, never blocks), at
    most :data:`camviz.limits.MAX_TEXT_BYTES` of it.
    """
    try:
        data = read_regular_file(
            path, limits.MAX_TEXT_BYTES, LabelsError, "labels", "set CAMVIZ_MAX_TEXT_MB"
        )
    except FileNotFoundError as exc:
        raise LabelsError(f"labels file {path} does not exist") from exc
    except OSError as exc:
        raise LabelsError(f"labels file {path} cannot be read: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise LabelsError(
            f"labels file {path}, line {line}: not UTF-8 text ({exc.reason}); save it as UTF-8"
        ) from exc
    labels = parse_labels(text)
    if not labels or labels == ("",):
        raise LabelsError(f"labels file {path} is empty; it needs one label a line")
    if expected is not None and len(labels) != expected:
        raise LabelsError(
            f"labels file {path} has {len(labels)} labels but the model has {expected} classes; "
            "give a labels file with one line per class"
        )
    return labels


def _first_name(label: str) -> str:
    return label.split(",")[0].strip().lower()


def _is_imagenet(labels: tuple[str, ...], reference: tuple[str, ...]) -> bool:
    if not reference or len(labels) != len(reference):
        return False
    same = sum(_first_name(a) == _first_name(b) for a, b in zip(labels, reference, strict=True))
    return same >= _IMAGENET_AGREEMENT * len(reference)


def label_layout(labels: tuple[str, ...], imagenet: tuple[str, ...]) -> LabelLayout:
    """Which index space ``labels`` describe, given the ImageNet-1k names ``imagenet``
    (:func:`camviz.zoo.imagenet_labels`): ImageNet-1k, with or without 'background'."""
    if len(labels) == 1001 and _first_name(labels[0]) == "background":
        if _is_imagenet(labels[1:], imagenet):
            return LabelLayout.IMAGENET_BACKGROUND
        return LabelLayout.OTHER
    if len(labels) == 1000 and _is_imagenet(labels, imagenet):
        return LabelLayout.IMAGENET
    return LabelLayout.OTHER


def imagenet_index(layout: LabelLayout, index: int) -> int | None:
    """The ImageNet-1k class of output ``index`` under ``layout`` (None if it has none)."""
    if layout is LabelLayout.IMAGENET:
        return index
    if layout is LabelLayout.IMAGENET_BACKGROUND:
        return index - 1 if index >= 1 else None
    return None
