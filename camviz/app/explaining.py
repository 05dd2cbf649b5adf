"""Where the model looks, for the live window: occlusion maps off the GUI thread.

:class:`Explaining` owns one worker thread (``camviz-explain``) that loads its own classifier
(the same options as the live one: model, fit, threads, runtime; the pipeline's interpreter
belongs to the inference thread and is never shared) and runs
:class:`camviz.explain.Explainer` on the frame asked for. It keeps the classifier between
maps and loads it again only when the options change.

One map at a time: :meth:`Explaining.request` while a map is under way cancels that one
first. :meth:`Explaining.cancel` sets the running map's :class:`threading.Event`; the
explainer checks it between invokes. Every request ends in exactly one of
:class:`ExplainDone`, :class:`ExplainCancelled` or :class:`ExplainFailed`, after any number
of :class:`ExplainProgress` events, all on :attr:`Explaining.events` and emitted on the
worker thread (a front end re-posts them to its GUI thread). ``request_id`` ties each event
to its request, so a front end can drop what belongs to one it no longer shows.

Layer: camviz.app (imports camviz.explain and camviz.loading; no toolkit).
"""

from __future__ import annotations

import functools
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from camviz.app.events import Emitter
from camviz.classifier import Classifier, ClassifierOptions
from camviz.errors import CamvizError, format_error
from camviz.explain import Explainer, ExplainOptions, Explanation
from camviz.loading import open_classifier

__all__ = [
    "ExplainCancelled",
    "ExplainDone",
    "ExplainEvents",
    "ExplainFailed",
    "ExplainProgress",
    "Explaining",
]

Image = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class ExplainProgress:
    """``done`` of ``total`` occluded inputs classified (``total`` 0: loading the model)."""

    request_id: int
    done: int
    total: int

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


@dataclass(frozen=True, slots=True)
class ExplainDone:
    request_id: int
    explanation: Explanation
    image: Image  # the frame explained (RGB), so a front end can draw the map over it


@dataclass(frozen=True, slots=True)
class ExplainCancelled:
    request_id: int


@dataclass(frozen=True, slots=True)
class ExplainFailed:
    request_id: int
    message: str


class ExplainEvents:
    """The events of :class:`Explaining` (emitted on its worker thread)."""

    def __init__(self) -> None:
        self.progress: Emitter[ExplainProgress] = Emitter("explain.progress")
        self.done: Emitter[ExplainDone] = Emitter("explain.done")
        self.cancelled: Emitter[ExplainCancelled] = Emitter("explain.cancelled")
        self.failed: Emitter[ExplainFailed] = Emitter("explain.failed")


@dataclass(frozen=True, slots=True)
class _Job:
    request_id: int
    image: Image
    options: ClassifierOptions
    cancel: threading.Event


_STOP = object()


class Explaining:
    """Occlusion maps of frames, one at a time, on a worker thread.

    ``classifier_options`` gives the live classifier's options at the time of a request
    (the session's :meth:`~camviz.app.session.LiveSession.classifier_options`).
    """

    def __init__(
        self,
        classifier_options: Callable[[], ClassifierOptions],
        options: ExplainOptions | None = None,
        *,
        load: Callable[[ClassifierOptions], Classifier] = open_classifier,
    ) -> None:
        self.events = ExplainEvents()
        self.options = options or ExplainOptions()
        self._classifier_options = classifier_options
        self._load = load
        self._lock = threading.Lock()
        self._jobs: queue.Queue[_Job | object] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._current: _Job | None = None  # asked for, not yet ended
        self._next_id = 0
        self._closed = False
        self.maps_done = 0

    @property
    def busy(self) -> bool:
        """A map is asked for or under way."""
        with self._lock:
            return self._current is not None

    @property
    def current_request(self) -> int | None:
        with self._lock:
            return None if self._current is None else self._current.request_id

    def request(self, image: Image) -> int:
        """Explain ``image`` (HxWx3 RGB, copied); cancels a map under way. The request's id."""
        if image.ndim != 3 or image.shape[2] != 3:
            raise CamvizError(f"explain takes an HxWx3 RGB frame, not one of shape {image.shape}")
        options = self._classifier_options()
        with self._lock:
            if self._closed:
                raise CamvizError("explaining has been shut down")
            if self._current is not None:
                self._current.cancel.set()
            self._next_id += 1
            job = _Job(
                self._next_id, np.array(image, np.uint8, copy=True), options, threading.Event()
            )
            self._current = job
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="camviz-explain", daemon=True
                )
                self._thread.start()
        self._jobs.put(job)
        return job.request_id

    def cancel(self) -> bool:
        """Cancel the map under way (it ends in ExplainCancelled); False when there is none."""
        with self._lock:
            job = self._current
            if job is None:
                return False
            job.cancel.set()
            return True

    def shutdown(self, timeout: float = 5.0) -> None:
        """Cancel what runs and join the worker (which releases its classifier). Idempotent."""
        with self._lock:
            self._closed = True
            if self._current is not None:
                self._current.cancel.set()
            thread = self._thread
        if thread is not None:
            self._jobs.put(_STOP)
            thread.join(timeout)

    # ------------------------------------------------------------------ the worker thread
    def _end(self, job: _Job) -> None:
        with self._lock:
            if self._current is job:
                self._current = None

    def _progress(self, request_id: int, done: int, total: int) -> None:
        self.events.progress.emit(ExplainProgress(request_id, done, total))

    def _run(self) -> None:
        classifier: Classifier | None = None
        loaded_with: ClassifierOptions | None = None
        try:
            while True:
                item = self._jobs.get()
                if not isinstance(item, _Job):
                    return
                job = item
                if job.cancel.is_set():
                    self._end(job)
                    self.events.cancelled.emit(ExplainCancelled(job.request_id))
                    continue
                try:
                    if classifier is None or loaded_with != job.options:
                        self.events.progress.emit(ExplainProgress(job.request_id, 0, 0))
                        if classifier is not None:
                            classifier.close()
                            classifier = None
                        classifier = self._load(job.options)
                        loaded_with = job.options
                    explanation = Explainer(classifier, self.options).explain(
                        job.image,
                        on_progress=functools.partial(self._progress, job.request_id),
                        cancel=job.cancel,
                    )
                except Exception as exc:  # a model that will not load or run: said, not fatal
                    self._end(job)
                    message = format_error(exc)
                    self.events.failed.emit(ExplainFailed(job.request_id, message))
                    continue
                self._end(job)
                if explanation is None:
                    self.events.cancelled.emit(ExplainCancelled(job.request_id))
                else:
                    self.maps_done += 1
                    self.events.done.emit(ExplainDone(job.request_id, explanation, job.image))
        finally:
            if classifier is not None:
                classifier.close()
