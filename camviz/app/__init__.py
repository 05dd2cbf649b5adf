"""The live classifier as a headless model: what the window shows, without a window.

* ``session``: :class:`LiveSession` owns the running pipeline (start, stop, switch
  source or model), the last result and the model running, and holds the components,
  each owning its state and its events:
  ``options`` (:class:`LiveOptionsModel`, ``options_model``), ``sources``
  (:class:`Sources`: the current source, the demo fallback, a file's position),
  ``outputs`` (:class:`Outputs`: snapshots and the CSV recording), ``viewing``
  (:class:`Viewing`: what each model sees), ``meter`` (:class:`Meter`,
  ``meter_window``: the meter's one time window) and ``teaching`` (:class:`Teaching`);
* ``startup``: the start plan (:func:`~camviz.app.startup.plan_start`, pure) and the
  start-up checks;
* ``recording``: :class:`CsvRecorder`; ``snapshot``: PNG + JSON snapshots;
* ``events``: :class:`Emitter`, the typed thread-safe event mechanism, and the typed
  events (:class:`Notice`, :class:`ModelLoaded`);
* ``frames``: :class:`LatestFrame`, the newest captured frame.

Layer: above ``pipeline``, ``teach``, ``loading``, ``sources`` (which it uses), below
``qt`` and ``cli`` (which may import it). It never imports PySide6: front ends adapt
the events to their toolkit (``camviz.qt.bridge`` queues them to Qt's GUI thread).
"""

from __future__ import annotations

from camviz.app.events import Emitter, ModelLoaded, Notice
from camviz.app.frames import LatestFrame
from camviz.app.meter_window import Meter, MeterReading
from camviz.app.options_model import LiveOptionsModel, OptionsChanged
from camviz.app.outputs import Outputs
from camviz.app.recording import CsvRecorder
from camviz.app.session import LiveSession, SessionEvents, model_spec
from camviz.app.snapshot import describe_write_error, save_snapshot
from camviz.app.sources import SourcePosition, Sources, SourceStarted, SourceStateChanged
from camviz.app.teaching import MAX_BACKLOG, TeachFailure, Teaching, TeachWorker, Trained
from camviz.app.viewing import Viewing
from camviz.defaults import DEMO
from camviz.live_options import LiveOptions

__all__ = [
    "DEMO",
    "MAX_BACKLOG",
    "CsvRecorder",
    "Emitter",
    "LatestFrame",
    "LiveOptions",
    "LiveOptionsModel",
    "LiveSession",
    "Meter",
    "MeterReading",
    "ModelLoaded",
    "Notice",
    "OptionsChanged",
    "Outputs",
    "SessionEvents",
    "SourcePosition",
    "SourceStarted",
    "SourceStateChanged",
    "Sources",
    "TeachFailure",
    "TeachWorker",
    "Teaching",
    "Trained",
    "Viewing",
    "describe_write_error",
    "model_spec",
    "save_snapshot",
]
