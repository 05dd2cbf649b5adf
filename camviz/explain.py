"""Where the model looks: occlusion sensitivity over the crop the model sees.

A grey square slides over the model's input, cell by cell of a ``grid`` x ``grid`` lattice;
each cell's value is how much the probability of the unoccluded top class drops when the square
centred on it is grey (Zeiler and Fergus, 2014). The hottest cells are what the label rests on.

It works for any model on any runtime, through the :class:`~camviz.classifier.Classifier`'s
public API only: the input is the classifier's own ``preprocess`` of the frame (so the map is
over exactly the crop the model sees, whatever its fit, resize and input mapping), the grey is
the classifier's own preprocessing of a mid-grey (128) image, and every occluded input goes
through ``invoke_raw`` and ``probabilities``. Where the classifier can take a batch
(:class:`BatchInvoker` whose ``takes_batch`` is true: an ONNX model with a dynamic batch
dimension), occluded inputs go ``batch`` at a time; otherwise one by one (LiteRT and
OpenVINO models run batch 1).

:class:`Explainer` reports progress (``on_progress(done, total)``) and checks a cancel
:class:`threading.Event` between invokes, so a window can run it off its GUI thread; it must
run on the thread that owns the classifier.

Layer: with bench, evaluate and batch (imports the classifier, preprocess and annotate).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from camviz.annotate import CropBox, HeatMap, Region
from camviz.classifier import Classifier
from camviz.errors import OptionsError
from camviz.preprocess import Fit, input_region, letterbox_placement

__all__ = [
    "EXPLAIN_GRID",
    "EXPLAIN_PATCH",
    "BatchInvoker",
    "Explanation",
    "ExplainOptions",
    "Explainer",
    "Progress",
    "explain",
]

#: Cells along each side of the map (the default).
EXPLAIN_GRID: Final = 12
#: The grey square's side in cells (centred on each cell, clipped at the edges).
EXPLAIN_PATCH: Final = 2.0
#: A grey of this value (0..255) occludes: the neutral value of camviz's input mappings.
OCCLUDE_GREY: Final = 128

Progress = Callable[[int, int], None]


@runtime_checkable
class BatchInvoker(Protocol):
    """A classifier that runs several prepared inputs in one invoke: ``tensors`` of shape
    (N, H, W, C) in, the raw outputs (N, ...) out. camviz's :class:`Classifier` offers it,
    and says with ``takes_batch`` whether its runtime runs them in one invoke (an ONNX model
    with a dynamic batch); where it does not, maps go one by one."""

    def invoke_batch(self, tensors: npt.NDArray[Any]) -> npt.NDArray[Any]: ...


@dataclass(frozen=True, slots=True)
class ExplainOptions:
    """The lattice: ``grid`` cells a side, the grey square ``patch`` cells wide; ``batch``
    occluded inputs an invoke where the classifier takes a batch (1: always one by one)."""

    grid: int = EXPLAIN_GRID
    patch: float = EXPLAIN_PATCH
    batch: int = 16

    def __post_init__(self) -> None:
        if not 2 <= self.grid <= 64:
            raise OptionsError(f"the explain grid must be 2 to 64 cells a side, not {self.grid}")
        if not 0.5 <= self.patch <= self.grid:
            raise OptionsError(
                f"the grey patch must be 0.5 to {self.grid} cells wide, not {self.patch}"
            )
        if self.batch < 1:
            raise OptionsError(f"the explain batch must be at least 1, not {self.batch}")


@dataclass(frozen=True, slots=True)
class Explanation:
    """An occlusion map: ``heat[row, col]`` is the drop of ``probability`` (the top class's,
    unoccluded) when the square centred on that cell is grey; negative when hiding it helps.

    ``region`` is what of the frame the model sees, in frame pixels (the map covers it).
    """

    heat: npt.NDArray[np.float32]
    label: str
    index: int
    probability: float
    region: Region
    frame_size: tuple[int, int]  # (width, height)
    model: str
    invokes: int
    batched: bool
    seconds: float

    @property
    def hottest(self) -> tuple[int, int]:
        """``(row, col)`` of the hottest cell."""
        row, col = np.unravel_index(int(np.argmax(self.heat)), self.heat.shape)
        return int(row), int(col)

    def cell_box(self, row: int, col: int) -> Region:
        """The cell's box in frame pixels."""
        left, top, w, h = self.region
        rows, cols = self.heat.shape
        x0, x1 = left + col * w // cols, left + (col + 1) * w // cols
        y0, y1 = top + row * h // rows, top + (row + 1) * h // rows
        return x0, y0, x1 - x0, y1 - y0

    def draw(self, image: npt.NDArray[np.uint8], *, alpha: float = 0.55) -> npt.NDArray[np.uint8]:
        """A copy of the frame with the map over the crop the model sees, and its box."""
        height, width = image.shape[:2]
        if (width, height) != self.frame_size:
            raise OptionsError(
                f"this map is of a {self.frame_size[0]}x{self.frame_size[1]} frame, "
                f"not of a {width}x{height} one"
            )
        out = np.array(image, dtype=np.uint8, copy=True)
        HeatMap(alpha=alpha).annotate(out, self.heat, self.region)
        CropBox().annotate(out, self.region)
        return out

    def to_dict(self) -> dict[str, Any]:
        row, col = self.hottest
        return {
            "model": self.model,
            "label": self.label,
            "index": self.index,
            "probability": round(self.probability, 6),
            "grid": list(self.heat.shape),
            "region": list(self.region),
            "hottest": {"row": row, "col": col, "box": list(self.cell_box(row, col))},
            "heat": [[round(float(v), 5) for v in row_] for row_ in self.heat],
            "invokes": self.invokes,
            "batched": self.batched,
            "seconds": round(self.seconds, 3),
        }


