"""Build tests/data/not_a_classifier.tflite: a valid TFLite model that is not an image classifier.

It takes a [1, 224, 224, 3] image and returns a [1, 56, 56, 4] feature map (a
random-weight 4x4 strided convolution), so the classifier must refuse it by its
output shape. Run with the build extra:  .venv-build/bin/python tests/data/make_not_a_classifier.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf

OUT = Path(__file__).with_name("not_a_classifier.tflite")

kernel = tf.constant(np.random.default_rng(0).normal(size=(4, 4, 3, 4)).astype(np.float32))


@tf.function(input_signature=[tf.TensorSpec([1, 224, 224, 3], tf.float32)])
def feature_map(image: tf.Tensor) -> tf.Tensor:
    return tf.nn.conv2d(image, kernel, strides=4, padding="SAME")


converter = tf.lite.TFLiteConverter.from_concrete_functions(
    [feature_map.get_concrete_function()], feature_map
)
OUT.write_bytes(converter.convert())
print(OUT, OUT.stat().st_size, "bytes")
