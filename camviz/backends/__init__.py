"""Inference backends behind one interface (:class:`~camviz.backends.base.Backend`), and the
registry: the only place of camviz that knows a runtime.

camviz never talks to a runtime directly. It asks this registry which files are
models (:func:`model_file_suffixes`, :func:`is_model_file`, :func:`file_dialog_filter`),
which backends and accelerators there are (:func:`backend_names`, :func:`accelerators`),
which backend reads a model (:func:`backend_for`), and uses what
:mod:`camviz.backends.base` defines. The backends, in order of preference for the
files they read:

* ``litert``: LiteRT (:mod:`camviz.backends.tflite`; ai-edge-litert, tflite-runtime as
  the fallback), ``.tflite``; a core dependency.
* ``onnxruntime``: ONNX Runtime (:mod:`camviz.backends.onnx`), ``.onnx``; ``camviz[onnx]``.
* ``openvino``: OpenVINO (:mod:`camviz.backends.openvino`), ``.tflite``, ``.onnx`` and IR
  (``.xml`` with its ``.bin``); ``camviz[openvino]``.

Only this package imports a runtime. It imports only camviz's foundation
(errors); the classifier, features, teach, loading and everything above use it.
Adding a runtime: one module here and one entry in :data:`BACKENDS`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from camviz.backends import choice, tflite_graph
from camviz.backends import onnx as onnx_backend
from camviz.backends import openvino as openvino_backend
from camviz.backends.base import (
    Accelerator,
    Backend,
    Delegate,
    DelegateKind,
    DenseLayer,
    Layout,
    LoadedModel,
    ModelDescription,
    ModelMetadata,
    TensorSpec,
    image_input_size,
)
from camviz.backends.onnx import OnnxBackend
from camviz.backends.openvino import OpenVinoBackend
from camviz.backends.tflite import TFLiteBackend
from camviz.backends.tflite_metadata_writer import (
    LABELS_NAME,
    DisplayNames,
    ImageClassifierMetadata,
    add_metadata,
)
from camviz.errors import ExtraNotInstalledError, ModelLoadError, OptionsError

__all__ = [
    "AUTO",
    "BACKENDS",
    "LABELS_NAME",
    "Accelerator",
    "Backend",
    "Delegate",
    "DelegateKind",
    "DenseLayer",
    "DisplayNames",
    "ImageClassifierMetadata",
    "Layout",
    "LoadedModel",
    "ModelDescription",
    "ModelMetadata",
    "RuntimeDevices",
    "TensorSpec",
    "accelerators",
    "add_metadata",
    "auto_choice_key",
    "default_delegate",
    "export_backend",
    "export_suffix",
    "op_profile_backend",
    "op_profile_hint",
    "operator_prefixes",
    "profiles_operators",
    "with_taught_head",
    "backend_choices",
    "backend_for",
    "backend_names",
    "canonical_backend_name",
    "is_backend_name",
    "model_files_hint",
    "remembered_backend",
    "runtime_family",
    "backends_for",
    "default_backend",
    "delegate_choices",
    "delegate_runs",
    "file_dialog_filter",
    "image_input_size",
    "is_model_file",
    "load_model",
    "model_file_suffixes",
    "runtime_devices",
    "runtime_status",
]

#: ``--backend auto``: the first installed backend that reads the file.
AUTO = "auto"

#: Every backend camviz can use, by name, in order of preference; the first is the default.
_ALL: tuple[Backend, ...] = (TFLiteBackend(), OnnxBackend(), OpenVinoBackend())
BACKENDS: dict[str, Backend] = {b.name: b for b in _ALL}

#: Other names a backend answers to (the LiteRT backend was called ``tflite``).
_ALIASES = {"tflite": "litert", "onnx": "onnxruntime", "ort": "onnxruntime", "ov": "openvino"}


def default_backend() -> Backend:
    return next(iter(BACKENDS.values()))


def backend_names() -> tuple[str, ...]:
    """The backends by name, in order of preference: ``("litert", "onnxruntime", "openvino")``."""
    return tuple(BACKENDS)


def backend_choices() -> tuple[str, ...]:
    """What ``--backend`` takes: ``auto`` and every backend's name."""
    return (AUTO, *BACKENDS)


def accelerators() -> tuple[str, ...]:
    """What ``--accelerator`` takes: ``cpu``, ``gpu``, ``npu``."""
    return tuple(a.value for a in Accelerator)


def delegate_choices() -> tuple[str, ...]:
    """The delegates ``--delegate`` names by word (``xnnpack``, ``cpu``); a library path is
    the other kind."""
    return tuple(k.value for k in DelegateKind if k is not DelegateKind.EXTERNAL)


