"""The input path: anti-aliased halving, the mapping written in place, the runtime's tensor view."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
import pytest

import camviz.preprocess as preprocess
from camviz.classifier import Classifier, ClassifierOptions
from camviz.errors import OptionsError
from camviz.imageio import load_image
from camviz.preprocess import (
    ColorOrder,
    Downscale,
    Fit,
    InputMapping,
    Preprocessor,
    PreprocessSpec,
    Resize,
    center_crop,
    halve_to,
)

from ..conftest import PHOTOS


def _photo(width: int, height: int) -> npt.NDArray[np.uint8]:
    """A real photo blown up to a camera's frame size."""
    image = load_image(PHOTOS / "skimage/chelsea.png")
    return np.asarray(cv2.resize(image, (width, height), interpolation=cv2.INTER_CUBIC), np.uint8)


def test_halving_stops_below_twice_the_target_and_averages_exactly() -> None:
    image = np.arange(945 * 945 * 3, dtype=np.uint32).reshape(945, 945, 3)
    image = (image % 251).astype(np.uint8)
    out = halve_to(image, (224, 224))
    assert out.shape == (236, 236, 3)  # 945 -> 472 -> 236: under 448, so it stops
    # each step is the exact 2x2 mean of the (even-trimmed) input
    even = image[:944, :944].astype(np.float64)
    half = (even[0::2, 0::2] + even[1::2, 0::2] + even[0::2, 1::2] + even[1::2, 1::2]) / 4
    first = halve_to(image, (472, 472))
    assert first.shape == (472, 472, 3)
    assert np.abs(first - half).max() <= 0.5 + 1e-9
    assert halve_to(image[:400, :400], (224, 224)).shape == (400, 400, 3)  # under 2x: untouched


@pytest.mark.parametrize("size", [(768, 576), (1920, 1080), (4000, 3000)])
def test_halving_then_bilinear_is_close_to_exact_area_averaging(size: tuple[int, int]) -> None:
    frame = _photo(*size)
    prep = Preprocessor(PreprocessSpec(), (224, 224), np.dtype(np.uint8))
    crop = center_crop(frame, 0.875)
    assert prep.interpolation(crop.shape) is Resize.AREA
    fast = prep(frame).astype(np.int16)
    exact = cv2.resize(crop, (224, 224), interpolation=cv2.INTER_AREA).astype(np.int16)
    assert np.abs(fast - exact).mean() < 3.0  # grey levels, on average


@pytest.mark.parametrize("size", [(1920, 1080), (4000, 3000)])
def test_on_fine_detail_halving_is_far_nearer_area_averaging_than_bilinear(
    size: tuple[int, int],
) -> None:
    """Detail finer than the input's pixels: area averaging and halving smooth it, bilinear
    samples 2x2 of every 4x4 or more source pixels and aliases it into noise."""
    frame = np.random.default_rng(7).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    prep = Preprocessor(PreprocessSpec(), (224, 224), np.dtype(np.uint8))
    crop = center_crop(frame, 0.875)
    fast = prep(frame).astype(np.int16)
    exact = cv2.resize(crop, (224, 224), interpolation=cv2.INTER_AREA).astype(np.int16)
    bilinear = cv2.resize(crop, (224, 224), interpolation=cv2.INTER_LINEAR).astype(np.int16)
    assert np.abs(fast - exact).mean() < 0.5 * np.abs(bilinear - exact).mean()


