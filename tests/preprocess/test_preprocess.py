from __future__ import annotations

import numpy as np
import pytest

from camviz.errors import OptionsError
from camviz.preprocess import (
    ColorOrder,
    InputMapping,
    MappingSource,
    Preprocessor,
    PreprocessSpec,
    Resize,
    center_crop,
    choose_mapping,
)


def test_center_crop_is_square_and_centred() -> None:
    image = np.zeros((300, 400, 3), np.uint8)
    image[150, 200] = 255
    crop = center_crop(image, 0.5)
    assert crop.shape == (150, 150, 3)
    assert crop[75, 75, 0] == 255


def test_identity_fast_path_returns_raw_pixels(chelsea: np.ndarray) -> None:
    prep = Preprocessor(PreprocessSpec(crop_fraction=1.0), (64, 64), np.dtype(np.uint8))
    out = prep(chelsea[:64, :64].copy())
    assert out.dtype == np.uint8 and out.shape == (64, 64, 3)
    assert np.array_equal(out, chelsea[:64, :64])


def test_float_normalisation_and_bgr() -> None:
    image = np.zeros((10, 10, 3), np.uint8)
    image[..., 0] = 255  # pure red
    spec = PreprocessSpec(1.0, ColorOrder.BGR, mean=(127.0,) * 3, std=(128.0,) * 3)
    out = Preprocessor(spec, (10, 10), np.dtype(np.float32))(image)
    assert out.dtype == np.float32
    assert out[0, 0, 2] == pytest.approx((255 - 127) / 128)  # red is last in BGR
    assert out[0, 0, 0] == pytest.approx(-127 / 128)


def test_quantised_input_rounds_and_clips() -> None:
    image = np.full((4, 4, 3), 200, np.uint8)
    spec = PreprocessSpec(1.0, mean=(127.0,) * 3, std=(128.0,) * 3)
    prep = Preprocessor(spec, (4, 4), np.dtype(np.int8), scale=1 / 128, zero_point=0)
    out = prep(image)
    assert out.dtype == np.int8
    assert int(out[0, 0, 0]) == 73  # (200 - 127) / 128 * 128
    hot = Preprocessor(spec, (4, 4), np.dtype(np.int8), scale=1 / 512, zero_point=0)
    assert int(hot(image)[0, 0, 0]) == 127  # clipped


@pytest.mark.parametrize(
    "kwargs",
    [{"crop_fraction": 0.0}, {"crop_fraction": 1.5}, {"std": (1.0, 0.0, 1.0)}],
)
def test_bad_specs_are_rejected(kwargs: dict[str, object]) -> None:
    with pytest.raises(OptionsError):
        PreprocessSpec(**kwargs)  # type: ignore[arg-type]


def test_spec_round_trips_through_dict() -> None:
    spec = PreprocessSpec.from_dict({"crop_fraction": 0.9, "color_order": "bgr", "mean": [1, 2, 3]})
    assert spec.color_order is ColorOrder.BGR
    assert PreprocessSpec.from_dict(spec.to_dict()) == spec


# ---------------------------------------------------------------- input mapping decisions
@pytest.mark.parametrize(
    ("dtype", "mean", "std", "mapping", "source"),
    [
        (np.uint8, None, None, InputMapping.RAW, MappingSource.RAW_DEFAULT),
        (np.int8, None, None, InputMapping.RAW, MappingSource.RAW_DEFAULT),
        (np.uint8, (0.0,), (1.0,), InputMapping.RAW, MappingSource.RAW_METADATA),
        (np.uint8, (127.5,), (127.5,), InputMapping.NORMALIZE, MappingSource.METADATA),
        (np.float32, None, None, InputMapping.NORMALIZE, MappingSource.FLOAT_DEFAULT),
        (np.float32, (0.0,), (255.0,), InputMapping.NORMALIZE, MappingSource.METADATA),
    ],
)
def test_choose_mapping(
    dtype: type,
    mean: tuple[float, ...] | None,
    std: tuple[float, ...] | None,
    mapping: InputMapping,
    source: MappingSource,
) -> None:
    spec, why = choose_mapping(np.dtype(dtype), mean=mean, std=std)
    assert spec.mapping is mapping and why is source
    if source is MappingSource.FLOAT_DEFAULT:
        assert spec.mean == (127.5,) * 3 and spec.std == (127.5,) * 3


