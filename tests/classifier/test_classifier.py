"""The classifier on the shipped models and real photos."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from camviz.classifier import Classifier, ClassifierOptions
from camviz.errors import (
    LabelsError,
    ModelLoadError,
    ModelNotFoundError,
    NotAClassifierError,
    OptionsError,
)
from camviz.imageio import load_image
from camviz.preprocess import center_crop
from camviz.zoo import load_zoo, sha256_file

from ..conftest import DATA, MODELS, PHOTOS

CATS = {281, 282, 285}


def test_default_model_is_lite0_int8(default_classifier: Classifier) -> None:
    info = default_classifier.info
    assert info.name == "efficientnet_lite0_int8"
    assert info.input_size == (224, 224) and info.dtype == "uint8"
    assert info.num_classes == 1000 and len(info.labels) == 1000
    assert info.labels[281] == "tabby, tabby cat"


def test_cat_and_espresso(default_classifier: Classifier) -> None:
    cat = default_classifier.classify(load_image(PHOTOS / "skimage/chelsea.png"))
    assert cat.top is not None and cat.top.index in CATS
    coffee = default_classifier.classify(load_image(PHOTOS / "skimage/coffee.png"))
    assert coffee.top is not None and coffee.top.index == 967
    assert not coffee.uncertain


def test_probabilities_cover_every_label(
    default_classifier: Classifier, chelsea: np.ndarray
) -> None:
    result = default_classifier.classify(chelsea)
    assert result.probabilities.shape == (1000,)
    assert result.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    scores = [c.score for c in result.categories]
    assert scores == sorted(scores, reverse=True) and len(scores) == 5
    assert result.times.invoke_ms > 0 and result.times.preprocess_ms > 0


def test_golden_top5_guards_preprocessing_and_labels(default_classifier: Classifier) -> None:
    golden = json.loads((DATA / "golden_chelsea_top5.json").read_text())
    result = default_classifier.classify(load_image(golden["photo"]))
    got = [c.to_dict() for c in result.categories]
    assert [c["index"] for c in got] == [c["index"] for c in golden["top5"]]
    assert [c["label"] for c in got] == [c["label"] for c in golden["top5"]]
    for mine, ref in zip(got, golden["top5"], strict=True):
        assert mine["score"] == pytest.approx(ref["score"], abs=0.02)


def test_uncertain_when_no_label_is_likely(default_classifier: Classifier) -> None:
    # Uniform grey carries no object: the best probability is low, so "not sure".
    grey = np.full((300, 300, 3), 128, np.uint8)
    result = default_classifier.classify(grey)
    assert result.uncertain
    assert result.top is not None and result.top.score < 0.3


def test_int8_zoo_models_end_in_a_float_softmax(chelsea: np.ndarray) -> None:
    """int8 zoo models: uint8 logits, DEQUANTIZE, float32 SOFTMAX; camviz takes them as they are.

    Full precision: the output is float32, so small probabilities are not rounded to
    multiples of 1/256 (an int8 softmax's output step) and many of them lie below it.
    """
    from camviz.backends.tflite_graph import output_producer

    int8 = [m for m in load_zoo().models if m.dtype == "uint8"]
    assert len(int8) >= 3
    for spec in int8:
        assert output_producer(spec.path.read_bytes()) == "SOFTMAX", spec.name
        with Classifier.create(model=spec.name, threads=1) as clf:
            assert clf.info.output == "probabilities"
            out = clf.invoke_raw(clf.preprocess(chelsea)).reshape(-1)
            assert out.dtype == np.float32 and out.size == 1000
            assert abs(float(out.sum()) - 1.0) <= 1e-5 and float(out.min()) >= 0.0
            tiny = out[(out > 0) & (out < 1 / 512)]
            assert tiny.size > 100, f"{spec.name}: {tiny.size} probabilities under 1/512"
            assert np.abs(clf.probabilities(out) - out).max() <= 1e-6  # not softmaxed twice
            assert clf.classify(chelsea).top.index in (281, 282, 285)  # type: ignore[union-attr]


def test_threshold_and_top_k_update(chelsea: np.ndarray) -> None:
    with Classifier.create(top_k=10, score_threshold=0.1) as clf:
        result = clf.classify(chelsea)
        assert 1 <= len(result.categories) < 10
        assert all(c.score >= 0.1 for c in result.categories)
        clf.update(top_k=2, score_threshold=0.0)
        assert len(clf.classify(chelsea).categories) == 2


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max())
    return np.asarray(z / z.sum())


def test_float_model_matches_reference_logits() -> None:
    """Float .tflite vs logits computed from the original weights at build time.

    The shipped file ends in a softmax: its output is the softmax of the reference logits,
    and the logits themselves (the graph's ``logits`` tensor, made the output by graph
    surgery) match the reference as converted. The classifier takes the probabilities as
    they are: softmaxing them again would flatten them towards 1/1000.
    """
    from ai_edge_litert.interpreter import Interpreter

    from camviz.backends.tflite_graph import output_producer, with_outputs

    zoo = load_zoo()
    floats = [m for m in zoo.models if m.dtype == "float32"]
    assert floats
    for spec in floats:
        ref = np.load(MODELS / "reference" / f"{spec.name}.npz")
        content = spec.path.read_bytes()
        assert output_producer(content) == "SOFTMAX"
        cut = Interpreter(model_content=with_outputs(content, ["logits"]), num_threads=1)
        cut.allocate_tensors()
        with Classifier.create(model=spec.name, threads=1) as clf:
            assert clf.info.output == "probabilities"
            for name, tensor, logits in zip(
                ref["photos"], ref["inputs"], ref["logits"], strict=True
            ):
                # the app's own preprocessing reproduces the reference input exactly
                image = load_image(PHOTOS / str(name))
                assert np.array_equal(clf.preprocess(image), tensor.astype(np.float32))
                out = clf.invoke_raw(tensor.astype(np.float32)).reshape(-1)
                assert np.abs(out - _softmax(logits)).max() <= 1e-5, f"{spec.name} on {name}"
                assert abs(float(out.sum()) - 1.0) <= 1e-5
                probs = clf.probabilities(out)
                assert np.abs(probs - out).max() <= 1e-6  # not softmaxed twice
                cut.set_tensor(cut.get_input_details()[0]["index"], tensor[None].astype(np.float32))
                cut.invoke()
                raw_logits = cut.get_tensor(cut.get_output_details()[0]["index"]).reshape(-1)
                assert np.abs(raw_logits - logits).max() <= 1e-4, f"{spec.name} on {name}"


def _heldout_crops(count: int) -> list[np.ndarray]:
    """Deterministic random crops of real photos (from both sources)."""
    rng = np.random.default_rng(7)
    photos = sorted((PHOTOS / "opencv").glob("*.jpg")) + sorted((PHOTOS / "skimage").glob("*.png"))
    crops = []
    for i in range(count):
        image = load_image(photos[i % len(photos)])
        h, w = image.shape[:2]
        side = int(min(h, w) * rng.uniform(0.5, 1.0))
        top, left = rng.integers(0, h - side + 1), rng.integers(0, w - side + 1)
        crops.append(image[top : top + side, left : left + side])
    return crops


def test_int8_agrees_with_float_on_real_crops() -> None:
    crops = _heldout_crops(120)
    with (
        Classifier.create(model="efficientnet_lite0_float32") as ref,
        Classifier.create(model="efficientnet_lite0_int8") as q,
    ):
        agree = sum(
            int(np.argmax(ref.classify(c).probabilities) == np.argmax(q.classify(c).probabilities))
            for c in crops
        )
    assert agree / len(crops) >= 0.85


def test_every_zoo_model_loads_and_matches_its_manifest() -> None:
    zoo = load_zoo()
    assert zoo.default == "efficientnet_lite0_int8"
    cat = load_image(PHOTOS / "skimage/chelsea.png")
    for spec in zoo.models:
        assert sha256_file(spec.path) == spec.sha256, f"{spec.name}: file differs from manifest"
        with Classifier.create(model=spec.name) as clf:
            assert clf.info.input_size == spec.input_size
            assert clf.info.dtype == spec.dtype
            assert clf.info.file_bytes == spec.file_bytes
            top = clf.classify(cat).top
            assert top is not None and top.index in CATS, spec.name


def test_a_copy_of_a_zoo_model_is_fed_as_the_zoo_feeds_it(
    tmp_path: Path, chelsea: np.ndarray, default_classifier: Classifier
) -> None:
    copy = tmp_path / "mymodel.tflite"
    shutil.copy(MODELS / "efficientnet_lite0_int8.tflite", copy)
    with Classifier.create(model=copy) as clf:
        assert clf.info.name == "mymodel" and clf.info.mapping_source == "zoo manifest"
        assert clf.info.labels[967] == "espresso"
        mine = clf.classify(chelsea)
    assert np.array_equal(mine.probabilities, default_classifier.classify(chelsea).probabilities)


def test_a_changed_zoo_file_is_read_from_its_own_metadata(tmp_path: Path) -> None:
    data = bytearray((MODELS / "efficientnet_lite0_int8.tflite").read_bytes())
    data += b"\0" * 16  # not the zoo's bytes any more: an unknown model with metadata
    copy = tmp_path / "changed.tflite"
    copy.write_bytes(bytes(data))
    with Classifier.create(model=copy) as clf:
        assert clf.info.labels_source == "model metadata" and clf.info.spec is None
        assert clf.info.labels[967] == "espresso"


def test_model_not_found() -> None:
    with pytest.raises(ModelNotFoundError, match="no model named 'mobilenet'"):
        Classifier.create(model="mobilenet")
    with pytest.raises(ModelNotFoundError, match="missing.tflite does not exist"):
        Classifier.create(model="missing.tflite")


def test_corrupt_tflite(tmp_path: Path) -> None:
    bad = tmp_path / "corrupt.tflite"
    data = (MODELS / "efficientnet_lite0_int8.tflite").read_bytes()
    bad.write_bytes(data[:4096])
    with pytest.raises(ModelLoadError, match="corrupt.tflite is not a loadable TFLite model"):
        Classifier.create(model=bad)
    garbage = tmp_path / "garbage.tflite"
    garbage.write_bytes(b"\x00" * 100)
    with pytest.raises(ModelLoadError, match="garbage.tflite"):
        Classifier.create(model=garbage)


def test_tflite_that_is_not_a_classifier() -> None:
    with pytest.raises(NotAClassifierError, match=r"outputs shape \[1, 56, 56, 4\]"):
        Classifier.create(model=DATA / "not_a_classifier.tflite")


def test_labels_with_wrong_count(tmp_path: Path) -> None:
    labels = tmp_path / "labels.txt"
    labels.write_text("\n".join(f"thing {i}" for i in range(999)) + "\n")
    with pytest.raises(LabelsError, match="has 999 labels but the model has 1000 classes"):
        Classifier.create(labels=labels)


def test_options_are_validated() -> None:
    with pytest.raises(OptionsError, match="threads"):
        ClassifierOptions(threads=0)
    with pytest.raises(OptionsError, match="top_k"):
        ClassifierOptions(top_k=0)
    with pytest.raises(OptionsError, match="score_threshold"):
        ClassifierOptions(score_threshold=1.5)


def test_bad_frame_is_refused(default_classifier: Classifier) -> None:
    with pytest.raises(OptionsError, match="HxWx3 or HxWx4"):  # grey is taken (as_rgb8)
        default_classifier.classify(np.zeros((10, 10, 2), np.uint8))


def test_centre_crop_of_photo_is_what_model_sees(default_classifier: Classifier) -> None:
    image = load_image(PHOTOS / "opencv/orange.jpg")
    tensor = default_classifier.preprocess(image)
    crop = center_crop(image, 0.875)
    assert tensor.shape == (224, 224, 3)
    assert abs(float(tensor.mean()) - float(crop.mean())) < 2.0


def test_softmax_model_outputs_are_read_as_probabilities() -> None:
    """A model ending in SOFTMAX (as the guide's models do) is not softmaxed twice."""
    red = np.zeros((100, 100, 3), np.uint8)
    red[..., 0] = 255
    with Classifier.create(model=DATA / "softmax_classifier.tflite", top_k=3) as clf:
        assert clf.info.output == "probabilities"
        assert clf.info.labels == ("red", "green", "blue")  # from the sidecar .txt
        result = clf.classify(red)
    assert result.top is not None and result.top.label == "red"
    assert result.top.score > 0.99  # a second softmax would flatten this to about 0.58
