"""The model zoo: the models shipped in ``models/`` and described by ``models/manifest.json``.

An installed wheel carries the same files as package data; ``CAMVIZ_MODELS_DIR``
points camviz at another folder of the same layout (see :func:`models_dir`).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from enum import Enum
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from camviz.errors import LabelsError, ModelError, ModelNotFoundError
from camviz.labels import read_labels
from camviz.preprocess import PreprocessSpec

__all__ = [
    "HEAD_SUFFIX",
    "ModelKind",
    "ModelRef",
    "ModelSpec",
    "Zoo",
    "imagenet_labels",
    "is_head_path",
    "looks_like_path",
    "load_zoo",
    "models_dir",
    "read_labels",
    "resolve_model",
    "sha256_file",
    "zoo_spec_of",
]

#: The file suffix of a head taught by ``camviz teach``.
HEAD_SUFFIX = ".head.npz"


@cache
def imagenet_labels() -> tuple[str, ...]:
    """The ImageNet-1k class names shipped with the zoo (``imagenet_labels.txt``); () if absent."""
    try:
        return read_labels(models_dir() / "imagenet_labels.txt", 1000)
    except LabelsError:
        return ()


def models_dir() -> Path:
    """The folder holding the zoo: ``manifest.json``, the model files and their labels.

    In order: ``$CAMVIZ_MODELS_DIR``; the zoo an installed wheel carries as package
    data (``camviz/_data/models``, found through :mod:`importlib.resources`); a
    checkout's (or an editable install's) ``models/`` next to the package.
    """
    override = os.environ.get("CAMVIZ_MODELS_DIR")
    if override:
        return Path(override).expanduser()
    packaged = resources.files("camviz").joinpath("_data", "models")
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "models"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """One entry of the manifest."""

    name: str
    path: Path
    sha256: str
    file_bytes: int
    architecture: str
    input_size: tuple[int, int]
    dtype: str
    preprocessing: PreprocessSpec
    output: str
    labels_path: Path
    num_classes: int
    source: dict[str, Any] = field(default_factory=dict)
    published: dict[str, Any] = field(default_factory=dict)
    checks: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any], folder: Path) -> ModelSpec:
        try:
            width, height = (int(v) for v in data["input_size"])
            return cls(
                name=str(data["name"]),
                path=folder / str(data["file"]),
                sha256=str(data.get("sha256", "")),
                file_bytes=int(data.get("bytes", 0)),
                architecture=str(data.get("architecture", "")),
                input_size=(width, height),
                dtype=str(data.get("dtype", "")),
                preprocessing=PreprocessSpec.from_dict(dict(data.get("preprocessing", {}))),
                output=str(data.get("output", "logits")),
                labels_path=folder / str(data.get("labels", "imagenet_labels.txt")),
                num_classes=int(data.get("num_classes", 0)),
                source=dict(data.get("source") or {}),
                published=dict(data.get("published") or {}),
                checks=dict(data.get("checks") or {}),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(
                f"manifest entry {data.get('name', '?')!r} is malformed: {exc}"
            ) from exc

    @property
    def published_top1(self) -> float | None:
        value = self.published.get("top1")
        return None if value is None else float(value)

    @property
    def published_top5(self) -> float | None:
        value = self.published.get("top5")
        return None if value is None else float(value)


@dataclass(frozen=True, slots=True)
class Zoo:
    folder: Path
    default: str
    models: tuple[ModelSpec, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.models)

    def get(self, name: str) -> ModelSpec:
        for spec in self.models:
            if spec.name == name:
                return spec
        raise ModelNotFoundError(
            f"no model named {name!r} in the zoo ({self.folder}); "
            f"choose one of: {', '.join(self.names)}, or give a path to a model file"
        )

    def by_sha256(self, digest: str) -> ModelSpec | None:
        return next((m for m in self.models if m.sha256 == digest), None)


@cache
def _load_zoo(folder: Path) -> Zoo:
    manifest = folder / "manifest.json"
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelNotFoundError(
            f"the model manifest {manifest} does not exist; rebuild the zoo with  make models"
        ) from exc
    except (OSError, ValueError) as exc:
        raise ModelError(f"the model manifest {manifest} cannot be read: {exc}") from exc
    models = tuple(ModelSpec.from_dict(entry, folder) for entry in data.get("models", []))
    default = str(data.get("default") or (models[0].name if models else ""))
    return Zoo(folder=folder, default=default, models=models)


def load_zoo(folder: Path | None = None) -> Zoo:
    """The zoo in ``folder`` (default :func:`models_dir`), read once per process."""
    return _load_zoo((folder or models_dir()).resolve())


def zoo_spec_of(content: bytes) -> ModelSpec | None:
    """The zoo entry whose file has exactly these bytes (None if none, or no zoo here)."""
    try:
        zoo = load_zoo()
    except ModelError:
        return None
    sizes = {m.file_bytes for m in zoo.models}
    if len(content) not in sizes:  # cheap test first: hash only a file of a zoo model's size
        return None
    return zoo.by_sha256(hashlib.sha256(content).hexdigest())


# ------------------------------------------------------------------ model specs -> files
class ModelKind(Enum):
    """What a model spec names."""

    ZOO = "zoo"  # a model of the shipped zoo, by name
    FILE = "file"  # a user's model file (test-loaded in a child before use)
    HEAD = "head"  # a head taught by ``camviz teach`` (``*.head.npz``) on a zoo backbone


@dataclass(frozen=True, slots=True)
class ModelRef:
    """A model spec resolved: its display name, file, and zoo entry if it is one."""

    kind: ModelKind
    name: str
    path: Path
    spec: ModelSpec | None = None

    @property
    def is_users_file(self) -> bool:
        """A file of the user's that a native runtime will parse (so it is checked first)."""
        return self.kind is ModelKind.FILE


