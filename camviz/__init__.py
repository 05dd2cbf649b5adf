"""camviz: live camera image classification with TensorFlow Lite models.

The names a program needs are importable from here; each is imported on first
use (module ``__getattr__``), so ``import camviz`` stays cheap and loads neither
OpenCV nor a TFLite runtime::

    from camviz import ClassifierOptions, load_image, open_classifier

    with open_classifier(ClassifierOptions(model="efficientnet_lite0_int8")) as clf:
        print(clf.classify(load_image("photo.jpg")).top)

Images are HxWx3 uint8 **RGB**, as :func:`load_image` and every camviz source
give them. Frames straight from OpenCV (``cv2.imread``, ``cv2.VideoCapture``)
are BGR: pass ``color="bgr"`` to :meth:`Classifier.classify`.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Before any camviz module imports OpenCV: camviz.limits gives OpenCV its own pixel limit
# (OPENCV_IO_MAX_IMAGE_PIXELS), which OpenCV reads only once, when it is first imported.
from camviz import limits as _limits  # noqa: F401  (stdlib only: import stays cheap)

#: public name -> the module that defines it
_EXPORTS: dict[str, str] = {
    "Category": "camviz.results",
    "ClassificationResult": "camviz.results",
    "Classifier": "camviz.classifier",
    "ClassifierOptions": "camviz.classifier",
    "open_classifier": "camviz.loading",
    "Frame": "camviz.sources",
    "Source": "camviz.sources",
    "make_source": "camviz.sources",
    "open_source": "camviz.sources",
    "Pipeline": "camviz.pipeline",
    "PipelineOptions": "camviz.pipeline",
    "FrameResult": "camviz.pipeline",
    "PipelineEvent": "camviz.pipeline",
    "Delivery": "camviz.running",
    "RunningClassifier": "camviz.running",
    "RunningMode": "camviz.running",
    "RunningOptions": "camviz.running",
    "load_image": "camviz.imageio",
    "CamvizError": "camviz.errors",
}

__all__ = [
    "CamvizError",
    "Category",
    "ClassificationResult",
    "Classifier",
    "ClassifierOptions",
    "Delivery",
    "Frame",
    "FrameResult",
    "Pipeline",
    "PipelineEvent",
    "PipelineOptions",
    "RunningClassifier",
    "RunningMode",
    "RunningOptions",
    "Source",
    "__version__",
    "load_image",
    "make_source",
    "open_classifier",
    "open_source",
]

if TYPE_CHECKING:
    from camviz.classifier import Classifier, ClassifierOptions
    from camviz.errors import CamvizError
    from camviz.imageio import load_image
    from camviz.loading import open_classifier
    from camviz.pipeline import FrameResult, Pipeline, PipelineEvent, PipelineOptions
    from camviz.results import Category, ClassificationResult
    from camviz.running import Delivery, RunningClassifier, RunningMode, RunningOptions
    from camviz.sources import Frame, Source, make_source, open_source


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'camviz' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # the next lookup skips __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
