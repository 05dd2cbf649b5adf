"""Image classification with one loaded model: options, model info, the classifier.

>>> from camviz import Classifier, ClassifierOptions, load_image
>>> with Classifier.create(ClassifierOptions(model="efficientnet_lite0_int8")) as clf:
...     result = clf.classify(load_image("assets/photos/skimage/chelsea.png"))
...     result.top.label
'tiger cat'

* :mod:`~camviz.classifier.options`: :class:`ClassifierOptions` (what to load, how to report);
* :mod:`~camviz.classifier.info`: :class:`ModelInfo` and how a model file is read
  (labels and their source, label layout, input shapes);
* :mod:`~camviz.classifier.classifier`: :class:`Classifier` (preprocess, invoke, results).

Imports backends, preprocess, labels, zoo and results; imported by features,
teach, loading and everything above. Taught heads (``*.head.npz``) are opened
by :func:`camviz.loading.open_classifier`, not here.
"""

from camviz.classifier.classifier import CLIP_WARN_FRACTION, Classifier, softmax
from camviz.classifier.info import ModelInfo, OutputKind
from camviz.classifier.options import ClassifierOptions

__all__ = [
    "CLIP_WARN_FRACTION",
    "Classifier",
    "ClassifierOptions",
    "ModelInfo",
    "OutputKind",
    "softmax",
]
