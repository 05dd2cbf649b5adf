"""The live options as an evented model (napari's EventedModel is the pattern).

:class:`LiveOptionsModel` is ``session.options``: :attr:`~LiveOptionsModel.value` is
the current :class:`~camviz.live_options.LiveOptions`; :meth:`~LiveOptionsModel.set`
validates changes against the table (:func:`camviz.live_options.checked`), has them
applied (the session's ``apply(new, names)``: a reporting update between frames, a
model reload, a restart, as :func:`camviz.live_options.needs` says), and emits
:class:`OptionsChanged` once. A widget binds: reads ``.value``, listens to
``.changed``, calls ``.set``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from camviz.app.events import Emitter
from camviz.backends import accelerators, backend_choices, delegate_choices
from camviz.live_options import LiveOptions, checked

__all__ = ["LiveOptionsModel", "OptionsChanged", "choices_for"]


@dataclass(frozen=True, slots=True)
class OptionsChanged:
    """The options after a change and the names whose value changed."""

    options: LiveOptions
    names: frozenset[str]


def choices_for(name: str) -> tuple[str, ...]:
    """The values a text option offers (a combo box's items); () for free text or numbers.
    The runtimes and devices are the backend registry's."""
    if name == "backend":
        return backend_choices()
    if name == "accelerator":
        return accelerators()
    if name == "delegate":
        return delegate_choices()  # or a delegate library's path
    return ()


Applier = Callable[[LiveOptions, frozenset[str]], None]


class LiveOptionsModel:
    """The current live options, their validation and their ``changed`` event."""

    def __init__(
        self,
        value: LiveOptions | None = None,
        apply: Applier | None = None,
        *,
        lock: threading.RLock | None = None,
    ) -> None:
        """``lock``: the owner's lock, when ``apply`` takes it too (one lock, no lock order)."""
        self._value = value if value is not None else LiveOptions()
        self._apply = apply
        self._lock = lock if lock is not None else threading.RLock()
        self.changed: Emitter[OptionsChanged] = Emitter("options")

    @property
    def value(self) -> LiveOptions:
        return self._value

    def set(self, **changes: Any) -> LiveOptions:
        """Change options; OptionsError (nothing changed) if a value is refused, by the
        table or by what applies it. Emits :attr:`changed` once, if anything changed."""
        with self._lock:
            old = self._value
            new = checked(old, **changes)
            names = frozenset(n for n in changes if getattr(new, n) != getattr(old, n))
            if not names:
                return old
            if self._apply is not None:
                self._apply(new, names)
            self._value = new
        self.changed.emit(OptionsChanged(new, names))
        return new
