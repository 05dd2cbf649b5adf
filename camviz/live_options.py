"""The one table of live options: each option declared once, with its range and what a change needs.

:class:`LiveOptions` is the table. Every field is made with :func:`live_option`, which
puts an :class:`OptionSpec` (name, label, help, kind, default, range, step, decimals,
what a change needs, the command-line flag, whether it is saved) into the field's
metadata. Everything else derives from it:

* :func:`option_specs` lists the specs (the window's options form, the settings store);
* :func:`checked` validates changes against them (``OptionsError`` naming the option
  and its range);
* :func:`from_saved` reads saved values (strings from a settings store), keeping each
  one that is usable and saying which were not;
* :func:`needs` says what a change needs (:class:`Apply`): a reporting update between
  frames, another model load, or a pipeline restart;
* :func:`reporting_names` are the names ``Pipeline.update`` and ``Classifier.update``
  take.

Layer: beside ``camviz.defaults``; imports only ``defaults`` and ``errors``.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from camviz import defaults
from camviz.errors import OptionsError

__all__ = [
    "Apply",
    "LiveOptions",
    "OptionSpec",
    "checked",
    "from_saved",
    "live_option",
    "needs",
    "option_specs",
    "reporting_names",
    "spec_for",
]


class Apply(enum.Enum):
    """What a change of an option needs."""

    REPORTING = "reporting"  # applied between frames (Classifier.update / Pipeline.update)
    MODEL = "model"  # the model is reloaded
    RESTART = "restart"  # the pipeline is restarted


@dataclass(frozen=True, slots=True)
class OptionSpec:
    """One live option: what it is called, shown as, takes, and what a change needs."""

    name: str
    label: str
    help: str
    kind: type  # int, float, bool or str
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    decimals: int | None = None
    apply: Apply = Apply.REPORTING
    cli_flag: str | None = None
    persist: bool = True
    suffix: str = ""  # the unit a control shows after the number (" ms")

    def check(self, value: object) -> Any:
        """``value`` as this option's kind, or OptionsError naming the option and its range."""
        kind = self.kind
        if kind is bool:
            if not isinstance(value, bool):
                raise OptionsError(f"{self.name} must be true or false, got {value!r}")
            return value
        if kind is str:
            if not isinstance(value, str):
                raise OptionsError(f"{self.name} must be text, got {value!r}")
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise OptionsError(f"{self.name} must be a number {self.range_text()}, got {value!r}")
        if kind is int and (isinstance(value, float) and value != int(value)):
            raise OptionsError(
                f"{self.name} must be a whole number {self.range_text()}, got {value!r}"
            )
        number = float(value)
        low = -math.inf if self.minimum is None else self.minimum
        high = math.inf if self.maximum is None else self.maximum
        if not (math.isfinite(number) and low <= number <= high):
            raise OptionsError(f"{self.name} must be {self.range_text()}, got {value!r}")
        return int(value) if kind is int else float(value)

    def range_text(self) -> str:
        if self.minimum is None or self.maximum is None:
            return "(any finite number)"
        return f"from {self.minimum:g} to {self.maximum:g}"


def live_option(
    *,
    default: Any,
    label: str,
    help: str,
    apply: Apply,
    minimum: float | None = None,
    maximum: float | None = None,
    step: float | None = None,
    decimals: int | None = None,
    cli_flag: str | None = None,
    persist: bool = True,
    suffix: str = "",
) -> Any:
    """A field of :class:`LiveOptions` with its :class:`OptionSpec` (named by the field)."""
    spec = OptionSpec(
        "",
        label,
        help,
        type(default),
        default,
        minimum,
        maximum,
        step,
        decimals,
        apply,
        cli_flag,
        persist,
        suffix,
    )
    return dataclasses.field(default=default, metadata={"spec": spec})


