"""Feature vectors from the zoo's backbones: the pooled values a classifier's last layer reads.

The shipped model file is rewritten in memory so that its output is the input
of its final FULLY_CONNECTED layer (1280 values for EfficientNet-Lite0): no
extra model file, no TensorFlow. Preprocessing is exactly the classifier's
(the zoo's :class:`~camviz.zoo.ModelSpec` and :class:`~camviz.preprocess.Preprocessor`),
and ``extractor.dense.weights @ f + extractor.dense.bias`` gives back the
original ImageNet logits.

>>> from camviz import load_image
>>> with FeatureExtractor.create("efficientnet_lite0_int8") as fx:
...     f = fx.extract(load_image("assets/photos/skimage/chelsea.png"))
...     f.shape
(1280,)

Like every interpreter, an extractor must be used on the thread that created it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from camviz.backends import DenseLayer, LoadedModel, backend_for
from camviz.errors import InferenceError, ModelNotFoundError, OptionsError
from camviz.imageio import check_rgb_image
from camviz.preprocess import Preprocessor
from camviz.zoo import ModelSpec, load_zoo, sha256_file

__all__ = ["Backbone", "FeatureExtractor", "load_backbone"]

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Backbone:
    """A zoo model cut before its last dense layer, ready to load as a feature model."""

    spec: ModelSpec
    sha256: str  # of the model file as shipped
    content: bytes  # the rewritten flatbuffer (output: pooled features)
    dense: DenseLayer  # the layer that was cut off (dequantised)
    file_bytes: int

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def dim(self) -> int:
        return int(self.dense.weights.shape[1])


_CACHE: dict[tuple[str, str, int, float], Backbone] = {}


def load_backbone(name: str = "") -> Backbone:
    """The zoo model ``name`` (default: the zoo's default) as a :class:`Backbone`.

    The rewrite is cached per file (path, size, modification time).
    """
    zoo = load_zoo()
    spec = zoo.get(name or zoo.default)
    path = spec.path
    try:
        stat = path.stat()
    except OSError as exc:
        raise ModelNotFoundError(
            f"backbone file {path} of {spec.name} is missing; rebuild the zoo with  make models"
        ) from exc
    key = (spec.name, str(path), stat.st_size, stat.st_mtime)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    content = path.read_bytes()
    digest = sha256_file(path)
    cut, dense = backend_for(path).cut_before_last_dense(content, source=str(path))
    backbone = Backbone(spec, digest, cut, dense, len(content))
    _CACHE.clear()  # keep one: a backbone holds a model-sized buffer
    _CACHE[key] = backbone
    return backbone


class FeatureExtractor:
    """Pooled features of a zoo backbone for RGB frames. Create with :meth:`create`."""

    def __init__(self, backbone: Backbone, model: LoadedModel) -> None:
        self.backbone = backbone
        self._model: LoadedModel | None = model
        tensor = model.inputs[0]
        spec = backbone.spec
        self.input_size: tuple[int, int] = (int(tensor.shape[2]), int(tensor.shape[1]))
        self.preprocessor = Preprocessor(
            spec.preprocessing, self.input_size, tensor.dtype, tensor.scale, tensor.zero_point
        )
        out = model.outputs[0]
        self.dim = int(np.prod(out.shape))
        self._scale = out.scale if out.quantized else 0.0
        self._zero = float(out.zero_point)

    @classmethod
    def create(cls, backbone: str | Backbone = "", *, threads: int = 2) -> FeatureExtractor:
        """Load the feature model of a zoo backbone on the calling thread."""
        if not isinstance(threads, int) or not 1 <= threads <= 64:
            raise OptionsError(f"threads must be a whole number from 1 to 64, got {threads!r}")
        bb = backbone if isinstance(backbone, Backbone) else load_backbone(backbone)
        model = backend_for(bb.spec.path).load(
            bb.content, threads=threads, source=f"{bb.spec.path} (features)"
        )
        return cls(bb, model)

    @property
    def name(self) -> str:
        return self.backbone.name

    @property
    def dense(self) -> DenseLayer:
        return self.backbone.dense

    @property
    def runtime(self) -> str:
        return self._require_open().runtime

    @property
    def load_ms(self) -> float:
        return self._require_open().load_ms

    @property
    def model(self) -> LoadedModel:
        """The underlying feature model (for :class:`camviz.teach.TaughtClassifier`)."""
        return self._require_open()

    # use ------------------------------------------------------------------------------
    def preprocess(self, image_rgb: npt.NDArray[np.uint8]) -> npt.NDArray[Any]:
        """The exact input tensor the backbone sees (the zoo classifier's preprocessing)."""
        check_rgb_image(image_rgb)
        return self.preprocessor(image_rgb)

    def dequantize(self, raw: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
        """Raw output tensor -> float32 feature vector."""
        values = raw.reshape(-1).astype(np.float32)
        if self._scale:
            values = (values - self._zero) * np.float32(self._scale)
        return values

    def features_of_tensor(self, tensor: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
        """Features of an already preprocessed input tensor (no batch dimension)."""
        model = self._require_open()
        try:
            raw = model.run(tensor[None])
        except Exception as exc:
            raise InferenceError(f"{self.name} failed on a frame: {exc}") from exc
        return self.dequantize(raw)

    def extract(self, image_rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        """The feature vector (``dim`` float32 values) of one HxWx3 RGB uint8 frame."""
        return self.features_of_tensor(self.preprocess(image_rgb))

    def extract_many(
        self,
        images: Iterable[npt.NDArray[np.uint8]],
        total: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> npt.NDArray[np.float32]:
        """Features of many frames, one row each (``(n, dim)`` float32)."""
        rows: list[npt.NDArray[np.float32]] = []
        for image in images:
            rows.append(self.extract(image))
            if progress is not None:
                progress(len(rows), total if total is not None else len(rows))
        if not rows:
            return np.zeros((0, self.dim), np.float32)
        return np.stack(rows)

    def logits(self, features: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """The original classifier's logits from features (the cut-off dense layer)."""
        dense = self.dense
        out: npt.NDArray[np.float32] = (features @ dense.weights.T + dense.bias).astype(np.float32)
        return out

    # lifetime ---------------------------------------------------------------------------
    def _require_open(self) -> LoadedModel:
        if self._model is None:
            raise InferenceError(f"the feature extractor of {self.name} is closed")
        return self._model

    def close(self) -> None:
        if self._model is not None:
            self._model.close()
            self._model = None

    def __enter__(self) -> FeatureExtractor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
