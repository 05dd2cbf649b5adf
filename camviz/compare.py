"""Two models on the same frames: how far they agree, where they differ, and what each costs.

:func:`compare_inputs` runs two classifiers over any source of the one grammar
(:func:`camviz.sources.parse_source`: photos, folders, globs, image sequences, videos, the demo
reel, URLs, streams, cameras, the screen; photos through the batch decoder,
:mod:`camviz.batch.runner`; frame sources through :func:`camviz.sources.make_source`): every
frame is decoded once and both models classify that same array. :class:`Comparison`
accumulates, pair by pair (a window can feed it live):

* top-1 agreement: the share of frames whose best class is the same;
* top-5 overlap: the mean share of the five best classes the two have in common;
* mean KL divergence KL(A || B) of the probability vectors (nats);
* the largest difference of one class's probability, with its class and frame;
* the classes they disagree on (A's label, B's label, how often);
* each model's latency (preprocess + invoke + softmax), mean, p50 and p95.

Classes are matched by index when the two models have the same labels, by ImageNet-1k class
when both are ImageNet models (1000 or 1001 outputs), else by label; a pair with no classes in
common is refused. The frames that disagree most are kept as thumbnails (``keep``).

Layer: with bench, evaluate and batch (imports batch, loading, sources, annotate).
"""

from __future__ import annotations

import heapq
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import cv2
import numpy as np
import numpy.typing as npt

from camviz.annotate import CropBox, LabelSheet
from camviz.batch.decode import Decoded, DecodeTarget
from camviz.batch.runner import decode_timed, default_workers
from camviz.classifier import Classifier, ModelInfo
from camviz.defaults import METER_SPAN_S
from camviz.errors import CamvizError, ModelError, OptionsError, format_error
from camviz.imageio import find_images
from camviz.labels import LabelLayout
from camviz.preprocess import input_region
from camviz.results import ClassificationResult
from camviz.sources import (
    VIDEO_EXTENSIONS,
    SourceKind,
    SourceSpec,
    UrlSource,
    demo_reel_path,
    make_source,
    parse_source,
    redact,
)

__all__ = [
    "TOP_N",
    "Aligner",
    "pair_record",
    "Comparison",
    "CompareReport",
    "PairRecord",
    "RollingAgreement",
    "compare_inputs",
    "thumbnail",
]

#: The overlap is measured over this many best classes.
TOP_N: Final = 5
_EPS: Final = 1e-8
_THUMB_WIDTH: Final = 480


