"""Explain works for any model on any runtime: the same map from ONNX Runtime and OpenVINO as
from LiteRT, through the classifier's public API only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from camviz.classifier import Classifier, ClassifierOptions
from camviz.explain import ExplainOptions, Explanation, explain
from camviz.imageio import load_image
from camviz.loading import open_classifier
from tests.conftest import MODELS, ROOT

CHELSEA = ROOT / "assets" / "photos" / "skimage" / "chelsea.png"
CAT_BOX = (40, 0, 400, 300)  # chelsea's cat, (left, top, right, bottom); see test_explain
OPTIONS = ExplainOptions(grid=8)


def _map(options: ClassifierOptions) -> Explanation:
    with open_classifier(options) as clf:
        return explain(clf, load_image(CHELSEA), OPTIONS)


def _on_cat(result: Explanation) -> bool:
    x, y, w, h = result.cell_box(*result.hottest)
    return CAT_BOX[0] <= x + w / 2 <= CAT_BOX[2] and CAT_BOX[1] <= y + h / 2 <= CAT_BOX[3]


def _same_map(a: Explanation, b: Explanation) -> None:
    assert a.label == b.label and a.region == b.region
    correlation = float(np.corrcoef(a.heat.ravel(), b.heat.ravel())[0, 1])
    assert correlation > 0.9, correlation


@pytest.mark.slow
def test_onnx_runtime_gives_the_litert_map(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime", reason="the ONNX backend needs camviz[onnx] (onnxruntime)")
    pytest.importorskip("onnx", reason="the ONNX export needs the onnx package")
    from tests.backends.onnx_export import export

    onnx = export(MODELS / "efficientnet_lite0_float32.tflite", tmp_path)["float"]
    ours = _map(ClassifierOptions(model="efficientnet_lite0_float32"))
    theirs = _map(ClassifierOptions(model=str(onnx)))
    assert _on_cat(theirs)
    _same_map(ours, theirs)


@pytest.mark.slow
def test_openvino_gives_the_litert_map() -> None:
    pytest.importorskip("openvino", reason="the OpenVINO backend needs camviz[openvino]")
    ours = _map(ClassifierOptions(model="efficientnet_lite0_int8"))
    theirs = _map(ClassifierOptions(model="efficientnet_lite0_int8", backend="openvino"))
    assert _on_cat(theirs)
    _same_map(ours, theirs)


def test_the_explainer_uses_only_the_classifiers_public_api() -> None:
    """A classifier that refuses every private read still explains."""
    with open_classifier(ClassifierOptions(model="efficientnet_lite0_int8")) as clf:
        assert isinstance(clf, Classifier)
        public = {"preprocess", "invoke_raw", "probabilities", "info"}
        asked: set[str] = set()

        class Guard:
            def __getattr__(self, name: str) -> object:
                asked.add(name)
                if name not in public:  # invoke_batch: the batch probe, absent here
                    raise AttributeError(name)
                return getattr(clf, name)

        result = explain(Guard(), load_image(CHELSEA), ExplainOptions(grid=4))  # type: ignore[arg-type]
    assert result.heat.shape == (4, 4) and not result.batched
    assert asked - public == {"invoke_batch"}


@pytest.mark.slow
def test_an_onnx_model_with_a_dynamic_batch_is_explained_batched_to_the_same_map(
    tmp_path: Path,
) -> None:
    pytest.importorskip("onnxruntime", reason="the ONNX backend needs camviz[onnx] (onnxruntime)")
    pytest.importorskip("onnx", reason="the ONNX export needs the onnx package")
    from camviz.explain import Explainer
    from tests.backends.onnx_export import export

    onnx = export(MODELS / "efficientnet_lite0_float32.tflite", tmp_path)["float"]
    image = load_image(CHELSEA)
    with open_classifier(ClassifierOptions(model=str(onnx))) as clf:
        assert clf.takes_batch
        batched = Explainer(clf, ExplainOptions(grid=8, batch=16))
        one_by_one = Explainer(clf, ExplainOptions(grid=8, batch=1))
        assert batched.batched and not one_by_one.batched
        a, b = batched.explain(image), one_by_one.explain(image)
    assert a is not None and b is not None
    assert a.batched and a.invokes == 1 + 64 // 16  # the unoccluded input, then 4 batches
    assert not b.batched and b.invokes == 1 + 64
    np.testing.assert_allclose(a.heat, b.heat, atol=1e-4)


def test_litert_runs_batch_1_so_its_maps_go_one_by_one() -> None:
    from camviz.explain import Explainer

    with open_classifier(ClassifierOptions(model="efficientnet_lite0_int8")) as clf:
        assert not clf.takes_batch
        assert not Explainer(clf, ExplainOptions(grid=4, batch=16)).batched
        tensors = np.stack([clf.preprocess(load_image(CHELSEA))] * 2)
        raw = clf.invoke_batch(tensors)  # one invoke each, the same outputs
        assert raw.shape[0] == 2
        np.testing.assert_array_equal(raw[0], raw[1])
