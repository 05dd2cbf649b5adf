"""Graph surgery: a float SOFTMAX appended to a converted zoo model, so it outputs probabilities.

The converter's models end in the 1000 logits (float32, or uint8 for the full-integer int8
models). MediaPipe's ImageClassifier and the TFLite Task Library report a model's output as
"scores" unchanged, so a model ending in logits gives "score 10.7". Appending the softmax
here, after conversion, keeps every earlier operator byte for byte (the build's checks on the
logits still hold) and keeps probabilities in float32 for the int8 models too:

- float model:  ... -> logits (float32) -> SOFTMAX -> probabilities (float32)
- int8 model:   ... -> logits (uint8) -> DEQUANTIZE -> SOFTMAX -> probabilities (float32)

An int8 SOFTMAX instead would quantise every probability to a multiple of 1/256, so all but
a few of the 1000 classes would read 0 and a threshold below 0.4% would mean nothing.
The logits tensor keeps the name ``logits``: ``camviz.backends.tflite_graph.with_outputs``
gives it back as the output (the tests check the logits against the NumPy reference so).
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np

__all__ = ["LOGITS_TENSOR", "PROBABILITIES_TENSOR", "with_float_softmax"]

LOGITS_TENSOR = "logits"
PROBABILITIES_TENSOR = "probabilities"
_SCHEMA = "ai_edge_litert.schema_py_generated"


def _opcode(schema: Any, model: Any, name: str, version: int) -> int:
    code = int(getattr(schema.BuiltinOperator, name))
    for i, c in enumerate(model.operatorCodes):
        if max(int(c.builtinCode), int(c.deprecatedBuiltinCode)) == code:
            c.version = max(int(c.version), version)
            return i
    entry = schema.OperatorCodeT()
    entry.builtinCode = code
    entry.deprecatedBuiltinCode = min(code, 127)
    entry.version = version
    model.operatorCodes.append(entry)
    return len(model.operatorCodes) - 1


def _float_tensor(schema: Any, graph: Any, name: str, like: Any) -> int:
    tensor = schema.TensorT()
    tensor.name = name
    tensor.shape = np.asarray(like.shape, np.int32)
    tensor.shapeSignature = None if like.shapeSignature is None else np.asarray(like.shapeSignature)
    tensor.type = schema.TensorType.FLOAT32
    tensor.buffer = 0
    tensor.quantization = None
    graph.tensors.append(tensor)
    return len(graph.tensors) - 1


def _append(schema: Any, model: Any, graph: Any, opcode: int, x: int, y: int) -> None:
    op = schema.OperatorT()
    op.opcodeIndex = opcode
    op.inputs = np.asarray([x], np.int32)
    op.outputs = np.asarray([y], np.int32)
    op.builtinOptionsType = 0
    op.builtinOptions = None
    graph.operators.append(op)


def with_float_softmax(content: bytes) -> bytes:
    """``content`` (one subgraph, one output of logits) ending in a float32 SOFTMAX.

    A quantised (uint8/int8) output is dequantised first. The signatures point at the new
    output. The file must carry no TFLite metadata yet (it would describe the old output).
    """
    schema = importlib.import_module(_SCHEMA)
    flatbuffers = importlib.import_module("flatbuffers")
    model = schema.ModelT.InitFromPackedBuf(bytearray(content), 0)
    if len(model.subgraphs) != 1 or len(model.subgraphs[0].outputs) != 1:
        raise ValueError("with_float_softmax takes a model with one subgraph and one output")
    if model.metadata and any(
        m.name in (b"TFLITE_METADATA", "TFLITE_METADATA") for m in model.metadata
    ):
        raise ValueError("append the softmax before writing the TFLite metadata")
    graph = model.subgraphs[0]
    logits = int(graph.outputs[0])
    old = graph.tensors[logits]
    old.name = LOGITS_TENSOR
    x = logits
    if int(old.type) != schema.TensorType.FLOAT32:
        x = _float_tensor(schema, graph, "dequantized_logits", old)
        _append(schema, model, graph, _opcode(schema, model, "DEQUANTIZE", 2), logits, x)
    probs = _float_tensor(schema, graph, PROBABILITIES_TENSOR, old)
    options = schema.SoftmaxOptionsT()
    options.beta = 1.0
    _append(schema, model, graph, _opcode(schema, model, "SOFTMAX", 1), x, probs)
    graph.operators[-1].builtinOptionsType = schema.BuiltinOptions.SoftmaxOptions
    graph.operators[-1].builtinOptions = options
    graph.outputs = np.asarray([probs], np.int32)
    for signature in model.signatureDefs or []:
        for entry in signature.outputs or []:
            if int(entry.tensorIndex) == logits:
                entry.tensorIndex = probs
                entry.name = PROBABILITIES_TENSOR
    builder = flatbuffers.Builder(len(content) + 4096)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())
