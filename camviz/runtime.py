"""The only module of camviz that imports a TensorFlow Lite runtime.

``ai-edge-litert`` (the maintained LiteRT runtime) is preferred; ``tflite-runtime``
is the fallback. ``CAMVIZ_RUNTIME=litert`` or ``CAMVIZ_RUNTIME=tflite-runtime``
forces one. Interpreters are not thread-safe: a :class:`TFLiteModel` must be
created and used on one thread (the pipeline's inference thread).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from camviz.errors import ModelLoadError, NotAClassifierError, RuntimeUnavailableError

__all__ = [
    "TensorSpec",
    "TFLiteModel",
    "RUNTIMES",
    "runtime_status",
    "load_model",
    "DenseLayer",
    "last_dense_layer",
    "with_outputs",
    "cut_before_last_dense",
]

#: Runtime names in order of preference, with the module that provides the Interpreter.
RUNTIMES: dict[str, str] = {
    "litert": "ai_edge_litert.interpreter",
    "tflite-runtime": "tflite_runtime.interpreter",
}


@dataclass(frozen=True, slots=True)
class TensorSpec:
    """Shape, dtype and quantisation of one input or output tensor."""

    name: str
    index: int
    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    scale: float
    zero_point: int

    @property
    def quantized(self) -> bool:
        return self.scale != 0.0 and np.issubdtype(self.dtype, np.integer)


class _NumpyAbiMismatch(ImportError):
    """The runtime's binary was built for another NumPy major version."""


def _interpreter_class(name: str) -> Any:
    module = importlib.import_module(RUNTIMES[name])
    if name == "tflite-runtime":
        # Its last release (2.14, 2023) was compiled against NumPy 1.x: creating an
        # Interpreter under NumPy 2 fails deep in C++, so refuse it up front.
        package = importlib.import_module("tflite_runtime")
        version = tuple(int(p) for p in str(package.__version__).split(".")[:2] if p.isdigit())
        if int(np.__version__.split(".")[0]) >= 2 and version < (2, 15):
            raise _NumpyAbiMismatch(
                f"tflite-runtime {package.__version__} was compiled against NumPy 1.x and "
                f"cannot run with NumPy {np.__version__}; use ai-edge-litert (the maintained "
                "runtime), or tflite-runtime in an environment with numpy<2"
            )
    return module.Interpreter


def _numpy_abi_hint(name: str, error: BaseException) -> str:
    text = str(error) + str(error.__cause__ or "")
    if "NumPy 1.x" in text or "numpy.core.multiarray failed" in text or "_ARRAY_API" in text:
        return (
            f"{name} was compiled against NumPy 1.x and cannot run with NumPy {np.__version__}; "
            "install ai-edge-litert (the maintained runtime), or use tflite-runtime in an "
            "environment with numpy<2"
        )
    return f"{name} failed: {text}"


def runtime_status() -> dict[str, str]:
    """For each runtime, ``"ok"`` or the reason it cannot be used here."""
    status: dict[str, str] = {}
    for name in RUNTIMES:
        try:
            _interpreter_class(name)
        except _NumpyAbiMismatch as exc:
            status[name] = str(exc)
        except ImportError as exc:
            status[name] = f"not installed ({exc})"
        except Exception as exc:  # a broken binary wheel raises anything
            status[name] = _numpy_abi_hint(name, exc)
        else:
            status[name] = "ok"
    return status


def _candidates() -> list[str]:
    forced = os.environ.get("CAMVIZ_RUNTIME", "").strip().lower()
    if forced:
        if forced not in RUNTIMES:
            raise RuntimeUnavailableError(
                f"CAMVIZ_RUNTIME={forced!r} is not a known runtime; "
                f"use one of {', '.join(RUNTIMES)}"
            )
        return [forced]
    return list(RUNTIMES)


def _tensor_spec(detail: dict[str, Any]) -> TensorSpec:
    scale, zero_point = detail.get("quantization", (0.0, 0))
    return TensorSpec(
        name=str(detail.get("name", "")),
        index=int(detail["index"]),
        shape=tuple(int(d) for d in detail["shape"]),
        dtype=np.dtype(detail["dtype"]),
        scale=float(scale),
        zero_point=int(zero_point),
    )