def default_delegate() -> str:
    """How ``--delegate`` names its default (``xnnpack``): ``str(Delegate())``."""
    return str(Delegate())


def delegate_runs(runtime: str, device: str) -> bool:
    """Whether a model that ran on ``runtime`` and ``device`` (``ModelInfo.runtime`` and
    ``.device``) ran through a ``--delegate``: LiteRT's Interpreter does (XNNPACK, its own
    kernels or an external library); LiteRT's CompiledModel on a GPU or NPU, ONNX Runtime
    and OpenVINO do not (they name a device)."""
    return runtime == TFLiteBackend.name and device in ("CPU", "delegate")


def model_file_suffixes() -> tuple[str, ...]:
    """Every suffix of a model file some backend reads (installed or not), lower case."""
    return tuple(dict.fromkeys(s for b in BACKENDS.values() for s in b.suffixes))


def is_model_file(path: str | Path) -> bool:
    """True when ``path``'s suffix is one a backend reads (``.tflite``, ``.onnx``, ``.xml``...)."""
    return Path(path).suffix.lower() in model_file_suffixes()


def file_dialog_filter(extra: tuple[str, ...] = ()) -> str:
    """A Qt file dialog's name filter for model files: ``Models (*.tflite *.lite ...)``,
    with the ``extra`` suffixes a front end also opens (taught heads)."""
    return "Models (" + " ".join(f"*{s}" for s in (*model_file_suffixes(), *extra)) + ")"


def is_backend_name(name: str) -> bool:
    """True for ``auto``, a backend's name, or one of their other names (``tflite``, ``onnx``)."""
    key = name.strip().lower()
    return key == AUTO or key in BACKENDS or key in _ALIASES


def canonical_backend_name(name: str) -> str:
    """``auto`` or the backend's own name for ``name`` (``tflite`` -> ``litert``)."""
    key = name.strip().lower()
    if key == AUTO:
        return AUTO
    return _named(key).name


def runtime_family(path: str | Path) -> str:
    """How messages name the runtime that reads ``path``: ``TFLite``, ``ONNX``, ``OpenVINO``."""
    found = backends_for(path)
    return (found[0] if found else default_backend()).family


def model_files_hint() -> str:
    """``.tflite, .lite, .onnx or .xml``: the model files camviz reads, for messages."""
    suffixes = model_file_suffixes()
    return ", ".join(suffixes[:-1]) + " or " + suffixes[-1] if len(suffixes) > 1 else suffixes[0]


def _named(name: str) -> Backend:
    key = _ALIASES.get(name.strip().lower(), name.strip().lower())
    backend = BACKENDS.get(key)
    if backend is None:
        raise OptionsError(f"--backend must be one of {', '.join(backend_choices())}, got {name!r}")
    return backend


def _missing(backend: Backend, what: str) -> ExtraNotInstalledError:
    status = "; ".join(f"{k}: {v}" for k, v in backend.status().items() if v != "ok")
    return ExtraNotInstalledError(what, backend.extra or backend.name, status or backend.name)


def backends_for(path: str | Path | None) -> tuple[Backend, ...]:
    """Every backend that reads ``path``'s suffix, in order of preference, installed or not."""
    suffix = Path(path).suffix.lower() if path is not None else ""
    return tuple(b for b in BACKENDS.values() if suffix in b.suffixes)


def backend_for(
    path: str | Path | None = None,
    name: str = AUTO,
    accelerator: Accelerator | str = Accelerator.CPU,
) -> Backend:
    """The backend that runs ``path``: the one ``name`` names, or (``auto``) the one
    ``camviz bench --backend all`` measured fastest for this file on this machine and
    ``accelerator`` (:mod:`camviz.backends.choice`), else the first installed one that
    reads its suffix.

    An unclaimed suffix is not refused under ``auto``: the default backend reads the
    bytes and, if they are not its kind of model, says so naming the file. A named
    backend that is not installed, or that does not read the suffix, is refused here
    with what to install or what to choose.
    """
    if name and name.strip().lower() != AUTO:
        backend = _named(name)
        if not backend.installed():
            raise _missing(backend, f"--backend {backend.name}")
        suffix = Path(path).suffix.lower() if path is not None else ""
        if path is not None and suffix not in backend.suffixes:
            readers = ", ".join(b.name for b in backends_for(path)) or "none"
            raise ModelLoadError(
                f"{Path(path).name}: {backend.title} does not read {suffix or 'suffix-less'} "
                f"files (it reads {', '.join(backend.suffixes)}); backends that do: {readers}"
            )
        return backend
    found = backends_for(path)
    if not found:
        return default_backend()
    installed = [candidate for candidate in found if candidate.installed()]
    if not installed:
        raise _missing(found[0], f"a {Path(str(path)).suffix} model")
    if len(installed) > 1 and path is not None:
        fastest = remembered_backend(Path(path), accelerator, installed)
        if fastest is not None:
            return fastest
    return installed[0]


