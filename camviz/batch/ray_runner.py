"""The batch work on Ray: one actor per CPU, each owning one classifier on its own thread.

``camviz classify --ray [ADDRESS]`` and ``camviz eval --ray [ADDRESS]`` use
:class:`RayBatch`. Without an address a local Ray instance is started
(``ray.init(num_cpus=2)``) and shut down at the end; with one, ``ray.init(ADDRESS)``
connects to a running cluster (``"auto"``, ``"ray://head:10001"``), whose nodes
need camviz installed.

Each actor loads the model in its constructor and handles one photo at a time
(Ray runs a default actor's tasks on one thread, so its interpreter never
changes threads), decoding it reduced as the local run does
(:mod:`camviz.batch.decode`). Photos go as paths to a local instance (the
workers share this file system) and as bytes to a cluster. Work is balanced
dynamically (a photo goes to whichever actor is free), but outcomes are
yielded in input order, so the output is line for line what the local run
writes (the latency fields are the actors' own).

Faults: an actor that dies (killed, out of memory, its node gone) is replaced by a
new one, and each photo it held is sent again to a live actor, at most
:data:`MAX_ATTEMPTS` times a photo and :data:`MAX_RESTARTS` replacements a run
(per actor wanted); while waiting, the node this process runs on is checked every
second (when it is gone nothing can finish). A run that cannot finish raises
:class:`WorkerLostError` naming the photo or the node and the cause; everything
yielded before it is whole, so ``--out FILE --resume`` finishes the rest. Ray's own
INFO and WARNING lines stay off the terminal unless logging is at INFO (``--verbose``).
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

from camviz.batch.decode import DecodeTarget, decode_for_model, read_image_bytes
from camviz.batch.runner import Outcome, classify_decoded, decode_timed
from camviz.classifier import ClassifierOptions
from camviz.errors import CamvizError, ExtraNotInstalledError, OptionsError, WorkerLostError

__all__ = [
    "LOCAL_CPUS",
    "MAX_ATTEMPTS",
    "MAX_RESTARTS",
    "RayBatch",
    "WorkerLostError",
    "require_ray",
]

#: CPUs of the local Ray instance started when no address is given.
LOCAL_CPUS = 2
_IN_FLIGHT_PER_ACTOR = 2
#: Tries of one photo whose actor died under it.
MAX_ATTEMPTS = 3
#: Replacement actors a run may start, per actor it wanted.
MAX_RESTARTS = 2
#: Seconds between checks that this process's Ray node still lives while waiting.
_POLL_S = 1.0


def require_ray(feature: str = "Running on Ray (--ray)") -> None:
    """Raise :class:`ExtraNotInstalledError` now, before any work, if Ray is missing."""
    if importlib.util.find_spec("ray") is None:
        raise ExtraNotInstalledError(feature, "ray", "ray")


class _Worker:
    """The actor: one classifier, created and used on the actor's one thread."""

    def __init__(self, options: ClassifierOptions, reduce: bool) -> None:
        from camviz.loading import open_classifier

        self.clf = open_classifier(options)
        self.target = DecodeTarget.of(self.clf, reduce=reduce)

    def describe(self) -> dict[str, Any]:
        return {"model": self.clf.info.name, "labels": self.clf.info.labels, "pid": os.getpid()}

    def classify(self, index: int, path: str, data: bytes | None) -> Outcome:
        import time

        if data is None:
            decoded, decode_ms = decode_timed(path, self.target)
        else:
            start = time.perf_counter()
            try:
                decoded = decode_for_model(data, path, self.target)
            except CamvizError as exc:
                decoded = exc
            decode_ms = (time.perf_counter() - start) * 1000.0
        return classify_decoded(self.clf, index, path, decoded, decode_ms)


