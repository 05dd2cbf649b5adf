"""``camviz classify SOURCE --record out.mp4``: a video or stream's annotated frames, as a video.

Each frame ``classify`` classifies is handed, with its result, to a
:class:`~camviz.videoout.VideoRecorder`, which draws the overlay (the crop box the model is fed,
the top labels and their probabilities) and encodes on its own thread, at the source's rate
(divided by ``--every``, or ``--fps`` when given). A file is recorded whole (the writer waits
for the encoder); a live stream's recording drops frames when the encoder falls behind, and
counts them, so classification never waits.
"""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from camviz.errors import OptionsError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from camviz.classifier import Classifier
    from camviz.results import ClassificationResult

__all__ = ["check_record", "recording"]

#: The rate of a source that declares none.
FALLBACK_FPS = 25.0


def check_record(path: Path | None, photos: list[str], videos: list[str]) -> None:
    """Refuse ``--record`` unless there is exactly one video or stream to record."""
    if path is None:
        return
    from camviz.videoout import codec_for

    codec_for(path)
    if photos or len(videos) != 1:
        raise OptionsError(
            f"--record {path} records one video or stream; give exactly one (got "
            f"{len(videos)} videos/streams and {len(photos)} photos)"
        )


class _Recorded:
    """The classifier as ``classify_frames`` uses it, recording every frame it classifies."""

    def __init__(self, clf: Classifier, recorder: Any) -> None:
        self._clf = clf
        self._recorder = recorder
        self.info = clf.info

    def classify(self, image: npt.NDArray[np.uint8], **kwargs: Any) -> ClassificationResult:
        import numpy as np

        from camviz.annotate import annotate_result
        from camviz.preprocess import input_region

        result = self._clf.classify(image, **kwargs)
        height, width = image.shape[:2]
        region = input_region(width, height, self._clf.info.preprocessing)
        copy = True
        if kwargs.get("color") == "bgr":  # a video's frames come in the decoder's order
            image, copy = np.ascontiguousarray(image[..., ::-1]), False  # the recorder's RGB
        self._recorder.write(
            image, functools.partial(annotate_result, result=result, region=region), copy=copy
        )
        return result


def _source_rate(spec: str) -> tuple[float, bool]:
    """The source's declared frame rate (or :data:`FALLBACK_FPS`) and whether it is live."""
    from camviz.sources import make_source

    source = make_source(spec, pace=False)
    source.open()
    try:
        return source.nominal_fps or FALLBACK_FPS, source.is_live
    finally:
        source.close()


@contextlib.contextmanager
def recording(
    clf: Classifier, spec: str, path: Path | None, every: int | None, fps: float | None
) -> Iterator[Classifier]:
    """``clf``, or (with ``path``) a stand-in for it that records what it classifies."""
    if path is None:
        yield clf
        return
    from camviz.videoout import VideoRecorder

    rate, live = _source_rate(spec)
    rate = fps if fps is not None else rate / (every or 1)
    recorder = VideoRecorder(path, max(0.5, min(1000.0, rate)), lossless=not live)
    recorder.start()
    try:
        yield cast("Classifier", _Recorded(clf, recorder))
    finally:
        stats = recorder.stop()
        print(
            f"camviz classify: recorded {stats.written} frames to {path} at {stats.fps:g} fps "
            f"({stats.codec}), {stats.dropped} dropped",
            file=sys.stderr,
        )
