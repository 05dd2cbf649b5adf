"""Build the small TFLite models the tests use (run with the build extra):

    .venv-build/bin/python tests/data/make_test_models.py

* ``not_a_classifier.tflite``: a valid model that is not an image classifier: a
  [1, 224, 224, 3] image in, a [1, 56, 56, 4] feature map out (a seeded random
  4x4 strided convolution); the classifier must refuse it by its output shape.
* ``softmax_classifier.tflite``: a 3-class "classifier" ending in a softmax
  (mean colour -> dense -> softmax, fixed weights: red, green, blue), as the
  guide's own models end; camviz must read its outputs as probabilities.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf

HERE = Path(__file__).parent


def convert(function: tf.types.experimental.GenericFunction, name: str) -> None:
    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [function.get_concrete_function()], function
    )
    out = HERE / name
    out.write_bytes(converter.convert())
    print(out, out.stat().st_size, "bytes")


kernel = tf.constant(np.random.default_rng(0).normal(size=(4, 4, 3, 4)).astype(np.float32))


@tf.function(input_signature=[tf.TensorSpec([1, 224, 224, 3], tf.float32)])
def feature_map(image: tf.Tensor) -> tf.Tensor:
    return tf.nn.conv2d(image, kernel, strides=4, padding="SAME")


weights = tf.constant(np.eye(3, dtype=np.float32) * 5.0)


@tf.function(input_signature=[tf.TensorSpec([1, 64, 64, 3], tf.float32)])
def colour_classifier(image: tf.Tensor) -> tf.Tensor:
    mean = tf.reduce_mean(image, axis=[1, 2])  # [1, 3], in -1..1 (float input, no metadata)
    return tf.nn.softmax(tf.matmul(mean, weights))


convert(feature_map, "not_a_classifier.tflite")
convert(colour_classifier, "softmax_classifier.tflite")
(HERE / "softmax_classifier.txt").write_text("red\ngreen\nblue\n")
