"""Augmented copies of a training frame: flips, crop jitter, brightness and contrast.

Only training samples get copies (the split is decided first), so validation
measures the head on frames it has never seen in any form.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

__all__ = ["augment"]


def augment(
    image: npt.NDArray[np.uint8], rng: np.random.Generator, copies: int = 2
) -> list[npt.NDArray[np.uint8]]:
    """``copies`` variants of a frame: a horizontal flip (every other copy), a random
    crop of 70-100% of each side, and brightness/contrast jitter of up to 20%."""
    out: list[npt.NDArray[np.uint8]] = []
    height, width = image.shape[:2]
    for n in range(copies):
        variant = image[:, ::-1] if n % 2 == 0 else image
        scale = float(rng.uniform(0.7, 1.0))
        ch, cw = max(8, int(height * scale)), max(8, int(width * scale))
        top = int(rng.integers(0, height - ch + 1))
        left = int(rng.integers(0, width - cw + 1))
        variant = variant[top : top + ch, left : left + cw]
        gain = float(rng.uniform(0.8, 1.2))
        bias = float(rng.uniform(-0.1, 0.1)) * 255.0
        jittered = cv2.convertScaleAbs(np.ascontiguousarray(variant), alpha=gain, beta=bias)
        out.append(np.ascontiguousarray(jittered))
    return out