@dataclass(frozen=True, slots=True)
class Aligner:
    """Maps two models' probability vectors onto their common classes."""

    index_a: npt.NDArray[np.intp]
    index_b: npt.NDArray[np.intp]
    names: tuple[str, ...]
    how: str  # "index", "imagenet" or "label"

    @classmethod
    def of(cls, a: Classifier, b: Classifier) -> Aligner:
        return cls.of_infos(a.info, b.info)

    @classmethod
    def of_infos(cls, a: ModelInfo, b: ModelInfo) -> Aligner:
        """The aligner of two loaded models, from what each one's info says."""
        la, lb = a.labels, b.labels
        if tuple(la) == tuple(lb):
            every = np.arange(len(la), dtype=np.intp)
            return cls(every, every, tuple(la), "index")
        layouts = (a.label_layout, b.label_layout)
        if LabelLayout.OTHER not in layouts:
            shift_a = 1 if layouts[0] is LabelLayout.IMAGENET_BACKGROUND else 0
            shift_b = 1 if layouts[1] is LabelLayout.IMAGENET_BACKGROUND else 0
            classes = np.arange(min(len(la) - shift_a, len(lb) - shift_b), dtype=np.intp)
            names = tuple(la[i + shift_a] for i in classes)
            return cls(classes + shift_a, classes + shift_b, names, "imagenet")
        where_b = {label: i for i, label in enumerate(lb)}
        common = [(i, where_b[label]) for i, label in enumerate(la) if label in where_b]
        if not common:
            raise ModelError(
                f"{a.name} and {b.name} have no class in common; compare models "
                "that classify the same classes (the same labels, or both ImageNet)"
            )
        ia, ib = (np.array(side, dtype=np.intp) for side in zip(*common, strict=True))
        return cls(ia, ib, tuple(la[i] for i in ia), "label")

    def __call__(
        self, pa: npt.NDArray[np.float32], pb: npt.NDArray[np.float32]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Both vectors over the common classes, each renormalised to sum to one."""
        qa = pa[self.index_a].astype(np.float64)
        qb = pb[self.index_b].astype(np.float64)
        return qa / max(qa.sum(), _EPS), qb / max(qb.sum(), _EPS)


@dataclass(frozen=True, slots=True)
class PairRecord:
    """One frame seen by both models."""

    name: str  # the photo's path, or "video frame N"
    top_a: str
    top_b: str
    score_a: float
    score_b: float
    agree: bool
    overlap: float  # shared share of the TOP_N best classes
    kl: float  # KL(A || B) in nats
    max_diff: float  # the largest |pA - pB| of one class
    max_diff_class: str
    distance: float  # total variation: half the sum of |pA - pB|
    latency_a_ms: float
    latency_b_ms: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "a": {"label": self.top_a, "score": round(self.score_a, 6)},
            "b": {"label": self.top_b, "score": round(self.score_b, 6)},
            "agree": self.agree,
            "top5_overlap": round(self.overlap, 4),
            "kl": round(self.kl, 6),
            "max_diff": round(self.max_diff, 6),
            "max_diff_class": self.max_diff_class,
            "distance": round(self.distance, 6),
        }


def _latency(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"mean_ms": None, "p50_ms": None, "p95_ms": None}
    array = np.asarray(values)
    return {
        "mean_ms": round(float(array.mean()), 3),
        "p50_ms": round(float(np.percentile(array, 50)), 3),
        "p95_ms": round(float(np.percentile(array, 95)), 3),
    }


class RollingAgreement:
    """Top-1 agreement and top-5 overlap over the last ``window_s`` seconds of frame pairs
    (a window's live A/B reading over the meter's window): ``add(stamp, record)`` with the
    pair's capture stamp, in time order; older pairs fall out."""

    def __init__(self, window_s: float = METER_SPAN_S) -> None:
        if not window_s > 0:
            raise OptionsError(f"the agreement window must be positive, not {window_s}")
        self.window_s = window_s
        self._pairs: deque[tuple[float, bool, float]] = deque()

    def add(self, stamp: float, record: PairRecord) -> None:
        self._pairs.append((stamp, record.agree, record.overlap))
        while self._pairs and self._pairs[0][0] < stamp - self.window_s:
            self._pairs.popleft()

    @property
    def count(self) -> int:
        return len(self._pairs)

    @property
    def agreement(self) -> float | None:
        """The share of the window's pairs whose top-1 is the same (None when empty)."""
        return sum(p[1] for p in self._pairs) / len(self._pairs) if self._pairs else None

    @property
    def overlap(self) -> float | None:
        """The mean top-5 overlap of the window's pairs (None when empty)."""
        return sum(p[2] for p in self._pairs) / len(self._pairs) if self._pairs else None


def pair_record(
    aligner: Aligner, name: str, a: ClassificationResult, b: ClassificationResult
) -> PairRecord:
    """What one frame's two results say side by side (the classes matched by ``aligner``)."""
    pa, pb = aligner(a.probabilities, b.probabilities)
    ta, tb = int(np.argmax(pa)), int(np.argmax(pb))
    best_a = set(np.argsort(-pa, kind="stable")[:TOP_N].tolist())
    best_b = set(np.argsort(-pb, kind="stable")[:TOP_N].tolist())
    diff = np.abs(pa - pb)
    worst = int(np.argmax(diff))
    kl = float(np.sum(pa * (np.log(pa + _EPS) - np.log(pb + _EPS))))
    names = aligner.names
    return PairRecord(
        name=name,
        top_a=names[ta],
        top_b=names[tb],
        score_a=float(pa[ta]),
        score_b=float(pb[tb]),
        agree=ta == tb,
        overlap=len(best_a & best_b) / min(TOP_N, len(pa)),
        kl=max(0.0, kl),
        max_diff=float(diff[worst]),
        max_diff_class=names[worst],
        distance=0.5 * float(diff.sum()),
        latency_a_ms=a.times.total_ms,
        latency_b_ms=b.times.total_ms,
    )


@dataclass(slots=True)
class Comparison:
    """The running comparison of two models, one frame pair at a time."""

    model_a: str
    model_b: str
    aligner: Aligner
    keep: int = 0  # thumbnails of the frames that disagree most
    interrupted: bool = False  # stopped by Ctrl-C: what was counted until then
    records: list[PairRecord] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    _kept: list[tuple[float, int, npt.NDArray[np.uint8]]] = field(default_factory=list)

    def add(
        self,
        name: str,
        a: ClassificationResult,
        b: ClassificationResult,
        thumb: Callable[[], npt.NDArray[np.uint8]] | None = None,
    ) -> PairRecord:
        """Count one frame's pair of results; ``thumb`` makes its thumbnail if it is kept."""
        record = pair_record(self.aligner, name, a, b)
        self.records.append(record)
        if self.keep and thumb is not None:
            rank = (0.0 if record.agree else 1.0) + record.distance
            entry = (rank, len(self.records) - 1)
            if len(self._kept) < self.keep:
                heapq.heappush(self._kept, (*entry, thumb()))
            elif entry > self._kept[0][:2]:
                heapq.heapreplace(self._kept, (*entry, thumb()))
        return record

    def fail(self, name: str, exc: BaseException) -> None:
        kind, _, text = format_error(exc).partition(": ")
        self.failures.append({"name": name, "error": {"type": kind, "message": text}})

    def thumbnails(self) -> list[tuple[PairRecord, npt.NDArray[np.uint8]]]:
        """The kept frames, the most disagreeing first."""
        ordered = sorted(self._kept, key=lambda e: (-e[0], e[1]))
        return [(self.records[i], image) for _, i, image in ordered]

    def report(self) -> CompareReport:
        return CompareReport.of(self)


@dataclass(frozen=True, slots=True)
class CompareReport:
    """The summary of a :class:`Comparison`."""

    model_a: str
    model_b: str
    frames: int
    agreement: float | None
    top5_overlap: float | None
    mean_kl: float | None
    largest_diff: dict[str, Any] | None
    disagreements: tuple[tuple[str, str, int], ...]
    latency_a: dict[str, float | None]
    latency_b: dict[str, float | None]
    matched_by: str
    records: tuple[PairRecord, ...]
    failures: tuple[dict[str, Any], ...]
    interrupted: bool = False

    @classmethod
    def of(cls, comparison: Comparison) -> CompareReport:
        rows = comparison.records
        n = len(rows)
        largest = max(rows, key=lambda r: r.max_diff) if rows else None
        pairs = Counter((r.top_a, r.top_b) for r in rows if not r.agree)
        return cls(
            model_a=comparison.model_a,
            model_b=comparison.model_b,
            frames=n,
            agreement=sum(r.agree for r in rows) / n if n else None,
            top5_overlap=sum(r.overlap for r in rows) / n if n else None,
            mean_kl=sum(r.kl for r in rows) / n if n else None,
            largest_diff=(
                None
                if largest is None
                else {
                    "value": round(largest.max_diff, 6),
                    "class": largest.max_diff_class,
                    "name": largest.name,
                }
            ),
            disagreements=tuple((a, b, c) for (a, b), c in pairs.most_common()),
            latency_a=_latency([r.latency_a_ms for r in rows]),
            latency_b=_latency([r.latency_b_ms for r in rows]),
            matched_by=comparison.aligner.how,
            records=tuple(rows),
            failures=tuple(comparison.failures),
            interrupted=comparison.interrupted,
        )

    def to_dict(self) -> dict[str, Any]:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 6)

        return {
            "model_a": self.model_a,
            "model_b": self.model_b,
            "frames": self.frames,
            "top1_agreement": rounded(self.agreement),
            "top5_overlap": rounded(self.top5_overlap),
            "mean_kl": rounded(self.mean_kl),
            "largest_diff": self.largest_diff,
            "disagreements": [{"a": a, "b": b, "count": c} for a, b, c in self.disagreements],
            "latency": {"a": self.latency_a, "b": self.latency_b},
            "classes_matched_by": self.matched_by,
            "frames_detail": [r.to_dict() for r in self.records],
            "failures": list(self.failures),
            "interrupted": self.interrupted,
        }

    def markdown(self) -> str:
        """The summary as a markdown table, then the disagreements."""

        def pct(value: float | None) -> str:
            return "n/a" if value is None else f"{value * 100:.1f}%"

        def ms(stats: dict[str, float | None], key: str) -> str:
            value = stats[key]
            return "n/a" if value is None else f"{value:.1f}"

        kl = "n/a" if self.mean_kl is None else f"{self.mean_kl:.4f}"
        big = self.largest_diff
        largest = "n/a" if big is None else f"{big['value']:.3f} ({big['class']}, {big['name']})"
        lines = [
            f"| {self.model_a} vs {self.model_b} | |",
            "|---|---|",
            f"| frames | {self.frames} |",
            f"| top-1 agreement | {pct(self.agreement)} |",
            f"| top-5 overlap | {pct(self.top5_overlap)} |",
            f"| mean KL(A‖B) | {kl} nats |",
            f"| largest probability difference | {largest} |",
            f"| latency A mean / p50 / p95 | {ms(self.latency_a, 'mean_ms')} / "
            f"{ms(self.latency_a, 'p50_ms')} / {ms(self.latency_a, 'p95_ms')} ms |",
            f"| latency B mean / p50 / p95 | {ms(self.latency_b, 'mean_ms')} / "
            f"{ms(self.latency_b, 'p50_ms')} / {ms(self.latency_b, 'p95_ms')} ms |",
        ]
        if self.failures:
            lines.append(f"| failed | {len(self.failures)} |")
        if self.interrupted:
            lines.append("| interrupted | yes: the frames until Ctrl-C |")
        if self.disagreements:
            lines += [
                "",
                f"| {self.model_a} says | {self.model_b} says | frames |",
                "|---|---|---|",
            ]
            lines += [f"| {a} | {b} | {c} |" for a, b, c in self.disagreements]
        return "\n".join(lines) + "\n"


