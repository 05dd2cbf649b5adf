"""Teach mode without widgets: the worker thread that owns the teach session, and its state.

:class:`~camviz.teach.TeachSession` extracts features inside ``add_sample`` with
its own interpreter, which belongs to the thread that created it, and its
sample lists are not locked. So one worker thread (:class:`TeachWorker`,
``camviz-teach``) creates the session and does *everything* with it, in order,
from a command queue: add/remove a class, add a sample (feature extraction),
train (numpy only), write the temporary head. Nothing else touches the session,
so no lock is needed and the pipeline's interpreter is never shared.

* Capture only **copies** frames: :meth:`Teaching.capture_tick` (a front end's
  timer calls it) reads the newest frame of the live frame slot, skips frames
  already taken, and queues a copy. Each capture is one burst (a
  ``recording`` id; a capture of the same class within :data:`BURST_GAP_S` of
  the last frame continues it): a burst goes whole to training or validation,
  so near-identical neighbours never sit on both sides. When the worker falls
  behind by :data:`MAX_BACKLOG` frames, new frames are skipped (counted), so memory stays bounded.
* Results are events (:class:`TeachEvents`) emitted on the worker thread;
  errors too (:class:`TeachFailure`): the worker never dies silently.
* Training runs on the worker after every frame queued before it, so the model
  is trained on everything captured up to the request. Progress (TeachProgress) is the feature
  backlog, then "fitting".
* Stopping: a :class:`threading.Event` plus a wake-up item; the worker checks it
  between commands and drops queued frames; :meth:`TeachWorker.stop` joins with
  a timeout.

A trained model is saved by the worker to a temporary ``taught-N.head.npz`` and
handed to ``switch_model``; temporary heads are removed by
:meth:`Teaching.shutdown`, and :meth:`Teaching.persistent_model` then names the
model to go back to instead of a deleted file.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from camviz.app.frames import LatestFrame
from camviz.app.teach_worker import TeachEvents, TeachFailure, TeachProgress, TeachWorker, Trained
from camviz.teach import HEAD_SUFFIX, Head, TrainOptions, is_head_path
from camviz.teach import load_head as _load_head

__all__ = [
    "BURST_GAP_S",
    "MAX_BACKLOG",
    "TeachProgress",
    "TeachEvents",
    "TeachFailure",
    "TeachWorker",
    "Teaching",
    "Trained",
]

MAX_BACKLOG = 24  # frames waiting for feature extraction before capture skips frames
#: a capture of the same class starting within this many seconds of the last frame
#: taken continues its burst: near-duplicate frames stay on one side of the split
BURST_GAP_S = 3.0


class Teaching:
    """Teach mode's state: classes, capture, training, taught heads, which model runs.

    ``frames`` is the live frame slot (the pipeline's ``on_frame`` output) and
    ``switch_model`` loads a model (zoo name, .tflite or .head.npz path) into the
    running pipeline. Methods are called from one controlling thread (a GUI's);
    the worker's events update the state under a lock, then are re-emitted on
    :attr:`events` (on the worker thread).
    """

    def __init__(
        self,
        frames: LatestFrame,
        switch_model: Callable[[str], object],
        *,
        backbone: str = "",
        threads: int = 1,
        options: TrainOptions | None = None,
    ) -> None:
        self.frames = frames
        self._switch_model = switch_model
        self.events = TeachEvents()
        self.worker = TeachWorker(backbone, threads=threads, options=options)
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        self.capturing: str | None = None
        self.captured = 0  # frames queued by capture, all classes
        self.skipped = 0  # frames skipped because the worker was behind
        self.recordings = 0
        self.recorded = 0  # frames of the current (or last) recording
        self._recording = ""
        self._burst_order = 0  # frames of the current burst (it may span captures)
        self._last_taken: tuple[str, float] | None = None  # label, monotonic time
        self._last_serial = -1
        self.last: Trained | None = None  # the latest training
        self.head: Head | None = None  # the latest trained or loaded head
        self.head_path: str | None = None  # its file (a temporary one when trained)
        self.training = False
        self.running_model: str | None = None  # what the pipeline runs (name or path)
        self.previous_model: str | None = None  # the last non-taught model that ran
        self._temp_dir: Path | None = None
        self._temp_heads: set[str] = set()
        self._train_count = 0
        self.shut = False
        worker = self.worker.events
        worker.ready.connect(self.events.ready.emit)
        worker.progress.connect(self.events.progress.emit)
        worker.counts.connect(self._on_counts)
        worker.trained.connect(self._on_trained)
        worker.failed.connect(self._on_failed)

    # ------------------------------------------------------------ classes
    @property
    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    @property
    def labels(self) -> list[str]:
        with self._lock:
            return list(self._counts)

    def prepare(self) -> None:
        """Load the backbone now (while the user types class names), unless it failed."""
        if not self.shut and self.worker.error is None:
            self.worker.start()

    def add_class(self, label: str) -> str | None:
        """Add a class (starting the worker on first use); else what to tell the user."""
        label = label.strip()
        if not label:
            return "A class needs a name."
        with self._lock:
            if label in self._counts:
                return f"There is a class {label!r} already."
        if self.worker.error is not None:
            return self.worker.error
        self.worker.start()
        self.worker.add_class(label)
        with self._lock:
            self._counts.setdefault(label, 0)
        return None

    def remove_class(self, label: str) -> bool:
        if self.capturing == label:
            self.stop_capture()
        with self._lock:
            if self._counts.pop(label, None) is None:
                return False
        self.worker.remove_class(label)
        return True

    def _on_counts(self, counts: dict[str, int]) -> None:
        with self._lock:
            for label, n in counts.items():
                if label in self._counts:
                    self._counts[label] = n
            known = dict(self._counts)
        self.events.counts.emit(known)

    # ------------------------------------------------------------ capture
    def start_capture(self, label: str) -> bool:
        """Begin one recording of ``label``; frames are taken by :meth:`capture_tick`."""
        with self._lock:
            known = label in self._counts
        if not known or self.shut:
            return False
        if self.capturing is not None:
            self.stop_capture()
        last = self._last_taken
        if last is None or last[0] != label or time.monotonic() - last[1] > BURST_GAP_S:
            self.recordings += 1
            self._recording = f"{label}#{self.recordings}"
            self._burst_order = 0
        self.capturing = label
        self.recorded = 0
        return True

    def stop_capture(self) -> str | None:
        """End the recording; the label it was of (None if none ran)."""
        label, self.capturing = self.capturing, None
        return label

    def capture_tick(self) -> bool:
        """Queue a copy of the newest frame for the class being captured; True if taken."""
        label = self.capturing
        if label is None:
            return False
        serial, image = self.frames.get()
        if image is None or serial == self._last_serial:
            return False  # no new frame since the last tick (paused, slow source)
        self._last_serial = serial
        if self.worker.pending >= MAX_BACKLOG:
            self.skipped += 1
            return False
        self.worker.add_sample(
            label, np.array(image, copy=True), self._recording, self._burst_order
        )
        self._burst_order += 1
        self._last_taken = (label, time.monotonic())
        self.recorded += 1
        self.captured += 1
        return True

    # ------------------------------------------------------------ training
    def train(self) -> bool:
        """Train in the background on everything captured so far; False if not started."""
        if self.training or self.shut:
            return False
        self.stop_capture()
        if self.worker.error is not None:
            self._on_failed(TeachFailure("start", "Teach mode is not available", self.worker.error))
            return False
        self.worker.start()
        with self._lock:
            self.training = True
            self._train_count += 1
            path = self._temp_folder() / f"taught-{self._train_count}{HEAD_SUFFIX}"
        self.worker.train(path)
        return True

    def _on_trained(self, trained: Trained) -> None:
        with self._lock:
            self.training = False
            self.last = trained
            self.head, self.head_path = trained.head, str(trained.path)
            self._temp_heads.add(str(trained.path))
        self.events.trained.emit(trained)

    def _on_failed(self, failure: TeachFailure) -> None:
        with self._lock:
            ends = self.training and failure.what in ("train", "start")
            if ends:
                self.training = False
        if ends != failure.ends_training:
            failure = TeachFailure(failure.what, failure.title, failure.message, ends)
        self.events.failed.emit(failure)

    def report_failure(self, what: str, title: str, message: str) -> None:
        """Announce a failure found by the caller (a file dialog's save, say)."""
        self._on_failed(TeachFailure(what, title, message))

    # ------------------------------------------------------------ models
    def use_taught(self) -> None:
        """Switch the running pipeline to the latest taught (or loaded) model."""
        if self.head_path is not None:
            self._switch_model(self.head_path)

    def back_to_previous(self) -> None:
        """Switch the pipeline back to the model that ran before the taught one."""
        if self.previous_model:
            self._switch_model(self.previous_model)

    def running_is_taught(self) -> bool:
        model = self.running_model
        return model is not None and is_head_path(model)

    def note_running(self, model: str) -> None:
        """The pipeline now runs ``model`` (zoo name or path); any thread."""
        if self.shut:
            return
        with self._lock:
            self.running_model = model
            if not is_head_path(model):
                self.previous_model = model
        self.events.models.emit(model)

    def save_model(self, path: str | Path) -> Path:
        """Write the latest taught model to ``path`` (``*.head.npz``, atomically)."""
        head = self.head
        if head is None:
            raise ValueError("nothing taught yet")
        target = Path(path)
        if not is_head_path(target):
            target = target.with_name(target.name.split(".")[0] + HEAD_SUFFIX)
        return head.save(target)

    def load_model(self, path: str | Path) -> Head:
        """Check a ``*.head.npz`` and switch the pipeline to it (raises ``CamvizError``)."""
        head = _load_head(path)
        with self._lock:
            self.head, self.head_path = head, str(path)
        self._switch_model(str(path))
        return head

    # ------------------------------------------------------------ lifecycle
    def is_temporary(self, model: str | None) -> bool:
        """Whether ``model`` is a temporary head (deleted at shutdown)."""
        with self._lock:
            return model is not None and model in self._temp_heads

    def persistent_model(self, model: str) -> str:
        """``model``, unless it is a temporary head: then the model to go back to."""
        return (self.previous_model or "") if self.is_temporary(model) else model

    def _temp_folder(self) -> Path:
        if self._temp_dir is None:
            self._temp_dir = Path(tempfile.mkdtemp(prefix="camviz-teach-"))
        return self._temp_dir

    def shutdown(self, timeout: float = 2.0) -> bool:
        """Stop capture and the worker (joined within ``timeout``); remove temporaries."""
        self.shut = True
        self.capturing = None
        stopped = self.worker.stop(timeout)
        with self._lock:
            folder, self._temp_dir = self._temp_dir, None
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        return stopped
