"""The ONNX Runtime backend (``camviz[onnx]``): ``.onnx`` image classifiers.

The usual exports of PyTorch, timm and torchvision: NCHW or NHWC input, float,
uint8 or QDQ int8 (quantised inside, float at the edges), a dynamic batch. camviz
feeds every backend NHWC RGB; :class:`OnnxModel` transposes to NCHW and swaps to
BGR inside :meth:`OnnxModel.run` when the model wants it, so nothing above this
package knows a layout.

What the file says about its input (ONNX's MetadataProps.md, as Custom Vision and
WinML exports write it): ``Image.BitmapPixelFormat`` (``Rgb8``, ``Bgr8``...) and
``Image.NominalPixelRange`` (``NominalRange_0_255``, ``Normalized_0_1``,
``Normalized_1_1``, ``NominalRange_16_235``). A float input without it is fed with
torchvision's ImageNet mean and std, said as a guess (the classifier's clipped-input
check warns when it is wrong). Labels come from a sidecar file as for ``.tflite``.

The execution provider is chosen from ``--accelerator``: the CPU's, or the first
GPU or NPU provider this onnxruntime build has; :func:`execution_providers` lists them.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import time
from typing import Any

import numpy as np
import numpy.typing as npt

from camviz.backends.base import (
    Accelerator,
    Delegate,
    DenseLayer,
    Layout,
    ModelDescription,
    ModelMetadata,
    TensorSpec,
)
from camviz.backends.cpu import cpu_has_int8_dot_product
from camviz.errors import AcceleratorError, ModelLoadError, NotAClassifierError

__all__ = [
    "PROVIDERS",
    "TORCHVISION_MEAN",
    "TORCHVISION_STD",
    "OnnxBackend",
    "OnnxModel",
    "execution_providers",
    "graph_output_op",
    "image_layout",
    "metadata_from_props",
    "runs_qdq_as_float",
    "wants_bgr",
]

#: Execution providers for each accelerator, in order of preference.
PROVIDERS: dict[Accelerator, tuple[str, ...]] = {
    Accelerator.CPU: ("CPUExecutionProvider",),
    Accelerator.GPU: (
        "CUDAExecutionProvider",
        "TensorrtExecutionProvider",
        "ROCMExecutionProvider",
        "MIGraphXExecutionProvider",
        "DmlExecutionProvider",
        "CoreMLExecutionProvider",
        "WebGpuExecutionProvider",
    ),
    Accelerator.NPU: (
        "QNNExecutionProvider",
        "VitisAIExecutionProvider",
        "RknpuExecutionProvider",
        "NnapiExecutionProvider",
    ),
}
_INSTALL = {
    Accelerator.GPU: "onnxruntime-gpu (CUDA), onnxruntime-directml or onnxruntime-rocm",
    Accelerator.NPU: "onnxruntime-qnn (Qualcomm) or onnxruntime-vitisai (AMD)",
}

#: torchvision's ImageNet normalisation on the 0..255 scale (0.485, 0.456, 0.406) x 255 ...
TORCHVISION_MEAN = (123.675, 116.28, 103.53)
TORCHVISION_STD = (58.395, 57.12, 57.375)
_GUESS = "default for float ONNX inputs without Image.NominalPixelRange: torchvision's ImageNet"

#: Image.NominalPixelRange -> (mean, std) on the 0..255 scale.
_RANGES: dict[str, tuple[float, float]] = {
    "nominalrange_0_255": (0.0, 1.0),
    "normalized_0_1": (0.0, 255.0),
    "normalized_1_1": (127.5, 127.5),
    "nominalrange_16_235": (-16.0 * 255.0 / 219.0, 255.0 / 219.0),
}
_BGR = ("bgr8", "bgra8")
_RGB = ("rgb8", "rgba8")

_DTYPES = {
    "tensor(float)": np.float32,
    "tensor(float16)": np.float16,
    "tensor(uint8)": np.uint8,
    "tensor(int8)": np.int8,
}

#: Operators that only move or reshape values: a softmax before them still gives probabilities.
_PASS_THROUGH = frozenset(
    {
        "Reshape",
        "Flatten",
        "Squeeze",
        "Unsqueeze",
        "Identity",
        "Slice",
        "Gather",
        "Transpose",
        "Cast",
        "QuantizeLinear",
        "DequantizeLinear",
    }
)
_OP_NAMES = {"Softmax": "SOFTMAX", "LogSoftmax": "LOG_SOFTMAX", "Sigmoid": "LOGISTIC"}


def _ort() -> Any:
    return importlib.import_module("onnxruntime")


def execution_providers() -> tuple[str, ...]:
    """The execution providers this onnxruntime build offers (() when it is not installed)."""
    try:
        return tuple(str(p) for p in _ort().get_available_providers())
    except ImportError:
        return ()


def _provider_for(accelerator: Accelerator) -> str:
    have = execution_providers()
    for name in PROVIDERS[accelerator]:
        if name in have:
            return name
    raise AcceleratorError(
        f"ONNX Runtime has no {accelerator.value.upper()} execution provider here (this "
        f"build offers: {', '.join(have) or 'none'}); install {_INSTALL[accelerator]}, "
        "or run with --accelerator cpu"
    )


def metadata_from_props(
    props: dict[str, str], *, float_input: bool, name: str | None = None
) -> ModelMetadata:
    """What ONNX metadata_props say about the input (MetadataProps.md keys), as camviz reads it."""
    lowered = {k.strip().lower(): str(v).strip() for k, v in props.items()}
    pixel_format = lowered.get("image.bitmappixelformat", "").lower()
    color = "BGR" if pixel_format in _BGR else ("RGB" if pixel_format in _RGB else None)
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None
    note: str | None = None
    pixel_range = lowered.get("image.nominalpixelrange", "").lower()
    if pixel_range in _RANGES:
        m, s = _RANGES[pixel_range]
        mean, std = (m,) * 3, (s,) * 3
    elif float_input:
        mean, std, note = TORCHVISION_MEAN, TORCHVISION_STD, _GUESS + " mean and std (a guess)"
    return ModelMetadata(
        name=name,
        description=props.get("description") or None,
        labels=None,
        mean=mean,
        std=std,
        color_space=color,
        version=props.get("version") or None,
        author=props.get("author") or None,
        license=props.get("license") or None,
        normalization_note=note,
    )


def graph_output_op(model: Any) -> str | None:
    """The operator that computes output 0, through reshapes, slices and casts (None: unknown).

    ``"SOFTMAX"`` means the output is already probabilities, whatever follows it that
    only moves values (a slice, a reshape, a dequantisation): it is never normalised twice.
    """
    graph = model.graph
    if not graph.output:
        return None
    producers = {out: node for node in graph.node for out in node.output}
    name = graph.output[0].name
    for _ in range(len(graph.node) + 1):
        node = producers.get(name)
        if node is None:
            return "INPUT" if any(i.name == name for i in graph.input) else None
        if node.op_type not in _PASS_THROUGH or not node.input:
            return _OP_NAMES.get(str(node.op_type), str(node.op_type).upper())
        name = node.input[0]
    return None


def _parse(content: bytes, source: str) -> Any:
    """The ONNX protobuf (None when the ``onnx`` package is absent)."""
    try:
        onnx = importlib.import_module("onnx")
    except ImportError:
        return None
    try:
        return onnx.load_from_string(content)
    except Exception as exc:  # a damaged protobuf raises anything
        raise ModelLoadError(f"{source} is not a readable ONNX model ({exc})") from exc


def wants_bgr(content: bytes) -> bool:
    """True when the model's ``Image.BitmapPixelFormat`` is BGR (False when it cannot be read)."""
    try:
        model = _parse(content, "the model")
    except ModelLoadError:
        return False
    if model is None:
        return False
    props = {p.key: p.value for p in model.metadata_props}
    return props.get("Image.BitmapPixelFormat", "").strip().lower() in _BGR