def thumbnail(
    image: npt.NDArray[np.uint8],
    a: ClassificationResult,
    b: ClassificationResult,
    regions: tuple[tuple[int, int, int, int], tuple[int, int, int, int]],
    titles: tuple[str, str],
) -> npt.NDArray[np.uint8]:
    """A small RGB copy of the frame with both crop boxes and both models' top labels."""
    height, width = image.shape[:2]
    scale = min(1.0, _THUMB_WIDTH / width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = np.ascontiguousarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), np.uint8)
    for region, color in zip(regions, ((255, 200, 0), (0, 200, 255)), strict=True):
        box = tuple(round(v * scale) for v in region)
        CropBox(color=color).annotate(small, (box[0], box[1], box[2], box[3]))
    LabelSheet(rows=2, corner="left").annotate(small, a, titles[0])
    LabelSheet(rows=2, corner="right").annotate(small, b, titles[1])
    return small


def _pair(
    comparison: Comparison,
    a: Classifier,
    b: Classifier,
    name: str,
    image: npt.NDArray[np.uint8],
) -> None:
    try:
        ra, rb = a.classify(image), b.classify(image)
    except CamvizError as exc:
        comparison.fail(name, exc)
        return
    height, width = image.shape[:2]
    regions = (
        input_region(width, height, a.info.preprocessing),
        input_region(width, height, b.info.preprocessing),
    )
    comparison.add(
        name,
        ra,
        rb,
        lambda: thumbnail(image, ra, rb, regions, (comparison.model_a, comparison.model_b)),
    )


