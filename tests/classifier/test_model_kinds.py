"""A model's kind decided from its graph (issue 24.2): models that are not what they seem.

Hostile models made here with ``onnx.helper``: a detector's four outputs, a
segmenter's class map, a two-output model, a softmax followed by a slice and a
logistic behind a reshape (already probabilities: never normalised twice), and a
taught head whose arrays hold strings.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from camviz import Classifier, ClassifierOptions
from camviz.errors import ModelLoadError, NotAClassifierError
from camviz.loading import open_classifier
from tests.conftest import DATA

onnx = pytest.importorskip("onnx", reason="the hostile models are written with onnx.helper")
pytest.importorskip("onnxruntime", reason="they run on the ONNX backend (camviz[onnx])")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

SIDE = 32


def _save(path: Path, nodes: list, outputs: list, inits: list) -> Path:
    image = helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, SIDE, SIDE])
    graph = helper.make_graph(nodes, path.stem, [image], outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def _pooled() -> list:
    """image [1, 3, H, W] -> 'pooled' [1, 3]: the mean colour."""
    return [
        helper.make_node("ReduceMean", ["image"], ["pooled"], axes=[2, 3], keepdims=0),
    ]


def _constant_logits(logits: list[float]) -> tuple[list, list]:
    """Nodes and initializers giving 'logits' [1, n] = 0 * pooled @ W + b (b = ``logits``)."""
    n = len(logits)
    inits = [
        numpy_helper.from_array(np.zeros((3, n), np.float32), "w"),
        numpy_helper.from_array(np.array(logits, np.float32), "b"),
    ]
    return [*_pooled(), helper.make_node("Gemm", ["pooled", "w", "b"], ["logits"])], inits


def _value(name: str, shape: list[int]) -> object:
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def test_a_softmax_followed_by_a_slice_is_reported_as_it_is(tmp_path: Path) -> None:
    """As the issue's model: 0.94 after the softmax must be reported 0.94, not 0.23."""
    probs = np.array([0.94, 0.04, 0.0195, 0.0005])
    nodes, inits = _constant_logits(list(np.log(probs)))
    inits += [
        numpy_helper.from_array(np.array([0], np.int64), "start"),
        numpy_helper.from_array(np.array([3], np.int64), "end"),
        numpy_helper.from_array(np.array([1], np.int64), "axis"),
    ]
    nodes += [
        helper.make_node("Softmax", ["logits"], ["probs"], axis=-1),
        helper.make_node("Slice", ["probs", "start", "end", "axis"], ["kept"]),
    ]
    path = _save(tmp_path / "softmax_slice.onnx", nodes, [_value("kept", [1, 3])], inits)
    with Classifier.create(ClassifierOptions(model=str(path))) as clf:
        assert clf.info.output == "probabilities"
        top = clf.classify(np.full((64, 64, 3), 90, np.uint8)).top
    assert top.index == 0
    assert top.score == pytest.approx(0.94, abs=0.01)


def test_a_logistic_behind_a_reshape_is_already_probabilities(tmp_path: Path) -> None:
    nodes, inits = _constant_logits([2.0, -1.0, -3.0])
    inits.append(numpy_helper.from_array(np.array([1, 3], np.int64), "shape"))
    nodes += [
        helper.make_node("Sigmoid", ["logits"], ["p"]),
        helper.make_node("Reshape", ["p", "shape"], ["out"]),
    ]
    path = _save(tmp_path / "sigmoid.onnx", nodes, [_value("out", [1, 3])], inits)
    with Classifier.create(ClassifierOptions(model=str(path))) as clf:
        assert clf.info.output == "probabilities"


def test_a_detector_is_refused_naming_what_it_looks_like(tmp_path: Path) -> None:
    nodes = _pooled()
    inits = []
    outputs = []
    for name, shape in (
        ("boxes", [1, 10, 4]),
        ("classes", [1, 10]),
        ("scores", [1, 10]),
        ("count", [1]),
    ):
        size = int(np.prod(shape))
        inits.append(numpy_helper.from_array(np.zeros((3, size), np.float32), f"w_{name}"))
        inits.append(numpy_helper.from_array(np.array(shape, np.int64), f"s_{name}"))
        nodes += [
            helper.make_node("MatMul", ["pooled", f"w_{name}"], [f"flat_{name}"]),
            helper.make_node("Reshape", [f"flat_{name}", f"s_{name}"], [name]),
        ]
        outputs.append(_value(name, shape))
    path = _save(tmp_path / "ssd.onnx", nodes, outputs, inits)
    with pytest.raises(
        NotAClassifierError, match=r"looks like an object detector \(4 outputs: boxes \[1, 10, 4\]"
    ):
        open_classifier(ClassifierOptions(model=str(path)))


def test_a_segmenter_is_refused_naming_its_class_map(tmp_path: Path) -> None:
    inits = [numpy_helper.from_array(np.zeros((21, 3, 1, 1), np.float32), "w")]
    nodes = [helper.make_node("Conv", ["image", "w"], ["map"])]
    path = _save(tmp_path / "deeplab.onnx", nodes, [_value("map", [1, 21, SIDE, SIDE])], inits)
    with pytest.raises(
        NotAClassifierError, match=r"looks like a segmentation model .*\[1, 21, 32, 32\]"
    ):
        Classifier.create(ClassifierOptions(model=str(path)))


