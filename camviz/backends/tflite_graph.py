"""Graph surgery on TFLite flatbuffers: output operator, last dense layer, new outputs.

Kept apart from loading (:mod:`camviz.backends.tflite`): features and teaching
use it through :class:`camviz.backends.base.Backend`. Needs the flatbuffer schema
that ships with ai-edge-litert, and ``flatbuffers`` to write a model back.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

from camviz.backends.base import DenseLayer
from camviz.errors import ModelLoadError, NotAClassifierError, RuntimeUnavailableError

__all__ = [
    "cut_before_last_dense",
    "dense_input_quantization",
    "operator_prefixes",
    "io_quantization",
    "last_dense_layer",
    "output_producer",
    "with_last_dense",
    "with_metadata_buffer",
    "with_outputs",
]

_SCHEMA = "ai_edge_litert.schema_py_generated"


def _unpack(content: bytes, source: str) -> tuple[Any, Any]:
    try:
        schema = importlib.import_module(_SCHEMA)
    except ImportError as exc:
        raise RuntimeUnavailableError(
            f"reading the layers of {source} needs ai-edge-litert ({exc}); "
            "install it with  pip install ai-edge-litert"
        ) from exc
    if len(content) < 8 or content[4:8] != b"TFL3":
        raise ModelLoadError(f"{source} is not a TFLite model (the TFL3 identifier is missing)")
    try:
        model = schema.ModelT.InitFromPackedBuf(bytearray(content), 0)
    except Exception as exc:  # a damaged flatbuffer raises anything
        raise ModelLoadError(f"{source} is not a readable TFLite model ({exc})") from exc
    if not model.subgraphs:
        raise ModelLoadError(f"{source} has no subgraph")
    return schema, model


def _op_name(schema: Any, model: Any, op: Any) -> str:
    code = model.operatorCodes[op.opcodeIndex]
    value = max(int(code.builtinCode), int(code.deprecatedBuiltinCode))
    for name, number in vars(schema.BuiltinOperator).items():
        if number == value and not name.startswith("_"):
            return str(name)
    return str(value)


def _tensor_name(tensor: Any) -> str:
    name = tensor.name
    return name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name)


def _dequantized_constant(model: Any, tensor: Any, dtype: np.dtype[Any]) -> npt.NDArray[np.float32]:
    data = model.buffers[tensor.buffer].data
    if data is None:
        raise NotAClassifierError(f"tensor {_tensor_name(tensor)} holds no constant data")
    values = np.frombuffer(np.asarray(data, np.uint8).tobytes(), dtype).astype(np.float64)
    values = values.reshape([int(d) for d in tensor.shape])
    quant = tensor.quantization
    if (
        quant is not None
        and quant.scale is not None
        and len(quant.scale)
        and np.issubdtype(dtype, np.integer)
    ):
        scale = np.asarray(quant.scale, np.float64)
        zero = np.asarray(quant.zeroPoint if quant.zeroPoint is not None else 0, np.float64)
        if scale.size > 1:  # per-channel along quantizedDimension
            shape = [1] * values.ndim
            shape[int(quant.quantizedDimension)] = scale.size
            scale, zero = scale.reshape(shape), zero.reshape(shape) if zero.size > 1 else zero
        values = (values - zero) * scale
    return values.astype(np.float32)


_TYPES: dict[int, np.dtype[Any]] = {
    0: np.dtype(np.float32),
    2: np.dtype(np.int32),
    3: np.dtype(np.uint8),
    9: np.dtype(np.int8),
}


def _find_last_dense(schema: Any, model: Any, source: str) -> DenseLayer:
    graph = model.subgraphs[0]
    for op in reversed(graph.operators):
        if _op_name(schema, model, op) != "FULLY_CONNECTED":
            continue
        x, w, b = ([int(i) for i in op.inputs] + [-1, -1, -1])[:3]
        weight_tensor = graph.tensors[w]
        wtype = _TYPES.get(int(weight_tensor.type))
        if wtype is None:
            raise NotAClassifierError(f"{source}: its last dense layer has unsupported weights")
        weights = _dequantized_constant(model, weight_tensor, wtype)
        if b >= 0:
            bias_tensor = graph.tensors[b]
            btype = _TYPES.get(int(bias_tensor.type), np.dtype(np.float32))
            bias = _dequantized_constant(model, bias_tensor, btype).reshape(-1)
        else:
            bias = np.zeros(weights.shape[0], np.float32)
        name = _tensor_name(graph.tensors[x])
        return DenseLayer(name, weights.reshape(weights.shape[0], -1), bias)
    raise NotAClassifierError(
        f"{source} has no FULLY_CONNECTED layer, so it has no pooled features to reuse"
    )


def _retarget(model: Any, names: list[str], size_hint: int, source: str) -> bytes:
    graph = model.subgraphs[0]
    by_name = {_tensor_name(t): i for i, t in enumerate(graph.tensors)}
    missing = [n for n in names if n not in by_name]
    if missing:
        raise ModelLoadError(f"{source} has no tensor named {missing[0]!r}")
    outputs = [by_name[n] for n in names]
    # Keep the operators the new outputs depend on, in their original order.
    producer = {int(o): k for k, op in enumerate(graph.operators) for o in op.outputs}
    needed: set[int] = set()
    stack = list(outputs)
    while stack:
        k = producer.get(stack.pop())
        if k is not None and k not in needed:
            needed.add(k)
            stack.extend(int(i) for i in graph.operators[k].inputs if i >= 0)
    graph.operators = [op for k, op in enumerate(graph.operators) if k in needed]
    graph.outputs = np.asarray(outputs, np.int32)
    model.signatureDefs = None
    _drop_metadata(model, "TFLITE_METADATA")
    return _pack(model, size_hint + 1024)


def _drop_metadata(model: Any, name: str) -> None:
    """Remove the ``Model.metadata`` entries called ``name`` (their buffers stay)."""
    if model.metadata:
        model.metadata = [m for m in model.metadata if m.name not in (name, name.encode())]


def _pack(model: Any, size_hint: int) -> bytes:
    """The model object written back as TFLite flatbuffer bytes."""
    flatbuffers = importlib.import_module("flatbuffers")
    builder = flatbuffers.Builder(size_hint)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


#: Operators that only move values: a softmax before them still gives probabilities.
_PASS_THROUGH = (
    "QUANTIZE",
    "DEQUANTIZE",
    "RESHAPE",
    "SQUEEZE",
    "SLICE",
    "STRIDED_SLICE",
    "GATHER",
    "CAST",
    "TRANSPOSE",
    "EXPAND_DIMS",
)


def io_quantization(content: bytes) -> tuple[tuple[tuple[float, int], ...], ...]:
    """((scale, zero point) of each input, of each output); (0.0, 0) where not quantised.

    For runtimes that read a ``.tflite`` but do not report its quantisation (OpenVINO).
    """
    schema = importlib.import_module(_SCHEMA)
    graph = schema.Model.GetRootAs(content, 0).Subgraphs(0)

    def quant(index: int) -> tuple[float, int]:
        q = graph.Tensors(index).Quantization()
        if q is None or q.ScaleLength() != 1:
            return (0.0, 0)
        return (float(q.Scale(0)), int(q.ZeroPoint(0)) if q.ZeroPointLength() else 0)

    inputs = tuple(quant(graph.Inputs(i)) for i in range(graph.InputsLength()))
    outputs = tuple(quant(graph.Outputs(i)) for i in range(graph.OutputsLength()))
    return inputs, outputs


def output_producer(content: bytes) -> str | None:
    """The operator that computes output 0, looking through quantise/reshape ops.

    ``"SOFTMAX"`` means the model outputs probabilities. ``None`` if the file
    cannot be read this way. Uses the lazy flatbuffer accessors: no full unpack.
    """
    try:
        schema = importlib.import_module(_SCHEMA)
        model = schema.Model.GetRootAs(content, 0)
        graph = model.Subgraphs(0)
        names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
        producers = {}
        for k in range(graph.OperatorsLength()):
            op = graph.Operators(k)
            for j in range(op.OutputsLength()):
                producers[op.Outputs(j)] = op
        tensor = graph.Outputs(0)
        for _ in range(graph.OperatorsLength() + 1):
            op = producers.get(tensor)
            if op is None:
                return None
            code = model.OperatorCodes(op.OpcodeIndex())
            name = names.get(max(code.BuiltinCode(), code.DeprecatedBuiltinCode()), "CUSTOM")
            if name not in _PASS_THROUGH:
                return str(name)
            tensor = op.Inputs(0)
    except Exception:  # a damaged or foreign file: the caller falls back
        return None
    return None


def last_dense_layer(content: bytes, *, source: str = "model") -> DenseLayer:
    """The final FULLY_CONNECTED op of ``content``: its input tensor, weights and bias."""
    schema, model = _unpack(content, source)
    return _find_last_dense(schema, model, source)


def with_outputs(content: bytes, names: list[str], *, source: str = "model") -> bytes:
    """``content`` rewritten so its outputs are the tensors called ``names``.

    Operators no longer needed for those outputs are dropped, and so are the
    signatures and the TFLite metadata (they describe the old outputs). The
    result loads with :func:`load_model` like any model.
    """
    _, model = _unpack(content, source)
    return _retarget(model, names, len(content), source)


def cut_before_last_dense(content: bytes, *, source: str = "model") -> tuple[bytes, DenseLayer]:
    """The model with the input of its last FULLY_CONNECTED op as output, and that layer.

    For an image classifier that is the pooled feature vector (1280 values for
    EfficientNet-Lite0); ``layer.weights @ features + layer.bias`` gives back the
    original logits. One parse of the flatbuffer serves both.
    """
    schema, model = _unpack(content, source)
    layer = _find_last_dense(schema, model, source)
    return _retarget(model, [layer.input_name], len(content), source), layer


def with_metadata_buffer(content: bytes, name: str, data: bytes, *, source: str = "model") -> bytes:
    """``content`` with ``data`` stored as a new buffer, named ``name`` in ``Model.metadata``.

    An earlier metadata entry of that name is dropped from the list (its buffer stays).
    Anything appended after the flatbuffer (a packed zip) is not carried over.
    """
    schema, model = _unpack(content, source)
    _drop_metadata(model, name)
    buffer = schema.BufferT()
    buffer.data = np.frombuffer(data, dtype=np.uint8)
    model.buffers.append(buffer)
    entry = schema.MetadataT()
    entry.name = name
    entry.buffer = len(model.buffers) - 1
    model.metadata = [*(model.metadata or []), entry]
    return _pack(model, len(content) + len(data) + 4096)


def operator_prefixes(content: bytes, *, source: str = "model") -> Iterator[tuple[str, str, bytes]]:
    """For each operator in execution order: its name, its first output tensor's name, and
    the model that runs the operators up to it and no further (outputs: every tensor made
    so far that a later operator or the graph still reads, and its own). Timing each
    prefix gives per-operator times where the runtime has no profiler in Python. One at a
    time: each holds the model's weights."""
    schema, model = _unpack(content, source)
    graph = model.subgraphs[0]
    operators, graph_outputs = list(graph.operators), [int(o) for o in graph.outputs]
    model.signatureDefs = None
    _drop_metadata(model, "TFLITE_METADATA")
    for k in range(len(operators)):
        kept, later = operators[: k + 1], operators[k + 1 :]
        read_later = {int(i) for op in later for i in op.inputs if i >= 0} | set(graph_outputs)
        made = [int(o) for op in kept for o in op.outputs]
        own = [int(o) for o in kept[-1].outputs]
        graph.operators = kept
        graph.outputs = np.asarray(
            list(dict.fromkeys([o for o in made if o in read_later] + own)), np.int32
        )
        name = _op_name(schema, model, kept[-1])
        yield name, _tensor_name(graph.tensors[own[0]]), _pack(model, len(content))


