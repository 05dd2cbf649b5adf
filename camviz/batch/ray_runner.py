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
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

from camviz.batch.decode import DecodeTarget, decode_for_model, read_image_bytes
from camviz.batch.runner import Outcome, classify_decoded, decode_timed
from camviz.classifier import ClassifierOptions
from camviz.errors import CamvizError, ExtraNotInstalledError, OptionsError

__all__ = ["LOCAL_CPUS", "require_ray", "RayBatch"]

#: CPUs of the local Ray instance started when no address is given.
LOCAL_CPUS = 2
_IN_FLIGHT_PER_ACTOR = 2


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
        return {"model": self.clf.info.name, "labels": self.clf.info.labels}

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
        self.model = ""

    def __enter__(self) -> RayBatch:
        import ray

        self._ray = ray
        if self.address is None:
            ray.init(num_cpus=LOCAL_CPUS, include_dashboard=False, log_to_driver=False)
        else:
            ray.init(address=self.address, log_to_driver=False)
        try:
            # Through the Any-typed handle: mypy sees the same types with or without ray installed.
            cpus = int(self._ray.cluster_resources().get("CPU", 1))
            count = self._actors_wanted or max(1, cpus)
            worker = ray.remote(num_cpus=1)(_Worker)
            self._actors = [worker.remote(self.options, self.reduce) for _ in range(count)]
            described = ray.get([a.describe.remote() for a in self._actors])
        except BaseException:
            ray.shutdown()
            raise
        self.model = described[0]["model"]
        self.labels: tuple[str, ...] = tuple(described[0]["labels"])
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
        """Outcomes of ``paths`` in input order (each photo classified by some actor)."""
        ray = self._ray
        if ray is None:
            raise OptionsError("RayBatch is not started; use it as a context manager")
        items = iter(enumerate(str(p) for p in paths))
        free = [a for a in self._actors for _ in range(_IN_FLIGHT_PER_ACTOR)]
        flying: dict[Any, Any] = {}  # object ref -> actor
        ready: dict[int, Outcome] = {}
        next_out = 0
        exhausted = False
        while True:
            while free and not exhausted:
                item = next(items, None)
                if item is None:
                    exhausted = True
                    break
                index, path = item
                data: bytes | None = None
                if self.send_bytes:
                    try:
                        data = read_image_bytes(path)
                    except CamvizError as exc:
                        ready[index] = Outcome(index, path, error=exc)
                        continue
                actor = free.pop()
                flying[actor.classify.remote(index, path, data)] = actor
            while next_out in ready:
                yield ready.pop(next_out)
                next_out += 1
            if not flying:
                if exhausted:
                    break
                continue
            done, _ = ray.wait(list(flying), num_returns=1)
            for ref in done:
                free.append(flying.pop(ref))
                outcome: Outcome = ray.get(ref)
                ready[outcome.index] = outcome
        while next_out in ready:
            yield ready.pop(next_out)
            next_out += 1
