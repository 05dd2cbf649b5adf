"""The one place for camviz's defaults: change a default here and everything follows.

Imported by every layer (it imports nothing of camviz). Options dataclasses use
these as their field defaults; the command line and the window show them as theirs.
"""

from __future__ import annotations

from typing import Final

#: The source string of the bundled demo reel (camviz.sources.demo re-exports it).
DEMO: Final = "demo"
#: Frame budget in milliseconds: 33 ms a frame is 30 fps.
BUDGET_MS: Final = 33.0
#: Interpreter threads. 2 is right for an idle 2-core machine; on a loaded one 1 can win.
THREADS: Final = 2
#: Most interpreter threads an option accepts.
MAX_THREADS: Final = 64
#: Labels listed per result.
TOP_K: Final = 5
#: Most labels a result lists (the window's results panel has this many rows).
MAX_TOP_K: Final = 10
#: Temporal smoothing of the probabilities (0: off) and its upper bound.
SMOOTHING: Final = 0.0
MAX_SMOOTHING: Final = 0.95
#: How much a challenger's smoothed probability must beat the label shown first to replace it.
HYSTERESIS: Final = 0.05
#: Where the model's operators run: ``xnnpack``, ``cpu`` or a delegate library path
#: (``str(camviz.backends.Delegate())``, checked by tests/live_options).
DELEGATE: Final = "xnnpack"
#: Which runtime runs a model (``auto``: the first installed one that reads the file) and
#: the kind of device it runs on (``camviz.backends.backend_choices()``, ``accelerators()``).
BACKEND: Final = "auto"
ACCELERATOR: Final = "cpu"
#: Categories below this probability are not listed.
SCORE_THRESHOLD: Final = 0.0
#: Locale of the display names read from model metadata (MediaPipe's default too).
DISPLAY_NAMES_LOCALE: Final = "en"
#: Best probability below this marks a result "not sure".
MIN_CONFIDENCE: Final = 0.3
#: Bound of the lossless (files, benchmarks) queue between capture and inference.
QUEUE_SIZE: Final = 4
#: Centre crop, as a fraction of the short side, when a model declares none.
CROP_FRACTION: Final = 0.875
#: Window of the frames-per-second meters, in seconds.
FPS_WINDOW_S: Final = 2.0
#: The performance meter's time window, in seconds (its light, graph and CPU share).
METER_SPAN_S: Final = 10.0
#: Latency samples kept for percentiles.
LATENCY_HISTORY: Final = 2000
#: Frames ``camviz bench`` runs per measurement.
BENCH_FRAMES: Final = 300
#: Seconds a live capture (camera, stream) may take to open and give its first frame.
OPEN_TIMEOUT_S: Final = 3.0
#: First wait before reopening a lost live capture; it doubles up to BACKOFF_MAX_S.
BACKOFF_INITIAL_S: Final = 0.25
BACKOFF_MAX_S: Final = 4.0
