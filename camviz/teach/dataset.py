"""Where teaching samples come from, and which of them train or validate.

:class:`SampleKey` says where a sample comes from (class, file or recording, place
in time); :func:`assign_splits` turns keys into a train/validation split without
looking at pixels. :func:`scan_folder` lists a data folder (one subfolder per class
of photos and/or videos) and :func:`video_frames` picks frames spread over a video.

Validation split: samples of a video (or of one camera recording) are split by
time, the first part for training and the last for validation, so neighbouring
frames never sit on both sides; single photos are split by a seeded shuffle.
Camera captures are *bursts* (``SampleKey.burst``): frames taken within a short
interval of each other are near-duplicates, so a burst goes whole to one side
(the latest bursts of a class validate); a class captured in one burst only
has no validation samples rather than an optimistic score.
"""

from __future__ import annotations

import math
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt

from camviz.errors import TeachError
from camviz.fileio import describe_kind
from camviz.imageio import IMAGE_EXTENSIONS
from camviz.limits import TEACH_FRAME_MAX_SIDE
from camviz.preprocess import ColorOrder
from camviz.sources import VideoSource

__all__ = [
    "VIDEO_EXTENSIONS",
    "FolderItem",
    "SampleKey",
    "Split",
    "assign_splits",
    "scan_folder",
    "shrink",
    "video_frames",
]

VIDEO_EXTENSIONS = frozenset(
    {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".ogv"}
)

Split = Literal["train", "val"]


# ------------------------------------------------------------------------------ splitting
@dataclass(frozen=True, slots=True)
class SampleKey:
    """Where a sample comes from: enough to split it without looking at pixels.

    ``group`` is a file path or a recording id; ``sequence`` is True for video
    frames and camera recordings (split by ``order``, i.e. by time) and False
    for single photos (split by a seeded shuffle).
    """

    label: str
    group: str
    order: int = 0
    sequence: bool = False
    burst: bool = False  # a camera burst: the whole group trains or validates


def _stable_seed(seed: int, text: str) -> int:
    value = seed & 0xFFFFFFFF
    for byte in text.encode("utf-8"):
        value = (value * 1_000_003 + byte) & 0xFFFFFFFF
    return value


def assign_splits(keys: Sequence[SampleKey], val: float, seed: int = 0) -> list[Split]:
    """``"train"`` or ``"val"`` for every key; deterministic, and the same for the same keys.

    Sequence groups: the first ``1 - val`` of each group's frames (by order) train,
    the rest validate. Photos of a class: a seeded shuffle, ``round(val * n)`` validate.
    Bursts of a class (in the order they first appear): the latest whole bursts
    validate, about ``val`` of the class's burst frames, never all of them.
    Every class keeps at least one training sample.
    """
    splits: list[Split] = ["train"] * len(keys)
    if val <= 0:
        return splits

    groups: dict[tuple[str, str], list[int]] = {}
    photos: dict[str, list[int]] = {}
    bursts: dict[str, dict[str, list[int]]] = {}
    for i, key in enumerate(keys):
        if key.burst:
            bursts.setdefault(key.label, {}).setdefault(key.group, []).append(i)
        elif key.sequence:
            groups.setdefault((key.label, key.group), []).append(i)
        else:
            photos.setdefault(key.label, []).append(i)
    for members in groups.values():
        members.sort(key=lambda i: keys[i].order)
        n = len(members)
        n_val = min(n - 1, math.floor(n * val + 0.5)) if n > 1 else 0
        for i in members[n - n_val :]:
            splits[i] = "val"
    for label, members in photos.items():
        members.sort(key=lambda i: (keys[i].group, keys[i].order))
        rng = np.random.default_rng(_stable_seed(seed, label))
        order = rng.permutation(len(members))
        n_val = min(len(members) - 1, math.floor(len(members) * val + 0.5))
        for j in order[:n_val]:
            splits[members[int(j)]] = "val"
    for of_label in bursts.values():
        _split_bursts(list(of_label.values()), val, splits)
    by_label: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        by_label.setdefault(key.label, []).append(i)
    for members in by_label.values():  # never leave a class without training data
        if all(splits[i] == "val" for i in members):
            splits[members[0]] = "train"
    return splits


def _split_bursts(members: list[list[int]], val: float, splits: list[Split]) -> None:
    """The latest whole bursts validate until about ``val`` of the frames do; the first
    burst always trains (so a class of one burst has no validation samples)."""
    wanted = sum(len(m) for m in members) * val
    held = 0
    for burst in reversed(members[1:]):
        if held >= wanted:
            break
        for i in burst:
            splits[i] = "val"
        held += len(burst)


