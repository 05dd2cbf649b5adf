from camviz.app.display import display_name, full_label_tip


def test_display_name_is_the_first_synonym() -> None:
    assert display_name("tabby, tabby cat") == "tabby"
    assert display_name("  Egyptian cat ") == "Egyptian cat"
    assert display_name("crane") == "crane"
    assert display_name(", odd") == ", odd"
    assert display_name("") == ""


def test_full_label_tip_only_when_shortened() -> None:
    assert full_label_tip("tabby, tabby cat") == "tabby, tabby cat"
    assert full_label_tip("tiger cat") == ""


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
