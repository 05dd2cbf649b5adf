"""A taught head as a :class:`~camviz.classifier.Classifier`, on the backbone it was fitted on.

:func:`load_taught_classifier` is what :func:`camviz.loading.open_classifier`
does with a ``*.head.npz`` path; :func:`backbone_for` finds the head's zoo
backbone and refuses one whose file (sha256) or feature size changed, since
the head's numbers only mean something on the very features it was fitted on.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from camviz.classifier import Classifier, ClassifierOptions, ModelInfo
from camviz.errors import ModelLoadError, ModelNotFoundError
from camviz.features import Backbone, FeatureExtractor, load_backbone
from camviz.teach.head import Head, load_head
from camviz.zoo import HEAD_SUFFIX, is_head_path, load_zoo, read_labels

__all__ = ["TaughtClassifier", "backbone_for", "load_taught_classifier"]


def backbone_for(head: Head, source: str) -> Backbone:
    """The zoo backbone ``head`` was trained on, checked by sha256 and feature size.

    ``source`` names the head in error messages (a path, or "the taught model").
    """
    zoo = load_zoo()
    name = head.backbone
    if name not in zoo.names:
        same = zoo.by_sha256(head.backbone_sha256)
        if same is None:
            raise ModelNotFoundError(
                f"{source} was taught on backbone {name!r}, which is not in the zoo "
                f"({', '.join(zoo.names)}); teach it again on one of those"
            )
        name = same.name
    backbone = load_backbone(name)
    if backbone.sha256 != head.backbone_sha256:
        raise ModelLoadError(
            f"{source} was taught on {head.backbone} with sha256 {head.backbone_sha256[:16]}..., "
            f"but models/{backbone.spec.path.name} now has sha256 {backbone.sha256[:16]}... "
            "(the backbone was rebuilt or replaced): its features differ, so teach the classes "
            "again with  camviz teach"
        )
    if backbone.dim != head.dim:
        raise ModelLoadError(f"{source} expects {head.dim} features; {name} gives {backbone.dim}")
    return backbone


class TaughtClassifier(Classifier):
    """A :class:`Classifier` whose scores come from a taught head on backbone features.

    Same interface as any classifier (classify, preprocess, probabilities, result_from,
    invoke_raw, update, close, context manager); ``invoke_raw`` returns features.
    """

    def __init__(
        self, extractor: FeatureExtractor, head: Head, info: ModelInfo, options: ClassifierOptions
    ) -> None:
        super().__init__(extractor.model, info, extractor.preprocessor, options)
        self.head = head
        self.extractor = extractor
        self._out_scale = 0.0  # dequantisation is the extractor's

    @classmethod
    def from_head(
        cls,
        head: Head,
        options: ClassifierOptions | None = None,
        *,
        path: Path | None = None,
        file_bytes: int = 0,
    ) -> TaughtClassifier:
        """Load the head's backbone on the calling thread and wrap both as a classifier."""
        options = options or ClassifierOptions(model=str(path or "taught"))
        source = str(path) if path else "the taught model"
        start = time.perf_counter()
        backbone = backbone_for(head, source)
        labels = head.labels
        if options.labels is not None:
            labels = read_labels(options.labels, len(head.labels))
        extractor = FeatureExtractor.create(backbone, threads=options.threads)
        try:
            grey = np.full((extractor.input_size[1], extractor.input_size[0], 3), 128, np.uint8)
            t0 = time.perf_counter()
            extractor.extract(grey)
            first_invoke_ms = (time.perf_counter() - t0) * 1000.0
        except BaseException:
            extractor.close()
            raise
        load_ms = (t0 - start) * 1000.0
        tensor = extractor.model.inputs[0]
        name = path.name[: -len(HEAD_SUFFIX)] if path and is_head_path(path) else "taught"
        info = ModelInfo(
            name=name,
            path=path,
            input_size=extractor.input_size,
            dtype=str(tensor.dtype),
            num_classes=len(labels),
            labels=labels,
            file_bytes=file_bytes + backbone.file_bytes,
            output="logits",
            preprocessing=backbone.spec.preprocessing,
            runtime=extractor.runtime,
            load_ms=load_ms,
            first_invoke_ms=first_invoke_ms,
            spec=None,
        )
        return cls(extractor, head, info, options)

    def probabilities(self, raw: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
        """Raw feature tensor -> probability for every taught label (InferenceError if the
        features or the head's output hold NaN or infinity)."""
        features = self.extractor.dequantize(raw)
        self.check_finite(features)
        probs = self.head.probabilities(features)
        self.check_finite(probs)
        return probs

    def close(self) -> None:
        super().close()
        self.extractor.close()

    def __enter__(self) -> TaughtClassifier:
        return self


def load_taught_classifier(options: ClassifierOptions) -> TaughtClassifier:
    """What :func:`camviz.loading.open_classifier` does for ``*.head.npz`` paths."""
    path = Path(str(options.model)).expanduser()
    head = load_head(path)
    return TaughtClassifier.from_head(head, options, path=path, file_bytes=path.stat().st_size)
