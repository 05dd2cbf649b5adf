"""The options form: one box per live option, made from the table of live options.

Each row comes from one :class:`camviz.live_options.OptionSpec` (label, help,
kind, range, step, decimals, suffix, what a change needs): :func:`rows` picks
the numeric options with a range. The form binds to the options: it shows
:meth:`OptionsForm.set_values` and says every change through ``changed(name,
value)``; an option whose change reloads the model (``Apply.MODEL``: threads)
also says ``committed(name)`` when its box is left, so a model is not reloaded at
every step of the arrows.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QAbstractSpinBox, QDoubleSpinBox, QFormLayout, QSpinBox, QWidget

from camviz.live_options import Apply, OptionSpec, option_specs

__all__ = ["OptionsForm", "rows"]


def rows() -> tuple[OptionSpec, ...]:
    """The form's rows: every numeric live option with a range (threads capped to the
    machine's cores: more would only slow it down)."""
    out: list[OptionSpec] = []
    for spec in option_specs():
        if spec.kind not in (int, float) or spec.minimum is None or spec.maximum is None:
            continue
        if spec.name == "threads":
            cores = max(1, min(16, os.cpu_count() or int(spec.default)))
            spec = dataclasses.replace(spec, maximum=min(spec.maximum, cores))
        out.append(spec)
    return tuple(out)


class OptionsForm(QWidget):
    """One row per option spec; ``spin(name)`` is its box."""

    changed = Signal(str, object)  # name, value (int or float)
    committed = Signal(str)  # an on-leave box was left

    def __init__(
        self, specs: tuple[OptionSpec, ...] | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.rows = specs if specs is not None else rows()
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._spins: dict[str, QSpinBox | QDoubleSpinBox] = {}
        for row in self.rows:
            spin = self._make(row)
            self._spins[row.name] = spin
            self.form.addRow(row.label, spin)

    def _make(self, row: OptionSpec) -> QSpinBox | QDoubleSpinBox:
        spin: QSpinBox | QDoubleSpinBox
        low, high = row.minimum or 0.0, row.maximum or 0.0
        if row.kind is int:
            spin = QSpinBox()
            spin.setRange(int(low), int(high))
            spin.setSingleStep(int(row.step or 1))
            spin.setValue(int(row.default))
        else:
            spin = QDoubleSpinBox()
            spin.setDecimals(row.decimals if row.decimals is not None else 2)
            spin.setRange(low, high)
            spin.setSingleStep(row.step or 0.05)
            spin.setValue(float(row.default))
        spin.setSuffix(row.suffix)
        spin.setToolTip(row.help)
        spin.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToNearestValue)
        spin.valueChanged.connect(lambda value, name=row.name: self.changed.emit(name, value))
        if row.apply is Apply.MODEL:
            spin.editingFinished.connect(lambda name=row.name: self.committed.emit(name))
        return spin

    def spin(self, name: str) -> QSpinBox | QDoubleSpinBox:
        return self._spins[name]

    def names(self) -> tuple[str, ...]:
        return tuple(self._spins)

    def values(self) -> dict[str, float | int]:
        """What the boxes hold now (they clamp to their range)."""
        return {name: spin.value() for name, spin in self._spins.items()}

    def set_values(self, values: Mapping[str, object], *, quiet: bool = False) -> None:
        """Show ``values`` (the names the form has); ``quiet``: no ``changed`` signals."""
        for name, spin in self._spins.items():
            if name not in values:
                continue
            value = values[name]
            if not isinstance(value, int | float):
                continue
            spin.blockSignals(quiet)
            if isinstance(spin, QSpinBox):
                spin.setValue(int(value))
            else:
                spin.setValue(float(value))
            spin.blockSignals(False)