@dataclass(frozen=True, slots=True)
class LiveOptions:
    """What the user set: the model's threads and delegate, and how results are reported."""

    threads: int = live_option(
        default=defaults.THREADS,
        minimum=1,
        maximum=defaults.MAX_THREADS,
        step=1,
        apply=Apply.MODEL,
        cli_flag="--threads",
        label="Threads",
        help="Interpreter threads (applies when you leave the box)",
    )
    top_k: int = live_option(
        default=defaults.TOP_K,
        minimum=1,
        maximum=defaults.MAX_TOP_K,
        step=1,
        apply=Apply.REPORTING,
        label="Top-k",
        help="How many labels to list",
    )
    score_threshold: float = live_option(
        default=defaults.SCORE_THRESHOLD,
        minimum=0.0,
        maximum=1.0,
        step=0.05,
        decimals=2,
        apply=Apply.REPORTING,
        label="Score threshold",
        help="Hide labels scoring below this",
    )
    min_confidence: float = live_option(
        default=defaults.MIN_CONFIDENCE,
        minimum=0.0,
        maximum=1.0,
        step=0.05,
        decimals=2,
        apply=Apply.REPORTING,
        label="Min confidence",
        help='Below this top score the answer is "Not sure"',
    )
    smoothing: float = live_option(
        default=defaults.SMOOTHING,
        minimum=0.0,
        maximum=defaults.MAX_SMOOTHING,
        step=0.05,
        decimals=2,
        apply=Apply.REPORTING,
        label="Smoothing",
        help="Average scores over frames: 0 is off, higher is steadier",
    )
    hysteresis: float = live_option(
        default=defaults.HYSTERESIS,
        minimum=0.0,
        maximum=0.5,
        step=0.01,
        decimals=2,
        apply=Apply.REPORTING,
        label="Label stickiness",
        help="With smoothing: how much a new label must beat the one shown to replace it",
    )
    budget_ms: float = live_option(
        default=defaults.BUDGET_MS,
        minimum=1.0,
        maximum=1000.0,
        step=1.0,
        decimals=0,
        apply=Apply.REPORTING,
        label="Budget",
        help="Frame budget: the meter is green when 95% of frames are faster",
        suffix=" ms",
    )
    delegate: str = live_option(
        default=defaults.DELEGATE,
        apply=Apply.MODEL,
        cli_flag="--delegate",
        persist=False,
        label="Delegate",
        help=f"Where the model runs: {defaults.DELEGATE}, cpu, or a delegate library path",
    )
    backend: str = live_option(
        default=defaults.BACKEND,
        apply=Apply.MODEL,
        cli_flag="--backend",
        persist=False,
        label="Runtime",
        help="Which runtime runs the model: auto (the first installed that reads it) or a name",
    )
    accelerator: str = live_option(
        default=defaults.ACCELERATOR,
        apply=Apply.MODEL,
        cli_flag="--accelerator",
        persist=False,
        label="Device",
        help="The kind of device the model runs on: cpu, gpu or npu",
    )


def _specs() -> tuple[OptionSpec, ...]:
    return tuple(
        dataclasses.replace(f.metadata["spec"], name=f.name)
        for f in dataclasses.fields(LiveOptions)
    )


_SPECS = _specs()
_BY_NAME = {spec.name: spec for spec in _SPECS}


def option_specs() -> tuple[OptionSpec, ...]:
    """Every live option, in the table's order."""
    return _SPECS


def spec_for(name: str) -> OptionSpec:
    """The spec of option ``name`` (OptionsError listing the options for an unknown one)."""
    spec = _BY_NAME.get(name)
    if spec is None:
        raise OptionsError(f"no live option {name!r}; the options are {', '.join(_BY_NAME)}")
    return spec


def checked(options: LiveOptions, **changes: Any) -> LiveOptions:
    """``options`` with ``changes``, each validated against its spec (OptionsError if not)."""
    values = {name: spec_for(name).check(value) for name, value in changes.items()}
    return dataclasses.replace(options, **values)


def needs(changes: Iterable[str]) -> set[Apply]:
    """What changing the options ``changes`` needs (unknown names: OptionsError)."""
    return {spec_for(name).apply for name in changes}


def reporting_names() -> tuple[str, ...]:
    """The options applied between frames (``Pipeline.update``, ``Classifier.update``)."""
    return tuple(s.name for s in _SPECS if s.apply is Apply.REPORTING)


def from_saved(
    saved: Mapping[str, object], base: LiveOptions | None = None
) -> tuple[LiveOptions, list[str]]:
    """The saved options (``saved`` maps names to what a settings store held: text,
    numbers, None for "not saved"), each one that is usable; the others stay as in
    ``base`` (the defaults), one note each."""
    options = base if base is not None else LiveOptions()
    notes: list[str] = []
    values: dict[str, Any] = {}
    for spec in _SPECS:
        raw = saved.get(spec.name)
        if not spec.persist or raw is None or raw == "":
            continue
        why = _unusable(spec, raw)
        if why is None:
            values[spec.name] = spec.check(_parse(spec, raw))
        else:
            notes.append(f"saved {spec.name} {raw!r} {why}: using {getattr(options, spec.name)}")
    return dataclasses.replace(options, **values), notes


def _unusable(spec: OptionSpec, raw: object) -> str | None:
    """Why a saved value cannot be used (None: it can)."""
    try:
        value = _parse(spec, raw)
    except ValueError:
        return "is not a number" if spec.kind in (int, float) else "is not true or false"
    if spec.kind in (int, float) and isinstance(value, int | float) and not isinstance(value, bool):
        low, high = spec.minimum, spec.maximum
        if not math.isfinite(value) or (
            low is not None and high is not None and not low <= value <= high
        ):
            return (
                f"is outside {low:g}..{high:g}"
                if low is not None and high is not None
                else ("is not a finite number")
            )
        if spec.kind is int and value != int(value):
            return "is not a whole number"
    try:
        spec.check(value)
    except OptionsError as exc:
        return f"is not usable ({exc})"
    return None


def _parse(spec: OptionSpec, raw: object) -> object:
    if not isinstance(raw, str):
        return raw
    text = raw.strip()
    if spec.kind is str:
        return text
    if spec.kind is bool:
        if text.lower() in ("true", "false"):
            return text.lower() == "true"
        raise ValueError(text)
    number = float(text)
    return number