def _dim(value: Any) -> int | None:
    return int(value) if isinstance(value, int) and value > 0 else None


def image_layout(shape: tuple[int | None, ...], source: str) -> tuple[Layout, int, int]:
    """(layout, height, width) of a 4-D image input; NotAClassifierError for anything else."""
    if len(shape) == 4:
        if shape[1] == 3 and shape[3] != 3:
            return Layout.NCHW, shape[2] or 224, shape[3] or 224
        if shape[3] == 3:
            return Layout.NHWC, shape[1] or 224, shape[2] or 224
    shown = ["?" if d is None else d for d in shape]
    raise NotAClassifierError(
        f"{source} takes input of shape {shown}; an image classifier takes "
        "[batch, 3, height, width] (NCHW) or [batch, height, width, 3] (NHWC)"
    )


class OnnxModel:
    """An ONNX Runtime session seen as camviz sees every model: NHWC RGB in, output 0 out."""

    runtime: str = "onnxruntime"
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]

    def __init__(
        self, session: Any, *, source: str, load_ms: float, provider: str, bgr: bool
    ) -> None:
        self._session: Any = session
        self.delegate = Delegate()
        self.load_ms = load_ms
        self.device = provider
        self._bgr = bgr
        inputs = session.get_inputs()
        outputs = session.get_outputs()
        if len(inputs) != 1:
            raise NotAClassifierError(
                f"{source} has {len(inputs)} inputs; an image classifier has one image input"
            )
        first = inputs[0]
        dtype = _DTYPES.get(str(first.type))
        if dtype is None:
            raise NotAClassifierError(
                f"{source} takes {first.type} input; expected float, float16, uint8 or int8"
            )
        shape = tuple(_dim(d) for d in first.shape)
        self.layout, height, width = image_layout(shape, source)
        #: the input's batch dimension is dynamic: several images run in one invoke
        self.dynamic_batch = shape[0] is None
        self._feed = np.dtype(dtype)
        shown = np.dtype(np.float32) if dtype is np.float16 else np.dtype(dtype)
        self._input_name = str(first.name)
        self.inputs = (TensorSpec(self._input_name, 0, (1, height, width, 3), shown, 0.0, 0),)
        self.outputs = tuple(
            TensorSpec(
                str(o.name),
                i,
                tuple(_dim(d) or 1 for d in o.shape),
                np.dtype(_DTYPES.get(str(o.type), np.float32)),
                0.0,
                0,
            )
            for i, o in enumerate(outputs)
        )
        self._output_names = [self.outputs[0].name] if self.outputs else []

    def run(self, tensor: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """Invoke on one NHWC RGB tensor (batch included); return output 0."""
        if self._bgr:
            tensor = tensor[..., ::-1]
        if self.layout is Layout.NCHW:
            tensor = tensor.transpose(0, 3, 1, 2)
        feed = np.ascontiguousarray(tensor, dtype=self._feed)
        out: npt.NDArray[Any] = self._session.run(self._output_names, {self._input_name: feed})[0]
        return out

    def close(self) -> None:
        self._session = None


def runs_qdq_as_float(content: bytes, provider: str, cpuinfo: str | None = None) -> bool:
    """Whether a QDQ model's quantised operators run as their float arithmetic: on the CPU
    provider of a CPU without an int8 dot product, where the fused int8 kernels saturate
    (measured in :mod:`camviz.backends.cpu`)."""
    return (
        provider == "CPUExecutionProvider"
        and b"QuantizeLinear" in content
        and not cpu_has_int8_dot_product(cpuinfo)
    )


class OnnxBackend:
    """ONNX Runtime (``.onnx``) behind the :class:`~camviz.backends.base.Backend` interface."""

    name: str = "onnxruntime"
    title: str = "ONNX Runtime"
    family: str = "ONNX"
    extra: str | None = "onnx"
    suffixes: tuple[str, ...] = (".onnx",)

    def load(
        self,
        content: bytes,
        *,
        threads: int,
        source: str,
        delegate: Delegate | None = None,
        accelerator: Accelerator = Accelerator.CPU,
    ) -> OnnxModel:
        ort = _ort()
        Delegate.refuse_external(delegate, self.title)
        provider = _provider_for(Accelerator.parse(accelerator))
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        if runs_qdq_as_float(content, provider):
            options.add_session_config_entry("session.disable_quant_qdq", "1")
        start = time.perf_counter()
        try:
            session = ort.InferenceSession(content, sess_options=options, providers=[provider])
        except Exception as exc:  # InvalidProtobuf, Fail, NotImplemented... from pybind
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise ModelLoadError(
                f"{source} is not a loadable ONNX model ({first[:300]}); "
                "choose an .onnx image classifier or a model from `camviz models`"
            ) from exc
        load_ms = (time.perf_counter() - start) * 1000.0
        props = dict(session.get_modelmeta().custom_metadata_map)
        pixel_format = props.get("Image.BitmapPixelFormat", "").strip().lower()
        return OnnxModel(
            session, source=source, load_ms=load_ms, provider=provider, bgr=pixel_format in _BGR
        )

    def installed(self) -> bool:
        """Whether onnxruntime can be imported, found without importing it (a slow import)."""
        try:
            return importlib.util.find_spec("onnxruntime") is not None
        except (ImportError, ValueError):
            return False

    def accelerators(self) -> tuple[Accelerator, ...]:
        have = execution_providers()
        return tuple(a for a, names in PROVIDERS.items() if any(n in have for n in names))

    def version(self) -> str:
        try:
            return f"onnxruntime {importlib.metadata.version('onnxruntime')}"
        except importlib.metadata.PackageNotFoundError:
            return ""

    def describe(self, content: bytes) -> ModelDescription:
        model = _parse(content, "the model")
        if model is None:  # no onnx package: the session's metadata, no graph
            return ModelDescription(metadata=None, output_op=None)
        props = {p.key: p.value for p in model.metadata_props}
        elem = model.graph.input[0].type.tensor_type.elem_type if model.graph.input else 1
        float_input = elem in (1, 10, 11, 16)  # FLOAT, FLOAT16, DOUBLE, BFLOAT16
        name = model.graph.name or None
        metadata = metadata_from_props(props, float_input=float_input, name=name)
        return ModelDescription(metadata=metadata, output_op=graph_output_op(model))

    def status(self) -> dict[str, str]:
        try:
            ort = _ort()
        except ImportError as exc:
            return {"onnxruntime": f"not installed ({exc}); pip install 'camviz[onnx]'"}
        return {"onnxruntime": "ok" if ort.get_available_providers() else "no execution provider"}

    def last_dense_layer(self, content: bytes, *, source: str) -> DenseLayer:
        raise NotAClassifierError(
            f"{source}: features and teaching read a LiteRT (.tflite) backbone; "
            "ONNX models are classified only"
        )

    def cut_before_last_dense(self, content: bytes, *, source: str) -> tuple[bytes, DenseLayer]:
        return content, self.last_dense_layer(content, source=source)
