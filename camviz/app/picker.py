"""What the source picker offers, and what a dropped file becomes: no widgets here.

* :func:`remember_recent` / :func:`prune_recent`: the recent sources, newest
  first, as absolute paths; files and folders that are gone are dropped. Stream
  URLs are remembered only without a login or secret in them (a password is
  never written to the settings), and they are always shown redacted
  (:func:`camviz.sources.stream.redact`).
* :func:`classify_drop`: a dropped path becomes the source (image, video,
  folder) or the model (``.tflite``, ``.head.npz``), or a message saying why not.
* :func:`check_stream_url`: a typed URL is a stream camviz can open, or why not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from camviz.backends import file_dialog_filter, is_model_file, model_files_hint
from camviz.imageio import IMAGE_EXTENSIONS
from camviz.sources.spec import VIDEO_EXTENSIONS
from camviz.sources.stream import STREAM_SCHEMES, is_stream, redact
from camviz.zoo import HEAD_SUFFIX, is_head_path

__all__ = [
    "MAX_RECENT",
    "VIDEO_SUFFIXES",
    "Drop",
    "DropKind",
    "check_stream_url",
    "classify_drop",
    "display_spec",
    "model_dialog_filter",
    "prune_recent",
    "remember_recent",
]

MAX_RECENT = 8
VIDEO_SUFFIXES = VIDEO_EXTENSIONS  # the source grammar's: one list of what a video is named


def model_dialog_filter() -> str:
    """The file dialogs' filter for models: every runtime's files and taught heads."""
    return file_dialog_filter((HEAD_SUFFIX,))


def _is_stream(spec: str) -> bool:
    return is_stream(spec) and not Path(spec).exists()


def display_spec(spec: str) -> str:
    """How a source is named to the user: a file's name, a stream redacted."""
    if _is_stream(spec):
        return redact(spec)
    return Path(spec).name or spec


def remember_recent(recent: Iterable[str], spec: str, limit: int = MAX_RECENT) -> list[str]:
    """``spec`` first, then the others (no duplicates), at most ``limit``.

    Only files, folders and streams are remembered (not the demo or cameras,
    which are always offered); a stream URL carrying a login or secret is not.
    """
    items = [s for s in recent if s]
    text = spec.strip()
    if _is_stream(text):
        if redact(text) != text:
            return items[:limit]
        entry = text
    else:
        path = Path(text).expanduser()
        if not path.exists():
            return items[:limit]
        entry = str(path.absolute())
    return [entry, *(s for s in items if s != entry)][:limit]


def prune_recent(recent: Iterable[str]) -> list[str]:
    """The recent sources still there: files and folders that exist (absolute), streams."""
    kept: list[str] = []
    for spec in recent:
        text = str(spec).strip()
        if not text or text in kept:
            continue
        if _is_stream(text):
            if redact(text) == text:
                kept.append(text)
        elif Path(text).is_absolute() and Path(text).exists():
            kept.append(text)
    return kept


class DropKind(Enum):
    SOURCE = "source"
    MODEL = "model"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class Drop:
    """What a dropped path becomes: ``spec`` to open, or ``message`` saying why not."""

    kind: DropKind
    spec: str = ""
    message: str = ""


def classify_drop(paths: list[str]) -> Drop:
    """The first usable dropped path: a model (a file a backend reads, .head.npz), else a source."""
    if not paths:
        return Drop(DropKind.REFUSED, message="Nothing to open in what was dropped")
    for text in paths:
        path = Path(text)
        name = path.name.lower()
        if is_head_path(name) or is_model_file(name):
            if path.is_file():
                return Drop(DropKind.MODEL, str(path.absolute()))
        elif path.is_dir() or (
            path.is_file() and path.suffix.lower() in IMAGE_EXTENSIONS | VIDEO_SUFFIXES
        ):
            return Drop(DropKind.SOURCE, str(path.absolute()))
    first = Path(paths[0])
    what = "folder" if first.is_dir() else "file"
    if not first.exists():
        return Drop(DropKind.REFUSED, message=f"{first.name} cannot be opened: it is not there")
    images = ", ".join(sorted(e[1:] for e in IMAGE_EXTENSIONS))
    return Drop(
        DropKind.REFUSED,
        message=(
            f"Cannot use the {what} {first.name}: drop an image ({images}), a video, "
            f"a folder of images, a model ({model_files_hint()}) or a taught .head.npz"
        ),
    )


def check_stream_url(text: str) -> str | None:
    """None if ``text`` is a stream URL to try; else what is wrong with it (redacted)."""
    url = text.strip()
    if not url:
        return "Type a stream URL, e.g. rtsp://camera.local/stream"
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in STREAM_SCHEMES:
        schemes = ", ".join(f"{s}://" for s in STREAM_SCHEMES)
        return f"{redact(url)} is not a stream URL (one of {schemes})"
    if not rest.split("/", 1)[0].rpartition("@")[2]:
        return f"{redact(url)} names no server"
    return None
