#!/usr/bin/env python3
"""Build ``assets/demo/demo_reel.mp4``, the video behind ``--source demo``.

The reel is made only from the real photographs in ``assets/photos`` (see
``assets/SOURCES.md``): each photo is shown for ``SECONDS_PER_PHOTO`` seconds at
640x480, 30 fps, with a slow pan and zoom ("Ken Burns") and a short crossfade
into the next one. The last photo also crossfades into the first at the start of
the file, so the reel loops without a visible cut.

The output is deterministic for a given OpenCV build (no randomness; the
motion of every photo is fixed in ``PHOTOS``). The script checks that the file
decodes back with ``cv2.VideoCapture`` and has the expected number of frames.

    python scripts/make_demo_reel.py [--out assets/demo/demo_reel.mp4]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PHOTOS_DIR = ROOT / "assets" / "photos"
DEFAULT_OUT = ROOT / "assets" / "demo" / "demo_reel.mp4"

WIDTH, HEIGHT = 640, 480
FPS = 30
SECONDS_PER_PHOTO = 3.0
CROSSFADE_SECONDS = 0.5
MAX_BYTES = 6 * 1024 * 1024
# OpenCV's FFmpeg writer takes no bitrate or GOP option for mp4v and encodes near
# its minimum quantiser, so fine photo detail (the mandrill's fur) costs a lot of
# bytes. A light blur of each output frame keeps the reel under MAX_BYTES; it is
# invisible once a model resizes the frame to its 224-300 px input.
BLUR_SIGMA = 1.5


@dataclass(frozen=True)
class Shot:
    """One photo and its camera move.

    ``zoom`` is (start, end) as the fraction of the largest 4:3 crop of the photo
    that is visible (1.0 = whole crop, smaller = closer). ``pan`` is (dx, dy) of
    the crop centre from start to end, as a fraction of the slack the zoom leaves
    (-1..1), so the move never leaves the photo.
    """

    path: str
    subject: str
    zoom: tuple[float, float]
    pan: tuple[float, float]


PHOTOS: tuple[Shot, ...] = (
    Shot("skimage/chelsea.png", "tabby cat", (1.0, 0.85), (0.3, -0.2)),
    Shot("skimage/coffee.png", "espresso", (0.85, 1.0), (-0.4, 0.2)),
    Shot("opencv/orange.jpg", "orange", (1.0, 0.85), (-0.3, 0.3)),
    Shot("opencv/apple.jpg", "Granny Smith apple", (0.85, 1.0), (0.4, 0.0)),
    Shot("opencv/fruits.jpg", "fruit (banana, pineapple, ...)", (1.0, 0.85), (0.5, 0.2)),
    Shot("opencv/squirrel_cls.jpg", "fox squirrel", (0.85, 1.0), (-0.3, -0.3)),
    Shot("opencv/butterfly.jpg", "butterfly", (1.0, 0.85), (0.0, 0.4)),
    Shot("opencv/baboon.jpg", "mandrill", (0.85, 1.0), (0.0, -0.5)),
    Shot("skimage/rocket.jpg", "rocket launch", (1.0, 0.85), (-0.2, -0.4)),
    Shot("skimage/motorcycle_left.png", "motorcycle", (0.85, 1.0), (0.4, 0.1)),
    Shot("opencv/HappyFish.jpg", "fish", (1.0, 0.85), (-0.4, 0.0)),
)


def load_bgr(path: Path) -> np.ndarray:
    """Read a photo as 8-bit BGR (OpenCV's order; the writer expects BGR)."""
    data = np.fromfile(str(path), dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if image is None:
        raise SystemExit(f"cannot decode {path}")
    return np.ascontiguousarray(image)


def smoothstep(t: float) -> float:
    t = min(max(t, 0.0), 1.0)
    return t * t * (3.0 - 2.0 * t)


def render(image: np.ndarray, shot: Shot, t: float) -> np.ndarray:
    """The frame of ``shot`` at progress ``t`` (0..1) of its move, WIDTHxHEIGHT BGR."""
    h, w = image.shape[:2]
    # Largest crop with the output's aspect ratio.
    aspect = WIDTH / HEIGHT
    crop_w = min(float(w), h * aspect)
    crop_h = crop_w / aspect
    e = smoothstep(t)
    scale = shot.zoom[0] + (shot.zoom[1] - shot.zoom[0]) * e
    view_w, view_h = crop_w * scale, crop_h * scale
    slack_x, slack_y = (w - view_w) / 2.0, (h - view_h) / 2.0
    # Pan from -pan/2 to +pan/2 of the slack, centred on the photo.
    px = shot.pan[0] * (e - 0.5)
    py = shot.pan[1] * (e - 0.5)
    cx = w / 2.0 + px * 2.0 * slack_x
    cy = h / 2.0 + py * 2.0 * slack_y
    x0, y0 = cx - view_w / 2.0, cy - view_h / 2.0
    # Affine map from output pixels to source pixels (sub-pixel, so the move is smooth).
    sx, sy = view_w / WIDTH, view_h / HEIGHT
    matrix = np.array([[sx, 0.0, x0 + 0.5 * sx - 0.5], [0.0, sy, y0 + 0.5 * sy - 0.5]])
    return cv2.warpAffine(
        image,
        matrix,
        (WIDTH, HEIGHT),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REFLECT,
    )


def build(out: Path) -> int:
    images = [load_bgr(PHOTOS_DIR / shot.path) for shot in PHOTOS]
    per_photo = round(SECONDS_PER_PHOTO * FPS)
    fade = round(CROSSFADE_SECONDS * FPS)
    span = per_photo + fade  # each photo moves over its own slot plus the next one's fade-in
    total = per_photo * len(PHOTOS)

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.stem + ".tmp" + out.suffix)
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (WIDTH, HEIGHT))
    if not writer.isOpened():
        raise SystemExit(f"cv2.VideoWriter cannot write mp4v to {tmp}")
    try:
        for frame_no in range(total):
            i, u = divmod(frame_no, per_photo)
            # Local time u counts from the start of photo i's fade-in.
            current = render(images[i], PHOTOS[i], (u + fade) / (span - 1))
            if u < fade:
                prev = (i - 1) % len(PHOTOS)  # photo 0 fades in from the last: seamless loop
                before = render(images[prev], PHOTOS[prev], (u + fade + per_photo) / (span - 1))
                alpha = (u + 0.5) / fade
                current = cv2.addWeighted(current, alpha, before, 1.0 - alpha, 0.0)
            writer.write(cv2.GaussianBlur(current, (0, 0), BLUR_SIGMA))
    finally:
        writer.release()
    tmp.replace(out)
    return total


def verify(out: Path, expected: int) -> None:
    cap = cv2.VideoCapture(str(out))
    if not cap.isOpened():
        raise SystemExit(f"{out} does not open with cv2.VideoCapture")
    count = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if frame.shape != (HEIGHT, WIDTH, 3):
            raise SystemExit(f"frame {count} of {out} is {frame.shape}, not {HEIGHT}x{WIDTH}x3")
        count += 1
    cap.release()
    if count != expected:
        raise SystemExit(f"{out} decodes to {count} frames, expected {expected}")
    size = out.stat().st_size
    if size > MAX_BYTES:
        raise SystemExit(f"{out} is {size} bytes, over the {MAX_BYTES} byte budget")
    print(f"{out}: {count} frames, {WIDTH}x{HEIGHT} @ {FPS} fps, {size / 1e6:.2f} MB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    expected = build(args.out)
    verify(args.out, expected)
    return 0


if __name__ == "__main__":
    sys.exit(main())