def is_head_path(model: str | Path) -> bool:
    """True if ``model`` names a taught head (``*.head.npz``)."""
    return str(model).lower().endswith(HEAD_SUFFIX)


def looks_like_path(model: str | Path) -> bool:
    """True if ``model`` is written as a path (a Path, a suffix or a separator), not a name."""
    text = str(model)
    if isinstance(model, Path):
        return True
    return bool(Path(text).suffix) or "/" in text or "\\" in text or text.startswith("~")


def resolve_model(model: str | Path = "") -> ModelRef:
    """The one rule from a model spec (zoo name, file path, or ``""`` for the default) to a file.

    A spec that looks like a path (a suffix or a separator) or names an existing
    file is a file, and needs no manifest; anything else is a zoo name. Errors
    name the spec and list the zoo's models.
    """
    text = str(model).strip()
    if text and not isinstance(model, Path) and text in _zoo_name_set():
        spec = load_zoo().get(text)
        return ModelRef(ModelKind.ZOO, spec.name, spec.path, spec)
    if text and (looks_like_path(model) or Path(text).is_file()):
        path = Path(text).expanduser()
        if path.is_dir():
            raise ModelNotFoundError(
                f"{path} is a folder; give a model file or one of: {_zoo_names()}"
            )
        if not path.exists():
            raise ModelNotFoundError(
                f"model file {path} does not exist; give a model file or one of: {_zoo_names()}"
            )
        if is_head_path(path):
            return ModelRef(ModelKind.HEAD, path.name[: -len(HEAD_SUFFIX)], path)
        return ModelRef(ModelKind.FILE, path.stem, path)
    zoo = load_zoo()
    spec = zoo.get(text or zoo.default)  # raises a clear "no model named" error
    return ModelRef(ModelKind.ZOO, spec.name, spec.path, spec)


def _zoo_name_set() -> frozenset[str]:
    try:
        return frozenset(load_zoo().names)
    except ModelError:
        return frozenset()


def _zoo_names() -> str:
    try:
        return ", ".join(load_zoo().names)
    except ModelError:
        return "(no zoo is installed)"
