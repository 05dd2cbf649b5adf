"""Start-up policy: remembered settings that cannot brick the window, scripted runs.

* Remembered values are only suggestions: :func:`camviz.live_options.from_saved`
  keeps each saved option that is usable and replaces the others with the default,
  saying which.
* Paths are remembered absolute (:func:`absolute_spec`), so a later start from
  another folder finds the same file.
* :func:`plan_start` is the first start as a pure function (a :class:`StartPlan`
  the session executes): a remembered model that is gone (:func:`remembered_model`)
  or no longer loads is replaced by the zoo's default model, said in the status
  line; a model or source given on the command line is always the one used;
  without a source, the first camera, else the demo.
* :func:`check_quit_after`: a scripted run's ``--quit-after`` must be a finite
  number of seconds, at least 0.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from camviz.app.events import Notice
from camviz.defaults import DEMO
from camviz.errors import OptionsError
from camviz.sources import CameraInfo

__all__ = [
    "absolute_spec",
    "check_quit_after",
    "is_path_spec",
    "remembered_model",
    "StartPlan",
    "plan_start",
]


_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def is_path_spec(spec: str, names: tuple[str, ...] = ()) -> bool:
    """Whether ``spec`` names a file or folder (not "demo", a camera index, a URL, a zoo name)."""
    text = spec.strip()
    special = text == DEMO or text.isdigit() or _URL.match(text) is not None or text in names
    return bool(text) and not special


def absolute_spec(spec: str, names: tuple[str, ...] = ()) -> str:
    """``spec`` with a path made absolute (``~`` expanded); anything else as it is."""
    if not is_path_spec(spec, names):
        return spec
    return str(Path(spec.strip()).expanduser().absolute())


def remembered_model(saved: str | None, names: tuple[str, ...]) -> tuple[str | None, str | None]:
    """The remembered model if it can still be found, else ``(None, why)``.

    A zoo name must still be in the zoo (``names``); a path must still be a file.
    """
    if not saved:
        return None, None
    if saved in names:
        return saved, None
    if is_path_spec(saved, names) and Path(saved).expanduser().is_file():
        return saved, None
    return None, f"the remembered model {saved} is gone"


def check_quit_after(value: float | None) -> float | None:
    """``value`` if it is a finite number of seconds >= 0 (or None); else OptionsError."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise OptionsError(f"--quit-after must be a number of seconds, got {value!r}") from None
    if not math.isfinite(seconds) or seconds < 0:
        raise OptionsError(f"--quit-after must be a finite number of seconds >= 0, got {value!r}")
    return seconds


@dataclass(frozen=True, slots=True)
class StartPlan:
    """What the first start does: the session executes it (:meth:`LiveSession.start_up`)."""

    source: str
    model: str | None
    fallback_model: str | None = None  # run this if ``model`` does not load (said)
    note: str | None = None  # the source's note, when not "Source: <name>"
    notice: Notice | None = None  # the status line once started, when not "Source: <name>"
    said: tuple[Notice, ...] = ()  # told before starting (a remembered model is gone)


def plan_start(
    source: str | None,
    model: str | None = None,
    *,
    remembered: str | None = None,
    cameras: Sequence[CameraInfo] = (),
    zoo_names: tuple[str, ...] = (),
    zoo_default: str | None = None,
) -> StartPlan:
    """The first start, as a pure function: ``source`` and ``model`` as given always win.

    Without a model the ``remembered`` one is used if it is still there, with the
    zoo's default as the fallback should it no longer load; one that is gone is
    skipped (said). Without a source: the first camera, else the demo (said).
    """
    said: list[Notice] = []
    fallback = None
    if model is None and remembered:
        model, why = remembered_model(remembered, zoo_names)
        if why is not None:
            said.append(
                Notice(f"{why[0].upper()}{why[1:]}: using the default model", timeout_ms=15000)
            )
        fallback = zoo_default if model is not None else None
    if fallback == model:
        fallback = None
    if source is not None:
        return StartPlan(source, model, fallback, said=tuple(said))
    if cameras:
        return StartPlan(str(cameras[0].index), model, fallback, said=tuple(said))
    return StartPlan(
        DEMO,
        model,
        fallback,
        note="Source: demo (no camera found)",
        notice=Notice("No camera found: showing the demo source", timeout_ms=15000),
        said=tuple(said),
    )
