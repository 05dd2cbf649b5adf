"""The bundled demo reel: :class:`DemoSource` (``assets/demo/demo_reel.mp4``, looped)."""

from __future__ import annotations

from pathlib import Path

from camviz.errors import SourceOpenError
from camviz.sources.base import StateCallback
from camviz.sources.video import VideoSource

__all__ = ["DEMO", "DemoSource", "assets_dir", "demo_reel_path"]

#: The source string that names the demo reel (any case).
DEMO = "demo"


def assets_dir() -> Path:
    """The ``assets`` folder of the checkout, next to the ``camviz`` package."""
    import camviz

    return Path(camviz.__file__).resolve().parent.parent / "assets"


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
                "in a camviz checkout, or give a camera index or a video file"
            )
        super()._open()
