"""The one interface between camviz and an inference runtime.

A :class:`Backend` turns model bytes into a :class:`LoadedModel` (tensors
described, ``run`` on one input) and answers the few questions the rest of
camviz asks of a model file: what it says about itself
(:class:`ModelDescription`), and, for feature extraction and teaching, its
last dense layer and the model cut before it. Everything runtime-specific
(TFLite interpreters, flatbuffers, metadata) lives behind it, in one module
per backend; :mod:`camviz.backends` picks the backend for a file.

To add a runtime (ONNX Runtime, say): write ``camviz/backends/onnx.py`` with a
class that satisfies :class:`Backend`, and register it in
:data:`camviz.backends.BACKENDS`. Nothing else changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from camviz.errors import AcceleratorError, OptionsError

__all__ = [
    "Accelerator",
    "Backend",
    "Delegate",
    "DelegateKind",
    "DenseLayer",
    "Layout",
    "LoadedModel",
    "ModelDescription",
    "ModelMetadata",
    "TensorSpec",
    "image_input_size",
]


class Layout(StrEnum):
    """How a model's image input is laid out. camviz feeds NHWC RGB; a backend whose model
    takes NCHW (or BGR) converts inside ``run``, so the rest of camviz never sees it."""

    NHWC = "NHWC"
    NCHW = "NCHW"


class Accelerator(StrEnum):
    """The kind of device a model runs on, as ``--accelerator`` names it."""

    CPU = "cpu"
    GPU = "gpu"
    NPU = "npu"

    @classmethod
    def parse(cls, text: str | Accelerator) -> Accelerator:
        try:
            return cls(str(text).strip().lower())
        except ValueError:
            raise OptionsError(
                f"--accelerator must be one of {', '.join(a.value for a in cls)}, got {text!r}"
            ) from None


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


@dataclass(frozen=True, slots=True)
class DenseLayer:
    """The last fully connected layer of a model, dequantised: ``logits = weights @ x + bias``."""

    input_name: str  # the tensor it reads (the pooled features)
    weights: npt.NDArray[np.float32]  # (outputs, inputs)
    bias: npt.NDArray[np.float32]  # (outputs,)


@dataclass(frozen=True)
class ModelMetadata:
    """What a model file says about itself (``None`` where it says nothing)."""

    name: str | None
    description: str | None
    labels: tuple[str, ...] | None
    mean: tuple[float, ...] | None
    std: tuple[float, ...] | None
    color_space: str | None
    version: str | None = None
    author: str | None = None
    license: str | None = None
    min_parser_version: str | None = None
    labels_file: str | None = None
    #: (locale, names) of each label file that carries a locale: MediaPipe's display names
    display_names: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: where ``mean``/``std`` came from when the backend supplied a default, not the file
    normalization_note: str | None = None

    def display_names_for(self, locale: str) -> tuple[str, ...] | None:
        """The display names in ``locale`` (the first such file), or None when there are none.

        As MediaPipe's ``display_names_locale`` picks them: ``labels`` is the first label
        file whatever its locale; display names come from the first one in ``locale``.
        """
        for have, names in self.display_names:
            if have == locale:
                return names
        return None

    @property
    def display_name_locales(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(locale for locale, _ in self.display_names))


@dataclass(frozen=True, slots=True)
class ModelDescription:
    """A backend's reading of a model file, without running it.

    ``output_op`` is the operator that computes output 0 (``"SOFTMAX"`` and ``"LOGISTIC"``
    mean probabilities), or ``None`` when the graph cannot be read.
    """

    metadata: ModelMetadata | None
    output_op: str | None

    @property
    def outputs_probabilities(self) -> bool | None:
        """True when output 0 comes from a softmax or a logistic (through ops that only move
        values): already probabilities, never normalised again."""
        return None if self.output_op is None else self.output_op in ("SOFTMAX", "LOGISTIC")


class DelegateKind(StrEnum):
    """Where a model's operators run."""

    XNNPACK = "xnnpack"  # CPU, with the XNNPACK delegate (the runtime's default)
    CPU = "cpu"  # CPU, the runtime's own kernels only (XNNPACK off)
    EXTERNAL = "external"  # a delegate library loaded by path (Edge TPU, GPU, ...)


