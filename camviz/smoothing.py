"""Temporal smoothing of per-frame probabilities against flicker (off by default).

An exponential moving average of the probability vectors, plus hysteresis on the
top label: the label shown first only changes when a challenger's smoothed
probability beats it by ``hysteresis``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from camviz.errors import OptionsError

__all__ = ["ProbabilitySmoother"]


class ProbabilitySmoother:
    """EMA of probabilities: ``s = factor * s + (1 - factor) * p``; factor 0 disables it."""

    def __init__(self, factor: float = 0.0, hysteresis: float = 0.05) -> None:
        if not 0.0 <= factor < 1.0:
            raise OptionsError(f"smoothing factor must be in 0..1 (1 excluded), got {factor}")
        if not 0.0 <= hysteresis < 1.0:
            raise OptionsError(f"hysteresis must be in 0..1, got {hysteresis}")
        self.factor = factor
        self.hysteresis = hysteresis
        self._state: npt.NDArray[np.float32] | None = None
        self._top: int | None = None

    @property
    def enabled(self) -> bool:
        return self.factor > 0.0

    def reset(self) -> None:
        self._state = None
        self._top = None

    def update(self, probs: npt.NDArray[np.float32]) -> tuple[npt.NDArray[np.float32], int]:
        """Smoothed probabilities and the index to show first (sticky within hysteresis)."""
        if self._state is None or self._state.shape != probs.shape or not self.enabled:
            self._state = probs.astype(np.float32, copy=True)
        else:
            self._state *= self.factor
            self._state += (1.0 - self.factor) * probs
        state = self._state
        best = int(np.argmax(state))
        if self._top is None or state[best] > state[self._top] + self.hysteresis:
            self._top = best
        return state.copy(), self._top
