"""Label files (plain and numbered) and label layouts (ImageNet-1k, with or without background)."""

from __future__ import annotations

from pathlib import Path

import pytest

from camviz.errors import LabelsError
from camviz.labels import (
    LabelLayout,
    imagenet_index,
    label_layout,
    parse_labels,
    read_labels,
)
from camviz.zoo import imagenet_labels


def test_numbered_files_lose_their_numbers() -> None:
    text = "0  background\n1  tench, Tinca tinca\n2 goldfish\n"
    assert parse_labels(text) == ("background", "tench, Tinca tinca", "goldfish")
    assert parse_labels("0:daisy\n1:dandelion\n") == ("daisy", "dandelion")


@pytest.mark.parametrize(
    "text",
    [
        "7 Up\nCoca-Cola\n",  # only some lines numbered
        "1 daisy\n2 dandelion\n",  # does not count from 0
        "0 daisy\n2 dandelion\n",  # skips a number
        "24 hour clock\n",  # a label that starts with a number
    ],
)
def test_plain_labels_that_start_with_digits_are_kept_whole(text: str) -> None:
    assert parse_labels(text) == tuple(line for line in text.splitlines())


def test_read_labels_checks_the_count(tmp_path: Path) -> None:
    path = tmp_path / "labels.txt"
    path.write_text("0 cat\n1 dog\n\n", encoding="utf-8")
    assert read_labels(path, 2) == ("cat", "dog")
    with pytest.raises(LabelsError, match="has 2 labels but the model has 3 classes"):
        read_labels(path, 3)


def test_layouts_are_told_apart_from_the_labels() -> None:
    names = imagenet_labels()
    assert label_layout(names, names) is LabelLayout.IMAGENET
    assert label_layout(("background", *names), names) is LabelLayout.IMAGENET_BACKGROUND
    # first names only, as the TFLite support test models write them
    short = tuple(n.split(",")[0] for n in names)
    assert label_layout(("background", *short), names) is LabelLayout.IMAGENET_BACKGROUND
    # 1001 labels whose first is not 'background', or 1000 that are not ImageNet's
    assert label_layout((*names, "background"), names) is LabelLayout.OTHER
    assert label_layout(tuple(f"class {i}" for i in range(1000)), names) is LabelLayout.OTHER
    assert label_layout(("daisy", "dandelion", "roses"), names) is LabelLayout.OTHER


def test_imagenet_index_per_layout() -> None:
    assert imagenet_index(LabelLayout.IMAGENET, 281) == 281
    assert imagenet_index(LabelLayout.IMAGENET_BACKGROUND, 282) == 281
    assert imagenet_index(LabelLayout.IMAGENET_BACKGROUND, 0) is None
    assert imagenet_index(LabelLayout.OTHER, 3) is None
