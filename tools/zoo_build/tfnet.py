"""Rebuild EfficientNet-Lite in TensorFlow ops and convert them with the TFLite converter.

TensorFlow is imported lazily; :func:`require_tensorflow` turns its absence into
:class:`camviz.errors.ExtraNotInstalledError`.  The graphs take raw pixels 0..255
(float32, NHWC, batch 1) and contain the normalisation, so the converted models do too.
BatchNorm is folded into the convolutions here; the converted graph ends in logits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from camviz.errors import ExtraNotInstalledError
from tools.zoo_build.efficientnet import EfficientNetLite

__all__ = ["convert", "efficientnet_function", "require_tensorflow"]


def require_tensorflow() -> Any:
    try:
        import tensorflow as tf
    except ImportError as exc:
        raise ExtraNotInstalledError("Building models", "build", "tensorflow-cpu") from exc
    return tf


def _hwio(w: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(w.transpose(2, 3, 1, 0))


def _depthwise(w: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(w[:, 0].transpose(1, 2, 0)[..., None])


def efficientnet_function(net: EfficientNetLite, size: int) -> tuple[Any, Any]:
    """(concrete function, trackable module) computing logits from raw RGB 0..255."""
    tf = require_tensorflow()

    def conv(x: Any, layer: Any) -> Any:
        w, bias = layer.folded()
        s = layer.stride
        if layer.depthwise:
            y = tf.nn.depthwise_conv2d(x, tf.constant(_depthwise(w)), [1, s, s, 1], "SAME")
        else:
            y = tf.nn.conv2d(x, tf.constant(_hwio(w)), [1, s, s, 1], "SAME")
        return tf.nn.bias_add(y, tf.constant(bias))

    module = tf.Module()

    @tf.function(  # type: ignore[untyped-decorator]
        input_signature=[tf.TensorSpec([1, size, size, 3], tf.float32, name="image")]
    )
    def model(image: Any) -> Any:
        x = (image - 127.0) * (1.0 / 128.0)
        x = tf.nn.relu6(conv(x, net.stem))
        for block in net.blocks:
            inp = x
            if block.expand is not None:
                x = tf.nn.relu6(conv(x, block.expand))
            x = tf.nn.relu6(conv(x, block.depthwise))
            x = conv(x, block.project)
            if block.skip:
                x = x + inp
        x = tf.nn.relu6(conv(x, net.head))
        x = tf.reduce_mean(x, axis=[1, 2])
        w = tf.constant(np.ascontiguousarray(net.fc_weight.T.astype(np.float32)))
        return tf.identity(
            tf.matmul(x, w) + tf.constant(net.fc_bias.astype(np.float32)), name="logits"
        )

    module.model = model
    return model.get_concrete_function(), module


def convert(
    function_and_module: tuple[Any, Any],
    representative: Callable[[], Iterable[list[np.ndarray]]] | None = None,
) -> bytes:
    """Float32 model, or full-integer int8 with uint8 input/output if ``representative``."""
    tf = require_tensorflow()
    function, module = function_and_module
    converter = tf.lite.TFLiteConverter.from_concrete_functions([function], module)
    if representative is not None:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.uint8
        converter.inference_output_type = tf.uint8
    return bytes(converter.convert())
