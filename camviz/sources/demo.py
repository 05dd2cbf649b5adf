"""The bundled demo reel: :class:`DemoSource` (``assets/demo/demo_reel.mp4``, looped).

A checkout reads it from ``assets/``; an installed wheel carries it as package data.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from camviz.defaults import DEMO  # the source string that names the demo reel (any case)
from camviz.errors import SourceOpenError
from camviz.sources.base import StateCallback
from camviz.sources.video import VideoSource

__all__ = ["DEMO", "DemoSource", "assets_dir", "demo_reel_path"]


def assets_dir() -> Path:
    """The folder holding ``demo/demo_reel.mp4``.

    An installed wheel carries it as package data (``camviz/_data/assets``, found
    through :mod:`importlib.resources`); in a checkout (or an editable install) it
    is the repo's ``assets/`` next to the package.
    """
    packaged = resources.files("camviz").joinpath("_data", "assets")
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "assets"


def demo_reel_path() -> Path:
    return assets_dir() / "demo" / "demo_reel.mp4"


class DemoSource(VideoSource):
    """The bundled demo reel (``assets/demo/demo_reel.mp4``), looped.

    Paced (the default) it stands in for a camera: live, latest frame wins. Unpaced
    (benchmarks) it plays as fast as it decodes and is not live: lossless.
    """

    def __init__(self, *, pace: bool = True, on_state: StateCallback | None = None) -> None:
        super().__init__(
            demo_reel_path(), pace=pace, loop=True, on_state=on_state, name=DEMO, is_live=pace
        )

    def _open(self) -> None:
        if not self.path.is_file():
            raise SourceOpenError(
                f"the demo reel {self.path} is missing; run  python scripts/make_demo_reel.py  "
                "in a camviz checkout (or reinstall camviz), or give a camera index or a video file"
            )
        super()._open()
