"""Image classification with a TFLite model: options, model info, and the classifier.

>>> with Classifier.create(ClassifierOptions(model="efficientnet_lite0_int8")) as clf:
...     result = clf.classify(load_image("assets/photos/skimage/chelsea.png"))
...     result.top.label
'tabby, tabby cat'

The interpreter is created on the thread that calls :meth:`Classifier.create`
and must only be used there.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from camviz.backends import LoadedModel, ModelMetadata, backend_for
from camviz.errors import (
    InferenceError,
    LabelsError,
    ModelError,
    ModelNotFoundError,
    NotAClassifierError,
    OptionsError,
)
from camviz.imageio import check_rgb_image
from camviz.preprocess import Preprocessor, PreprocessSpec
from camviz.results import Category, ClassificationResult, StageTimes
from camviz.zoo import ModelKind, ModelSpec, models_dir, read_labels, resolve_model

__all__ = ["ClassifierOptions", "ModelInfo", "Classifier", "OutputKind", "softmax"]

OutputKind = str  # "logits" or "probabilities"


@dataclass(frozen=True, slots=True)
class ClassifierOptions:
    """What to load and how to report; validated when made."""

    model: str | Path = ""
    threads: int = 2
    top_k: int = 5
    score_threshold: float = 0.0
    min_confidence: float = 0.3
    labels: Path | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.threads, int) or not 1 <= self.threads <= 64:
            raise OptionsError(f"threads must be a whole number from 1 to 64, got {self.threads!r}")
        if not isinstance(self.top_k, int) or self.top_k < 1:
            raise OptionsError(f"top_k must be a whole number of at least 1, got {self.top_k!r}")
        if not 0.0 <= self.score_threshold <= 1.0:
            raise OptionsError(f"score_threshold must be in 0..1, got {self.score_threshold}")
        if not 0.0 <= self.min_confidence <= 1.0:
            raise OptionsError(f"min_confidence must be in 0..1, got {self.min_confidence}")

    def replace(self, **changes: Any) -> ClassifierOptions:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """What a loaded model is and what it cost to load."""

    name: str
    path: Path | None
    input_size: tuple[int, int]  # (width, height)
    dtype: str
    num_classes: int
    labels: tuple[str, ...] = field(repr=False)
    file_bytes: int
    output: OutputKind
    preprocessing: PreprocessSpec
    runtime: str
    load_ms: float
    first_invoke_ms: float
    spec: ModelSpec | None = field(default=None, repr=False)

    @property
    def published_top1(self) -> float | None:
        return self.spec.published_top1 if self.spec else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": str(self.path) if self.path else None,
            "input_size": list(self.input_size),
            "dtype": self.dtype,
            "num_classes": self.num_classes,
            "file_bytes": self.file_bytes,
            "output": self.output,
            "preprocessing": self.preprocessing.to_dict(),
            "runtime": self.runtime,
            "load_ms": round(self.load_ms, 3),
            "first_invoke_ms": round(self.first_invoke_ms, 3),
            "published_top1": self.published_top1,
        }


def softmax(logits: npt.NDArray[np.floating[Any]]) -> npt.NDArray[np.float32]:
    """Numerically stable softmax in float32 (a fresh array; ``logits`` is not changed)."""
    probs: npt.NDArray[np.float32] = np.array(logits, dtype=np.float32)
    probs -= probs.max()
    np.exp(probs, out=probs)
    probs /= probs.sum()
    return probs


def _classifier_shapes(model: LoadedModel, name: str) -> tuple[tuple[int, int], int]:
    if len(model.inputs) != 1 or not model.outputs:
        raise NotAClassifierError(
            f"{name} has {len(model.inputs)} inputs and {len(model.outputs)} outputs; "
            "an image classifier has one image input and a scores output"
        )
    shape = model.inputs[0].shape
    if len(shape) != 4 or shape[0] != 1 or shape[3] != 3 or min(shape[1:3]) < 8:
        raise NotAClassifierError(
            f"{name} takes input of shape {list(shape)}; an image classifier takes "
            "[1, height, width, 3]"
        )
    dtype = model.inputs[0].dtype
    if dtype not in (np.uint8, np.int8, np.float32):
        raise NotAClassifierError(f"{name} takes {dtype} input; expected uint8, int8 or float32")
    out_shape = model.outputs[0].shape
    classes = int(np.prod(out_shape))
    if out_shape[0] != 1 or sum(d > 1 for d in out_shape) != 1 or classes < 2:
        raise NotAClassifierError(
            f"{name} outputs shape {list(out_shape)}; an image classifier outputs [1, classes]"
        )
    return (int(shape[2]), int(shape[1])), classes


def _labels_for(
    options: ClassifierOptions,
    spec: ModelSpec | None,
    metadata: ModelMetadata | None,
    path: Path,
    classes: int,
) -> tuple[str, ...]:
    if options.labels is not None:
        return read_labels(options.labels, classes)
    if spec is not None:
        return read_labels(spec.labels_path, classes)
    if metadata is not None and metadata.labels:
        if len(metadata.labels) != classes:
            raise LabelsError(
                f"{path.name} embeds {len(metadata.labels)} labels but has {classes} classes; "
                "give a matching labels file with --labels"
            )
        return metadata.labels
    for sidecar in (path.with_suffix(".txt"), path.with_name("labels.txt")):
        if sidecar.is_file():
            return read_labels(sidecar, classes)
    imagenet = models_dir() / "imagenet_labels.txt"
    if classes in (1000, 1001) and imagenet.is_file():
        names = read_labels(imagenet, 1000)
        return names if classes == 1000 else ("background", *names)
    return tuple(f"class {i}" for i in range(classes))


class Classifier:
    """A TFLite image classifier. Create with :meth:`create`; close or use as a context manager."""

    def __init__(
        self,
        model: LoadedModel,
        info: ModelInfo,
        preprocessor: Preprocessor,
        options: ClassifierOptions,
    ) -> None:
        self._model: LoadedModel | None = model
        self.info = info
        self.options = options
        self._preprocess = preprocessor
        out = model.outputs[0]
        self._out_scale = out.scale if out.quantized else 0.0
        self._out_zero = out.zero_point

    # construction -----------------------------------------------------------------
    @classmethod
    def create(cls, options: ClassifierOptions | None = None, **overrides: Any) -> Classifier:
        """Load a model (zoo name or .tflite path) on the calling thread."""
        options = options or ClassifierOptions()
        if overrides:
            options = options.replace(**overrides)
        ref = resolve_model(options.model)
        if ref.kind is ModelKind.HEAD:
            raise ModelError(
                f"{ref.path.name} is a taught head, not a model file; open it with "
                "camviz.open_classifier (or camviz.loading.open_classifier)"
            )
        name, path, spec = ref.name, ref.path, ref.spec
        try:
            content = path.read_bytes()
        except FileNotFoundError as exc:
            raise ModelNotFoundError(
                f"model file {path} does not exist; rebuild the zoo with  make models"
            ) from exc
        except OSError as exc:
            raise ModelNotFoundError(f"model file {path} cannot be read: {exc}") from exc
        backend = backend_for(path)
        model = backend.load(content, threads=options.threads, source=str(path))
        try:
            input_size, classes = _classifier_shapes(model, path.name)
            description = None if spec is not None else backend.describe(content)
            metadata = description.metadata if description is not None else None
            if spec is not None:
                preprocessing = spec.preprocessing
            elif metadata is not None and metadata.mean and metadata.std:
                preprocessing = PreprocessSpec.from_dict(
                    {"mean": metadata.mean, "std": metadata.std}
                )
            elif model.inputs[0].dtype == np.float32:
                # The common convention of float image models without metadata: [-1, 1].
                preprocessing = PreprocessSpec(mean=(127.5,) * 3, std=(127.5,) * 3)
            else:
                preprocessing = PreprocessSpec()
            labels = _labels_for(options, spec, metadata, path, classes)
            tensor = model.inputs[0]
            preprocessor = Preprocessor(
                preprocessing, input_size, tensor.dtype, tensor.scale, tensor.zero_point
            )
            grey = np.full((input_size[1], input_size[0], 3), 128, np.uint8)
            start = time.perf_counter()
            probe = model.run(preprocessor(grey)[None])
            first_invoke_ms = (time.perf_counter() - start) * 1000.0
            output = (
                spec.output
                if spec is not None
                else _guess_output_kind(
                    model, probe, description.outputs_probabilities if description else None
                )
            )
        except BaseException:
            model.close()
            raise
        info = ModelInfo(
            name=name,
            path=path,
            input_size=input_size,
            dtype=str(model.inputs[0].dtype),
            num_classes=classes,
            labels=labels,
            file_bytes=len(content),
            output=output,
            preprocessing=preprocessing,
            runtime=model.runtime,
            load_ms=model.load_ms,
            first_invoke_ms=first_invoke_ms,
            spec=spec,
        )
        return cls(model, info, preprocessor, options)

    # use ----------------------------------------------------------------------------
    def preprocess(self, image_rgb: npt.NDArray[np.uint8]) -> npt.NDArray[Any]:
        """The exact input tensor (without batch dimension) the model sees for this image."""
        check_rgb_image(image_rgb)
        return self._preprocess(image_rgb)

    def probabilities(self, raw: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
        """Raw output tensor -> probability for every label (dequantised, softmaxed)."""
        values = raw.reshape(-1)
        if self._out_scale:
            values = values.astype(np.float32)
            values -= self._out_zero
            values *= self._out_scale
        if self.info.output == "probabilities":
            probs = np.clip(values.astype(np.float32), 0.0, None)
            total = float(probs.sum())
            return probs / total if total > 0 else probs
        return softmax(values)

    def result_from(
        self,
        probs: npt.NDArray[np.float32],
        times: StageTimes | None = None,
        first: int | None = None,
    ) -> ClassificationResult:
        """Top-k categories, threshold and the uncertain flag for a probability vector.

        ``first`` puts that class first whatever its rank (smoothing's sticky label).
        """
        options = self.options
        k = min(options.top_k, probs.size)
        top = np.argpartition(probs, -k)[-k:]
        top = top[np.argsort(-probs[top], kind="stable")]
        if first is not None and int(top[0]) != first:
            top = np.concatenate(([first], top[top != first]))[:k]
        labels = self.info.labels
        categories = tuple(
            Category(int(i), labels[i], float(probs[i]))
            for i in top
            if probs[i] >= options.score_threshold
        )
        uncertain = float(probs[int(top[0])]) < options.min_confidence
        return ClassificationResult(
            categories, probs, uncertain, self.info.name, times or StageTimes()
        )

    def classify(self, image_rgb: npt.NDArray[np.uint8]) -> ClassificationResult:
        """Classify one HxWx3 RGB uint8 image; stage times are measured inside."""
        model = self._require_open()
        check_rgb_image(image_rgb)
        t0 = time.perf_counter()
        tensor = self._preprocess(image_rgb)
        t1 = time.perf_counter()
        try:
            raw = model.run(tensor[None])
        except Exception as exc:
            raise InferenceError(f"{self.info.name} failed on a frame: {exc}") from exc
        t2 = time.perf_counter()
        probs = self.probabilities(raw)
        result = self.result_from(probs)
        t3 = time.perf_counter()
        times = StageTimes((t1 - t0) * 1e3, (t2 - t1) * 1e3, (t3 - t2) * 1e3)
        return dataclasses.replace(result, times=times)

    def invoke_raw(self, tensor: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """Run the interpreter alone on a prepared tensor (for benchmarks)."""
        return self._require_open().run(tensor[None])

    def update(
        self,
        *,
        top_k: int | None = None,
        score_threshold: float | None = None,
        min_confidence: float | None = None,
    ) -> None:
        """Change reporting options without reloading the model."""
        changes: dict[str, Any] = {}
        if top_k is not None:
            changes["top_k"] = top_k
        if score_threshold is not None:
            changes["score_threshold"] = score_threshold
        if min_confidence is not None:
            changes["min_confidence"] = min_confidence
        self.options = self.options.replace(**changes)

    # lifetime -----------------------------------------------------------------------
    def _require_open(self) -> LoadedModel:
        if self._model is None:
            raise InferenceError(f"{self.info.name} is closed")
        return self._model

    def close(self) -> None:
        if self._model is not None:
            self._model.close()
            self._model = None

    def __enter__(self) -> Classifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _guess_output_kind(
    model: LoadedModel, probe: npt.NDArray[Any], softmax_ended: bool | None
) -> OutputKind:
    """Probabilities if the graph ends in a softmax; else logits.

    Only when the graph cannot be read (``softmax_ended`` is None), guess from the
    output on a grey frame.
    """
    if softmax_ended is not None:
        return "probabilities" if softmax_ended else "logits"
    out = model.outputs[0]
    values = probe.reshape(-1).astype(np.float64)
    if out.quantized:
        values = (values - out.zero_point) * out.scale
    if values.min() >= -1e-6 and abs(values.sum() - 1.0) < 0.05:
        return "probabilities"
    return "logits"