def test_the_exact_area_rule_is_still_there_for_comparisons(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    frame = _photo(1920, 1080)
    monkeypatch.setattr(preprocess, "DOWNSCALE", Downscale.AREA)
    prep = Preprocessor(PreprocessSpec(), (224, 224), np.dtype(np.uint8))
    exact = cv2.resize(center_crop(frame, 0.875), (224, 224), interpolation=cv2.INTER_AREA)
    np.testing.assert_array_equal(prep(frame), exact)


def test_fine_stripes_are_averaged_not_aliased_by_halving() -> None:
    stripes = np.zeros((2100, 2100, 3), np.uint8)  # odd multiple: trimming on the way
    stripes[:, ::2] = 255
    prep = Preprocessor(PreprocessSpec(crop_fraction=1.0), (224, 224), np.dtype(np.uint8))
    out = prep(stripes).astype(np.float64)
    assert abs(out.mean() - 127.5) < 1.0 and out.std() < 1.0


MAPPINGS = [
    ("uint8 identity", PreprocessSpec(), np.uint8, 0.0, 0),
    ("int8 raw", PreprocessSpec(mapping=InputMapping.RAW), np.int8, 0.0, 0),
    ("float [-1, 1]", PreprocessSpec(mean=(127.5,) * 3, std=(127.5,) * 3), np.float32, 0.0, 0),
    (
        "uint8 quantised normalise, BGR",
        PreprocessSpec(mean=(120.0, 110.0, 100.0), std=(60.0,) * 3, color_order=ColorOrder.BGR),
        np.uint8,
        0.02,
        128,
    ),
    ("letterbox float", PreprocessSpec(fit=Fit.LETTERBOX), np.float32, 0.0, 0),
]


@pytest.mark.parametrize(("name", "spec", "dtype", "scale", "zero"), MAPPINGS)
def test_run_into_writes_what_the_reference_mapping_gives(
    name: str, spec: PreprocessSpec, dtype: type, scale: float, zero: int
) -> None:
    frame = _photo(1280, 720)
    prep = Preprocessor(spec, (160, 128), np.dtype(dtype), scale, zero)
    # the reference: the model-size image, then the affine mapping in float64
    model_size = prep._model_size(frame).astype(np.float64)
    mean, std = np.array(spec.mean), np.array(spec.std)
    if spec.mapping is InputMapping.RAW:
        wanted = model_size - (128 if dtype is np.int8 else 0)
    elif np.issubdtype(dtype, np.integer):
        step = scale if scale > 0 else 1.0  # no quantisation given: a step of 1
        wanted = np.clip(np.rint((model_size - mean) / std / step + zero), 0, 255)
    else:
        wanted = (model_size - mean) / std
    tensor = np.full((128, 160, 3), 7, dtype)
    clipped = prep.run_into(frame, tensor)
    assert clipped < 0.05, name
    np.testing.assert_allclose(tensor.astype(np.float64), wanted, atol=1.0 + 1e-5, rtol=1e-5)
    again, clipped_again = prep.run(frame)
    np.testing.assert_array_equal(again, tensor)
    assert clipped_again == clipped


def test_run_into_refuses_a_tensor_of_the_wrong_shape_or_dtype() -> None:
    prep = Preprocessor(PreprocessSpec(), (224, 224), np.dtype(np.uint8))
    frame = _photo(640, 480)
    with pytest.raises(OptionsError, match="224, 224, 3"):
        prep.run_into(frame, np.empty((224, 224, 3), np.float32))
    with pytest.raises(OptionsError, match="224, 224, 3"):
        prep.run_into(frame, np.empty((1, 224, 224, 3), np.uint8))


@pytest.mark.parametrize("model", ["efficientnet_lite0_int8", "efficientnet_lite0_float32"])
def test_classify_writes_into_the_interpreters_tensor_and_matches_the_copy_path(
    model: str,
) -> None:
    frame = _photo(1920, 1080)
    with Classifier.create(ClassifierOptions(model=model, threads=1)) as clf:
        assert clf._filler is not None  # LiteRT's model offers the tensor view
        in_place = clf.classify(frame)
        interpreter = clf._model._interpreter  # type: ignore[union-attr]
        written = interpreter.get_tensor(clf._model.inputs[0].index)[0]  # type: ignore[union-attr]
        np.testing.assert_array_equal(written, clf.preprocess(frame))
        clf._filler = None  # the copy path: a new tensor, set_tensor
        copied = clf.classify(frame)
    np.testing.assert_array_equal(in_place.probabilities, copied.probabilities)
    assert in_place.top is not None and in_place.top.index in {281, 282, 285}
    assert in_place.times.preprocess_ms > 0 and in_place.times.invoke_ms > 0


def test_a_bad_frame_is_refused_before_the_interpreter_sees_it() -> None:
    with Classifier.create(ClassifierOptions(threads=1)) as clf:
        with pytest.raises(OptionsError):
            clf.classify(np.zeros((10, 10, 7), np.uint8))  # seven channels: no image
        frame = _photo(640, 480)
        assert clf.classify(frame).top is not None  # still works afterwards


def test_a_bgr_frame_is_swapped_on_the_model_size_image_not_at_full_size() -> None:
    rgb = _photo(1920, 1080)
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    for model_order in (ColorOrder.RGB, ColorOrder.BGR):
        prep = Preprocessor(PreprocessSpec(color_order=model_order), (224, 224), np.dtype(np.uint8))
        from_rgb, _ = prep.run(rgb)
        from_bgr, _ = prep.run(bgr, ColorOrder.BGR)
        np.testing.assert_array_equal(from_bgr, from_rgb)
    with Classifier.create(ClassifierOptions(threads=1)) as clf:
        as_rgb = clf.classify(rgb)
        as_bgr = clf.classify(bgr, color="bgr")
        swapped = clf.classify(bgr)  # BGR passed as RGB: classified with red and blue swapped
    np.testing.assert_array_equal(as_bgr.probabilities, as_rgb.probabilities)
    assert not np.array_equal(swapped.probabilities, as_rgb.probabilities)
