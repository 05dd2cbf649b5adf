"""Inference backends behind one interface (:class:`~camviz.backends.base.Backend`).

camviz never talks to a runtime directly: it asks :func:`backend_for` which
backend reads a model file and uses what :mod:`camviz.backends.base` defines.
Today there is one backend, TFLite (:mod:`camviz.backends.tflite`, with
ai-edge-litert preferred and tflite-runtime as the fallback).

Only this package imports a runtime. It imports only camviz's foundation
(errors); the classifier, features, teach, loading and everything above use it.
Adding a runtime: one module here and one entry in :data:`BACKENDS`.
"""

from __future__ import annotations

from pathlib import Path

from camviz.backends.base import (
    Backend,
    Delegate,
    DelegateKind,
    DenseLayer,
    LoadedModel,
    ModelDescription,
    ModelMetadata,
    TensorSpec,
)
from camviz.backends.tflite import TFLiteBackend

__all__ = [
    "BACKENDS",
    "Backend",
    "Delegate",
    "DelegateKind",
    "DenseLayer",
    "LoadedModel",
    "ModelDescription",
    "ModelMetadata",
    "TensorSpec",
    "backend_for",
    "default_backend",
    "load_model",
    "runtime_status",
]

#: Every backend camviz can use, by name; the first is the default.
BACKENDS: dict[str, Backend] = {"tflite": TFLiteBackend()}


def default_backend() -> Backend:
    return next(iter(BACKENDS.values()))


def backend_for(path: str | Path | None = None) -> Backend:
    """The backend that claims ``path``'s suffix; the default one otherwise.

    An unclaimed suffix is not refused here: the default backend reads the bytes
    and, if they are not its kind of model, says so naming the file.
    """
    suffix = Path(path).suffix.lower() if path is not None else ""
    for backend in BACKENDS.values():
        if suffix in backend.suffixes:
            return backend
    return default_backend()


def load_model(
    content: bytes,
    *,
    threads: int,
    source: str,
    backend: Backend | None = None,
    delegate: Delegate | None = None,
) -> LoadedModel:
    """Load model bytes with ``backend`` (by default the one for ``source``'s suffix)."""
    chosen = backend or backend_for(source)
    return chosen.load(content, threads=threads, source=source, delegate=delegate)


def runtime_status() -> dict[str, str]:
    """For every backend's runtime packages, ``"ok"`` or why it cannot be used here."""
    status: dict[str, str] = {}
    for backend in BACKENDS.values():
        status.update(backend.status())
    return status