def _squares(area: Region, options: ExplainOptions) -> Iterator[tuple[int, int, slice, slice]]:
    """``(row, col, rows, cols)`` of every occluding square, in model-input pixels, over
    ``area`` (``(left, top, w, h)`` of the input that holds the frame: all of it for a crop,
    the picture between the bands for a letterbox)."""
    left, top, width, height = area
    grid = options.grid
    half_h, half_w = options.patch * height / grid / 2, options.patch * width / grid / 2
    for row in range(grid):
        for col in range(grid):
            cy, cx = top + (row + 0.5) * height / grid, left + (col + 0.5) * width / grid
            y0, y1 = max(top, round(cy - half_h)), min(top + height, round(cy + half_h))
            x0, x1 = max(left, round(cx - half_w)), min(left + width, round(cx + half_w))
            yield row, col, slice(y0, max(y1, y0 + 1)), slice(x0, max(x1, x0 + 1))


class Explainer:
    """Occlusion maps with one classifier (created and used on the same thread)."""

    def __init__(self, classifier: Classifier, options: ExplainOptions | None = None) -> None:
        self.classifier = classifier
        self.options = options or ExplainOptions()

    @property
    def batched(self) -> bool:
        """Whether occluded inputs go several to an invoke (the classifier takes a batch)."""
        clf = self.classifier
        return (
            self.options.batch > 1
            and isinstance(clf, BatchInvoker)
            and bool(getattr(clf, "takes_batch", True))
        )

    def _probabilities(self, tensors: list[npt.NDArray[Any]]) -> list[npt.NDArray[np.float32]]:
        clf = self.classifier
        if len(tensors) > 1 and isinstance(clf, BatchInvoker) and self.batched:
            raw = clf.invoke_batch(np.stack(tensors))
            return [clf.probabilities(r) for r in raw]
        return [clf.probabilities(clf.invoke_raw(t)) for t in tensors]

    def explain(
        self,
        image: npt.NDArray[np.uint8],
        *,
        on_progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> Explanation | None:
        """The occlusion map of an RGB frame; None when ``cancel`` was set before it finished."""
        start = time.perf_counter()
        clf = self.classifier
        base = clf.preprocess(image)
        grey_frame = np.full((8, 8, 3), OCCLUDE_GREY, np.uint8)
        grey = clf.preprocess(grey_frame)  # the grey as this model's input sees it
        probs = clf.probabilities(clf.invoke_raw(base))
        top = int(np.argmax(probs))
        p0 = float(probs[top])
        height, width = image.shape[:2]
        spec = clf.info.preprocessing
        size = (int(base.shape[1]), int(base.shape[0]))  # the model input's (width, height)
        area = (
            letterbox_placement(width, height, size)
            if spec.fit is Fit.LETTERBOX
            else (0, 0, size[0], size[1])
        )
        squares = list(_squares(area, self.options))
        total = len(squares)
        heat = np.zeros((self.options.grid, self.options.grid), np.float32)
        step = self.options.batch if self.batched else 1
        done, invokes = 0, 1
        if on_progress is not None:
            on_progress(0, total)
        for first in range(0, total, step):
            if cancel is not None and cancel.is_set():
                return None
            chunk = squares[first : first + step]
            tensors = []
            for _, _, rows, cols in chunk:
                occluded = base.copy()
                occluded[rows, cols] = grey[rows, cols]
                tensors.append(occluded)
            for (row, col, _, _), p in zip(chunk, self._probabilities(tensors), strict=True):
                heat[row, col] = p0 - float(p[top])
            invokes += 1 if step > 1 else len(chunk)
            done += len(chunk)
            if on_progress is not None:
                on_progress(done, total)
        region = input_region(width, height, spec)
        return Explanation(
            heat=heat,
            label=clf.info.labels[top],
            index=top,
            probability=p0,
            region=region,
            frame_size=(width, height),
            model=clf.info.name,
            invokes=invokes,
            batched=step > 1,
            seconds=time.perf_counter() - start,
        )


def explain(
    classifier: Classifier, image: npt.NDArray[np.uint8], options: ExplainOptions | None = None
) -> Explanation:
    """The occlusion map of ``image`` (no progress, no cancel)."""
    result = Explainer(classifier, options).explain(image)
    assert result is not None  # nothing can cancel it
    return result
