"""Opening a classifier from any model spec: a zoo name, a user's file, or a taught head.

:func:`open_classifier` is the one entry point the pipeline, the CLI, the
benchmarks and the GUI use. It resolves the spec with
:func:`camviz.zoo.resolve_model` (one rule for name vs path) and hands taught
heads (``*.head.npz``) to :mod:`camviz.teach`, everything else to
:meth:`camviz.classifier.Classifier.create`. A user's model file can first be
test-loaded in a child process (:func:`check_model_file`), so a file that
crashes the native runtime only takes that child down.

Imports the classifier, teach (lazily, for heads) and the zoo; used by the
pipeline, bench, evaluate, zoo_report and the command line.

>>> with open_classifier(ClassifierOptions(model="efficientnet_lite0_int8")) as clf:
...     clf.info.num_classes
1000
"""

from __future__ import annotations

from typing import Any

from camviz.classifier import Classifier, ClassifierOptions
from camviz.loading.safety import DEFAULT_TIMEOUT_S, ModelCheck, check_model_file, needs_check
from camviz.zoo import ModelKind, resolve_model

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "ModelCheck",
    "check_model_file",
    "needs_check",
    "open_classifier",
]


def open_classifier(
    options: ClassifierOptions | None = None, *, check: bool = True, **overrides: Any
) -> Classifier:
    """Load the model ``options.model`` names, on the calling thread (its interpreter's thread).

    A user's model file is test-loaded in a child process first (``check``; once
    per unchanged file and process), so no caller can forget it.
    """
    options = options or ClassifierOptions()
    if overrides:
        options = options.replace(**overrides)
    if check and needs_check(options.model):
        check_model_file(options.model, backend=options.backend)
    if resolve_model(options.model).kind is ModelKind.HEAD:
        from camviz.teach import load_taught_classifier  # numpy + a zoo backbone

        return load_taught_classifier(options)
    return Classifier.create(options)