def _decoded(
    paths: list[str], target: DecodeTarget, workers: int
) -> Iterator[tuple[str, Decoded | CamvizError]]:
    """Photos decoded a few ahead on a pool, in input order."""
    ahead = 2 * workers + 1
    with ThreadPoolExecutor(workers, thread_name_prefix="camviz-decode") as pool:
        pending: list[tuple[str, Future[tuple[Decoded | CamvizError, float]]]] = []
        try:
            for path in paths:
                pending.append((path, pool.submit(decode_timed, path, target)))
                if len(pending) >= ahead:
                    name, future = pending.pop(0)
                    yield name, future.result()[0]
            while pending:
                name, future = pending.pop(0)
                yield name, future.result()[0]
        finally:
            for _, future in pending:
                future.cancel()


def _video(
    comparison: Comparison,
    a: Classifier,
    b: Classifier,
    entry: tuple[str, SourceSpec],
    every: int,
    max_frames: int | None,
) -> None:
    """The frames of one frame source (a video, the demo reel, a URL, a stream, a camera,
    the screen): every ``every``-th, at most ``max_frames``; a URL that turns out to be a
    stream without ``max_frames`` is refused (it has no end)."""
    name, spec = entry
    try:
        source = make_source(spec, pace=False)
    except CamvizError as exc:
        comparison.fail(name, exc)
        return
    try:
        source.open()
        if source.is_live and max_frames is None:  # a URL's server sent a stream
            raise OptionsError(
                f"{name} is a stream, which has no end: give --max-frames N to compare "
                "its first N frames"
            )
        one_photo = isinstance(source, UrlSource) and not source.is_live
        done = 0
        for frame in source:  # one reader: both models see exactly the frames it returns
            if frame.index % every:
                continue
            _pair(comparison, a, b, name if one_photo else f"{name}#{frame.index}", frame.image)
            done += 1
            if max_frames is not None and done >= max_frames:
                break
    except CamvizError as exc:
        comparison.fail(name, exc)
    finally:
        source.close()


