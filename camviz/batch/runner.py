"""Classifying many photos on one machine: a decode pool feeding one classifier, in input order.

Decoding a 12-MP JPEG costs several times an invoke, so it must not wait for the
interpreter nor the interpreter for it. :func:`classify_paths` reads and decodes
photos on a small thread pool (``cv2.imdecode`` releases the GIL; each photo is
decoded reduced when the model allows it, :mod:`camviz.batch.decode`) a bounded
number ahead, while the calling thread, which owns the one classifier (TFLite
interpreters are not thread-safe), preprocesses and invokes them in input order.
Results are yielded as soon as each one and every one before it is done, so a
consumer can stream them out; memory stays bounded by the look-ahead.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from camviz.batch.decode import Decoded, DecodeTarget, load_for_model
from camviz.classifier import Classifier
from camviz.errors import CamvizError, format_error
from camviz.results import ClassificationResult

__all__ = ["Outcome", "default_workers", "decode_timed", "classify_decoded", "classify_paths"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """One photo's result, or the error that stopped it. ``decode_ms`` is its read + decode."""

    index: int  # position in the input
    path: str
    result: ClassificationResult | None = None
    error: CamvizError | None = None
    decode_ms: float = 0.0
    factor: int = 1  # decoded at 1/factor scale

    @property
    def ok(self) -> bool:
        return self.result is not None

    def record(self) -> dict[str, Any]:
        """The JSON line of ``camviz classify --json``: the path and the result, or the error."""
        if self.result is None:
            assert self.error is not None
            kind, _, text = format_error(self.error).partition(": ")
            return {"path": self.path, "error": {"type": kind, "message": text}}
        return {"path": self.path, **self.result.to_dict()}


def default_workers() -> int:
    """Decode threads: one per core, at least one."""
    return max(1, os.cpu_count() or 1)


def decode_timed(path: str, target: DecodeTarget) -> tuple[Decoded | CamvizError, float]:
    """Read and decode one photo (any thread); a camviz error is returned, not raised."""
    start = time.perf_counter()
    try:
        decoded: Decoded | CamvizError = load_for_model(path, target)
    except CamvizError as exc:
        decoded = exc
    return decoded, (time.perf_counter() - start) * 1000.0


def classify_decoded(
    clf: Classifier, index: int, path: str, decoded: Decoded | CamvizError, decode_ms: float
) -> Outcome:
    """Classify a decoded photo on the classifier's thread."""
    if isinstance(decoded, CamvizError):
        return Outcome(index, path, error=decoded, decode_ms=decode_ms)
    try:
        result = clf.classify(decoded.image)
    except CamvizError as exc:
        return Outcome(index, path, error=exc, decode_ms=decode_ms, factor=decoded.factor)
    return Outcome(index, path, result, decode_ms=decode_ms, factor=decoded.factor)


def classify_paths(
    clf: Classifier,
    paths: Iterable[str | Path],
    *,
    workers: int | None = None,
    reduce: bool = True,
    lookahead: int | None = None,
) -> Iterator[Outcome]:
    """Classify ``paths`` with ``clf`` (owned by the calling thread), yielding in input order.

    ``workers`` decode threads (default: one per core) keep up to ``lookahead``
    photos (default ``2 * workers + 1``) decoded or decoding ahead of the classifier.
    ``reduce=False`` decodes every photo at full size.
    """
    target = DecodeTarget.of(clf, reduce=reduce)
    count = workers or default_workers()
    ahead = lookahead or 2 * count + 1
    pending: deque[tuple[int, str, Future[tuple[Decoded | CamvizError, float]]]] = deque()
    items = ((i, str(p)) for i, p in enumerate(paths))
    with ThreadPoolExecutor(count, thread_name_prefix="camviz-decode") as pool:
        try:
            for index, path in items:
                pending.append((index, path, pool.submit(decode_timed, path, target)))
                if len(pending) >= ahead:
                    yield _finish(clf, *pending.popleft())
            while pending:
                yield _finish(clf, *pending.popleft())
        finally:
            for *_, future in pending:
                future.cancel()


def _finish(
    clf: Classifier, index: int, path: str, future: Future[tuple[Decoded | CamvizError, float]]
) -> Outcome:
    decoded, decode_ms = future.result()
    return classify_decoded(clf, index, path, decoded, decode_ms)