def test_the_zoo_manifest_wins() -> None:
    zoo = PreprocessSpec(mean=(1.0, 2.0, 3.0))
    assert choose_mapping(np.dtype(np.uint8), zoo=zoo, mean=(0.0,), std=(1.0,)) == (
        zoo,
        MappingSource.ZOO,
    )


def test_raw_mapping_feeds_pixels_whatever_the_input_quantisation(chelsea: np.ndarray) -> None:
    raw = PreprocessSpec(crop_fraction=1.0, mapping=InputMapping.RAW)
    crop = chelsea[:32, :32].copy()
    u8 = Preprocessor(raw, (32, 32), np.dtype(np.uint8), scale=1 / 128, zero_point=128)
    tensor, clipped = u8.run(crop)
    assert np.array_equal(tensor, crop) and clipped == 0.0
    i8 = Preprocessor(raw, (32, 32), np.dtype(np.int8), scale=1 / 128, zero_point=0)
    assert np.array_equal(i8(crop).astype(np.int16), crop.astype(np.int16) - 128)


def test_a_wrong_mapping_is_measured_as_clipping(chelsea: np.ndarray) -> None:
    """The classic failure: mean 0 / std 1 then input quantisation maps p to 128 p + 128."""
    identity = PreprocessSpec(crop_fraction=1.0)
    wrong = Preprocessor(identity, (64, 64), np.dtype(np.uint8), scale=1 / 128, zero_point=128)
    _, clipped = wrong.run(chelsea)
    assert clipped > 0.95
    right = PreprocessSpec(crop_fraction=1.0, mean=(127.5,) * 3, std=(127.5,) * 3)
    good = Preprocessor(right, (64, 64), np.dtype(np.uint8), scale=1 / 128, zero_point=128)
    _, clipped = good.run(chelsea)
    assert clipped == 0.0  # white lands one step over the top at most: not counted


def test_big_reductions_are_area_averaged() -> None:
    """A fine stripe pattern: area averaging gives its mean grey, bilinear aliases it."""
    stripes = np.zeros((2240, 2240, 3), np.uint8)
    stripes[:, ::2] = 255
    prep = Preprocessor(PreprocessSpec(crop_fraction=1.0), (224, 224), np.dtype(np.uint8))
    assert prep.interpolation(stripes.shape) is Resize.AREA
    out = prep(stripes).astype(np.float64)
    assert abs(out.mean() - 127.5) < 1.0 and out.std() < 1.0
    assert prep.interpolation((300, 300, 3)) is Resize.BILINEAR  # small reductions keep the spec's


# ------------------------------------------------------------------ what the model sees (Fit)
from camviz.classifier import ClassifierOptions  # noqa: E402
from camviz.preprocess import (  # noqa: E402
    LETTERBOX_PAD,
    Fit,
    input_region,
    letterbox_placement,
)

FRAMES = {"4:3": (480, 640), "16:9": (360, 640), "portrait": (640, 360)}


def _marked(height: int, width: int) -> np.ndarray:
    """A frame whose every pixel says where it is (for locating what the model got)."""
    rng = np.random.default_rng(height * 7 + width)
    return rng.integers(0, 256, (height, width, 3), dtype=np.uint8)


def test_default_fit_is_the_centre_crop_as_before() -> None:
    spec = PreprocessSpec()
    assert spec.fit is Fit.CENTER_CROP
    assert "fit" not in spec.to_dict()  # manifests and heads read as before
    assert PreprocessSpec.from_dict(spec.to_dict()) == spec
    letterbox = PreprocessSpec(fit=Fit.LETTERBOX)
    assert PreprocessSpec.from_dict(letterbox.to_dict()).fit is Fit.LETTERBOX
    with pytest.raises(OptionsError):
        PreprocessSpec.from_dict({"fit": "stretch"})


