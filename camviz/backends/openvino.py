"""The OpenVINO backend (``camviz[openvino]``): ``.tflite``, ``.onnx`` and IR (``.xml`` + ``.bin``).

OpenVINO reads the zoo's ``.tflite`` files directly (its TFLite frontend) and is
often the faster runtime on Intel CPUs; it runs on the ``CPU``, and on a ``GPU``
or ``NPU`` where one is present (``--accelerator``; a clear error names what is
missing otherwise). As every backend, :class:`OpenVinoModel` takes NHWC RGB and
converts to the model's layout inside :meth:`OpenVinoModel.run`.

What a file says about itself is read by the backend of its format (the TFLite
metadata of a ``.tflite``, the metadata_props of an ``.onnx``); an IR says nothing.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from camviz.backends import onnx as onnx_backend
from camviz.backends import tflite_graph, tflite_metadata
from camviz.backends.base import (
    Accelerator,
    Delegate,
    DenseLayer,
    Layout,
    ModelDescription,
    TensorSpec,
)
from camviz.backends.cpu import cpu_has_int8_dot_product
from camviz.errors import AcceleratorError, ModelLoadError, NotAClassifierError

__all__ = [
    "OpenVinoBackend",
    "OpenVinoModel",
    "cpu_has_int8_dot_product",  # from camviz.backends.cpu
    "devices",
    "file_kind",
    "int8_kernels_used",
]

_DEVICES = {Accelerator.CPU: "CPU", Accelerator.GPU: "GPU", Accelerator.NPU: "NPU"}
_INSTALL = {
    Accelerator.GPU: "an Intel GPU with its compute runtime (intel-opencl-icd / Level Zero)",
    Accelerator.NPU: "an Intel NPU (Core Ultra) with its driver (intel-npu-driver)",
}
_DTYPES = {"f32": np.float32, "f16": np.float16, "u8": np.uint8, "i8": np.int8}
#: OpenVINO's CPU property that switches the low-precision transformations (an internal key
#: of its CPU plugin, not in SUPPORTED_PROPERTIES: a release without it is compiled without)
_LOW_PRECISION_KEY = "LP_TRANSFORMS_MODE"


def _ov() -> Any:
    return importlib.import_module("openvino")


def devices() -> tuple[str, ...]:
    """The devices OpenVINO sees here (``CPU``, ``GPU.0``, ``NPU``...); () when not installed."""
    try:
        return tuple(str(d) for d in _ov().Core().available_devices)
    except ImportError:
        return ()


def file_kind(content: bytes) -> str:
    """``"tflite"``, ``"ir"`` or ``"onnx"``, from the bytes."""
    if content[4:8] == b"TFL3":
        return "tflite"
    head = content[:256].lstrip()
    if head.startswith((b"<?xml", b"<net")):
        return "ir"
    return "onnx"


def int8_kernels_used(accelerator: Accelerator = Accelerator.CPU) -> bool:
    """Whether camviz lets OpenVINO run a quantised model's operators as int8 kernels on
    ``accelerator``: everywhere but on a CPU without an int8 dot product (camviz.backends.cpu)."""
    return Accelerator.parse(accelerator) is not Accelerator.CPU or cpu_has_int8_dot_product()


def _device_for(accelerator: Accelerator) -> str:
    wanted = _DEVICES[accelerator]
    have = devices()
    for name in have:
        if name == wanted or name.startswith(wanted + "."):
            return name
    raise AcceleratorError(
        f"OpenVINO sees no {wanted} here (it sees: {', '.join(have) or 'no device'}); "
        f"it needs {_INSTALL.get(accelerator, 'a CPU')}, or run with --accelerator cpu"
    )


class OpenVinoModel:
    """A compiled OpenVINO model seen as camviz sees every model: NHWC RGB in, output 0 out."""

    runtime: str = "openvino"
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]

    def __init__(
        self,
        compiled: Any,
        *,
        source: str,
        load_ms: float,
        device: str,
        quantization: tuple[tuple[tuple[float, int], ...], ...] | None,
        bgr: bool,
    ) -> None:
        self._request: Any = compiled.create_infer_request()
        self.delegate = Delegate()
        self.load_ms = load_ms
        self.device = device
        self._bgr = bgr
        ins, outs = list(compiled.inputs), list(compiled.outputs)
        if len(ins) != 1:
            raise NotAClassifierError(
                f"{source} has {len(ins)} inputs; an image classifier has one image input"
            )
        shape = tuple(d.get_length() if d.is_static else None for d in ins[0].get_partial_shape())
        self.layout, height, width = onnx_backend.image_layout(shape, source)
        in_q, out_q = quantization or ((), ())
        dtype = np.dtype(_DTYPES.get(ins[0].get_element_type().get_type_name(), np.float32))
        self._feed = dtype
        shown = np.dtype(np.float32) if dtype == np.float16 else dtype
        scale, zero = in_q[0] if in_q else (0.0, 0)
        self.inputs = (TensorSpec(_name(ins[0]), 0, (1, height, width, 3), shown, scale, zero),)
        specs = []
        for i, port in enumerate(outs):
            dims = tuple(d.get_length() if d.is_static else 1 for d in port.get_partial_shape())
            kind = np.dtype(_DTYPES.get(port.get_element_type().get_type_name(), np.float32))
            o_scale, o_zero = out_q[i] if i < len(out_q) else (0.0, 0)
            if not np.issubdtype(kind, np.integer):
                o_scale, o_zero = 0.0, 0  # dequantised inside by OpenVINO
            specs.append(TensorSpec(_name(port), i, dims, kind, o_scale, o_zero))
        self.outputs = tuple(specs)

    def run(self, tensor: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """Invoke on one NHWC RGB tensor (batch included); return output 0."""
        if self._bgr:
            tensor = tensor[..., ::-1]
        if self.layout is Layout.NCHW:
            tensor = tensor.transpose(0, 3, 1, 2)
        feed = np.ascontiguousarray(tensor, dtype=self._feed)
        self._request.infer({0: feed})
        out: npt.NDArray[Any] = self._request.get_output_tensor(0).data.copy()
        return out

    def close(self) -> None:
        self._request = None


def _name(port: Any) -> str:
    names = sorted(port.get_names())
    return str(names[0]) if names else ""


class OpenVinoBackend:
    """OpenVINO behind the :class:`~camviz.backends.base.Backend` interface."""

    name: str = "openvino"
    title: str = "OpenVINO"
    family: str = "OpenVINO"
    extra: str | None = "openvino"
    suffixes: tuple[str, ...] = (".xml", ".tflite", ".lite", ".onnx")

    def load(
        self,
        content: bytes,
        *,
        threads: int,
        source: str,
        delegate: Delegate | None = None,
        accelerator: Accelerator = Accelerator.CPU,
    ) -> OpenVinoModel:
        ov = _ov()
        Delegate.refuse_external(delegate, self.title)
        device = _device_for(Accelerator.parse(accelerator))
        kind = file_kind(content)
        core = ov.Core()
        config: dict[str, Any] = {"PERFORMANCE_HINT": "LATENCY"}
        if device.startswith("CPU"):
            config["INFERENCE_NUM_THREADS"] = threads
            # f32 as the model says: on CPUs with bf16 or AMX, OpenVINO's default lowers the
            # precision, and the same weights must give the same probabilities on every runtime
            config["INFERENCE_PRECISION_HINT"] = "f32"
            if not cpu_has_int8_dot_product():
                config[_LOW_PRECISION_KEY] = "NO"  # int8 as its float arithmetic (see above)
        start = time.perf_counter()
        try:
            model = self._read(core, content, kind, source)
            compiled = self._compile(core, model, device, config)
        except (RuntimeError, OSError, ValueError) as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[-1]
            raise ModelLoadError(
                f"{source} is not a model OpenVINO can load ({first[:300]}); choose a .tflite, "
                ".onnx or OpenVINO IR (.xml with its .bin) image classifier"
            ) from exc
        load_ms = (time.perf_counter() - start) * 1000.0
        quantization = tflite_graph.io_quantization(content) if kind == "tflite" else None
        bgr = False
        if kind == "onnx":
            bgr = onnx_backend.wants_bgr(content)
        return OpenVinoModel(
            compiled,
            source=source,
            load_ms=load_ms,
            device=device,
            quantization=quantization,
            bgr=bgr,
        )

    @staticmethod
    def _compile(core: Any, model: Any, device: str, config: dict[str, Any]) -> Any:
        try:
            return core.compile_model(model, device, config)
        except RuntimeError as exc:
            if _LOW_PRECISION_KEY not in config or _LOW_PRECISION_KEY not in str(exc):
                raise
            # a release without the key: its own int8 kernels, as on any CPU
            return core.compile_model(
                model, device, {k: v for k, v in config.items() if k != _LOW_PRECISION_KEY}
            )

    @staticmethod
    def _read(core: Any, content: bytes, kind: str, source: str) -> Any:
        if kind == "ir":
            weights = Path(source).with_suffix(".bin")
            if not weights.is_file():
                raise ModelLoadError(
                    f"{source} is an OpenVINO IR without its weights: {weights.name} is not "
                    "beside it; copy the .bin next to the .xml"
                )
            return core.read_model(str(Path(source)), str(weights))
        # OpenVINO's TFLite and ONNX frontends read files: hand them the bytes checked here
        handle, name = tempfile.mkstemp(suffix="." + kind, prefix="camviz-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(content)
            return core.read_model(name)
        finally:
            os.unlink(name)

    def installed(self) -> bool:
        """Whether openvino can be imported, found without importing it (its import is
        slow and starts a telemetry thread that never ends)."""
        try:
            return importlib.util.find_spec("openvino") is not None
        except (ImportError, ValueError):
            return False

    def accelerators(self) -> tuple[Accelerator, ...]:
        have = devices()
        return tuple(
            a for a, d in _DEVICES.items() if any(n == d or n.startswith(d + ".") for n in have)
        )

    def version(self) -> str:
        try:
            return f"openvino {importlib.metadata.version('openvino')}"
        except importlib.metadata.PackageNotFoundError:
            return ""

    def describe(self, content: bytes) -> ModelDescription:
        kind = file_kind(content)
        if kind == "tflite":
            return ModelDescription(
                metadata=tflite_metadata.read_metadata(content),
                output_op=tflite_graph.output_producer(content),
            )
        if kind == "onnx":
            return onnx_backend.OnnxBackend().describe(content)
        return ModelDescription(metadata=None, output_op=None)

    def status(self) -> dict[str, str]:
        try:
            _ov()
        except ImportError as exc:
            return {"openvino": f"not installed ({exc}); pip install 'camviz[openvino]'"}
        return {"openvino": "ok"}

    def last_dense_layer(self, content: bytes, *, source: str) -> DenseLayer:
        raise NotAClassifierError(
            f"{source}: features and teaching run on LiteRT; use --backend litert for them"
        )

    def cut_before_last_dense(self, content: bytes, *, source: str) -> tuple[bytes, DenseLayer]:
        return content, self.last_dense_layer(content, source=source)
