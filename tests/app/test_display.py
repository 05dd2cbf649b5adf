from camviz.app.display import full_label_tip
from camviz.results import Category, short_label


def test_short_label_is_the_first_synonym() -> None:
    assert short_label("tabby, tabby cat") == "tabby"
    assert short_label("  Egyptian cat ") == "Egyptian cat"
    assert short_label("crane") == "crane"
    assert short_label(", odd") == ", odd"
    assert short_label("") == ""


def test_category_display_name_defaults_to_the_short_label() -> None:
    assert Category(281, "tabby, tabby cat", 0.9).display_name == "tabby"
    assert Category(281, "tabby, tabby cat", 0.9, 281, "chat tigré").display_name == "chat tigré"
    assert Category(281, "tabby, tabby cat", 0.9).to_dict()["display_name"] == "tabby"


def test_full_label_tip_only_when_shortened() -> None:
    assert full_label_tip("tabby, tabby cat", "tabby") == "tabby, tabby cat"
    assert full_label_tip("tiger cat", "tiger cat") == ""
    assert full_label_tip("tiger cat", "chat tigré") == "tiger cat"


import numpy as np  # noqa: E402
import pytest  # noqa: E402

from camviz.preprocess import center_crop, crop_square  # noqa: E402


@pytest.mark.parametrize("shape", [(480, 640), (720, 1280), (1280, 720), (333, 501), (7, 5)])
@pytest.mark.parametrize("fraction", [1.0, 0.875, 0.5, 0.05])
def test_crop_box_is_the_preprocessing_crop(shape: tuple[int, int], fraction: float) -> None:
    h, w = shape
    rows, cols = np.mgrid[0:h, 0:w]
    image = np.dstack([rows % 256, cols % 256, (rows // 256) * 16 + cols // 256]).astype(np.uint8)
    crop = center_crop(image, fraction)
    left, top, side = crop_square(w, h, fraction)
    assert crop.shape[:2] == (side, side)
    assert np.array_equal(crop, image[top : top + side, left : left + side])
