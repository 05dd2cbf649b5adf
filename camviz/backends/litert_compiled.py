"""LiteRT's CompiledModel API: a ``.tflite`` on a GPU or an NPU, which the Interpreter cannot do.

``ai_edge_litert.compiled_model.CompiledModel`` with ``HardwareAccelerator.GPU`` (the
WebGPU/OpenCL accelerator library ai-edge-litert ships) or ``NPU`` (a vendor's
compiler plugin and dispatch library: Qualcomm, MediaTek, Intel OpenVINO). The
accelerator is asked for alone first, so a machine without it is an
:class:`~camviz.errors.AcceleratorError` naming what is missing, never a silent run
on the CPU; a model only partly supported runs with the CPU taking the rest, and
its device says so (``GPU+CPU``). The CPU keeps LiteRT's Interpreter
(:mod:`camviz.backends.tflite`): graph surgery for features, external delegates and
the in-place input view need it.

LiteRT's native logs (accelerator registry, WebGPU adapter search) are held back
and only their gist appears in an error.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

from camviz.backends import tflite_graph
from camviz.backends.base import Accelerator, Delegate, TensorSpec
from camviz.errors import AcceleratorError, ModelLoadError

__all__ = ["CompiledTFLiteModel", "load_compiled"]

_NEEDS = {
    Accelerator.GPU: "a GPU with a WebGPU (Vulkan) or OpenCL driver",
    Accelerator.NPU: "an NPU with its vendor's LiteRT compiler plugin and dispatch library",
}


@contextlib.contextmanager
def _native_logs(sink: list[str]) -> Iterator[None]:
    """Hold fd 2 while LiteRT's native code logs; its lines end up in ``sink``."""
    fd = 2  # native code writes to fd 2 whatever sys.stderr is (a GUI's, pytest's capture)
    with tempfile.TemporaryFile() as held:
        saved = os.dup(fd)
        with contextlib.suppress(AttributeError, OSError, ValueError):
            sys.stderr.flush()
        os.dup2(held.fileno(), fd)
        try:
            yield
        finally:
            with contextlib.suppress(AttributeError, OSError, ValueError):
                sys.stderr.flush()
            os.dup2(saved, fd)
            os.close(saved)
            held.seek(0)
            sink.extend(held.read().decode("utf-8", "replace").splitlines())


#: What LiteRT logs when the accelerator itself is absent (not merely short of some
#: operators), most telling first, per accelerator.
_ABSENT = {
    Accelerator.GPU: ("no adapters found", "failed to initialize webgpu", "gpu accelerator"),
    Accelerator.NPU: ("no compiler plugin found", "dispatch", "could not load shared library"),
}


def _absent(accelerator: Accelerator, error: str, logs: list[str]) -> str | None:
    """The log line that says the accelerator is not here, or None."""
    lines = [*logs, *error.splitlines()]
    for key in _ABSENT[accelerator]:
        for line in lines:
            if key in line.lower():
                return line.strip(" └")[:200]
    return None


def _gist(error: str, logs: list[str]) -> str:
    lines = [line.strip(" └") for line in [*error.splitlines(), *logs] if line.strip()]
    for key in ("No adapters found", "not accelerated", "Could not load", "not found", "Failed"):
        for line in lines:
            if key.lower() in line.lower():
                return line[:200]
    return (lines[-1] if lines else "no message")[:200]


def _spec(detail: dict[str, Any], index: int, quant: tuple[float, int]) -> TensorSpec:
    return TensorSpec(
        name=str(detail.get("name", "")),
        index=index,
        shape=tuple(int(d) for d in detail["shape"]),
        dtype=np.dtype(str(detail["dtype"])),
        scale=quant[0],
        zero_point=quant[1],
    )


