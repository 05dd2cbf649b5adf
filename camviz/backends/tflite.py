"""The TFLite backend: the only module of camviz that imports a TensorFlow Lite runtime.

``ai-edge-litert`` (the maintained LiteRT runtime) is preferred; ``tflite-runtime``
is the fallback. ``CAMVIZ_RUNTIME=litert`` or ``CAMVIZ_RUNTIME=tflite-runtime``
forces one. Interpreters are not thread-safe: a :class:`TFLiteModel` must be
created and used on one thread (the pipeline's inference thread).

:class:`TFLiteBackend` is this runtime behind :class:`camviz.backends.base.Backend`;
graph surgery is in :mod:`camviz.backends.tflite_graph`, metadata reading in
:mod:`camviz.backends.tflite_metadata`.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from camviz.backends import litert_compiled, tflite_graph, tflite_metadata
from camviz.backends.base import (
    Accelerator,
    Delegate,
    DelegateKind,
    DenseLayer,
    ModelDescription,
    TensorSpec,
)
from camviz.errors import AcceleratorError, DelegateError, ModelLoadError, RuntimeUnavailableError

__all__ = ["RUNTIMES", "TFLiteBackend", "TFLiteModel", "load_model", "runtime_status"]

#: Runtime names in order of preference, with the module that provides the Interpreter.
RUNTIMES: dict[str, str] = {
    "litert": "ai_edge_litert.interpreter",
    "tflite-runtime": "tflite_runtime.interpreter",
}


class _NumpyAbiMismatch(ImportError):
    """The runtime's binary was built for another NumPy major version."""


def _interpreter_class(name: str) -> Any:
    return _runtime_module(name).Interpreter


def _runtime_module(name: str) -> Any:
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
    return module


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

    def __init__(
        self, interpreter: Any, runtime: str, load_ms: float, delegate: Delegate | None = None
    ) -> None:
        self._interpreter = interpreter
        self.runtime = runtime
        self.delegate = delegate or Delegate()
        self.device = "CPU" if self.delegate.kind is not DelegateKind.EXTERNAL else "delegate"
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

    def run_filled(self, fill: Callable[[npt.NDArray[Any]], None]) -> npt.NDArray[Any]:
        """Like :meth:`run`, with the input written in place: ``fill`` gets the input tensor's
        own memory (``interpreter.tensor()``, batch dimension included) and must not keep it."""
        interpreter = self._interpreter
        fill(interpreter.tensor(self.inputs[0].index)())
        interpreter.invoke()
        out: npt.NDArray[Any] = interpreter.get_tensor(self.outputs[0].index)
        return out

    def close(self) -> None:
        self._interpreter = None


def _delegate_kwargs(module: Any, delegate: Delegate) -> dict[str, Any]:
    """Interpreter arguments for ``delegate``; DelegateError naming the library if it fails."""
    if delegate.kind is DelegateKind.XNNPACK:
        return {}
    if delegate.kind is DelegateKind.CPU:
        return {
            "experimental_op_resolver_type": module.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
        }
    library = delegate.library
    if library is None or not library.is_file():
        raise DelegateError(
            f"delegate library {library} does not exist; give the path of a TFLite delegate "
            "(.so) or use --delegate xnnpack"
        )
    _check_delegate_library(library)
    try:
        loaded = module.load_delegate(str(library), dict(delegate.options))
    except (ValueError, OSError, RuntimeError, AttributeError) as exc:
        raise DelegateError(
            f"delegate library {library} cannot be loaded ({_first_line(exc)}); check that it "
            "is a TFLite delegate and that its driver is installed, or use --delegate xnnpack"
        ) from exc
    return {"experimental_delegates": [loaded]}


#: The entry points of TFLite's external delegate interface.
_DELEGATE_SYMBOLS = ("tflite_plugin_create_delegate", "tflite_plugin_destroy_delegate")


