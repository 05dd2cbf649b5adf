"""Teach new classes: a softmax head on the pooled features of a zoo backbone.

Transfer learning in seconds on a CPU, from a folder with one subfolder per
class holding photos and/or videos (``camviz teach DATA --out my.head.npz``),
or from frames handed over one by one (a GUI's live camera) through
:class:`TeachSession`::

    session = TeachSession()                 # loads the backbone on this thread
    session.add_sample("mug", frame)         # HxWx3 RGB uint8; features extracted now
    ...
    report = session.train()                 # numpy only: fine on a worker thread
    print(report.format())
    session.save("mug_or_not.head.npz")
    clf = session.to_classifier()            # a Classifier; new interpreter on this thread

A saved head (``*.head.npz``: arrays plus a JSON header, never pickles) is
accepted wherever a model is (``--model my.head.npz``): :func:`camviz.loading.open_classifier`
hands such paths to :func:`load_taught_classifier`.

Validation split: samples of a video (or of one camera recording) are split by
time, the first part for training and the last for validation, so neighbouring
frames never sit on both sides; single photos are split by a seeded shuffle.
Augmented copies (flips, crop jitter, brightness) are made of training samples only.

What lives where (each module imports only those above it in this list):

- :mod:`~camviz.teach.options`: :class:`TrainOptions`.
- :mod:`~camviz.teach.dataset`: :class:`SampleKey` and the train/val split
  (:func:`assign_splits`), data-folder scanning, frames picked from videos.
- :mod:`~camviz.teach.augment`: augmented copies of a training frame.
- :mod:`~camviz.teach.fit`: the head fit (softmax regression by L-BFGS, numpy only).
- :mod:`~camviz.teach.head`: :class:`Head` and the ``*.head.npz`` format
  (:meth:`Head.save`, :func:`load_head`).
- :mod:`~camviz.teach.report`: :class:`TrainReport`, confusion matrices as text or PNG.
- :mod:`~camviz.teach.classifier`: :class:`TaughtClassifier`, :func:`load_taught_classifier`,
  :func:`backbone_for`.
- :mod:`~camviz.teach.session`: :class:`TeachSession` and :func:`teach_folder`.

Layer: teach sits above classifier and features. It may import the foundation
modules (errors, defaults, zoo, imageio, fileio, ...), sources, backends,
classifier and features; never loading, pipeline, bench, evaluate, app, qt or cli.
Anything above it (loading, cli, qt, and :mod:`camviz.export`, which
exports a head as a standalone .tflite with TensorFlow)
import from ``camviz.teach`` itself, not from its modules: the names below are
the package's interface. The ``.head.npz`` naming rule is :mod:`camviz.zoo`'s
(:data:`HEAD_SUFFIX`, :func:`is_head_path`), re-exported here.
"""

from __future__ import annotations

from camviz.teach.augment import augment
from camviz.teach.classifier import TaughtClassifier, backbone_for, load_taught_classifier
from camviz.teach.dataset import (
    VIDEO_EXTENSIONS,
    FolderItem,
    SampleKey,
    Split,
    assign_splits,
    scan_folder,
    video_frames,
)
from camviz.teach.fit import FitResult, fit_softmax
from camviz.teach.head import HEAD_FORMAT, HEAD_VERSION, Head, load_head
from camviz.teach.options import TrainOptions
from camviz.teach.report import TrainReport, format_confusion, save_confusion_png
from camviz.teach.session import MIN_SAMPLES, FolderProgress, TeachSession, teach_folder
from camviz.zoo import HEAD_SUFFIX, is_head_path

__all__ = [
    "HEAD_FORMAT",
    "HEAD_SUFFIX",
    "HEAD_VERSION",
    "MIN_SAMPLES",
    "VIDEO_EXTENSIONS",
    "FitResult",
    "FolderItem",
    "FolderProgress",
    "Head",
    "SampleKey",
    "Split",
    "TaughtClassifier",
    "TeachSession",
    "TrainOptions",
    "TrainReport",
    "assign_splits",
    "augment",
    "backbone_for",
    "fit_softmax",
    "format_confusion",
    "is_head_path",
    "load_head",
    "load_taught_classifier",
    "save_confusion_png",
    "scan_folder",
    "teach_folder",
    "video_frames",
]
