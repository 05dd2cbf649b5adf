"""What to load and how to report: :class:`ClassifierOptions`, validated when made.

The reporting options are the ones MediaPipe's ``ImageClassifierOptions`` users
look for: ``top_k`` (MediaPipe's ``max_results``), ``score_threshold``,
``category_allowlist``, ``category_denylist`` and ``display_names_locale`` (which
of the metadata's display-name files names the categories); ``min_confidence`` is
camviz's "no label is likely" line.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from camviz import defaults
from camviz.backends import (
    AUTO,
    Accelerator,
    Delegate,
    backend_choices,
    canonical_backend_name,
    is_backend_name,
)
from camviz.errors import OptionsError
from camviz.preprocess import Fit

__all__ = ["ClassifierOptions"]

_LOCALE = re.compile(r"[A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8})*")


def _names(value: Any, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    try:
        names = tuple(str(v).strip() for v in value)
    except TypeError as exc:
        raise OptionsError(f"{what} must be a list of category names, got {value!r}") from exc
    if any(not n for n in names):
        raise OptionsError(f"{what} holds an empty category name")
    return names


def _channels(value: Any, what: str) -> tuple[float, ...] | None:
    """None, or 1 or 3 finite numbers (one is used for every channel); std above 0."""
    if value is None:
        return None
    given = value
    if isinstance(value, str):
        value = [v for v in value.replace(",", " ").split() if v]
    try:
        numbers = tuple(float(v) for v in (value if hasattr(value, "__iter__") else [value]))
    except (TypeError, ValueError):
        raise OptionsError(f"{what} must be 1 or 3 numbers, got {given!r}") from None
    if len(numbers) == 1:
        numbers = numbers * 3
    if len(numbers) != 3 or not all(math.isfinite(v) and abs(v) <= 1e6 for v in numbers):
        raise OptionsError(f"{what} must be 1 or 3 finite numbers (0..255 scale), got {given!r}")
    if what == "std" and min(numbers) <= 0:
        raise OptionsError(f"std must be above 0, got {given!r}")
    return numbers


@dataclass(frozen=True, slots=True)
class ClassifierOptions:
    """What to load and how to report; validated when made."""

    model: str | Path = ""
    threads: int = defaults.THREADS
    top_k: int = defaults.TOP_K
    score_threshold: float = defaults.SCORE_THRESHOLD
    min_confidence: float = defaults.MIN_CONFIDENCE
    labels: Path | None = None
    delegate: Delegate = field(default_factory=Delegate)
    #: which runtime runs the model (``camviz.backends.backend_choices()``); auto: the file's own
    backend: str = AUTO
    #: the kind of device it runs on: cpu, gpu or npu (``camviz.backends.accelerators()``)
    accelerator: Accelerator = Accelerator.CPU
    #: a user's model's input normalisation, per channel on the 0..255 scale (None: its own)
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None
    category_allowlist: tuple[str, ...] = ()
    category_denylist: tuple[str, ...] = ()
    #: display names from the model metadata's label file in this locale ("en", "fr", "zh-CN")
    display_names_locale: str = defaults.DISPLAY_NAMES_LOCALE
    #: what of the frame the model sees; None: the model's own (a centre crop)
    fit: Fit | None = None

    def __post_init__(self) -> None:
        if self.fit is not None and not isinstance(self.fit, Fit):
            try:
                object.__setattr__(self, "fit", Fit(str(self.fit)))
            except ValueError:
                raise OptionsError(
                    f"fit must be one of {', '.join(f.value for f in Fit)}, got {self.fit!r}"
                ) from None
        if not isinstance(self.threads, int) or not 1 <= self.threads <= defaults.MAX_THREADS:
            raise OptionsError(
                f"threads must be a whole number from 1 to {defaults.MAX_THREADS}, "
                f"got {self.threads!r}"
            )
        if not isinstance(self.top_k, int) or self.top_k < 1:
            raise OptionsError(f"top_k must be a whole number of at least 1, got {self.top_k!r}")
        if not 0.0 <= self.score_threshold <= 1.0:
            raise OptionsError(f"score_threshold must be in 0..1, got {self.score_threshold}")
        if not 0.0 <= self.min_confidence <= 1.0:
            raise OptionsError(f"min_confidence must be in 0..1, got {self.min_confidence}")
        if not isinstance(self.delegate, Delegate):
            raise OptionsError(f"delegate must be a Delegate, got {self.delegate!r}")
        if not isinstance(self.backend, str) or not is_backend_name(self.backend):
            raise OptionsError(
                f"backend must be one of {', '.join(backend_choices())}, got {self.backend!r}"
            )
        object.__setattr__(self, "backend", canonical_backend_name(self.backend))
        object.__setattr__(self, "accelerator", Accelerator.parse(self.accelerator))
        for name in ("mean", "std"):
            object.__setattr__(self, name, _channels(getattr(self, name), name))
        if (self.mean is None) != (self.std is None):
            raise OptionsError("mean and std go together: give both, on the 0..255 scale")
        if not isinstance(self.display_names_locale, str) or not _LOCALE.fullmatch(
            self.display_names_locale
        ):
            raise OptionsError(
                "display_names_locale must be a locale such as en, fr or zh-CN, "
                f"got {self.display_names_locale!r}"
            )
        allow = _names(self.category_allowlist, "category_allowlist")
        deny = _names(self.category_denylist, "category_denylist")
        if allow and deny:
            raise OptionsError(
                "category_allowlist and category_denylist are mutually exclusive; give one"
            )
        object.__setattr__(self, "category_allowlist", allow)
        object.__setattr__(self, "category_denylist", deny)

    def replace(self, **changes: Any) -> ClassifierOptions:
        return dataclasses.replace(self, **changes)
