"""The live classifier as a headless model: what the window shows, without a window.

* ``session``: :class:`LiveSession` owns the running pipeline (start, stop, switch
  source or model, options), the fallback to the demo reel, the last result,
  snapshots and the CSV recording, and announces changes on ``session.events``;
* ``teaching``: teach mode's worker thread and state (:class:`Teaching`);
* ``recording``: :class:`CsvRecorder`; ``snapshot``: PNG + JSON snapshots;
* ``events``: :class:`Emitter`, the typed thread-safe event mechanism;
* ``frames``: :class:`LatestFrame`, the newest captured frame.

Layer: above ``pipeline``, ``teach``, ``loading``, ``sources`` (which it uses), below
``qt`` and ``cli`` (which may import it). It never imports PySide6: front ends adapt
the events to their toolkit (``camviz.qt.bridge`` queues them to Qt's GUI thread).
"""

from __future__ import annotations

from camviz.app.events import Emitter
from camviz.app.frames import LatestFrame
from camviz.app.recording import CsvRecorder
from camviz.app.session import LiveSession, Notice, SessionEvents, SourceStarted
from camviz.app.snapshot import describe_write_error, save_snapshot
from camviz.app.teaching import MAX_BACKLOG, TeachFailure, Teaching, TeachWorker, Trained
from camviz.live_options import LiveOptions
from camviz.sources.demo import DEMO

__all__ = [
    "DEMO",
    "MAX_BACKLOG",
    "CsvRecorder",
    "Emitter",
    "LatestFrame",
    "LiveOptions",
    "LiveSession",
    "Notice",
    "SessionEvents",
    "SourceStarted",
    "TeachFailure",
    "TeachWorker",
    "Teaching",
    "Trained",
    "describe_write_error",
    "save_snapshot",
]