_ENDLESS: Final = {
    SourceKind.CAMERA: "a camera",
    SourceKind.SCREEN: "a screen capture",
    SourceKind.STREAM: "a stream",
}


def _plan(
    texts: list[str], max_frames: int | None
) -> tuple[list[str], list[tuple[str, SourceSpec]], list[tuple[str, CamvizError]]]:
    """The inputs, read by the one source grammar (:func:`camviz.sources.parse_source`):
    the photos for the decoder (files, and folders with photos: :func:`find_images`
    names what it skips), the frame sources (name, spec) in order, and the entries that
    cannot be compared, each with its error."""
    photos: list[str] = []
    frames: list[tuple[str, SourceSpec]] = []
    bad: list[tuple[str, CamvizError]] = []
    for text in texts:
        try:
            spec = parse_source(text)  # a missing file: "not found", and what a source is
            kind = spec.kind
            if kind is SourceKind.PHOTO:
                photos.append(text)
            elif kind is SourceKind.VIDEO:  # another file: the decoder says what it is
                is_video = Path(text).suffix.lower() in VIDEO_EXTENSIONS
                if is_video:
                    frames.append((text, spec))
                else:
                    photos.append(text)
            elif kind is SourceKind.DEMO:  # the reel once (the live one loops for ever)
                frames.append((spec.label, parse_source(demo_reel_path())))
            elif kind.files:  # a folder, a glob, an image sequence
                media = spec.media()
                if kind is SourceKind.FOLDER:
                    if media.photos:
                        photos.append(text)
                else:
                    photos.extend(str(p) for p in media.photos)
                frames.extend((str(v), parse_source(v)) for v in media.videos)
            elif kind.live and max_frames is None:
                raise OptionsError(
                    f"{spec.label} is {_ENDLESS[kind]}, which has no end: give --max-frames N "
                    "to compare its first N frames"
                )
            else:  # a URL (a photo or a stream, by what the server sends), a live source
                frames.append((spec.label, spec))
        except CamvizError as exc:
            bad.append((redact(text), exc))
    return photos, frames, bad


def _names(a: Classifier, b: Classifier) -> tuple[str, str]:
    """The two models' names; with their runtimes when the names alone are the same."""
    if a.info.name != b.info.name:
        return a.info.name, b.info.name
    return f"{a.info.name} ({a.info.runtime})", f"{b.info.name} ({b.info.runtime})"


def compare_inputs(
    a: Classifier,
    b: Classifier,
    inputs: Iterable[str],
    *,
    keep: int = 0,
    every: int = 1,
    max_frames: int | None = None,
    workers: int | None = None,
    reduce: bool = True,
    on_pair: Callable[[int], None] | None = None,
) -> Comparison:
    """Compare ``a`` and ``b`` (owned by the calling thread) over any sources of the grammar
    (:data:`camviz.sources.SOURCE_GRAMMAR`): photos, folders and globs of photos and videos,
    image sequences, videos, the demo reel (once), URLs, streams, cameras and the screen.
    Frame sources keep every ``every``-th frame, at most ``max_frames`` a source; a camera,
    the screen or a stream has no end and is refused without ``max_frames``. An input that
    cannot be compared is a failure by its name; the others still run. Ctrl-C ends it with
    ``interrupted`` set and what was counted."""
    comparison = Comparison(*_names(a, b), Aligner.of(a, b), keep=keep)
    photo_args, videos, bad = _plan([str(p) for p in inputs], max_frames)
    for name, problem in bad:
        comparison.fail(name, problem)
    search = find_images(photo_args)
    for path, problem in search.problems:
        comparison.fail(str(path), problem)
    # decode once, at the finer of the two models' reductions: both see the same array
    targets = [DecodeTarget.of(clf, reduce=reduce) for clf in (a, b)]
    target = max(targets, key=lambda t: max(t.input_size) / t.crop_fraction)
    photos = [str(p) for p in search.images]
    try:
        for count, (photo, decoded) in enumerate(
            _decoded(photos, target, workers or default_workers()), start=1
        ):
            if isinstance(decoded, CamvizError):
                comparison.fail(photo, decoded)
            else:
                _pair(comparison, a, b, photo, decoded.image)
            if on_pair is not None:
                on_pair(count)
        for entry in videos:
            _video(comparison, a, b, entry, every, max_frames)
    except KeyboardInterrupt:  # a stream runs until stopped: report what was seen
        comparison.interrupted = True
    return comparison
