"""Snapshots: the classified frame as a PNG plus its result as JSON, all or nothing.

Both files are written atomically (:func:`camviz.fileio.write_atomic`); if the
JSON cannot be written the PNG is removed again, so a snapshot is either both
files or none. Errors are raised as :class:`SnapshotError` naming the file that
failed; :func:`describe_write_error` turns one into the sentence shown to users.

Where snapshots go by default: :func:`default_snapshot_dir`, a ``camviz`` folder
in the user's Pictures folder (never the current directory).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from camviz import jsonio
from camviz.annotate import SecondView
from camviz.fileio import home_dir, home_is_set, write_atomic
from camviz.pipeline import FrameResult

__all__ = [
    "Render",
    "SnapshotError",
    "default_snapshot_dir",
    "describe_write_error",
    "plain_render",
    "save_snapshot",
]

Image = npt.NDArray[np.uint8]
#: Draws what a snapshot shows: (result, mirrored, the second model's view or None) ->
#: HxWx3 uint8 RGB at the frame's size. The second model's crop box is already mirrored
#: when the frame is.
Render = Callable[[FrameResult, bool, SecondView | None], Image]


def default_snapshot_dir(
    pictures: str | Path | None = None, *, environ: dict[str, str] | None = None
) -> Path:
    """``<Pictures>/camviz``: the Pictures folder a front end knows (Qt's
    ``QStandardPaths.PicturesLocation``), else ``$XDG_PICTURES_DIR``, else ``~/Pictures``.

    Only absolute folders are taken; the result is always absolute.
    """
    env = os.environ if environ is None else environ
    for candidate in (pictures if home_is_set(env) else None, env.get("XDG_PICTURES_DIR")):
        if candidate:
            folder = Path(candidate).expanduser()
            if folder.is_absolute():
                return folder / "camviz"
    return home_dir(env) / "Pictures" / "camviz"  # HOME unset or empty: the passwd entry


class SnapshotError(OSError):
    """A snapshot file could not be written; ``path`` is the file, ``error`` why."""

    def __init__(self, path: Path, error: BaseException) -> None:
        super().__init__(str(error))
        self.path = path
        self.error = error


def describe_write_error(path: Path, error: BaseException | None) -> str:
    """``cannot write PATH: reason (Type); nothing was saved``."""
    if isinstance(error, OSError) and error.strerror:
        reason = error.strerror
    else:
        reason = str(error) if error is not None else "unknown error"
    kind = f" ({type(error).__name__})" if error is not None else ""
    return f"cannot write {path}: {reason}{kind}; nothing was saved"


def plain_render(fr: FrameResult, mirrored: bool, second: SecondView | None = None) -> Image:
    """The frame itself (flipped when mirrored), for front ends that draw no overlay."""
    image = fr.frame.image
    return np.ascontiguousarray(image[:, ::-1]) if mirrored else image


def _write_png(image: Image, path: Path) -> None:
    bgr = cv2.cvtColor(np.ascontiguousarray(image[:, :, :3]), cv2.COLOR_RGB2BGR)
    ok, data = cv2.imencode(".png", bgr)
    if not ok:
        raise OSError(f"could not encode PNG {path}")
    path.write_bytes(data.tobytes())


def snapshot_json(
    fr: FrameResult,
    png: Path,
    *,
    source: str | None,
    mirrored: bool,
    second: SecondView | None = None,
) -> str:
    """The snapshot's JSON: the result, where the frame came from, and with A/B the second
    model's result of the same frame (``second``, with its ``model``)."""
    payload: dict[str, object] = {
        **fr.result.to_dict(),
        "source": source,
        "frame_id": fr.frame_id,
        "frame_index": fr.frame.index,
        "frame_size": [int(fr.frame.image.shape[1]), int(fr.frame.image.shape[0])],
        "e2e_ms": round(fr.stamps.e2e_ms, 3),
        "mirrored": mirrored,
        "image": png.name,
    }
    if second is not None:
        payload["second"] = {**second.result.to_dict(), "frame_id": second.frame_id}
    return jsonio.dumps(payload, indent=2)


def save_snapshot(
    fr: FrameResult,
    folder: Path,
    *,
    source: str | None,
    mirrored: bool = False,
    render: Render | None = None,
    second: SecondView | None = None,
) -> tuple[Path, Path]:
    """Write ``camviz-STAMP-FRAME.png`` and ``.json`` into ``folder``; (png, json) paths.
    A second snapshot of the same frame in the same second gets ``-2`` (and so on).

    ``second``: the second model's view of this frame (A/B), drawn and saved with it."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = Path(folder) / f"camviz-{stamp}-{fr.frame_id:06d}"
    taken = 1  # the same frame twice in one second (paused, say): -2, -3... never overwrite
    while base.with_suffix(".png").exists() or base.with_suffix(".json").exists():
        taken += 1
        base = Path(folder) / f"camviz-{stamp}-{fr.frame_id:06d}-{taken}"
    target = base.with_suffix(".png")
    try:
        shown = second
        if second is not None and mirrored:
            shown = second.mirrored(fr.frame.pixels.shape[1])
        image = (render or plain_render)(fr, mirrored, shown)
        png = write_atomic(target, lambda p: _write_png(image, p))
        target = base.with_suffix(".json")
        try:
            text = snapshot_json(fr, png, source=source, mirrored=mirrored, second=second)
            js = write_atomic(target, lambda p: p.write_text(text, "utf-8"))
        except BaseException:
            png.unlink(missing_ok=True)  # all or nothing: no PNG without its JSON
            raise
    except OSError as exc:
        raise SnapshotError(target, exc) from exc
    return png, js