_NOISE = ("INFO: Created TensorFlow Lite XNNPACK delegate for CPU.",)


@contextlib.contextmanager
def _native_stderr_filtered() -> Iterator[None]:
    """Hold back the runtime's informational banner on fd 2; pass everything else on."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # no real stderr (GUI, pytest capture)
        yield
        return
    with tempfile.TemporaryFile() as sink:
        saved = os.dup(fd)
        sys.stderr.flush()
        os.dup2(sink.fileno(), fd)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, fd)
            os.close(saved)
            sink.seek(0)
            text = sink.read().decode("utf-8", "replace")
            kept = [line for line in text.splitlines() if line.strip() not in _NOISE]
            if kept:
                sys.stderr.write("\n".join(kept) + "\n")


class TFLiteModel:
    """A loaded interpreter with its tensors described; use it on one thread only."""

    def __init__(self, interpreter: Any, runtime: str, load_ms: float) -> None:
        self._interpreter = interpreter
        self.runtime = runtime
        self.load_ms = load_ms
        self.inputs = tuple(_tensor_spec(d) for d in interpreter.get_input_details())
        self.outputs = tuple(_tensor_spec(d) for d in interpreter.get_output_details())

    def run(self, tensor: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """Invoke on one input tensor (batch dimension included); return output 0, copied."""
        interpreter = self._interpreter
        interpreter.set_tensor(self.inputs[0].index, tensor)
        interpreter.invoke()
        out: npt.NDArray[Any] = interpreter.get_tensor(self.outputs[0].index)
        return out

    def close(self) -> None:
        self._interpreter = None


def load_model(content: bytes, *, threads: int, source: str) -> TFLiteModel:
    """Create an interpreter from model bytes, allocate its tensors and describe them.

    Raises :class:`ModelLoadError` naming ``source`` if the bytes are not a
    loadable TFLite model, :class:`RuntimeUnavailableError` if no runtime works.
    """
    reasons: list[str] = []
    for name in _candidates():
        try:
            interpreter_class = _interpreter_class(name)
        except _NumpyAbiMismatch as exc:
            reasons.append(str(exc))
            continue
        except ImportError as exc:
            reasons.append(f"{name}: not installed ({exc})")
            continue
        except Exception as exc:
            reasons.append(_numpy_abi_hint(name, exc))
            continue
        start = time.perf_counter()
        try:
            with _native_stderr_filtered():
                interpreter = interpreter_class(model_content=content, num_threads=threads)
                interpreter.allocate_tensors()
        except (ValueError, RuntimeError, SystemError, ImportError) as exc:
            hint = _numpy_abi_hint(name, exc)
            if hint.startswith(f"{name} was compiled"):
                reasons.append(hint)
                continue
            first_line = (
                str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            )
            raise ModelLoadError(
                f"{source} is not a loadable TFLite model ({first_line}); "
                "choose a .tflite image classifier or a model from `camviz models`"
            ) from exc
        load_ms = (time.perf_counter() - start) * 1000.0
        return TFLiteModel(interpreter, name, load_ms)
    raise RuntimeUnavailableError(
        "no TFLite runtime can be used: "
        + "; ".join(reasons)
        + ". Install one with  pip install ai-edge-litert"
    )


# ------------------------------------------------------------------ rewriting a model's outputs
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


@dataclass(frozen=True, slots=True)
class DenseLayer:
    """The last FULLY_CONNECTED layer of a model, dequantised: ``logits = weights @ x + bias``."""

    input_name: str  # the tensor it reads (the pooled features)
    weights: npt.NDArray[np.float32]  # (outputs, inputs)
    bias: npt.NDArray[np.float32]  # (outputs,)


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
    flatbuffers = importlib.import_module("flatbuffers")
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
    if model.metadata:
        model.metadata = [m for m in model.metadata if m.name != b"TFLITE_METADATA"]
    builder = flatbuffers.Builder(size_hint + 1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


_PASS_THROUGH = ("QUANTIZE", "DEQUANTIZE", "RESHAPE", "SQUEEZE")


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
        for _ in range(8):
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
