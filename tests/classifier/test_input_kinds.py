"""``Classifier.classify()`` takes what ``load_image`` takes from files (issue 20, item 4):
grey (HxW, HxWx1), RGBA and BGRA, uint16 and float (0..1), converted the same way, so real
photos converted each way give the same top-1."""

from __future__ import annotations

import numpy as np
import pytest

from camviz.errors import OptionsError
from camviz.imageio import as_rgb8, load_image
from camviz.loading import open_classifier

from ..conftest import PHOTOS

PHOTOS_USED = ["skimage/chelsea.png", "skimage/coffee.png", "opencv/orange.jpg", "opencv/apple.jpg"]


def _kinds(rgb: np.ndarray) -> dict[str, tuple[np.ndarray, str]]:
    opaque = np.full((*rgb.shape[:2], 1), 255, np.uint8)
    bgr = rgb[:, :, ::-1]
    return {
        "rgb": (rgb, "rgb"),
        "bgr": (np.ascontiguousarray(bgr), "bgr"),
        "rgba": (np.concatenate([rgb, opaque], axis=2), "rgb"),
        "bgra": (np.concatenate([bgr, opaque], axis=2), "bgr"),
        "float": (rgb.astype(np.float32) / 255.0, "rgb"),
        "float64-bgra": (np.concatenate([bgr, opaque], axis=2) / 255.0, "bgr"),
        "uint16": (rgb.astype(np.uint16) * 257, "rgb"),
    }


def test_every_kind_gives_the_same_top1_as_the_photo() -> None:
    with open_classifier(threads=1) as clf:
        for name in PHOTOS_USED:
            rgb = load_image(PHOTOS / name)
            want = clf.classify(rgb).categories[0].index
            for kind, (image, color) in _kinds(rgb).items():
                assert np.array_equal(as_rgb8(image, color), rgb), (name, kind)
                got = clf.classify(image, color=color)  # type: ignore[arg-type]
                assert got.categories[0].index == want, (name, kind)


def test_grey_is_converted_as_load_image_converts_a_grey_file(tmp_path: object) -> None:
    import cv2

    rgb = load_image(PHOTOS / "skimage/coffee.png")
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    path = f"{tmp_path}/grey.png"
    cv2.imwrite(path, grey)
    from_file = load_image(path)
    for image in (grey, grey[:, :, None], grey.astype(np.float32) / 255.0):
        assert np.array_equal(as_rgb8(image), from_file)
    with open_classifier(threads=1) as clf:
        want = clf.classify(from_file).categories[0].index
        assert clf.classify(grey).categories[0].index == want
        assert clf.classify(grey[:, :, None]).categories[0].index == want


def test_alpha_is_composited_on_white_as_for_files() -> None:
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 0] = 200
    rgba[..., 3] = 0  # fully transparent: white
    assert (as_rgb8(rgba) == 255).all()
    rgba[..., 3] = 255
    assert (as_rgb8(rgba)[..., 0] == 200).all() and (as_rgb8(rgba)[..., 2] == 0).all()
    assert (as_rgb8(rgba, "bgr")[..., 2] == 200).all()


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((4, 4, 2), np.uint8),
        np.zeros((4, 4, 3), np.int32),
        np.zeros((4,), np.uint8),
        np.zeros((0, 4, 3), np.uint8),
        "photo.jpg",
    ],
    ids=["2-channels", "int32", "1-d", "empty", "a-string"],
)
def test_other_arrays_are_refused_with_what_is_taken(bad: object) -> None:
    with open_classifier(threads=1) as clf, pytest.raises(OptionsError, match="expected"):
        clf.classify(bad)  # type: ignore[arg-type]
    with pytest.raises(OptionsError, match="color must be"):
        as_rgb8(np.zeros((4, 4, 3), np.uint8), "rgba")