def auto_choice_key(content: bytes, accelerator: Accelerator | str = Accelerator.CPU) -> str:
    """The key ``auto``'s choice for these model bytes is remembered under (sha256, device,
    the installed runtimes' versions, the CPU)."""
    versions = (b.version() for b in BACKENDS.values() if b.installed())
    return choice.choice_key(choice.sha256_of(content), str(accelerator), versions)


def remembered_backend(
    path: Path, accelerator: Accelerator | str, candidates: list[Backend]
) -> Backend | None:
    """The backend ``camviz bench --backend all`` measured fastest for ``path`` here, if any."""
    if not choice.cache_path().is_file():
        return None
    try:
        content = path.read_bytes()
    except OSError:
        return None
    name = choice.remembered(auto_choice_key(content, accelerator))
    return next((b for b in candidates if b.name == name), None)


def load_model(
    content: bytes,
    *,
    threads: int,
    source: str,
    backend: Backend | None = None,
    delegate: Delegate | None = None,
    accelerator: Accelerator = Accelerator.CPU,
) -> LoadedModel:
    """Load model bytes with ``backend`` (by default the one for ``source``'s suffix)."""
    chosen = backend or backend_for(source)
    return chosen.load(
        content, threads=threads, source=source, delegate=delegate, accelerator=accelerator
    )


@dataclass(frozen=True, slots=True)
class RuntimeDevices:
    """One installed backend: its version, the accelerators it can use here, and what its
    runtime lists (ONNX Runtime's execution providers, OpenVINO's devices)."""

    version: str
    accelerators: tuple[str, ...]
    lists: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "version": self.version,
            "accelerators": list(self.accelerators),
            "lists": list(self.lists),
        }


def runtime_devices() -> dict[str, RuntimeDevices]:
    """Every installed backend by name, with its version and devices."""
    listed = {
        "litert": lambda: (
            "GPU and NPU found, or refused naming what is missing, at compile time",
        ),
        "onnxruntime": onnx_backend.execution_providers,
        "openvino": openvino_backend.devices,
    }
    found: dict[str, RuntimeDevices] = {}
    for backend in BACKENDS.values():
        if backend.installed():
            found[backend.name] = RuntimeDevices(
                backend.version(),
                tuple(a.value for a in backend.accelerators()),
                listed[backend.name]() if backend.name in listed else (),
            )
    return found


def runtime_status() -> dict[str, str]:
    """For every backend's runtime packages, ``"ok"`` or why it cannot be used here."""
    status: dict[str, str] = {}
    for backend in BACKENDS.values():
        status.update(backend.status())
    return status


def export_backend() -> Backend:
    """The backend whose format a taught head is exported in (``camviz export-head``): the
    default one, LiteRT, whose ``.tflite`` the zoo ships and MediaPipe reads."""
    return default_backend()


def export_suffix() -> str:
    """The suffix of an exported taught model (``.tflite``)."""
    return export_backend().suffixes[0]


def with_taught_head(
    backbone: bytes,
    weights: npt.NDArray[np.float32],
    bias: npt.NDArray[np.float32],
    output_range: tuple[float, float],
    *,
    source: str,
) -> bytes:
    """The ``backbone`` model (its shipped int8 file) with its last dense layer computing
    ``weights @ x + bias`` (quantised over ``output_range``), then a softmax: graph surgery
    in the export format (:func:`camviz.backends.tflite_graph.with_last_dense`). Standard
    metadata is added by :func:`add_metadata`."""
    return tflite_graph.with_last_dense(backbone, weights, bias, output_range, source=source)


def op_profile_backend() -> Backend:
    """The backend ``bench --op-profile`` times operators on: LiteRT, by timing prefixes of
    the model's graph (:func:`operator_prefixes`); no other runtime here offers it."""
    return default_backend()


def profiles_operators(path: str | Path) -> bool:
    """Whether ``bench --op-profile`` can time the operators of the model at ``path``."""
    return Path(path).suffix.lower() in op_profile_backend().suffixes


def op_profile_hint() -> str:
    """What ``--op-profile`` takes, for help and messages: ``a LiteRT (.tflite, .lite) model``."""
    backend = op_profile_backend()
    return f"a {backend.title} ({', '.join(backend.suffixes)}) model"


def operator_prefixes(content: bytes, *, source: str) -> Iterator[tuple[str, str, bytes]]:
    """For each operator in execution order: its name, its first output's name and the model
    that runs the operators up to it (:func:`camviz.backends.tflite_graph.operator_prefixes`);
    load each with :func:`op_profile_backend`."""
    return tflite_graph.operator_prefixes(content, source=source)
