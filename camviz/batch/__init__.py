"""Classification at scale: many photos, whole videos and streams, on one machine or on Ray.

* ``decode``: photos decoded for a model, JPEGs at 1/2, 1/4 or 1/8 scale when they
  are much larger than the model's crop (:func:`decode_for_model`);
* ``runner``: a decode pool feeding one classifier, outcomes in input order
  (:func:`classify_paths`, :class:`Outcome`);
* ``ray_runner``: the same on Ray actors (:class:`RayBatch`; the 'ray' extra);
* ``frames``: the frames of a video file or stream, sampled (:func:`classify_frames`);
* ``records``: JSON-lines output with resume, CSV rows;
* ``scoring``: ``camviz eval`` at scale (exact percentiles, predictions, confusion);
* ``plots``: the confusion/recall and accuracy-vs-latency PNGs (the 'plot' extra);
* ``ceiling``: the device's fps ceiling for ``camviz bench``.

Layer: with bench and evaluate (it may import them); used by the command line.
Ray and matplotlib are imported lazily, inside the functions that need them.
"""

from __future__ import annotations

from camviz.batch.decode import Decoded, DecodeTarget, decode_for_model, load_for_model
from camviz.batch.runner import Outcome, classify_paths

__all__ = [
    "DecodeTarget",
    "Decoded",
    "Outcome",
    "classify_paths",
    "decode_for_model",
    "load_for_model",
]
