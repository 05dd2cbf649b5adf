"""Teaching as it happens: :class:`TeachSession` (frames one by one) and :func:`teach_folder`.

A session extracts features as samples arrive (on the thread that made it,
which owns the backbone's interpreter), then :meth:`TeachSession.train` splits
(:mod:`camviz.teach.dataset`), fits (:mod:`camviz.teach.fit`) and evaluates,
with numpy only, so a GUI may run it on a worker thread. :func:`teach_folder`
feeds a session from a data folder, one subfolder per class.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt

from camviz.classifier import ClassifierOptions
from camviz.defaults import THREADS
from camviz.errors import ImageError, OptionsError, SourceError, TeachError, format_error
from camviz.features import Backbone, FeatureExtractor
from camviz.imageio import load_image
from camviz.teach.augment import augment
from camviz.teach.classifier import TaughtClassifier
from camviz.teach.dataset import SampleKey, assign_splits, scan_folder, video_frames
from camviz.teach.fit import fit_softmax
from camviz.teach.head import Head
from camviz.teach.options import TrainOptions
from camviz.teach.report import TrainReport, nearest_similarity, split_warnings

__all__ = ["MIN_SAMPLES", "FolderProgress", "TeachSession", "teach_folder"]

MIN_SAMPLES = 2  # per class, before augmentation

#: ``teach_folder``'s progress callback: (frames done, frames expected in all).
FolderProgress = Callable[[int, int], None]


class TeachSession:
    """Collect labelled frames, train a head, classify with it, save it.

    Frames go through the backbone when added (:meth:`add_sample`, on the thread
    that created the session, which owns the interpreter); :meth:`train` is numpy
    only and may run on a worker thread. A GUI's Teach panel calls
    ``add_sample(label, frame)`` as it captures (one ``recording`` per press of a
    capture button, so that split by time works), ``train()`` in the background,
    then ``to_classifier()`` on its inference thread, or ``save(path)``.
    """

    def __init__(
        self,
        backbone: str | Backbone = "",
        *,
        options: TrainOptions | None = None,
        threads: int = THREADS,
        extractor: FeatureExtractor | None = None,
    ) -> None:
        self.options = options or TrainOptions()
        self.extractor = extractor or FeatureExtractor.create(backbone, threads=threads)
        self._features: list[npt.NDArray[np.float32]] = []
        self._keys: list[SampleKey] = []
        self._parent: list[int] = []  # -1 for originals, else the index of the original
        self._labels: list[str] = []
        self._rng = np.random.default_rng(self.options.seed)
        self.extract_seconds = 0.0
        self.extracted = 0
        self.skipped: list[str] = []
        self.head: Head | None = None
        self.report: TrainReport | None = None

    # collecting --------------------------------------------------------------------------
    @property
    def labels(self) -> tuple[str, ...]:
        """Class names in the order they were first added."""
        return tuple(self._labels)

    def counts(self) -> dict[str, int]:
        """Original (not augmented) samples per class."""
        result = dict.fromkeys(self._labels, 0)
        for key, parent in zip(self._keys, self._parent, strict=True):
            if parent < 0:
                result[key.label] += 1
        return result

    def add_class(self, label: str) -> None:
        label = label.strip()
        if not label:
            raise OptionsError("a class needs a non-empty name")
        if label not in self._labels:
            self._labels.append(label)

    def remove_class(self, label: str) -> None:
        """Forget a class and all its samples."""
        keep = [i for i, key in enumerate(self._keys) if key.label != label]
        remap = {old: new for new, old in enumerate(keep)}
        self._features = [self._features[i] for i in keep]
        self._keys = [self._keys[i] for i in keep]
        self._parent = [remap[self._parent[i]] if self._parent[i] >= 0 else -1 for i in keep]
        if label in self._labels:
            self._labels.remove(label)

    def add_sample(
        self,
        label: str,
        frame: npt.NDArray[np.uint8],
        *,
        recording: str = "camera",
        order: int | None = None,
        sequence: bool = True,
        burst: bool = False,
        augment_copies: int | None = None,
    ) -> npt.NDArray[np.float32]:
        """Add one HxWx3 RGB uint8 frame of class ``label``; returns its features.

        ``recording`` groups frames that were captured in a row (a video file, one
        camera capture); with ``sequence=True`` they are split by ``order`` (time,
        default: the order of adding); ``burst=True`` (camera captures) keeps the
        whole recording on one side of the split. Augmented copies (``options.augment``) are
        made now and used only if the frame ends up in the training split.
        """
        self.add_class(label)
        label = label.strip()
        if order is None:
            order = sum(1 for k in self._keys if k.group == recording and k.label == label)
        start = time.perf_counter()
        features = self.extractor.extract(frame)
        self.extracted += 1
        index = len(self._keys)
        self._features.append(features)
        self._keys.append(SampleKey(label, recording, order, sequence, burst))
        self._parent.append(-1)
        copies = (
            augment_copies
            if augment_copies is not None
            else (self.options.augment_copies if self.options.augment else 0)
        )
        if copies:
            for variant in augment(frame, self._rng, copies):
                self._features.append(self.extractor.extract(variant))
                self._keys.append(SampleKey(label, recording, order, sequence, burst))
                self._parent.append(index)
                self.extracted += 1
        self.extract_seconds += time.perf_counter() - start
        return features

    def add_features(
        self, label: str, features: npt.NDArray[np.float32], key: SampleKey | None = None
    ) -> None:
        """Add a precomputed feature vector (e.g. cached) as an original sample."""
        vector = np.asarray(features, np.float32).reshape(-1)
        if vector.shape != (self.extractor.dim,):
            raise OptionsError(
                f"features must have {self.extractor.dim} values, got {vector.shape}"
            )
        self.add_class(label)
        label = label.strip()
        self._features.append(vector)
        order = sum(1 for k in self._keys if k.label == label)
        self._keys.append(key or SampleKey(label, "features", order, True))
        self._parent.append(-1)

    # training ----------------------------------------------------------------------------
    def _check_enough(self) -> None:
        counts = self.counts()
        labels = [label for label, n in counts.items() if n > 0]
        empty = [label for label, n in counts.items() if n == 0]
        if empty:
            raise TeachError(
                f"class {empty[0]!r} has no samples; add at least {MIN_SAMPLES} frames or "
                "photos of it, or remove the class"
            )
        if len(labels) < 2:
            only = f" (only {labels[0]!r})" if labels else ""
            raise TeachError(
                f"teaching needs at least 2 classes{only}; add a second class, for example "
                "'background' with frames of everything else"
            )
        small = [(label, n) for label, n in counts.items() if n < MIN_SAMPLES]
        if small:
            label, n = small[0]
            raise TeachError(
                f"class {label!r} has only {n} usable sample; add at least {MIN_SAMPLES} "
                "(better 20 or more, from different views) or remove the class"
            )

    def train(self) -> TrainReport:
        """Split, fit and evaluate; sets :attr:`head` and :attr:`report`. Numpy only."""
        self._check_enough()
        opts = self.options
        labels = tuple(self._labels)
        index = {label: i for i, label in enumerate(labels)}
        originals = [i for i, p in enumerate(self._parent) if p < 0]
        splits_of = dict(
            zip(
                originals,
                assign_splits([self._keys[i] for i in originals], opts.val, opts.seed),
                strict=True,
            )
        )
        split = [
            splits_of[i] if self._parent[i] < 0 else splits_of[self._parent[i]]
            for i in range(len(self._keys))
        ]
        train_idx = [i for i in range(len(self._keys)) if split[i] == "train"]
        val_idx = [i for i in originals if split[i] == "val"]  # augmented copies never validate
        features = np.stack(self._features)
        targets = np.array([index[k.label] for k in self._keys], np.int64)
        fit = fit_softmax(
            features[train_idx],
            targets[train_idx],
            len(labels),
            l2=opts.l2,
            max_iter=opts.max_iter,
            tol=opts.tol,
            balance=opts.balance,
        )
        backbone = self.extractor.backbone
        training = {
            "samples": {
                label: {
                    "train": int(np.sum(targets[train_idx] == i)),
                    "val": int(np.sum(targets[val_idx] == i)),
                }
                for i, label in enumerate(labels)
            },
            "options": opts.to_dict(),
            "loss": fit.loss,
            "iterations": fit.iterations,
        }
        head = Head(
            labels,
            fit.weights,
            fit.bias,
            fit.mean,
            fit.std,
            backbone.name,
            backbone.sha256,
            backbone.dense.input_name,
            training,
        )
        train_pred = head.predict(features[train_idx])
        confusion = np.zeros((len(labels), len(labels)), np.int64)
        if val_idx:
            val_pred = head.predict(features[val_idx])
            np.add.at(confusion, (targets[val_idx], val_pred), 1)
        per_class = tuple(
            float(confusion[i, i] / confusion[i].sum()) if confusion[i].sum() else None
            for i in range(len(labels))
        )
        val_acc = float(np.trace(confusion) / confusion.sum()) if val_idx else None
        training["val_accuracy"] = val_acc
        originals_train = [i for i in originals if split[i] == "train"]
        similarity = nearest_similarity(
            features[val_idx], targets[val_idx], features[originals_train], targets[originals_train]
        )
        warnings = split_warnings(labels, targets[val_idx], similarity)
        report = TrainReport(
            labels=labels,
            train_counts=tuple(int(np.sum(targets[train_idx] == i)) for i in range(len(labels))),
            val_counts=tuple(int(np.sum(targets[val_idx] == i)) for i in range(len(labels))),
            train_accuracy=float(np.mean(train_pred == targets[train_idx])),
            val_accuracy=val_acc,
            class_accuracy=per_class,
            confusion=confusion,
            loss=fit.loss,
            iterations=fit.iterations,
            train_seconds=fit.seconds,
            extract_seconds=self.extract_seconds,
            extracted=self.extracted,
            skipped=tuple(self.skipped),
            backbone=backbone.name,
            options=opts.to_dict(),
            val_similarity=float(np.median(similarity)) if similarity.size else None,
            warnings=warnings,
        )
        self.head, self.report = head, report
        return report

    # using -------------------------------------------------------------------------------
    def _require_head(self) -> Head:
        if self.head is None:
            raise TeachError("nothing taught yet: call train() first")
        return self.head

    def classify_features(self, features: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Probabilities of the trained head for a feature vector."""
        return self._require_head().probabilities(features)

    def predict(self, frame: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        """Probabilities for a frame with this session's extractor (its thread only)."""
        return self.classify_features(self.extractor.extract(frame))

    def to_classifier(self, options: ClassifierOptions | None = None) -> TaughtClassifier:
        """A classifier with the trained head; its own interpreter, on the calling thread."""
        return TaughtClassifier.from_head(self._require_head(), options)

    def save(self, path: str | Path) -> Path:
        return self._require_head().save(path)

    def close(self) -> None:
        self.extractor.close()

    def __enter__(self) -> TeachSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def teach_folder(
    data: str | Path,
    *,
    backbone: str = "",
    options: TrainOptions | None = None,
    threads: int = THREADS,
    progress: FolderProgress | None = None,
    session: TeachSession | None = None,
) -> tuple[Head, TrainReport]:
    """Teach the classes of ``data`` (one subfolder per class of photos and/or videos).

    Unreadable files are reported in ``report.skipped`` and left out; a class left
    with fewer than two samples, a single class, or no class raise :class:`TeachError`.
    """
    opts = options or TrainOptions()
    root = Path(data)
    labels, items, skipped = scan_folder(root)
    own = session is None
    session = session or TeachSession(backbone, options=opts, threads=threads)
    try:
        for label in labels:
            session.add_class(label)
        session.skipped.extend(skipped)
        # Photos are split up front (videos per file below), so that only training
        # samples get augmented copies; train() assigns the same splits again.
        photo_keys = [SampleKey(it.label, str(it.path), 0, False) for it in items if not it.video]
        photo_split = dict(
            zip(
                (k.group for k in photo_keys),
                assign_splits(photo_keys, opts.val, opts.seed),
                strict=True,
            )
        )
        total = sum(opts.frames_per_video if it.video else 1 for it in items)
        done = shown = 0

        def advance(n: int) -> None:
            nonlocal done, shown
            done = min(done + n, total)
            if progress is not None and done != shown:
                shown = done
                progress(done, total)

        for item in items:
            expected = opts.frames_per_video if item.video else 1
            try:
                if item.video:
                    frames = video_frames(item.path, opts.frames_per_video)
                    if not frames:
                        raise TeachError(f"{item.path} has no decodable frame")
                    keys = [SampleKey(item.label, str(item.path), n, True) for n, _ in frames]
                    images = [image for _, image in frames]
                    splits = assign_splits(keys, opts.val, opts.seed)
                else:
                    images = [load_image(item.path)]
                    keys = [SampleKey(item.label, str(item.path), 0, False)]
                    splits = [photo_split[str(item.path)]]
            except (ImageError, SourceError, TeachError) as exc:
                message = format_error(exc)
                where = "" if str(item.path) in message else f"{item.path}: "
                session.skipped.append(f"{where}{message} (skipped)")
                advance(expected)
                continue
            for key, image, split in zip(keys, images, splits, strict=True):
                copies = opts.augment_copies if opts.augment and split == "train" else 0
                session.add_sample(
                    key.label,
                    image,
                    recording=key.group,
                    order=key.order,
                    sequence=key.sequence,
                    augment_copies=copies,
                )
                advance(1)
            advance(expected - len(images))  # a short video: count the frames it lacked
        report = session.train()
        assert session.head is not None
        return session.head, report
    finally:
        if own:
            session.close()