def dense_input_quantization(content: bytes, *, source: str = "model") -> tuple[float, int]:
    """(scale, zero point) of the input of the last FULLY_CONNECTED op; (0.0, 0) if float."""
    schema, model = _unpack(content, source)
    graph = model.subgraphs[0]
    _, op = _last_dense_op(schema, model, source)
    return _tensor_quant(graph.tensors[int(op.inputs[0])])


def with_last_dense(
    content: bytes,
    weights: npt.NDArray[np.float32],
    bias: npt.NDArray[np.float32],
    output_range: tuple[float, float],
    *,
    softmax: bool = True,
    source: str = "model",
) -> bytes:
    """``content`` with its last FULLY_CONNECTED op computing ``weights @ x + bias`` instead.

    ``weights`` is ``(classes, features)``. The op keeps its form: int8 weights are quantised
    per channel or per tensor as the op's were (symmetric, zero point 0), the int32 bias at
    ``input_scale * weight_scale``, and its output's scale and zero point cover
    ``output_range`` (the new logits' min and max; float ops ignore it). The operators after
    it (quantise, reshape, one softmax) are replaced: with ``softmax`` a SOFTMAX op follows
    (int8 output at scale 1/256 and zero point -128, uint8 at zero point 0, as TFLite's
    quantised softmax requires), then what gives the model's old output type (QUANTIZE to
    uint8, DEQUANTIZE to float32; for a model that ended in a softmax, such as the zoo's, the
    type of the logits that softmax read). Signatures point at the new output; the TFLite
    metadata is dropped (it described the old one).
    """
    schema, model = _unpack(content, source)
    graph = model.subgraphs[0]
    k, op = _last_dense_op(schema, model, source)
    tail = [_op_name(schema, model, o) for o in graph.operators[k + 1 :]]
    if any(name not in _PASS_THROUGH for name in tail if name != "SOFTMAX") or (
        tail.count("SOFTMAX") > 1
    ):
        raise ModelLoadError(
            f"{source}: its last dense layer is followed by {', '.join(tail)}; only a model "
            "ending in that layer (and quantise or reshape ops, and one softmax) can take a new one"
        )
    old_out = graph.tensors[int(graph.outputs[0])]
    if "SOFTMAX" in tail:  # the zoo's: logits (uint8 for int8) -> DEQUANTIZE -> SOFTMAX
        after = graph.operators[k + 1 :]
        logits = int(after[tail.index("SOFTMAX")].inputs[0])
        made = {int(o.outputs[0]): o for o in after}
        if logits in made and _op_name(schema, model, made[logits]) == "DEQUANTIZE":
            logits = int(made[logits].inputs[0])
        old_out = graph.tensors[logits]  # the output type the model had before its softmax
    w64 = np.asarray(weights, np.float64)
    b64 = np.asarray(bias, np.float64).reshape(-1)
    x, w, b = (int(i) for i in op.inputs[:3])
    classes, features = w64.shape
    old_w = graph.tensors[w]
    if int(old_w.shape[-1]) != features or b64.shape != (classes,) or b < 0:
        raise ModelLoadError(
            f"{source}: its last dense layer reads {int(old_w.shape[-1])} features, not {features}"
        )
    wanted = int(old_out.type)
    y = graph.tensors[int(op.outputs[0])]
    y.shape = np.asarray([1, classes], np.int32)
    y.shapeSignature = None
    types = schema.TensorType
    if int(old_w.type) == types.INT8:
        in_scale, _ = _tensor_quant(graph.tensors[x])
        per_channel = old_w.quantization is not None and len(old_w.quantization.scale) > 1
        peak = np.abs(w64).max(axis=1) if per_channel else np.full(classes, np.abs(w64).max())
        w_scale = np.maximum(peak, 1e-12) / 127.0
        w_q = np.clip(np.round(w64 / w_scale[:, None]), -127, 127).astype(np.int8)
        b_scale = in_scale * w_scale
        b_q = np.clip(np.round(b64 / b_scale), -(2**31), 2**31 - 1).astype(np.int32)
        _set_constant(model, graph, w, w_q.reshape(classes, features), w_scale, per_channel)
        _set_constant(model, graph, b, b_q, b_scale, True)
        low, high = min(0.0, float(output_range[0])), max(0.0, float(output_range[1]))
        scale = max(high - low, 1e-6) / 255.0
        lowest = -128 if int(y.type) == types.INT8 else 0
        zero = int(np.clip(round(lowest - low / scale), lowest, lowest + 255))
        y.quantization = _quant(schema, [scale], [zero])
    elif int(old_w.type) == types.FLOAT32:
        _set_constant(model, graph, w, w64.astype(np.float32), None, False)
        _set_constant(model, graph, b, b64.astype(np.float32), None, False)
    else:
        raise ModelLoadError(f"{source}: its last dense layer has weights of an unsupported type")
    graph.operators = list(graph.operators[: k + 1])
    last = int(op.outputs[0])
    if softmax:
        quantized = int(y.type) in (types.INT8, types.UINT8)
        zero = -128 if int(y.type) == types.INT8 else 0
        quant = _quant(schema, [1.0 / 256.0], [zero]) if quantized else None
        prob = _add_tensor(schema, graph, "softmax", classes, int(y.type), quant)
        options = schema.SoftmaxOptionsT()
        options.beta = 1.0
        _add_op(schema, model, graph, "SOFTMAX", 2 if int(y.type) == types.INT8 else 1,
                [last], [prob], schema.BuiltinOptions.SoftmaxOptions, options)  # fmt: skip
        last = prob
    if int(graph.tensors[last].type) != wanted:
        kind = "DEQUANTIZE" if wanted == types.FLOAT32 else "QUANTIZE"
        src = graph.tensors[last].quantization
        quant = None
        if wanted != types.FLOAT32 and src is not None:
            shift = 128 if wanted == types.UINT8 else -128
            quant = _quant(schema, list(src.scale), [int(src.zeroPoint[0]) + shift])
        name = "probabilities" if softmax else "logits"
        out = _add_tensor(schema, graph, name, classes, wanted, quant)
        _add_op(schema, model, graph, kind, 2, [last], [out], 0, None)
        last = out
    graph.outputs = np.asarray([last], np.int32)
    for signature in model.signatureDefs or []:
        for entry in signature.outputs or []:
            entry.tensorIndex = last
    _drop_metadata(model, "TFLITE_METADATA")
    return _pack(model, len(content) + 4096)


