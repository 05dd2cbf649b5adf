from __future__ import annotations

import numpy as np
import pytest

from camviz.errors import OptionsError
from camviz.preprocess import ColorOrder, Preprocessor, PreprocessSpec, center_crop


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
