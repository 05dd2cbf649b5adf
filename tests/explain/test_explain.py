"""Occlusion sensitivity: where the model looks, through the Classifier's public API."""

from __future__ import annotations

import threading
from typing import cast

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from camviz.classifier import Classifier, ClassifierOptions
from camviz.explain import BatchInvoker, Explainer, ExplainOptions, explain
from camviz.imageio import load_image
from camviz.loading import open_classifier
from camviz.preprocess import Fit, input_region
from tests.conftest import ROOT

SKIMAGE = ROOT / "assets" / "photos" / "skimage"
#: chelsea.png (451 x 300): the cat's head and body, (left, top, right, bottom) in pixels.
#: The blurred background right of x 400 and the bottom-left corner below the chin are not cat.
CAT_BOX = (40, 0, 400, 300)


def _inside(box: tuple[int, int, int, int], cell: tuple[int, int, int, int]) -> bool:
    x, y, w, h = cell
    cx, cy = x + w / 2, y + h / 2
    return box[0] <= cx <= box[2] and box[1] <= cy <= box[3]


@pytest.mark.parametrize("model", ["efficientnet_lite0_int8", "efficientnet_lite0_float32"])
def test_the_hottest_cell_of_chelsea_lies_on_the_cat(model: str) -> None:
    image = load_image(SKIMAGE / "chelsea.png")
    with open_classifier(ClassifierOptions(model=model)) as clf:
        result = explain(clf, image)
    assert "cat" in result.label
    assert result.heat.shape == (12, 12)
    assert result.heat.max() > 0.02  # hiding part of the cat costs the top class
    assert _inside(CAT_BOX, result.cell_box(*result.hottest))
    assert result.region == input_region(451, 300, _spec_of(model))


def _spec_of(model: str) -> object:
    with open_classifier(ClassifierOptions(model=model)) as clf:
        return clf.info.preprocessing


def _tile(image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    return np.asarray(cv2.resize(image, (300, 300), interpolation=cv2.INTER_AREA), np.uint8)


@pytest.mark.slow
@pytest.mark.parametrize("where", [1, 2, 3])
def test_the_map_follows_the_cat_around_a_mosaic(where: int) -> None:
    """Chelsea in one quadrant of four photos: the hottest cell is in that quadrant (a map that
    were flipped, transposed or off by a region would put it elsewhere)."""
    cat = load_image(SKIMAGE / "chelsea.png")[:, 75:375]
    others = [load_image(SKIMAGE / n) for n in ("coffee.png", "rocket.jpg", "motorcycle_left.png")]
    tiles = [_tile(o) for o in others]
    tiles.insert(where, _tile(cat))
    mosaic = np.ascontiguousarray(np.vstack([np.hstack(tiles[:2]), np.hstack(tiles[2:])]))
    with open_classifier(ClassifierOptions(model="efficientnet_lite0_int8")) as clf:
        result = explain(clf, mosaic)
    assert "cat" in result.label
    x, y, w, h = result.cell_box(*result.hottest)
    quadrant = 2 * int(y + h / 2 >= 300) + int(x + w / 2 >= 300)
    assert quadrant == where


def test_progress_is_reported_and_cancel_stops_it() -> None:
    image = load_image(SKIMAGE / "coffee.png")
    seen: list[tuple[int, int]] = []
    cancel = threading.Event()

    def progress(done: int, total: int) -> None:
        seen.append((done, total))
        if done >= 10:
            cancel.set()

    with open_classifier(ClassifierOptions(model="efficientnet_lite0_int8")) as clf:
        explainer = Explainer(clf, ExplainOptions(grid=6))
        assert explainer.explain(image, on_progress=progress, cancel=cancel) is None
        assert seen[0] == (0, 36) and 10 <= seen[-1][0] < 36
        seen.clear()
        whole = explainer.explain(image, on_progress=lambda d, t: seen.append((d, t)))
    assert whole is not None and seen[-1] == (36, 36)
    assert whole.invokes == 37 and not whole.batched  # one by one: no batch invoke here


def test_letterboxed_model_maps_the_whole_frame() -> None:
    image = load_image(SKIMAGE / "chelsea.png")
    options = ClassifierOptions(model="efficientnet_lite0_int8", fit=Fit.LETTERBOX)
    with open_classifier(options) as clf:
        result = explain(clf, image, ExplainOptions(grid=8))
    assert result.region == (0, 0, 451, 300)
    drawn = result.draw(image)
    assert drawn.shape == image.shape and not np.array_equal(drawn, image)
    x, y, w, h = result.cell_box(7, 7)
    assert (x + w, y + h) == (451, 300)


def test_bad_options_are_refused() -> None:
    from camviz.errors import OptionsError

    with pytest.raises(OptionsError, match="grid"):
        ExplainOptions(grid=1)
    with pytest.raises(OptionsError, match="patch"):
        ExplainOptions(grid=8, patch=9)


class _Batched(Classifier):
    """A real classifier that takes batches (by invoking each input: the batching logic of
    the explainer is what is tested, not a runtime's)."""

    calls: list[int]

    @property
    def takes_batch(self) -> bool:  # what a runtime with a dynamic batch says
        return True

    def invoke_batch(self, tensors: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        self.calls.append(len(tensors))
        return np.stack([self.invoke_raw(t)[0] for t in tensors])


def test_a_classifier_that_takes_batches_is_used_batched_with_the_same_map() -> None:
    image = load_image(SKIMAGE / "chelsea.png")
    options = ExplainOptions(grid=5, batch=4)
    with open_classifier(ClassifierOptions(model="efficientnet_lite0_int8")) as clf:
        single = explain(clf, image, options)
        clf.__class__ = _Batched
        batched_clf = cast(_Batched, clf)
        batched_clf.calls = []
        explainer = Explainer(batched_clf, options)
        assert explainer.batched and isinstance(batched_clf, BatchInvoker)
        batched = explainer.explain(image)
    assert batched is not None and batched.batched and not single.batched
    assert batched_clf.calls == [4] * 6  # the 25th, alone, goes through invoke_raw
    assert batched.invokes == 1 + 7
    np.testing.assert_allclose(batched.heat, single.heat, atol=1e-6)