def _last_dense_op(schema: Any, model: Any, source: str) -> tuple[int, Any]:
    graph = model.subgraphs[0]
    for k in range(len(graph.operators) - 1, -1, -1):
        if _op_name(schema, model, graph.operators[k]) == "FULLY_CONNECTED":
            return k, graph.operators[k]
    raise NotAClassifierError(f"{source} has no FULLY_CONNECTED layer")


def _tensor_quant(tensor: Any) -> tuple[float, int]:
    q = tensor.quantization
    if q is None or q.scale is None or len(q.scale) != 1:
        return (0.0, 0)
    zero = q.zeroPoint if q.zeroPoint is not None else [0]
    return float(q.scale[0]), int(zero[0])


def _quant(schema: Any, scales: list[float], zeros: list[int]) -> Any:
    quant = schema.QuantizationParametersT()
    quant.scale = np.asarray(scales, np.float32)
    quant.zeroPoint = np.asarray(zeros, np.int64)
    quant.quantizedDimension = 0
    return quant


def _set_constant(
    model: Any,
    graph: Any,
    index: int,
    values: npt.NDArray[Any],
    scales: npt.NDArray[np.float64] | None,
    per_channel: bool,
) -> None:
    """Tensor ``index`` holding ``values`` in a buffer of its own, with its quantisation."""
    schema = importlib.import_module(_SCHEMA)
    tensor = graph.tensors[index]
    buffer = schema.BufferT()
    buffer.data = np.frombuffer(np.ascontiguousarray(values).tobytes(), np.uint8)
    shared = sum(int(t.buffer) == int(tensor.buffer) for t in graph.tensors) > 1
    if shared or tensor.buffer == 0:
        model.buffers.append(buffer)
        tensor.buffer = len(model.buffers) - 1
    else:
        model.buffers[tensor.buffer] = buffer
    tensor.shape = np.asarray(values.shape, np.int32)
    tensor.shapeSignature = None
    if scales is None:
        tensor.quantization = None
    else:
        s = [float(v) for v in scales] if per_channel else [float(scales[0])]
        tensor.quantization = _quant(schema, s, [0] * len(s))


