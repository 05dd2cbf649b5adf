"""``camviz.annotate``: an A/B view draws both models, each where the window puts it."""

from __future__ import annotations

import numpy as np

from camviz.annotate import SECOND_COLOR, RecBadge, SecondView, annotate_result
from camviz.imageio import load_image
from camviz.results import Category, ClassificationResult
from tests.conftest import PHOTOS


def _result(label: str, score: float) -> ClassificationResult:
    p = np.full(4, (1.0 - score) / 3, np.float32)
    p[2] = score
    return ClassificationResult((Category(2, label, score),), p, False, "m")


def test_the_second_model_has_its_sheet_on_the_right_and_its_box_in_amber() -> None:
    image = load_image(PHOTOS / "skimage" / "chelsea.png")  # 451 x 300 RGB
    h, w = image.shape[:2]
    first, second = _result("tabby", 0.8), _result("tiger cat", 0.6)
    region_a, region_b = (75, 19, 262, 262), (0, 0, w, h)  # B sees the whole frame
    alone = annotate_result(image, first, region_a)
    both = annotate_result(
        image, first, region_a, second=SecondView(second, "B-model", region_b, "A-model")
    )
    assert np.array_equal(image, load_image(PHOTOS / "skimage" / "chelsea.png"))  # a copy
    # B's box along the frame's edge, in its colour; none without B
    left_edge = both[h // 2 : h - 40, 0]
    assert (left_edge == SECOND_COLOR).all(axis=1).all()
    assert not (alone[h // 2 : h - 40, 0] == SECOND_COLOR).all(axis=1).any()
    # B's sheet dims the top right corner (with its amber bar); alone, only A's is there
    corner = (slice(2, 20), slice(w - 60, w - 4))

    def dimmed_share(drawn: np.ndarray) -> float:
        return float((drawn[corner] < 0.6 * image[corner] + 1).all(axis=2).mean())

    assert dimmed_share(both) > 0.5 and dimmed_share(alone) == 0.0
    assert (both[4:60, w // 2 : w - 4] == SECOND_COLOR).all(axis=2).any()  # its bar
    # A's sheet is headed by A's name: taller than without a title
    dimmed = (both[:, 5].astype(int) < image[:, 5].astype(int) - 5).sum()
    alone_dimmed = (alone[:, 5].astype(int) < image[:, 5].astype(int) - 5).sum()
    assert dimmed > alone_dimmed


def test_rec_goes_to_the_bottom_when_asked() -> None:
    top = RecBadge().annotate(np.zeros((240, 320, 3), np.uint8), 3.0)
    bottom = RecBadge(corner="bottom").annotate(np.zeros((240, 320, 3), np.uint8), 3.0)
    assert top[:40].any() and not top[200:].any()
    assert bottom[200:].any() and not bottom[:40].any()
