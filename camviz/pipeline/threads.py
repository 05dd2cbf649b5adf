"""The thread plan: the interpreter's threads, the capture thread, the GUI and OpenCV's
own pool on the cores this process may run on, decided in one place.

A pipeline runs a capture thread (decode, on its own core when it can have one), an
inference thread whose interpreter may start ``interpreter`` worker threads, and, in the
window, the GUI thread. OpenCV's pool (``cv2.setNumThreads``) is off: camviz's resizes
are a few exact 2x2 halvings and one model-size resize (0.2-0.7 ms a frame), and a pool
of its own would compete with the interpreter's threads for the same cores
(``benchmarks/threads_check.py``: with the pool on, lower lossless fps at 1 and 2
interpreter threads on 2 cores).

:meth:`ThreadPlan.auto` is what ``--threads auto`` means outside ``camviz bench`` (which
measures the counts and picks the best, :func:`camviz.bench.pick_threads`):

* :attr:`Workload.LOSSLESS` (files classified as fast as they decode: classify, eval,
  compare, explain, teach): decoding never rests, so from 3 cores on it keeps one and the
  interpreter gets the rest; on 2 cores the interpreter gets both, since decoding a frame
  (0.7-1.4 ms) is a small part of a frame's invoke and a core kept for it would idle
  (``camviz bench --threads auto`` on 2 cores, three runs on two machines: the lossless
  pipeline was fastest with 2 interpreter threads every time);
* :attr:`Workload.LIVE` (a camera, a stream, the window): the capture thread decodes at
  the source's rate, a fraction of a core, so the interpreter gets every core on up to
  3 cores (the latency of one frame is what counts) and leaves one for capture and the
  GUI from 4 on.

Both are capped at :data:`AUTO_MAX_INTERPRETER` (XNNPACK's gain on a 224-pixel model
flattens out beyond it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

import cv2

__all__ = ["AUTO_MAX_INTERPRETER", "ThreadPlan", "Workload", "usable_cores"]

#: ``auto`` never asks for more interpreter threads than this.
AUTO_MAX_INTERPRETER: Final = 4
#: From this many cores on, a plan leaves one core to capture (and the GUI).
_RESERVE_FROM: Final = {"live": 4, "lossless": 3}


class Workload(StrEnum):
    """What the threads serve: see the module docstring."""

    LIVE = "live"
    LOSSLESS = "lossless"


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, so a container's or
    ``taskset``'s limit counts), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True, slots=True)
class ThreadPlan:
    """The threads of one configuration on the machine's cores, and why."""

    interpreter: int
    opencv: int
    cores: int
    workload: Workload = Workload.LIVE
    gui: bool = False
    auto: bool = False  # the interpreter count came from the plan, not from the user

    @classmethod
    def for_threads(
        cls,
        interpreter: int,
        cores: int | None = None,
        *,
        workload: Workload = Workload.LIVE,
        gui: bool = False,
    ) -> ThreadPlan:
        """The plan around a given interpreter thread count (the user's ``--threads N``)."""
        return cls(max(1, interpreter), 0, cores or usable_cores(), workload, gui)

    @classmethod
    def auto_plan(
        cls,
        workload: Workload = Workload.LIVE,
        *,
        cores: int | None = None,
        gui: bool = False,
    ) -> ThreadPlan:
        """The plan ``--threads auto`` means for ``workload`` on ``cores`` (default: this
        process's, :func:`usable_cores`)."""
        have = cores or usable_cores()
        reserve = 1 if have >= _RESERVE_FROM[workload.value] else 0
        interpreter = min(AUTO_MAX_INTERPRETER, max(1, have - reserve))
        return cls(interpreter, 0, have, workload, gui, auto=True)

    def apply(self) -> None:
        """Set OpenCV's pool (process-wide) as planned."""
        cv2.setNumThreads(self.opencv)

    @property
    def why(self) -> str:
        capture = "1 capture thread" + (" + the GUI" if self.gui else "")
        spare = self.cores - self.interpreter - 1  # the capture thread's core
        if spare > 0:
            where = f"a core for capture, {spare} core(s) spare"
        elif spare == 0:
            where = "a core for capture"
        else:
            where = f"{-spare} thread(s) more than cores: capture takes turns with the interpreter"
        chosen = ""
        if self.auto:
            limit = _RESERVE_FROM[self.workload.value]
            rule = (
                "a core kept for capture"
                if self.cores >= limit
                else f"every core to the interpreter under {limit} cores"
            )
            chosen = f"auto for {self.workload.value} work ({rule}); "
        return (
            f"{chosen}{self.interpreter} interpreter thread(s) + {capture} on {self.cores} "
            f"cores ({where}); OpenCV's pool off (resizes run on the calling thread)"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "interpreter": self.interpreter,
            "opencv": self.opencv,
            "capture": 1,
            "gui": self.gui,
            "cores": self.cores,
            "workload": self.workload.value,
            "auto": self.auto,
            "why": self.why,
        }
