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