def test_a_two_output_model_is_refused_naming_its_outputs(tmp_path: Path) -> None:
    nodes, inits = _constant_logits([1.0, 2.0, 3.0])
    nodes.append(helper.make_node("Softmax", ["logits"], ["probs"], axis=-1))
    outputs = [_value("logits", [1, 3]), _value("probs", [1, 3])]
    path = _save(tmp_path / "two.onnx", nodes, outputs, inits)
    with pytest.raises(NotAClassifierError, match=r"a model with 2 outputs \(\[1, 3\], \[1, 3\]\)"):
        Classifier.create(ClassifierOptions(model=str(path)))


@pytest.mark.parametrize(
    ("array", "values"),
    [
        ("weights", np.array([["0.1"] * 4] * 2)),
        ("bias", np.array([True, False])),
        ("mean", np.zeros(4, np.complex64)),
        ("header", np.array(["{}"])),
    ],
)
def test_a_head_whose_arrays_are_not_numbers_is_refused_without_a_traceback(
    tmp_path: Path, array: str, values: np.ndarray
) -> None:
    header = {"format": "camviz-head", "version": 1, "labels": ["a", "b"], "backbone": {}}
    arrays = {
        "header": np.frombuffer(json.dumps(header).encode(), np.uint8),
        "weights": np.zeros((2, 4), np.float32),
        "bias": np.zeros(2, np.float32),
        "mean": np.zeros(4, np.float32),
        "std": np.ones(4, np.float32),
    }
    arrays[array] = values
    path = tmp_path / "strings.head.npz"
    np.savez(path, **arrays)
    with pytest.raises(ModelLoadError, match=rf"its {array} array holds .* values, not numbers"):
        open_classifier(ClassifierOptions(model=str(path)))


def _tflite_softmax_then_slice(out: Path) -> Path:
    """tests/data/softmax_classifier.tflite with a SLICE after its softmax: 2 of 3 classes kept."""
    import importlib

    import flatbuffers

    schema = importlib.import_module("ai_edge_litert.schema_py_generated")
    content = (DATA / "softmax_classifier.tflite").read_bytes()
    model = schema.ModelT.InitFromPackedBuf(bytearray(content), 0)
    graph = model.subgraphs[0]
    softmax_out = int(graph.outputs[0])

    def constant(values: np.ndarray, name: str) -> int:
        buffer = schema.BufferT()
        buffer.data = np.frombuffer(values.astype(np.int32).tobytes(), np.uint8)
        model.buffers.append(buffer)
        tensor = schema.TensorT()
        tensor.shape, tensor.type = np.array(values.shape, np.int32), schema.TensorType.INT32
        tensor.buffer, tensor.name = len(model.buffers) - 1, name
        graph.tensors.append(tensor)
        return len(graph.tensors) - 1

    begin = constant(np.array([0, 0]), "begin")
    size = constant(np.array([1, 2]), "size")
    kept = schema.TensorT()
    kept.shape, kept.type, kept.name = np.array([1, 2], np.int32), schema.TensorType.FLOAT32, "kept"
    empty = schema.BufferT()
    model.buffers.append(empty)
    kept.buffer = len(model.buffers) - 1
    graph.tensors.append(kept)
    code = schema.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = schema.BuiltinOperator.SLICE
    code.version = 1
    model.operatorCodes.append(code)
    op = schema.OperatorT()
    op.opcodeIndex = len(model.operatorCodes) - 1
    op.inputs = np.array([softmax_out, begin, size], np.int32)
    op.outputs = np.array([len(graph.tensors) - 1], np.int32)
    op.builtinOptionsType = schema.BuiltinOptions.SliceOptions
    op.builtinOptions = schema.SliceOptionsT()
    graph.operators.append(op)
    graph.outputs = np.array([len(graph.tensors) - 1], np.int32)
    model.signatureDefs = None
    builder = flatbuffers.Builder(len(content) + 4096)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    out.write_bytes(bytes(builder.Output()))
    return out


def test_a_tflite_softmax_followed_by_a_slice_is_not_normalised_twice(tmp_path: Path) -> None:
    # a uniform colour the 3-class model calls "red" with 0.94 (green 0.06, blue 0.0003)
    image = np.empty((64, 64, 3), np.uint8)
    image[...] = (179, 108, 0)
    with Classifier.create(ClassifierOptions(model=str(DATA / "softmax_classifier.tflite"))) as clf:
        whole = clf.classify(image).top
    assert whole.score == pytest.approx(0.94, abs=0.01)
    sliced = _tflite_softmax_then_slice(tmp_path / "softmax_slice.tflite")
    with Classifier.create(ClassifierOptions(model=str(sliced), labels=None)) as clf:
        assert clf.info.output == "probabilities"
        top = clf.classify(image).top
    assert top.index == whole.index == 0
    assert top.score == pytest.approx(whole.score, abs=0.01)  # a second softmax gives 0.7