# ------------------------------------------------------------------------------ folders
@dataclass(frozen=True, slots=True)
class FolderItem:
    """One photo or video of a data folder, with the class (subfolder) it belongs to."""

    label: str
    path: Path
    video: bool


def scan_folder(data: Path) -> tuple[list[str], list[FolderItem], list[str]]:
    """Class names, their photos and videos, and why other files are skipped.

    Raises :class:`TeachError` if ``data`` is missing, not a folder, or has fewer
    than two class subfolders. Hidden files and folders are left out silently.
    """
    if not data.exists():
        raise TeachError(f"data folder {data} does not exist")
    if not data.is_dir():
        raise TeachError(
            f"{data} is not a folder; give a folder with one subfolder per class, each "
            "holding photos and/or videos"
        )
    classes = sorted(p for p in data.iterdir() if p.is_dir() and not p.name.startswith("."))
    items: list[FolderItem] = []
    skipped: list[str] = []
    for folder in classes:
        for path in sorted(folder.rglob("*")):
            if any(part.startswith(".") for part in path.parts[-2:]):
                continue
            try:
                mode = path.stat().st_mode
            except OSError:  # a broken link or a symlink loop
                skipped.append(f"{path}: a broken link or a symlink loop (skipped)")
                continue
            if stat.S_ISDIR(mode):
                continue
            if not stat.S_ISREG(mode):
                skipped.append(f"{path}: {describe_kind(mode)}, not a regular file (skipped)")
                continue
            suffix = path.suffix.lower()
            if suffix in IMAGE_EXTENSIONS:
                items.append(FolderItem(folder.name, path, False))
            elif suffix in VIDEO_EXTENSIONS:
                items.append(FolderItem(folder.name, path, True))
            else:
                skipped.append(f"{path}: not a photo or video file (skipped)")
    labels = [p.name for p in classes]
    if len(labels) < 2:
        only = f" (only {labels[0]!r})" if labels else ""
        raise TeachError(
            f"{data} has {len(labels)} class folder{'s' if len(labels) != 1 else ''}{only}; "
            "teaching needs at least 2 subfolders, one per class"
        )
    return labels, items, skipped


# ------------------------------------------------------------------------------ videos
def video_frames(path: Path, wanted: int) -> list[tuple[int, npt.NDArray[np.uint8]]]:
    """``wanted`` frames evenly spread over the video, with their frame numbers.

    Containers often declare a wrong length; when decoding ends early the frames
    are picked again over the part that decodes. Each frame is shrunk as it is
    picked (:func:`shrink`), so a 4K video holds no more than a 1K one.
    """
    with VideoSource(path, pace=False) as source:
        source.open()
        count = source.frame_count
        if count is None:
            count = sum(1 for _ in source)  # unknown length: count in a first pass
        else:
            frames, decoded = _pick(source, count, wanted)
            if decoded >= count or len(frames) >= min(wanted, count):
                return frames
            count = decoded
    with VideoSource(path, pace=False) as source:
        return _pick(source, count, wanted)[0]


def shrink(
    image: npt.NDArray[np.uint8], max_side: int = TEACH_FRAME_MAX_SIDE
) -> npt.NDArray[np.uint8]:
    """``image`` with its longer side at most ``max_side`` (area-averaged), else as it is.

    Models see 224-512 px, so a teaching frame loses nothing it would use.
    """
    height, width = image.shape[:2]
    if max(height, width) <= max_side:
        return image
    scale = max_side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), np.uint8)


def _pick(
    source: VideoSource, count: int, wanted: int
) -> tuple[list[tuple[int, npt.NDArray[np.uint8]]], int]:
    """Frames at ``wanted`` evenly spread spots of the first ``count``; and how many decoded."""
    if count <= 0:
        return [], 0
    spots = np.linspace(0, count - 1, min(wanted, count)).round().astype(int)
    indices = {int(i) for i in spots}
    last = max(indices)
    frames = []
    decoded = 0
    for frame in source:
        decoded = frame.index + 1
        if frame.index in indices:
            small = shrink(frame.pixels)
            if frame.order is ColorOrder.BGR:  # RGB on the shrunk frame, not the full one
                small = np.ascontiguousarray(cv2.cvtColor(small, cv2.COLOR_BGR2RGB))
            frames.append((frame.index, small))
        if frame.index >= last:
            break
    return frames, decoded
