"""``camviz cameras``: the cameras OpenCV can open, by index, with their resolution."""

from __future__ import annotations

import argparse

from camviz.cli.output import EXIT_OK

__all__ = ["cmd_cameras"]


def cmd_cameras(args: argparse.Namespace) -> int:
    from camviz.sources import list_cameras

    cameras = list_cameras(args.max_index)
    if not cameras:
        print(
            f"no camera answered at indices 0..{args.max_index - 1}; "
            "give `demo`, a video file or a folder of photos as the source"
        )
        return EXIT_OK
    for cam in cameras:
        print(f"{cam.index}: {cam.width}x{cam.height}")
    return EXIT_OK