def _check_delegate_library(library: Path) -> None:
    """Open the library ourselves first: a file that is not a TFLite delegate is named plainly."""
    try:
        handle = ctypes.CDLL(str(library))
    except OSError as exc:
        raise DelegateError(
            f"delegate library {library} cannot be loaded ({_first_line(exc)}); check that it is "
            "built for this machine and that its driver is installed, or use --delegate xnnpack"
        ) from exc
    missing = [name for name in _DELEGATE_SYMBOLS if not hasattr(handle, name)]
    if missing:
        raise DelegateError(
            f"delegate library {library} cannot be loaded: it is not a TFLite delegate "
            f"(no {missing[0]}); give a delegate such as libedgetpu.so.1, or use --delegate xnnpack"
        )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def load_model(
    content: bytes, *, threads: int, source: str, delegate: Delegate | None = None
) -> TFLiteModel:
    """Create an interpreter from model bytes, allocate its tensors and describe them.

    Raises :class:`ModelLoadError` naming ``source`` if the bytes are not a
    loadable TFLite model, :class:`DelegateError` naming the library if the
    delegate cannot be used, :class:`RuntimeUnavailableError` if no runtime works.
    """
    delegate = delegate or Delegate()
    reasons: list[str] = []
    for name in _candidates():
        try:
            module = _runtime_module(name)
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
        extra = _delegate_kwargs(module, delegate)
        try:
            with _native_stderr_filtered():
                interpreter = module.Interpreter(
                    model_content=content, num_threads=threads, **extra
                )
                interpreter.allocate_tensors()
        except (ValueError, RuntimeError, SystemError, ImportError) as exc:
            hint = _numpy_abi_hint(name, exc)
            if hint.startswith(f"{name} was compiled"):
                reasons.append(hint)
                continue
            first_line = _first_line(exc)
            if delegate.kind is DelegateKind.EXTERNAL and "delegate" in first_line.lower():
                raise DelegateError(
                    f"delegate library {delegate.library} cannot run {source} ({first_line}); "
                    "use --delegate xnnpack to run it on the CPU"
                ) from exc
            raise ModelLoadError(
                f"{source} is not a loadable TFLite model ({first_line}); "
                "choose a .tflite image classifier or a model from `camviz models`"
            ) from exc
        load_ms = (time.perf_counter() - start) * 1000.0
        return TFLiteModel(interpreter, name, load_ms, delegate)
    raise RuntimeUnavailableError(
        "no TFLite runtime can be used: "
        + "; ".join(reasons)
        + ". Install one with  pip install ai-edge-litert"
    )


class TFLiteBackend:
    """TensorFlow Lite (``.tflite``) behind the :class:`~camviz.backends.base.Backend` interface."""

    name: str = "litert"
    title: str = "LiteRT"
    family: str = "TFLite"
    extra: str | None = None
    suffixes: tuple[str, ...] = (".tflite", ".lite")

    def load(
        self,
        content: bytes,
        *,
        threads: int,
        source: str,
        delegate: Delegate | None = None,
        accelerator: Accelerator = Accelerator.CPU,
    ) -> TFLiteModel | litert_compiled.CompiledTFLiteModel:
        accelerator = Accelerator.parse(accelerator)
        if accelerator is Accelerator.CPU:
            return load_model(content, threads=threads, source=source, delegate=delegate)
        if delegate is not None and delegate.kind is DelegateKind.EXTERNAL:
            raise AcceleratorError(
                f"--accelerator {accelerator.value} and an external delegate ({delegate}) both "
                "choose where the model runs; give one of them"
            )
        # GPU and NPU: LiteRT's CompiledModel (the Interpreter has no such accelerators)
        return litert_compiled.load_compiled(
            content, threads=threads, source=source, accelerator=accelerator
        )

    def installed(self) -> bool:
        return "ok" in runtime_status().values()

    def accelerators(self) -> tuple[Accelerator, ...]:
        """CPU (the Interpreter), and GPU and NPU when this ai-edge-litert has CompiledModel
        (whether the device is present is known when a model is compiled for it)."""
        try:
            importlib.import_module("ai_edge_litert.compiled_model")
        except ImportError:
            return (Accelerator.CPU,)
        return (Accelerator.CPU, Accelerator.GPU, Accelerator.NPU)

    def version(self) -> str:
        for name in _candidates():
            with contextlib.suppress(Exception):
                package = importlib.import_module(RUNTIMES[name].rpartition(".")[0])
                return f"{name} {getattr(package, '__version__', '?')}"
        return ""

    def describe(self, content: bytes) -> ModelDescription:
        return ModelDescription(
            metadata=tflite_metadata.read_metadata(content),
            output_op=tflite_graph.output_producer(content),
        )

    def status(self) -> dict[str, str]:
        return runtime_status()

    def last_dense_layer(self, content: bytes, *, source: str) -> DenseLayer:
        return tflite_graph.last_dense_layer(content, source=source)

    def cut_before_last_dense(self, content: bytes, *, source: str) -> tuple[bytes, DenseLayer]:
        return tflite_graph.cut_before_last_dense(content, source=source)
