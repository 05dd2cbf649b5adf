"""Feature vectors from the shipped models: the rewrite keeps the network, cuts the last layer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from camviz.backends import load_model
from camviz.backends.tflite_graph import cut_before_last_dense, last_dense_layer, with_outputs
from camviz.classifier import Classifier
from camviz.errors import ModelLoadError, OptionsError
from camviz.features import FeatureExtractor, load_backbone
from camviz.imageio import load_image

from ..conftest import MODELS, PHOTOS

REAL_PHOTOS = [
    PHOTOS / "skimage" / "chelsea.png",
    PHOTOS / "skimage" / "coffee.png",
    PHOTOS / "skimage" / "rocket.jpg",
    PHOTOS / "opencv" / "squirrel_cls.jpg",
]


@pytest.fixture(scope="module", params=["efficientnet_lite0_int8", "efficientnet_lite0_float32"])
def pair(request: pytest.FixtureRequest) -> Iterator[tuple[FeatureExtractor, Classifier]]:
    with FeatureExtractor.create(request.param) as fx, Classifier.create(model=request.param) as c:
        yield fx, c


def _dequantised_logits(clf: Classifier, image: np.ndarray) -> tuple[np.ndarray, float, int]:
    """The model's own logits (the ``logits`` tensor before its softmax), dequantised, and the
    scale and zero point they were quantised with (0.0, 0 for a float model)."""
    from ai_edge_litert.interpreter import Interpreter

    from camviz.backends.tflite_graph import with_outputs

    assert clf.info.path is not None
    cut = Interpreter(model_content=with_outputs(clf.info.path.read_bytes(), ["logits"]))
    cut.allocate_tensors()
    inp, out = cut.get_input_details()[0], cut.get_output_details()[0]
    cut.set_tensor(inp["index"], clf.preprocess(image)[None].astype(inp["dtype"]))
    cut.invoke()
    raw = cut.get_tensor(out["index"]).reshape(-1).astype(np.float64)
    scale, zero = out["quantization"]
    if out["dtype"] != np.float32:
        raw = (raw - zero) * scale
    return raw, float(scale), int(zero)


def test_features_shape_and_range(pair: tuple[FeatureExtractor, Classifier]) -> None:
    fx, _ = pair
    features = fx.extract(load_image(REAL_PHOTOS[0]))
    assert features.shape == (1280,) and features.dtype == np.float32
    assert fx.dim == 1280 and fx.dense.weights.shape == (1000, 1280)
    # pooled ReLU6 activations
    assert features.min() >= 0.0 and features.max() <= 6.0 + 1e-3 and features.std() > 0


@pytest.mark.parametrize("photo", REAL_PHOTOS, ids=lambda p: p.name)
def test_dense_layer_on_features_gives_back_the_logits(
    pair: tuple[FeatureExtractor, Classifier], photo: Path
) -> None:
    fx, clf = pair
    image = load_image(photo)
    # identical preprocessing: the zoo spec through the same Preprocessor
    assert np.array_equal(fx.preprocess(image), clf.preprocess(image))
    logits, scale, zero_point = _dequantised_logits(clf, image)
    rebuilt = fx.logits(fx.extract(image)).astype(np.float64)
    if scale:
        # int8: within half an output quantisation step, except where the model's uint8
        # output saturates (coffee's top logit is clipped at (255 - zero point) * scale;
        # the float features + dense layer give the unclipped value).
        top = (255 - zero_point) * scale
        bottom = (0 - zero_point) * scale
        clipped = (logits >= top - 1e-9) | (logits <= bottom + 1e-9)
        assert np.max(np.abs(rebuilt - logits)[~clipped]) <= scale / 2
        assert np.all(rebuilt[logits >= top - 1e-9] >= top - scale / 2)
    else:
        assert np.max(np.abs(rebuilt - logits)) < 1e-3
    assert int(np.argmax(rebuilt)) == int(np.argmax(logits))


def test_backbone_is_cached_and_hashed() -> None:
    a = load_backbone("efficientnet_lite0_int8")
    assert load_backbone("efficientnet_lite0_int8") is a
    assert a.sha256 == a.spec.sha256  # the file is the one the manifest describes
    assert a.dense.input_name == "Mean"
    assert len(a.content) < a.file_bytes  # the metadata went, the network stayed


def test_with_outputs_by_name_and_errors() -> None:
    content = (MODELS / "efficientnet_lite0_int8.tflite").read_bytes()
    layer = last_dense_layer(content)
    cut, same = cut_before_last_dense(content)
    assert len(cut) < len(content)
    assert same.input_name == layer.input_name
    assert np.array_equal(same.weights, layer.weights)
    model = load_model(with_outputs(content, [layer.input_name]), threads=1, source="t")
    assert model.outputs[0].shape == (1, 1280)
    with pytest.raises(ModelLoadError, match="no tensor named 'nope'"):
        with_outputs(content, ["nope"])
    with pytest.raises(ModelLoadError, match="not a TFLite model"):
        last_dense_layer(b"this is not a flatbuffer at all", source="junk.tflite")


def test_extractor_rejects_bad_frames() -> None:
    with FeatureExtractor.create() as fx:
        with pytest.raises(OptionsError, match="HxWx3 uint8"):
            fx.extract(np.zeros((10, 10), np.uint8))
        assert fx.extract_many([]).shape == (0, 1280)
