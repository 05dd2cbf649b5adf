"""Augmented copies of a frame: as many as asked, valid images, reproducible from the seed."""

from __future__ import annotations

import numpy as np

from camviz.teach import augment


def test_copies_are_valid_frames_and_follow_the_seed() -> None:
    frame = np.random.default_rng(1).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    copies = augment(frame, np.random.default_rng(7), copies=3)
    again = augment(frame, np.random.default_rng(7), copies=3)
    assert len(copies) == 3
    for image, same in zip(copies, again, strict=True):
        assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
        assert 33 <= image.shape[0] <= 48 and 44 <= image.shape[1] <= 64  # 70-100% crops
        assert image.flags.c_contiguous and np.array_equal(image, same)
    assert augment(frame, np.random.default_rng(7), copies=1)[0].shape[:2] == copies[0].shape[:2]
