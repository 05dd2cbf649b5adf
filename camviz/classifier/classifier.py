"""The classifier: a loaded model, its preprocessing, and results from its outputs.

>>> from camviz import Classifier, ClassifierOptions, load_image
>>> with Classifier.create(ClassifierOptions(model="efficientnet_lite0_int8")) as clf:
...     result = clf.classify(load_image("assets/photos/skimage/chelsea.png"))
...     result.top.label
'tiger cat'

The interpreter is created on the thread that calls :meth:`Classifier.create`
and must only be used there.
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
import time
from collections.abc import Callable
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from camviz import limits
from camviz.backends import LoadedModel, backend_for, delegate_runs
from camviz.classifier.info import (
    ModelInfo,
    OutputKind,
    classifier_shapes,
    display_names_for,
    input_normalization,
    labels_for,
)
from camviz.classifier.options import ClassifierOptions
from camviz.errors import InferenceError, ModelError, ModelNotFoundError, OptionsError
from camviz.fileio import read_regular_file
from camviz.imageio import as_rgb8, check_rgb_image
from camviz.labels import LabelLayout, label_layout
from camviz.live_options import reporting_names
from camviz.preprocess import ColorOrder, MappingSource, Preprocessor, choose_mapping
from camviz.results import CLOCK, Category, ClassificationResult, StageTimes, short_label
from camviz.zoo import ModelKind, imagenet_labels, resolve_model, zoo_spec_of

__all__ = ["Classifier", "softmax"]

#: Share of an integer input's values pinned at its range's ends above which the
#: input mapping is reported as wrong (a correct one leaves a few percent there).
CLIP_WARN_FRACTION = 0.2

_log = logging.getLogger("camviz")


@runtime_checkable
class _FillsInPlace(Protocol):
    """A loaded model that lets the input be written into its own tensor memory
    (LiteRT's ``interpreter.tensor()`` view): the preprocessor writes there, no copy."""

    def run_filled(self, fill: Callable[[npt.NDArray[Any]], None]) -> npt.NDArray[Any]: ...


def softmax(logits: npt.NDArray[np.floating[Any]]) -> npt.NDArray[np.float32]:
    """Numerically stable softmax in float32 (a fresh array; ``logits`` is not changed)."""
    probs: npt.NDArray[np.float32] = np.array(logits, dtype=np.float32)
    probs -= probs.max()
    np.exp(probs, out=probs)
    probs /= probs.sum()
    return probs


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
        self._imagenet = np.arange(info.num_classes) - (
            1 if info.label_layout is LabelLayout.IMAGENET_BACKGROUND else 0
        )
        self._keep = _category_mask(options, info.labels)
        # the name each class is shown by, worked out once per model, not per frame
        self._names = info.display_names or tuple(short_label(label) for label in info.labels)
        self._clip_warned = False
        self._filler: _FillsInPlace | None = model if isinstance(model, _FillsInPlace) else None
        #: keep the tensor each frame fed the model in :attr:`last_input` (a copy: the
        #: runtime's input memory is reused); off by default (the pipeline turns it on)
        self.keep_input = False
        self.last_input: npt.NDArray[Any] | None = None

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
        if not path.exists():
            raise ModelNotFoundError(
                f"model file {path} does not exist; rebuild the zoo with  make models"
            )
        # a regular file only (a FIFO or /dev/zero named .tflite is refused, never read)
        content = read_regular_file(
            path, limits.MAX_MODEL_BYTES, ModelNotFoundError, "models", "set CAMVIZ_MAX_MODEL_MB"
        )
        if spec is None:  # a zoo model's file given by path (a copy, say) is fed as the zoo does
            spec = zoo_spec_of(content)
        backend = backend_for(path, options.backend, options.accelerator)
        model = backend.load(
            content,
            threads=options.threads,
            source=str(path),
            delegate=options.delegate,
            accelerator=options.accelerator,
        )
        try:
            input_size, classes = classifier_shapes(model, path.name)
            description = None if spec is not None else backend.describe(content)
            metadata = description.metadata if description is not None else None
            tensor = model.inputs[0]
            mean, std, mapping_note = input_normalization(options.mean, options.std, metadata)
            preprocessing, mapping_source = choose_mapping(
                tensor.dtype,
                zoo=spec.preprocessing if spec is not None else None,
                mean=mean,
                std=std,
                scale=tensor.scale,
                zero_point=tensor.zero_point,
            )
            if options.fit is not None and options.fit is not preprocessing.fit:
                preprocessing = dataclasses.replace(preprocessing, fit=options.fit)
            labels, labels_source = labels_for(options.labels, spec, metadata, path, classes)
            locale = options.display_names_locale
            display_names = display_names_for(metadata, locale, labels_source, path, classes)
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
            info = ModelInfo(
                name=name,
                path=path,
                input_size=input_size,
                dtype=str(tensor.dtype),
                num_classes=classes,
                labels=labels,
                file_bytes=len(content),
                output=output,
                preprocessing=preprocessing,
                runtime=model.runtime,
                load_ms=model.load_ms,
                first_invoke_ms=first_invoke_ms,
                spec=spec,
                mapping_source=(
                    mapping_note
                    if mapping_note and mapping_source is MappingSource.METADATA
                    else mapping_source.value
                ),
                labels_source=labels_source,
                label_layout=label_layout(labels, imagenet_labels()),
                input_quantization=(
                    (tensor.scale, tensor.zero_point) if tensor.quantized else None
                ),
                delegate=(
                    str(options.delegate) if delegate_runs(model.runtime, model.device) else None
                ),
                device=model.device,
                display_names=display_names,
                display_names_locale=locale if display_names is not None else None,
                display_name_locales=metadata.display_name_locales if metadata else (),
            )
            clf = cls(model, info, preprocessor, options)
        except BaseException:
            model.close()
            raise
        return clf

    # use ----------------------------------------------------------------------------
    def preprocess(self, image_rgb: npt.NDArray[np.uint8]) -> npt.NDArray[Any]:
        """The exact input tensor (without batch dimension) the model sees for this image."""
        check_rgb_image(image_rgb)
        return self._preprocess(image_rgb)

    def probabilities(self, raw: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
        """Raw output tensor -> probability for every label (dequantised, softmaxed).

        Raises :class:`InferenceError` if the output holds NaN or infinity (a broken
        model, or an input it overflows on): there is no valid result then, and an
        empty or arbitrary top-k must not pass for one.
        """
        values = raw.reshape(-1)
        if self._out_scale:
            values = values.astype(np.float32)
            values -= self._out_zero
            values *= self._out_scale
        self.check_finite(values)
        if self.info.output == "probabilities":
            probs = np.clip(values.astype(np.float32), 0.0, None)
            total = float(probs.sum())
            if not (total > 0 and np.isfinite(total)):
                raise InferenceError(
                    f"{self.info.name} gave no valid output: its probabilities sum to {total:g}"
                )
            return probs / total
        probs = softmax(values)
        if not np.isfinite(probs).all():
            raise InferenceError(f"{self.info.name} gave no valid output: its softmax overflowed")
        return probs

    def check_finite(self, values: npt.NDArray[Any]) -> None:
        """Raise InferenceError if ``values`` (outputs or probabilities) hold NaN or infinity."""
        if values.dtype.kind == "f" and not np.isfinite(values).all():
            bad = int(values.size - np.isfinite(values).sum())
            raise InferenceError(
                f"{self.info.name} gave no valid output: {bad} of its {values.size} outputs "
                "are NaN or infinite; the model is broken for this input"
            )

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
        ranked = probs if self._keep is None else np.where(self._keep, probs, -1.0)
        k = min(options.top_k, probs.size if self._keep is None else int(self._keep.sum()))
        top = np.argpartition(ranked, -k)[-k:]
        top = top[np.argsort(-ranked[top], kind="stable")]
        if first is not None and int(top[0]) != first and (self._keep is None or self._keep[first]):
            top = np.concatenate(([first], top[top != first]))[:k]
        labels, names = self.info.labels, self._names
        imagenet = self.info.label_layout is not LabelLayout.OTHER
        categories = tuple(
            Category(
                int(i),
                labels[i],
                float(probs[i]),
                int(self._imagenet[i]) if imagenet and self._imagenet[i] >= 0 else None,
                names[i],
            )
            for i in top
            if probs[i] >= options.score_threshold
        )
        uncertain = float(probs[int(top[0])]) < options.min_confidence
        return ClassificationResult(
            categories,
            probs,
            uncertain,
            self.info.name,
            times or StageTimes(),
            runtime=self.info.runtime,
            device=self.info.device,
        )

    def classify(
        self, image_rgb: npt.NDArray[np.uint8], *, color: Literal["rgb", "bgr"] = "rgb"
    ) -> ClassificationResult:
        """Classify one image; stage times are measured inside.

        Takes HxWx3 uint8 as it is, and converts what :func:`~camviz.imageio.load_image`
        takes from files, the same way (:func:`~camviz.imageio.as_rgb8`): grey (HxW,
        HxWx1), four channels (RGBA, or BGRA with ``color="bgr"``; alpha composited on
        white), uint16 and float images (0..1). ``color`` is the image's channel order.
        ``"rgb"``: what camviz's sources and :func:`~camviz.imageio.load_image` give.
        ``"bgr"``: what OpenCV gives (``cv2.imread``, ``cv2.VideoCapture.read``). A BGR
        frame passed as RGB is not detected: it is classified with red and blue swapped.
        """
        model = self._require_open()
        t0 = CLOCK()
        order = ColorOrder.RGB
        if color == "bgr" and _is_rgb8(image_rgb):  # BGR: swapped on the model-size image
            order = ColorOrder.BGR
        else:  # grey, 4 channels, 16-bit, float: converted
            image_rgb = as_rgb8(image_rgb, color)
        raw, clipped, t1 = self._run(model, image_rgb, order)
        t2 = CLOCK()
        probs = self.probabilities(raw)
        result = self.result_from(probs)
        t3 = CLOCK()
        times = StageTimes.from_stamps(t0, t1, t2, t3)
        if clipped > CLIP_WARN_FRACTION and not self._clip_warned:
            self._clip_warned = True
            _log.warning(
                "%s: %.0f%% of the input tensor is clipped: the input mapping (%s) does not "
                "fit this model; give its normalisation in the model's metadata",
                self.info.name,
                clipped * 100,
                self.info.mapping_source or "unknown",
            )
        return dataclasses.replace(result, times=times, input_clipped=clipped)

    def _run(
        self,
        model: LoadedModel,
        image_rgb: npt.NDArray[np.uint8],
        order: ColorOrder = ColorOrder.RGB,
    ) -> tuple[npt.NDArray[Any], float, float]:
        """Preprocess into the input tensor and invoke: (output 0, clipped share, the
        :data:`CLOCK` stamp between the two). The input is written straight into the
        runtime's tensor memory when the model allows it, else into a new array."""
        preprocess = self._preprocess
        filler = self._filler
        if filler is not None:
            done: list[float] = []

            def fill(tensor: npt.NDArray[Any]) -> None:
                done.append(preprocess.run_into(image_rgb, tensor[0], order))
                if self.keep_input:
                    self.last_input = tensor[0].copy()
                done.append(CLOCK())

            try:
                raw = filler.run_filled(fill)
            except Exception as exc:
                if len(done) < 2:  # the preprocessing failed, not the model
                    raise
                raise InferenceError(f"{self.info.name} failed on a frame: {exc}") from exc
            return raw, done[0], done[1]
        tensor, clipped = preprocess.run(image_rgb)
        if self.keep_input:
            self.last_input = tensor  # a new array every frame
        t1 = CLOCK()
        try:
            raw = model.run(tensor[None])
        except Exception as exc:
            raise InferenceError(f"{self.info.name} failed on a frame: {exc}") from exc
        return raw, clipped, t1

    def invoke_raw(self, tensor: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """Run the interpreter alone on a prepared tensor (for benchmarks)."""
        return self._require_open().run(tensor[None])

    @property
    def takes_batch(self) -> bool:
        """Whether the runtime runs several prepared inputs in one invoke (its model's batch
        dimension is dynamic: ONNX exports usually; camviz's LiteRT and OpenVINO models run
        batch 1)."""
        return bool(getattr(self._require_open(), "dynamic_batch", False))

    def invoke_batch(self, tensors: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """Raw outputs (N, ...) of prepared inputs (N, H, W, C): one invoke where the runtime
        takes a batch (:attr:`takes_batch`), else one invoke each."""
        model = self._require_open()
        if self.takes_batch:
            return model.run(np.ascontiguousarray(tensors))
        return np.concatenate([model.run(t[None]) for t in tensors])

    def update(self, **changes: Any) -> None:
        """Change reporting options without reloading the model: the live options applied
        between frames that are :class:`ClassifierOptions` fields
        (:func:`camviz.live_options.reporting_names`), and the category lists. A value
        of None is no change; any other name is refused (OptionsError)."""
        unknown = sorted(set(changes) - UPDATABLE)
        if unknown:
            raise OptionsError(
                f"Classifier.update takes {', '.join(sorted(UPDATABLE))}; not {', '.join(unknown)}"
            )
        options = self.options.replace(**{k: v for k, v in changes.items() if v is not None})
        self._keep = _category_mask(options, self.info.labels)
        self.options = options

    # lifetime -----------------------------------------------------------------------
    def _require_open(self) -> LoadedModel:
        if self._model is None:
            raise InferenceError(f"{self.info.name} is closed")
        return self._model

    def close(self) -> None:
        if self._model is not None:
            self._model.close()
            self._model = self._filler = None

    def __enter__(self) -> Classifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _is_rgb8(image: Any) -> bool:
    """An HxWx3 uint8 array: three channels the preprocessor takes in either order."""
    return (
        isinstance(image, np.ndarray)
        and image.ndim == 3
        and image.shape[2] == 3
        and (image.dtype == np.uint8)
        and 0 not in image.shape[:2]
    )


#: What :meth:`Classifier.update` changes without a reload: the reporting live options the
#: classifier applies, and the category lists.
UPDATABLE = frozenset(
    {f.name for f in dataclasses.fields(ClassifierOptions)} & set(reporting_names())
    | {"category_allowlist", "category_denylist"}
)


def _category_mask(
    options: ClassifierOptions, labels: tuple[str, ...]
) -> npt.NDArray[np.bool_] | None:
    """Which labels may be reported, from the allow or deny list (None: all of them)."""
    names = options.category_allowlist or options.category_denylist
    if not names:
        return None
    index: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        index.setdefault(label.strip().lower(), []).append(i)
        for part in label.split(","):  # 'tabby, tabby cat' also answers to 'tabby cat'
            index.setdefault(part.strip().lower(), []).append(i)
    listed = np.zeros(len(labels), bool)
    for name in names:
        hits = index.get(name.lower())
        if not hits:
            close = difflib.get_close_matches(name.lower(), list(index), n=3)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise OptionsError(f"no category {name!r} among the model's labels{hint}")
        listed[hits] = True
    keep = listed if options.category_allowlist else ~listed
    if not keep.any():
        raise OptionsError("the category lists leave no category to report")
    return keep


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
