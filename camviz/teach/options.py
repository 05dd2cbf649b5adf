"""How to teach: :class:`TrainOptions` (split, augmentation, fit), checked when made."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from camviz.errors import OptionsError

__all__ = ["TrainOptions"]


@dataclass(frozen=True, slots=True)
class TrainOptions:
    """How to split, augment and fit; validated when made."""

    val: float = 0.2  # fraction held out for validation (0 = none)
    seed: int = 0
    l2: float = 1e-4  # L2 penalty on the weights (standardised features, mean loss)
    max_iter: int = 300
    tol: float = 1e-5  # stop when the gradient's max-norm falls below it
    balance: bool = True  # weight classes equally whatever their sample counts
    frames_per_video: int = 50
    augment: bool = False
    augment_copies: int = 2  # augmented copies per training sample

    def __post_init__(self) -> None:
        if not 0.0 <= self.val < 1.0:
            raise OptionsError(
                f"val must be a fraction from 0 up to (not including) 1, got {self.val}"
            )
        if not self.l2 >= 0.0:
            raise OptionsError(f"l2 must be zero or positive, got {self.l2}")
        if not isinstance(self.max_iter, int) or self.max_iter < 1:
            raise OptionsError(
                f"max_iter must be a whole number of at least 1, got {self.max_iter}"
            )
        if not isinstance(self.frames_per_video, int) or self.frames_per_video < 1:
            raise OptionsError(
                "frames_per_video must be a whole number of at least 1, "
                f"got {self.frames_per_video}"
            )
        if not isinstance(self.augment_copies, int) or self.augment_copies < 1:
            raise OptionsError(f"augment_copies must be at least 1, got {self.augment_copies}")

    def to_dict(self) -> dict[str, Any]:
        """The options as recorded in a head's training header and in a report."""
        return {
            "val": self.val,
            "seed": self.seed,
            "l2": self.l2,
            "max_iter": self.max_iter,
            "balance": self.balance,
            "frames_per_video": self.frames_per_video,
            "augment": self.augment,
            "augment_copies": self.augment_copies if self.augment else 0,
        }
