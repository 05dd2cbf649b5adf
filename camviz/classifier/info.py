"""What a loaded model is (:class:`ModelInfo`) and how camviz reads it from the file.

One place decides, for any model file, the labels and where they came from,
the input mapping and where it came from (see
:func:`camviz.preprocess.choose_mapping`), the label layout (ImageNet-1k, with
or without 'background') and the output kind (probabilities or logits).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from camviz.backends import Delegate, LoadedModel, ModelMetadata, image_input_size
from camviz.errors import LabelsError, NotAClassifierError, OptionsError
from camviz.labels import LabelLayout, read_labels
from camviz.zoo import ModelSpec, imagenet_labels

__all__ = [
    "ModelInfo",
    "OutputKind",
    "classifier_shapes",
    "display_names_for",
    "input_normalization",
    "labels_for",
    "model_kind",
]

OutputKind = str  # "logits" or "probabilities"

_FROM_METADATA = "model metadata"  # labels_source of labels read from the model's metadata


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """What a loaded model is, how camviz feeds and reads it, and what it cost to load."""

    name: str
    path: Path | None
    input_size: tuple[int, int]  # (width, height)
    dtype: str
    num_classes: int
    labels: tuple[str, ...] = field(repr=False)
    file_bytes: int
    output: OutputKind
    preprocessing: Any  # camviz.preprocess.PreprocessSpec
    runtime: str
    load_ms: float
    first_invoke_ms: float
    spec: ModelSpec | None = field(default=None, repr=False)
    mapping_source: str = ""  # where the input mapping came from
    labels_source: str = ""  # where the labels came from
    label_layout: LabelLayout = LabelLayout.OTHER
    input_quantization: tuple[float, int] | None = None  # (scale, zero point) of integer inputs
    #: the delegate the runtime ran it through (LiteRT's Interpreter: ``xnnpack``, ``cpu`` or a
    #: library); None where the runtime takes none and names a device instead
    #: (:func:`camviz.backends.delegate_runs`: ONNX Runtime, OpenVINO, LiteRT on a GPU or NPU)
    delegate: str | None = field(default_factory=lambda: str(Delegate()))
    device: str = "CPU"  # where it runs, as its runtime names it ("CPU", "GPU.0", ...)
    #: names shown for the classes, from the metadata's label file in ``display_names_locale``
    display_names: tuple[str, ...] | None = field(default=None, repr=False)
    display_names_locale: str | None = None  # the locale used; None: no display names
    display_name_locales: tuple[str, ...] = ()  # the locales the model's metadata offers

    @property
    def published_top1(self) -> float | None:
        return self.spec.published_top1 if self.spec else None

    @property
    def background_index(self) -> int | None:
        """The output that means "nothing in particular" ('background'), if the model has one."""
        for i in (0, len(self.labels) - 1):
            if self.labels and self.labels[i].strip().lower() == "background":
                return i
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": str(self.path) if self.path else None,
            "input_size": list(self.input_size),
            "dtype": self.dtype,
            "input_quantization": (
                {"scale": self.input_quantization[0], "zero_point": self.input_quantization[1]}
                if self.input_quantization
                else None
            ),
            "num_classes": self.num_classes,
            "file_bytes": self.file_bytes,
            "output": self.output,
            "background_index": self.background_index,
            "label_layout": self.label_layout.value,
            "labels_source": self.labels_source,
            "display_names": {
                "locale": self.display_names_locale,
                "available": list(self.display_name_locales),
            },
            "preprocessing": self.preprocessing.to_dict(),
            "mapping_source": self.mapping_source,
            "runtime": self.runtime,
            "delegate": self.delegate,
            "device": self.device,
            "load_ms": round(self.load_ms, 3),
            "first_invoke_ms": round(self.first_invoke_ms, 3),
            "published_top1": self.published_top1,
        }


def _shape_text(shapes: list[tuple[int, ...]]) -> str:
    return ", ".join(str(list(shape)) for shape in shapes)


def model_kind(model: LoadedModel) -> str | None:
    """What a model that is not an image classifier looks like, from its outputs (None: a
    classifier's one scores output)."""
    shapes = [spec.shape for spec in model.outputs]
    if len(shapes) == 4 and sorted(len(s) for s in shapes) == [1, 2, 2, 3]:
        boxes = next(s for s in shapes if len(s) == 3)
        if boxes[-1] == 4:
            return (
                f"an object detector (4 outputs: boxes {list(boxes)}, classes, scores and a "
                "count, as SSD-style detection post-processing writes them)"
            )
    if len(shapes) == 1 and len(shapes[0]) == 4 and min(shapes[0][1:3]) > 1:
        return (
            f"a segmentation model (it outputs shape {list(shapes[0])}: a class map per "
            "pixel, not one score per class)"
        )
    if len(shapes) > 1:
        return f"a model with {len(shapes)} outputs ({_shape_text(shapes)})"
    return None


def classifier_shapes(model: LoadedModel, name: str) -> tuple[tuple[int, int], int]:
    """(input width, height) and the number of classes; NotAClassifierError if it is none.

    Decided from the graph as the backend presents it: one image input
    (:func:`camviz.backends.image_input_size`), one output of one score per class.
    Detectors, segmenters and other multi-output models are refused naming what they
    look like.
    """
    if len(model.inputs) != 1 or not model.outputs:
        raise NotAClassifierError(
            f"{name} has {len(model.inputs)} inputs and {len(model.outputs)} outputs; "
            "an image classifier has one image input and a scores output"
        )
    kind = model_kind(model)
    if kind is not None:
        raise NotAClassifierError(
            f"{name} looks like {kind}; camviz runs image classifiers, which have one "
            "output of one score per class"
        )
    size = image_input_size(model.inputs[0])
    if size is None:
        raise NotAClassifierError(
            f"{name} takes input of shape {list(model.inputs[0].shape)}; an image classifier "
            "takes one image of at least 8 x 8 pixels with 3 colour channels"
        )
    dtype = model.inputs[0].dtype
    if dtype not in (np.uint8, np.int8, np.float32):
        raise NotAClassifierError(f"{name} takes {dtype} input; expected uint8, int8 or float32")
    out_shape = model.outputs[0].shape
    classes = int(np.prod(out_shape))
    if not out_shape or out_shape[0] != 1 or sum(d > 1 for d in out_shape) != 1 or classes < 2:
        raise NotAClassifierError(
            f"{name} outputs shape {list(out_shape)}; an image classifier outputs [1, classes]"
        )
    return size, classes


def input_normalization(
    mean: tuple[float, ...] | None,
    std: tuple[float, ...] | None,
    metadata: ModelMetadata | None,
) -> tuple[tuple[float, ...] | None, tuple[float, ...] | None, str | None]:
    """The (mean, std) to feed a user's model with, and a note when they are not the file's.

    ``--mean``/``--std`` (on the 0..255 scale, as TFLite's NormalizationOptions) win;
    then the model's metadata; a backend's default (torchvision's ImageNet mean and std
    for an ONNX float input without metadata) comes with its note, for ``mapping_source``.
    """
    if mean is not None or std is not None:
        if mean is None or std is None:
            raise OptionsError("--mean and --std go together: give both (on the 0..255 scale)")
        return mean, std, f"--mean {_numbers(mean)} --std {_numbers(std)}"
    if metadata is None:
        return None, None, None
    return metadata.mean, metadata.std, metadata.normalization_note


def _numbers(values: tuple[float, ...]) -> str:
    return ",".join(f"{v:g}" for v in values)


def labels_for(
    labels_file: Path | None,
    spec: ModelSpec | None,
    metadata: ModelMetadata | None,
    path: Path,
    classes: int,
) -> tuple[tuple[str, ...], str]:
    """The model's labels and where they came from, in order of trust."""
    if labels_file is not None:
        return read_labels(labels_file, classes), f"--labels {labels_file}"
    if spec is not None:
        return read_labels(spec.labels_path, classes), f"zoo ({spec.labels_path.name})"
    if metadata is not None and metadata.labels:
        if len(metadata.labels) != classes:
            raise LabelsError(
                f"{path.name} embeds {len(metadata.labels)} labels but has {classes} classes; "
                "give a matching labels file with --labels"
            )
        return metadata.labels, _FROM_METADATA
    for sidecar in (path.with_suffix(".txt"), path.with_name("labels.txt")):
        if sidecar.is_file():
            return read_labels(sidecar, classes), f"sidecar file {sidecar.name}"
    if classes in (1000, 1001):
        names = imagenet_labels()
        if names:
            if classes == 1000:
                return names, "default: ImageNet-1k labels (1000 classes)"
            return ("background", *names), "default: 'background' + ImageNet-1k (1001 classes)"
    return tuple(f"class {i}" for i in range(classes)), "none found: numbered classes"


def display_names_for(
    metadata: ModelMetadata | None, locale: str, labels_source: str, path: Path, classes: int
) -> tuple[str, ...] | None:
    """The metadata's display names in ``locale``, when the labels came from that metadata.

    Labels the user gives (``--labels``) or the zoo's replace the metadata's display
    names too, so a category is never named from two different files. A locale whose
    file is the labels file itself adds nothing: the labels' first synonyms are shown.
    """
    if metadata is None or labels_source != _FROM_METADATA:
        return None
    names = metadata.display_names_for(locale)
    if names is None or names == metadata.labels:
        return None
    if len(names) != classes:
        raise LabelsError(
            f"{path.name} embeds {len(names)} display names ({locale}) but has {classes} "
            "classes; choose another locale or give a labels file with --labels"
        )
    return names