class RayBatch:
    """Actors on a Ray instance classifying photos; a context manager (starts, then stops Ray).

    ``address=None`` starts a local instance of :data:`LOCAL_CPUS` CPUs. ``actors``
    defaults to the cluster's CPU count. ``send_bytes`` defaults to True for a
    cluster address and False for the local instance.
    """

    def __init__(
        self,
        options: ClassifierOptions,
        address: str | None = None,
        *,
        actors: int | None = None,
        send_bytes: bool | None = None,
        reduce: bool = True,
        max_attempts: int = MAX_ATTEMPTS,
        max_restarts: int | None = None,
    ) -> None:
        require_ray()
        if actors is not None and actors < 1:
            raise OptionsError(f"actors must be at least 1, got {actors}")
        self.options = options
        self.address = address
        self.send_bytes = address is not None if send_bytes is None else send_bytes
        self.reduce = reduce
        self._actors_wanted = actors
        self._actors: list[Any] = []
        self._ray: Any = None
        self._worker: Any = None
        self.model = ""
        self.max_attempts = max_attempts
        self.max_restarts = max_restarts
        self.restarts = 0  # replacement actors started
        self.retried = 0  # photos sent again after their actor died
        self.pids: list[int] = []

    def __enter__(self) -> RayBatch:
        import ray

        self._ray = ray
        verbose = logging.getLogger().isEnabledFor(logging.INFO)  # --verbose
        quiet: dict[str, Any] = {"log_to_driver": verbose}
        if not verbose:
            quiet["logging_level"] = logging.ERROR
        if self.address is None:
            ray.init(num_cpus=LOCAL_CPUS, include_dashboard=False, **quiet)
        else:
            ray.init(address=self.address, **quiet)
        try:
            # Through the Any-typed handle: mypy sees the same types with or without ray installed.
            cpus = int(self._ray.cluster_resources().get("CPU", 1))
            count = self._actors_wanted or max(1, cpus)
            self._worker = ray.remote(num_cpus=1)(_Worker)
            self._actors = [self._worker.remote(self.options, self.reduce) for _ in range(count)]
            described = ray.get([a.describe.remote() for a in self._actors])
        except BaseException:
            ray.shutdown()
            raise
        if self.max_restarts is None:
            self.max_restarts = MAX_RESTARTS * count
        self.model = described[0]["model"]
        self.labels: tuple[str, ...] = tuple(described[0]["labels"])
        self.pids = [int(d["pid"]) for d in described]
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._actors = []
        if self._ray is not None:
            self._ray.shutdown()

    @property
    def actors(self) -> int:
        return len(self._actors)

    def classify_paths(self, paths: Iterable[str | Path]) -> Iterator[Outcome]:
        """Outcomes of ``paths`` in input order (each photo classified by some actor).

        A photo whose actor dies is sent again to a live one (see the module); raises
        :class:`WorkerLostError` when the retry or restart budget runs out.
        """
        ray = self._ray
        if ray is None:
            raise OptionsError("RayBatch is not started; use it as a context manager")
        from ray.exceptions import RayActorError, WorkerCrashedError

        died = (RayActorError, WorkerCrashedError)
        items = iter(enumerate(str(p) for p in paths))
        free = [a for a in self._actors for _ in range(_IN_FLIGHT_PER_ACTOR)]
        flying: dict[Any, tuple[Any, int, str, bytes | None, int]] = {}  # ref -> its task
        again: list[tuple[int, str, bytes | None, int]] = []  # photos whose actor died
        ready: dict[int, Outcome] = {}
        next_out = 0
        exhausted = False
        while True:
            while free and (again or not exhausted):
                if again:
                    index, path, data, attempt = again.pop()
                else:
                    item = next(items, None)
                    if item is None:
                        exhausted = True
                        break
                    index, path = item
                    data, attempt = None, 1
                    if self.send_bytes:
                        try:
                            data = read_image_bytes(path)
                        except CamvizError as exc:
                            ready[index] = Outcome(index, path, error=exc)
                            continue
                actor = free.pop()
                ref = actor.classify.remote(index, path, data)
                flying[ref] = (actor, index, path, data, attempt)
            while next_out in ready:
                yield ready.pop(next_out)
                next_out += 1
            if not flying:
                if exhausted and not again:
                    break
                continue
            done = self._wait(list(flying), next_out)
            for ref in done:
                actor, index, path, data, attempt = flying.pop(ref)
                try:
                    outcome: Outcome = ray.get(ref)
                except died as exc:
                    free = [a for a in free if a is not actor]
                    self._replace(actor, free, exc)
                    if attempt >= self.max_attempts:
                        raise WorkerLostError(
                            f"{path}: its Ray worker died {attempt} times "
                            f"({type(exc).__name__}); the run stopped with "
                            f"{next_out} photos done (give --resume with --out to finish)"
                        ) from None
                    self.retried += 1
                    again.append((index, path, data, attempt + 1))
                    continue
                free.append(actor)
                ready[outcome.index] = outcome
        while next_out in ready:
            yield ready.pop(next_out)
            next_out += 1

    def _wait(self, refs: list[Any], photos_done: int) -> list[Any]:
        """The tasks of ``refs`` that finished, waiting as long as this process's Ray node
        lives: when it is gone (its raylet killed, out of memory) no task can ever finish
        and Ray's own ``wait`` never returns, so the run ends with :class:`WorkerLostError`."""
        while True:
            done, _ = self._ray.wait(refs, num_returns=1, timeout=_POLL_S)
            if done:
                return list(done)
            if not self._node_alive():
                raise WorkerLostError(
                    "the Ray node running this run is gone (its raylet died); the run "
                    f"stopped with {photos_done} photos done (give --resume with --out to finish)"
                )

    def _node_alive(self) -> bool:
        try:
            mine = self._ray.get_runtime_context().get_node_id()
            return any(n.get("NodeID") == mine and n.get("Alive") for n in self._ray.nodes())
        except Exception:  # the cluster's control store is gone too: nothing will finish
            return False

    def _replace(self, dead: Any, free: list[Any], exc: BaseException) -> None:
        """Drop a dead actor and start another in its place, within the restart budget."""
        if dead not in self._actors:
            return  # already replaced (another of its photos came back first)
        self._actors.remove(dead)
        if self.restarts >= (self.max_restarts or 0):
            if not self._actors:
                raise WorkerLostError(
                    f"every Ray worker died ({type(exc).__name__}) and {self.restarts} "
                    "replacements were started already; give --resume with --out to finish"
                )
            return  # the live actors take the rest
        self.restarts += 1
        fresh = self._worker.remote(self.options, self.reduce)
        self._actors.append(fresh)
        free.extend([fresh] * _IN_FLIGHT_PER_ACTOR)
