"""Accuracy and latency of models on a labelled set of photos (`camviz eval`).

A data set is either a folder with one subfolder per class, named by class index
("281") or by label ("tabby, tabby cat", or its first name "tabby"), or a CSV file
of ``path,indices`` rows where ``indices`` lists every acceptable class index
separated by spaces or semicolons (paths relative to the CSV's folder). A CSV may
start with a header of named columns: the path in ``path`` or ``file`` (also
``filename``, ``image``), the classes in ``index`` (also ``indices``, ``classes``,
``acceptable_indices``: indices) or ``label`` (labels of the model, ``;``-separated);
other columns are ignored with a note, and a header without them says what it needs.

Scores are counted in one index space per model, and the report says which:
for ImageNet models, ImageNet-1k (a 1001-class model with 'background' first
has its output ``i`` scored as ImageNet class ``i - 1``, and its data set
indices read as ImageNet-1k); for any other model, its own output indices.

Hostile data sets: the CSV must be a regular file of at most
:data:`camviz.limits.MAX_TEXT_BYTES`; any encoding, field size or NUL byte gives a
``file:row: message`` for that row only (it is skipped and reported, the good rows
still count); folders are walked by :func:`camviz.imageio.find_images` (special
files and symlink loops are skipped and reported). A user's model file is first
test-loaded in a child process (:func:`camviz.loading.check_model_file`), as
``camviz classify`` does, so a model that hangs or crashes the runtime is refused.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from camviz import limits
from camviz.backends import Delegate
from camviz.classifier import ClassifierOptions
from camviz.defaults import THREADS
from camviz.errors import CamvizError, DatasetError, format_error
from camviz.fileio import read_regular_file
from camviz.imageio import find_images, load_image
from camviz.labels import LabelLayout, imagenet_index
from camviz.loading import check_model_file, needs_check, open_classifier
from camviz.metrics import LatencyStats, Percentiles

__all__ = [
    "Sample",
    "load_dataset",
    "ModelScore",
    "Evaluation",
    "evaluate_model",
    "evaluate_models",
]


@dataclass(frozen=True, slots=True)
class Sample:
    path: Path
    classes: frozenset[int]


def _label_index(labels: Sequence[str]) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, label in enumerate(labels):
        key = label.strip().lower()
        index.setdefault(key, i)
        for synonym in key.split(","):
            index.setdefault(synonym.strip(), i)
    return index


def _parse_indices(text: str, where: str, num_classes: int) -> frozenset[int]:
    parts = [p for p in re.split(r"[\s;|]+", text.strip()) if p]
    if not parts:
        raise DatasetError(f"{where}: no class index given")
    try:
        values = frozenset(int(p) for p in parts)
    except ValueError as exc:
        raise DatasetError(f"{where}: class indices must be whole numbers, got {text!r}") from exc
    bad = [v for v in values if not 0 <= v < num_classes]
    if bad:
        raise DatasetError(f"{where}: class index {bad[0]} is outside 0..{num_classes - 1}")
    return values


def _read_csv_rows(data: Path) -> tuple[list[tuple[int, list[str]]], list[str]]:
    """The rows of a CSV with their line numbers, and a ``file:row: message`` per bad row."""
    try:
        raw = read_regular_file(
            data, limits.MAX_TEXT_BYTES, DatasetError, "data sets", "set CAMVIZ_MAX_TEXT_MB"
        )
    except OSError as exc:
        raise DatasetError(f"data set {data} cannot be read: {exc.strerror or exc}") from exc
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]  # a UTF-8 byte-order mark (Excel)
    text = raw.decode("utf-8", "surrogateescape")
    rows: list[tuple[int, list[str]]] = []
    problems: list[str] = []
    previous = csv.field_size_limit(limits.MAX_CSV_FIELD_BYTES)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                problems.append(f"DatasetError: {data}:{reader.line_num}: unreadable row ({exc})")
                continue
            if any("\x00" in cell for cell in row):
                problems.append(f"DatasetError: {data}:{reader.line_num}: the row holds NUL bytes")
            elif any(_NOT_UTF8.search(cell) for cell in row):
                problems.append(
                    f"DatasetError: {data}:{reader.line_num}: the row is not UTF-8 text; "
                    "save the CSV as UTF-8"
                )
            else:
                rows.append((reader.line_num, row))
    finally:
        csv.field_size_limit(previous)
    return rows, problems


_NOT_UTF8 = re.compile("[\udc80-\udcff]")


def _delimiter(text: str) -> str:
    """The CSV's delimiter: a comma, else the semicolon or tab its first row uses (the
    semicolon is what spreadsheets write where the comma is the decimal mark)."""
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if "," in line:
            return ","
        return next((d for d in (";", "\t") if d in line), ",")
    return ","


#: Header names of the path column, the class-index column and the label column.
PATH_COLUMNS = ("path", "file", "filename", "file_name", "image", "photo")
INDEX_COLUMNS = (
    "index",
    "indices",
    "classes",
    "class",
    "class_index",
    "class_indices",
    "acceptable_indices",
)
LABEL_COLUMNS = ("label", "labels", "class_name", "name")


@dataclass(frozen=True, slots=True)
class _Columns:
    """Where a header puts the path and the classes (indices, or labels by name)."""

    path: int
    index: int | None
    label: int | None

    def read(
        self, row: list[str], where: str, num_classes: int, names: dict[str, int]
    ) -> tuple[str, frozenset[int]]:
        need = max(c for c in (self.path, self.index, self.label) if c is not None)
        if len(row) <= need:
            raise DatasetError(f"{where}: expected {need + 1} columns, got {len(row)}")
        if self.index is not None and row[self.index].strip():
            return row[self.path], _parse_indices(row[self.index], where, num_classes)
        if self.label is None:
            raise DatasetError(f"{where}: no class index given")
        wanted = [p.strip().lower() for p in re.split(r"[;|]", row[self.label]) if p.strip()]
        if not wanted:
            raise DatasetError(f"{where}: no label given")
        unknown = [w for w in wanted if w not in names and not w.isdigit()]
        if unknown:
            raise DatasetError(f"{where}: {unknown[0]!r:.80} is not a label of the model")
        if any(w not in names for w in wanted):  # class indices in the label column, as a
            # folder may be named 281 or tabby
            known = [w for w in wanted if w in names]
            indices = _parse_indices(
                " ".join(w for w in wanted if w not in names), where, num_classes
            )
            return row[self.path], indices | frozenset(names[w] for w in known)
        return row[self.path], frozenset(names[w] for w in wanted)


def _looks_like_indices(cells: list[str]) -> bool:
    """True if ``cells`` could be class indices (digits and separators), as data rows hold."""
    joined = " ".join(cells).strip()
    return bool(joined) and re.fullmatch(r"[\d\s;|,]+", joined) is not None


def _needs_columns(data: Path, row: list[str], what: str, lacking: str | None = None) -> str:
    """What eval needs of a CSV whose first row it cannot read."""
    shown = ", ".join(row)[:200]
    lacks = f"lacks a {lacking} column" if lacking else "is neither a header eval knows nor a row"
    return (
        f"{data}: {what} ({shown}) {lacks}; eval needs a path column "
        f"({' or '.join(PATH_COLUMNS[:2])}) and a class column "
        f"({' or '.join(INDEX_COLUMNS[:1] + LABEL_COLUMNS[:1])}: class indices, or labels of "
        "the model), or rows of 'path,class indices' without a header"
    )


def _header(row: list[str], data: Path, notes: list[str] | None) -> _Columns | None:
    """The columns of a header row, or None if ``row`` is a data row (no header)."""
    cells = [cell.strip().lower() for cell in row]
    known = (*PATH_COLUMNS, *INDEX_COLUMNS, *LABEL_COLUMNS)
    if not any(cell in known for cell in cells):
        return None  # a data row: path,indices...

    def first(names: tuple[str, ...]) -> int | None:
        return next((i for i, cell in enumerate(cells) if cell in names), None)

    path, index, label = first(PATH_COLUMNS), first(INDEX_COLUMNS), first(LABEL_COLUMNS)
    if path is None or (index is None and label is None):
        raise DatasetError(
            _needs_columns(data, row, "its header", "path" if path is None else "class")
        )
    used = {path, index, label}
    ignored = [row[i].strip() for i in range(len(row)) if i not in used]
    classes = index if index is not None else label
    if ignored and notes is not None and classes is not None:
        notes.append(
            f"{data}: columns {', '.join(ignored)[:200]} ignored (eval reads "
            f"{row[path].strip()} and {row[classes].strip()})"
        )
    return _Columns(path, index, label)


def load_dataset(
    data: Path,
    labels: Sequence[str],
    problems: list[str] | None = None,
    notes: list[str] | None = None,
) -> list[Sample]:
    """Read a folder-per-class tree or a CSV into samples; errors name the bad row or folder.

    With ``problems``, a bad CSV row (or a special file in a folder) is appended to
    it as ``Type: file:row: message`` and skipped, so the good rows still count;
    without it, the first bad row raises :class:`DatasetError`. ``notes`` gets what
    is worth saying but no error (the columns of a header that are ignored).
    """
    num_classes = len(labels)

    def bad(message: str) -> None:
        if problems is None:
            raise DatasetError(message.removeprefix("DatasetError: "))
        problems.append(message)

    if not data.exists():
        raise DatasetError(f"data set {data} does not exist")
    samples: list[Sample] = []
    if not data.is_dir():
        if data.suffix.lower() != ".csv":
            raise DatasetError(f"{data} is neither a folder of class folders nor a .csv file")
        rows, unreadable = _read_csv_rows(data)
        for message in unreadable:
            bad(message)
        names = _label_index(labels)
        columns: _Columns | None = None
        seen_row, first_row = False, -1
        for number, row in rows:
            if not row or row[0].strip().startswith("#"):
                continue
            if not seen_row:
                seen_row, first_row = True, number
                columns = _header(row, data, notes)
                if columns is not None:
                    continue  # a header of named columns
            where = f"{data}:{number}"
            try:
                if columns is None:  # no header: path, then every other cell holds indices
                    if len(row) < 2:
                        raise DatasetError(
                            f"{where}: expected 'path,class indices', got {row!r:.200}"
                        )
                    raw_path = row[0]
                    if number == first_row and not _looks_like_indices(row[1:]):
                        raise DatasetError(_needs_columns(data, row, "its first row"))
                    classes = _parse_indices(" ".join(row[1:]), where, num_classes)
                else:
                    raw_path, classes = columns.read(row, where, num_classes, names)
                path = (data.parent / raw_path.strip()).resolve()
            except DatasetError as exc:
                bad(format_error(exc))
                continue
            except (OSError, ValueError, RuntimeError) as exc:  # a NUL, a loop, too long
                bad(f"DatasetError: {where}: bad path {row[0]!r:.200} ({exc})")
                continue
            samples.append(Sample(path, classes))
    else:
        names = _label_index(labels)
        for folder in sorted(p for p in data.iterdir() if p.is_dir()):
            key = folder.name.strip().lower()
            if key.isdigit():
                classes = _parse_indices(key, f"folder {folder}", num_classes)
            elif key in names:
                classes = frozenset({names[key]})
            else:
                raise DatasetError(
                    f"folder {folder.name!r} in {data} is neither a class index nor a label "
                    "of the model; rename it to the class index (e.g. 281)"
                )
            search = find_images([folder])
            for place, problem in search.problems:
                if place != folder:  # an empty class folder is no error here
                    bad(format_error(problem))
            samples.extend(Sample(path, classes) for path in search.images)
    if not samples:
        if problems:  # every row refused: say why, not only that nothing is left
            more = f" ({len(problems)} refused; the first: {problems[0]})"
            raise DatasetError(f"data set {data} holds no labelled images{more}")
        raise DatasetError(f"data set {data} holds no labelled images")
    return samples


@dataclass(slots=True)
class ModelScore:
    model: str
    file_bytes: int
    images: int = 0
    top1: int = 0
    top5: int = 0
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # not errors: header columns ignored
    latency: LatencyStats = field(default_factory=LatencyStats)
    invoke: LatencyStats = field(default_factory=LatencyStats)
    load_ms: float = 0.0
    index_space: str = "model"  # "imagenet-1k" or "model" (the model's own output indices)

    @property
    def top1_acc(self) -> float:
        return self.top1 / self.images if self.images else 0.0

    @property
    def top5_acc(self) -> float:
        return self.top5 / self.images if self.images else 0.0

    def to_dict(self) -> dict[str, Any]:
        lat: Percentiles = self.latency.percentiles()
        inv: Percentiles = self.invoke.percentiles()
        return {
            "model": self.model,
            "images": self.images,
            "top1": round(self.top1_acc, 4),
            "top5": round(self.top5_acc, 4),
            "index_space": self.index_space,
            "latency_ms": {"p50": round(lat.p50, 3), "p95": round(lat.p95, 3)},
            "invoke_ms": {"p50": round(inv.p50, 3), "p95": round(inv.p95, 3)},
            "file_bytes": self.file_bytes,
            "load_ms": round(self.load_ms, 3),
            "failures": self.failures,
            "notes": self.notes,
        }


def evaluate_model(
    options: ClassifierOptions,
    data: Path,
    progress: Callable[[int, int], None] | None = None,
) -> ModelScore:
    """Top-1/top-5 accuracy and per-image latency of one model on a data set.

    A user's model file is test-loaded in a child process first; bad CSV rows and
    unreadable photos are listed in :attr:`ModelScore.failures`.
    """
    if needs_check(options.model):  # a user's file: test-load it in a child first
        check_model_file(options.model)
    with open_classifier(options.replace(top_k=max(5, options.top_k))) as clf:
        layout = clf.info.label_layout
        background = layout is LabelLayout.IMAGENET_BACKGROUND
        problems: list[str] = []
        notes: list[str] = []
        labels = clf.info.labels[1:] if background else clf.info.labels
        samples = load_dataset(data, labels, problems, notes)
        space = "model" if layout is LabelLayout.OTHER else "imagenet-1k"
        score = ModelScore(
            clf.info.name, clf.info.file_bytes, load_ms=clf.info.load_ms, index_space=space
        )
        score.failures.extend(problems)
        score.notes.extend(notes)
        for done, sample in enumerate(samples, start=1):
            try:
                image = load_image(sample.path)
                result = clf.classify(image)
            except CamvizError as exc:
                score.failures.append(f"{sample.path}: {format_error(exc)}")
            else:
                order = [int(i) for i in np.argsort(-result.probabilities)[:6]]
                # in the scoring space: 'background' (None) matches no class
                mapped = [imagenet_index(layout, i) for i in order] if background else order
                top5 = [i for i in mapped if i is not None][:5]
                score.images += 1
                score.top1 += int(top5[0] in sample.classes)
                score.top5 += int(any(i in sample.classes for i in top5))
                score.latency.add(result.times.total_ms)
                score.invoke.add(result.times.invoke_ms)
            if progress is not None:
                progress(done, len(samples))
    return score


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The scores of several models on one data set (what ``camviz eval`` reports)."""

    data: Path | str
    threads: int
    scores: tuple[ModelScore, ...]

    @property
    def failures(self) -> list[str]:
        """Every image that could not be scored, ``path: Type: message``, model by model."""
        return [failure for score in self.scores for failure in score.failures]

    @property
    def notes(self) -> list[str]:
        """What is worth saying but no failure (header columns ignored), once each."""
        return list(dict.fromkeys(note for score in self.scores for note in score.notes))

    def to_dict(self) -> dict[str, Any]:
        return {
            "data": str(self.data),
            "threads": self.threads,
            "results": [s.to_dict() for s in self.scores],
        }


def evaluate_models(
    models: Sequence[str],
    data: Path | str,
    threads: int = THREADS,
    progress: Callable[[str], Callable[[int, int], None] | None] | None = None,
    delegate: Delegate | None = None,
) -> Evaluation:
    """Score each model in turn (``""`` is the default model) on the same data set.

    ``progress(model)``, if given, makes the progress callback of that model's run.
    """
    scores = []
    for model in models:
        options = ClassifierOptions(model=model, threads=threads, delegate=delegate or Delegate())
        scores.append(evaluate_model(options, Path(data), progress(model) if progress else None))
    return Evaluation(data, threads, tuple(scores))