@dataclass(frozen=True, slots=True)
class Delegate:
    """Which delegate runs the model, as benchmark_model and the Android example offer them.

    Written on the command line as ``xnnpack`` (default), ``cpu``, or a library
    path with options: ``/usr/lib/libedgetpu.so.1:device=usb,priority=1``.
    """

    kind: DelegateKind = DelegateKind.XNNPACK
    library: Path | None = None
    options: tuple[tuple[str, str], ...] = field(default=())

    def __post_init__(self) -> None:
        if (self.kind is DelegateKind.EXTERNAL) != (self.library is not None):
            raise OptionsError("an external delegate needs a library path, and only it takes one")
        if self.options and self.kind is not DelegateKind.EXTERNAL:
            raise OptionsError(f"the {self.kind.value} delegate takes no options")

    @classmethod
    def parse(cls, text: str) -> Delegate:
        """From ``xnnpack``, ``cpu`` or ``LIBRARY[:key=value,...]``."""
        value = text.strip()
        if value.lower() in (k.value for k in DelegateKind if k is not DelegateKind.EXTERNAL):
            return cls(DelegateKind(value.lower()))
        if not value:
            raise OptionsError("--delegate needs a value: xnnpack, cpu, or a library path")
        library, _, rest = value.partition(":")
        pairs: list[tuple[str, str]] = []
        for item in filter(None, (p.strip() for p in rest.split(","))):
            key, sep, val = item.partition("=")
            if not sep or not key.strip():
                raise OptionsError(
                    f"delegate option {item!r} is not key=value; write e.g. {library}:device=usb"
                )
            pairs.append((key.strip(), val.strip()))
        return cls(DelegateKind.EXTERNAL, Path(library).expanduser(), tuple(pairs))

    @staticmethod
    def refuse_external(delegate: Delegate | None, runtime: str) -> None:
        """Raise :class:`AcceleratorError` when ``delegate`` is an external TFLite delegate
        library: ``runtime`` (a runtime's title) takes none; it runs on a device instead."""
        if delegate is not None and delegate.kind is DelegateKind.EXTERNAL:
            raise AcceleratorError(
                f"{runtime} takes no TFLite delegate ({delegate}); choose a device with "
                "--accelerator cpu|gpu|npu"
            )

    def __str__(self) -> str:
        if self.kind is not DelegateKind.EXTERNAL:
            return self.kind.value
        opts = ",".join(f"{k}={v}" for k, v in self.options)
        return f"{self.library}" + (f":{opts}" if opts else "")


def image_input_size(spec: TensorSpec) -> tuple[int, int] | None:
    """(width, height) of an image input as every backend presents it (one NHWC image with
    3 colour channels, at least 8 x 8); None when ``spec`` is not such an input."""
    shape = spec.shape
    if len(shape) != 4 or shape[0] != 1 or shape[3] != 3 or min(shape[1:3]) < 8:
        return None
    return int(shape[2]), int(shape[1])


class LoadedModel(Protocol):
    """A model ready to run; created and used on one thread."""

    runtime: str  # which runtime package runs it, e.g. "litert"
    device: str  # where it runs, as the runtime names it: "CPU", "GPU.0", "CUDAExecutionProvider"
    delegate: Delegate
    load_ms: float
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]

    def run(self, tensor: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """Invoke on one input tensor (batch dimension included); return output 0."""
        ...

    def close(self) -> None: ...


class Backend(Protocol):
    """One runtime family (TFLite, ...) and the model files it reads."""

    name: str  # as --backend names it: "litert", "onnxruntime", "openvino"
    title: str  # as people name it: "LiteRT", "ONNX Runtime", "OpenVINO"
    family: str  # the model format's runtime, as messages say it: "TFLite", "ONNX", "OpenVINO"
    extra: str | None  # the pip extra that installs it (None: a core dependency)
    suffixes: tuple[str, ...]  # file suffixes it reads, lower case, e.g. (".tflite",)

    def load(
        self,
        content: bytes,
        *,
        threads: int,
        source: str,
        delegate: Delegate | None = None,
        accelerator: Accelerator = Accelerator.CPU,
    ) -> LoadedModel:
        """Load model bytes; raise ModelLoadError naming ``source`` when they are not a model,
        DelegateError naming the library when the delegate cannot be used, AcceleratorError
        naming what is missing when ``accelerator`` is not here."""
        ...

    def installed(self) -> bool:
        """True when its runtime package can be imported here."""
        ...

    def accelerators(self) -> tuple[Accelerator, ...]:
        """The accelerators it can use on this machine (CPU first)."""
        ...

    def version(self) -> str:
        """The runtime package's version ("" when it is not installed)."""
        ...

    def describe(self, content: bytes) -> ModelDescription:
        """Embedded metadata and the output operator; raise ModelLoadError on corrupt metadata."""
        ...

    def status(self) -> dict[str, str]:
        """For each runtime package, ``"ok"`` or why it cannot be used here."""
        ...

    def last_dense_layer(self, content: bytes, *, source: str) -> DenseLayer: ...

    def cut_before_last_dense(self, content: bytes, *, source: str) -> tuple[bytes, DenseLayer]:
        """The model with its last dense layer's input as output, and that layer."""
        ...