class CompiledTFLiteModel:
    """A ``.tflite`` compiled for a GPU or NPU by LiteRT; use it on one thread only."""

    runtime: str = "litert"
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]

    def __init__(self, compiled: Any, content: bytes, device: str, load_ms: float) -> None:
        self._model: Any = compiled
        self.delegate = Delegate()
        self.device = device
        self.load_ms = load_ms
        signature = next(iter(compiled.get_signature_list()))
        ins = compiled.get_input_tensor_details(signature)
        outs = compiled.get_output_tensor_details(signature)
        in_q, out_q = tflite_graph.io_quantization(content)
        self.inputs = tuple(
            _spec(d, i, in_q[i] if i < len(in_q) else (0.0, 0)) for i, d in enumerate(ins.values())
        )
        self.outputs = tuple(
            _spec(d, i, out_q[i] if i < len(out_q) else (0.0, 0))
            for i, d in enumerate(outs.values())
        )
        self._in = compiled.create_input_buffers(0)
        self._out = compiled.create_output_buffers(0)

    def run(self, tensor: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """Invoke on one input tensor (batch dimension included); return output 0."""
        self._in[0].write(np.ascontiguousarray(tensor, dtype=self.inputs[0].dtype))
        self._model.run_by_index(0, self._in, self._out)
        out = self.outputs[0]
        values: npt.NDArray[Any] = self._out[0].read(int(np.prod(out.shape)), out.dtype)
        return values.reshape(out.shape)

    def close(self) -> None:
        self._in, self._out, self._model = [], [], None


def _compile(cm: Any, logs: list[str], content: bytes, **kwargs: Any) -> tuple[Any, str]:
    """(the compiled model, "") or (None, the error's text), LiteRT's logs held in ``logs``;
    a failure's LiteRT environment is collected while its logs are still held."""
    with _native_logs(logs):
        try:
            return cm.CompiledModel.from_buffer(content, **kwargs), ""
        except (RuntimeError, ValueError) as exc:
            error = str(exc)
        gc.collect()  # the failed environment's teardown logs land here, not on the terminal
    return None, error


def load_compiled(
    content: bytes, *, threads: int, source: str, accelerator: Accelerator
) -> CompiledTFLiteModel:
    """Compile ``content`` for ``accelerator`` with LiteRT's CompiledModel (the backend uses it
    for GPU and NPU; CPU, XNNPACK with ``threads``, is here for comparison with the Interpreter)."""
    try:
        cm = importlib.import_module("ai_edge_litert.compiled_model")
        options_lib = importlib.import_module("ai_edge_litert.options")
        hw = importlib.import_module("ai_edge_litert.hardware_accelerator").HardwareAccelerator
    except ImportError as exc:
        raise AcceleratorError(
            f"LiteRT's {accelerator.value.upper()} accelerator needs ai-edge-litert 2.x with "
            f"the CompiledModel API ({exc}); pip install -U ai-edge-litert, or --accelerator cpu"
        ) from exc
    name = accelerator.value.upper()
    logs: list[str] = []
    start = time.perf_counter()
    device = name
    if accelerator is Accelerator.CPU:  # XNNPACK with a thread count, through CompiledModel
        cpu = options_lib.Options(
            hardware_accelerators=hw.CPU, cpu_options=options_lib.CpuOptions(num_threads=threads)
        )
        compiled, error = _compile(cm, logs, content, options=cpu)
        if compiled is None:
            raise ModelLoadError(f"{source} is not a loadable TFLite model ({_gist(error, logs)})")
        return CompiledTFLiteModel(compiled, content, device, (time.perf_counter() - start) * 1e3)
    wanted = hw.GPU if accelerator is Accelerator.GPU else hw.NPU
    compiled, error = _compile(cm, logs, content, hardware_accel=wanted)
    if compiled is None:
        absent = _absent(accelerator, error, logs)
        if absent is not None or "not accelerated" not in error.lower():
            raise AcceleratorError(
                f"LiteRT has no {name} here ({absent or _gist(error, logs)}); it needs "
                f"{_NEEDS[accelerator]}, or run with --accelerator cpu"
            )
        # the accelerator is there but takes only some operators: the CPU runs the rest
        options = options_lib.Options(
            hardware_accelerators=wanted | hw.CPU,
            cpu_options=options_lib.CpuOptions(num_threads=threads),
        )
        compiled, error = _compile(cm, logs, content, options=options)
        if compiled is None:
            raise ModelLoadError(
                f"{source} cannot be compiled for LiteRT's {name} ({_gist(error, logs)})"
            )
        device = f"{name}+CPU"
    load_ms = (time.perf_counter() - start) * 1000.0
    return CompiledTFLiteModel(compiled, content, device, load_ms)