def _add_tensor(schema: Any, graph: Any, name: str, classes: int, kind: int, quant: Any) -> int:
    tensor = schema.TensorT()
    tensor.name = name
    tensor.shape = np.asarray([1, classes], np.int32)
    tensor.type = kind
    tensor.buffer = 0
    tensor.quantization = quant
    graph.tensors.append(tensor)
    return len(graph.tensors) - 1


def _add_op(
    schema: Any,
    model: Any,
    graph: Any,
    name: str,
    version: int,
    inputs: list[int],
    outputs: list[int],
    options_type: int,
    options: Any,
) -> None:
    code = int(getattr(schema.BuiltinOperator, name))
    index = next(
        (
            i
            for i, c in enumerate(model.operatorCodes)
            if max(int(c.builtinCode), int(c.deprecatedBuiltinCode)) == code
        ),
        None,
    )
    if index is None:
        entry = schema.OperatorCodeT()
        entry.builtinCode = code
        entry.deprecatedBuiltinCode = min(code, 127)
        entry.version = version
        model.operatorCodes.append(entry)
        index = len(model.operatorCodes) - 1
    else:
        existing = model.operatorCodes[index]
        existing.version = max(int(existing.version), version)
    op = schema.OperatorT()
    op.opcodeIndex = index
    op.inputs = np.asarray(inputs, np.int32)
    op.outputs = np.asarray(outputs, np.int32)
    op.builtinOptionsType = options_type
    op.builtinOptions = options
    graph.operators.append(op)