@pytest.mark.parametrize("shape", FRAMES.values(), ids=FRAMES.keys())
def test_centre_crop_box_is_exactly_what_is_fed(shape: tuple[int, int]) -> None:
    image = _marked(*shape)
    spec = PreprocessSpec(crop_fraction=0.875, resize=Resize.NEAREST)
    left, top, w, h = input_region(shape[1], shape[0], spec)
    assert w == h == round(min(shape) * 0.875)
    prep = Preprocessor(spec, (w, h), np.dtype(np.uint8))  # same size: no resampling
    np.testing.assert_array_equal(prep(image), image[top : top + h, left : left + w])


@pytest.mark.parametrize("shape", FRAMES.values(), ids=FRAMES.keys())
def test_letterbox_box_is_the_whole_frame_undistorted_with_bands(shape: tuple[int, int]) -> None:
    height, width = shape
    spec = PreprocessSpec(fit=Fit.LETTERBOX, resize=Resize.BILINEAR)
    assert input_region(width, height, spec) == (0, 0, width, height)
    size = (224, 224)
    left, top, w, h = letterbox_placement(width, height, size)
    assert abs(w / h - width / height) < 0.02  # aspect kept
    assert max(w, h) == 224 and (left == 0 or top == 0)
    # a frame of four quadrant colours: each lands in its own quarter of the content
    image = np.zeros((height, width, 3), np.uint8)
    image[: height // 2, : width // 2] = (255, 0, 0)
    image[: height // 2, width // 2 :] = (0, 255, 0)
    image[height // 2 :, : width // 2] = (0, 0, 255)
    image[height // 2 :, width // 2 :] = (255, 255, 255)
    out = Preprocessor(spec, size, np.dtype(np.uint8))(image)
    assert out.shape == (224, 224, 3)
    content = out[top : top + h, left : left + w]
    q = 4  # sample away from the quadrant edges (bilinear blends 1-2 pixels)
    assert tuple(content[q, q]) == (255, 0, 0)
    assert tuple(content[q, w - 1 - q]) == (0, 255, 0)
    assert tuple(content[h - 1 - q, q]) == (0, 0, 255)
    assert tuple(content[h - 1 - q, w - 1 - q]) == (255, 255, 255)
    # the bands are padding, on the two sides of the short dimension only
    bands = np.ones((224, 224), bool)
    bands[top : top + h, left : left + w] = False
    assert bands.any()
    assert (out[bands] == LETTERBOX_PAD).all()
    if w < 224:
        assert left > 0 and 224 - (left + w) > 0 and top == 0
    else:
        assert top > 0 and 224 - (top + h) > 0 and left == 0


def test_letterbox_content_matches_a_plain_resize_of_the_frame() -> None:
    image = _marked(360, 640)
    spec = PreprocessSpec(fit=Fit.LETTERBOX, resize=Resize.AREA)
    left, top, w, h = letterbox_placement(640, 360, (128, 128))
    out = Preprocessor(spec, (128, 128), np.dtype(np.uint8))(image)
    import cv2

    expected = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
    np.testing.assert_array_equal(out[top : top + h, left : left + w], expected)


def test_letterbox_goes_through_the_mapping_and_the_colour_order() -> None:
    spec = PreprocessSpec(
        fit=Fit.LETTERBOX, color_order=ColorOrder.BGR, mean=(127.5,) * 3, std=(127.5,) * 3
    )
    image = np.zeros((100, 200, 3), np.uint8)
    image[..., 0] = 255  # red, becomes the last channel in BGR
    out = Preprocessor(spec, (32, 32), np.dtype(np.float32))(image)
    assert out.dtype == np.float32
    assert out[16, 16, 2] == pytest.approx(1.0) and out[16, 16, 0] == pytest.approx(-1.0)
    assert out[0, 0, 0] == pytest.approx((LETTERBOX_PAD - 127.5) / 127.5, abs=1e-5)  # grey: ~0


def test_classifier_options_take_a_fit() -> None:
    assert ClassifierOptions().fit is None
    assert ClassifierOptions(fit="letterbox").fit is Fit.LETTERBOX  # type: ignore[arg-type]
    with pytest.raises(OptionsError):
        ClassifierOptions(fit="stretch")  # type: ignore[arg-type]
