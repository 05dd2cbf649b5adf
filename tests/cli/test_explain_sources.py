"""explain reads its SOURCE by the one grammar (issue 20): a photo URL is fetched as classify
fetches it, a video is explained on one frame, every other kind is refused, named."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from camviz.cli.parser import build_parser
from camviz.errors import OptionsError
from tests.conftest import ROOT, camviz
from tests.sources.conftest import MjpegServer, jpeg_frames
from tests.sources.httpserve import Server, photo

CHELSEA = ROOT / "assets" / "photos" / "skimage" / "chelsea.png"
VTEST = ROOT / "assets" / "video" / "vtest.avi"
MAPS_ONE = "explain maps one photo (or one frame of a video)"


def _explain(*args: str | Path) -> dict[str, object]:
    run = camviz("explain", *args, "--grid", "2", "--json", "--quiet")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert isinstance(report, dict)
    return report


def test_a_url_serving_one_photo_is_explained_as_the_photo(tmp_path: Path) -> None:
    with Server(photo(CHELSEA.read_bytes(), "image/png"), "/photo.png") as server:
        by_url = _explain(server.url, "--out", tmp_path / "url.png")
    assert by_url["photo"] == server.url and by_url["out"] == str(tmp_path / "url.png")
    by_file = _explain(CHELSEA, "--out", tmp_path / "file.png")
    assert by_url["heat"] == by_file["heat"] and by_url["label"] == by_file["label"]
    assert (tmp_path / "url.png").read_bytes() == (tmp_path / "file.png").read_bytes()


def test_a_video_is_explained_on_the_frame_asked(tmp_path: Path) -> None:
    report = _explain(VTEST, "--frame", "3", "--out", tmp_path / "v.png")
    assert report["photo"] == f"{VTEST} frame 3"
    drawn = cv2.imread(str(tmp_path / "v.png"))
    capture = cv2.VideoCapture(str(VTEST))
    frames = [capture.read()[1] for _ in range(6)]
    capture.release()
    assert drawn.shape == frames[0].shape
    left = report["region"][0] - 3  # type: ignore[index]  # outside the map: the frame itself
    diffs = [np.abs(drawn[:, :left].astype(int) - f[:, :left]).mean() for f in frames]
    assert int(np.argmin(diffs)) == 3 and diffs[3] < 1
    demo = _explain("demo", "--out", tmp_path / "d.png")
    assert demo["photo"] == "demo frame 0"
    run = camviz("explain", VTEST, "--frame", "100000", "--out", tmp_path / "x.png")
    assert run.returncode == 1 and "--frame 100000" in run.stderr and "795" in run.stderr


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ("0", "a camera"),
        ("screen:0,0,64,64", "a screen capture"),
        ("rtsp://127.0.0.1:9/live", "a stream"),
        ("{tmp}", "a folder"),
        ("{tmp}/*.png", "a glob"),
        ("{tmp}/img_%03d.png", "an image sequence"),
    ],
)
def test_other_kinds_are_refused_by_name(tmp_path: Path, source: str, kind: str) -> None:
    shutil.copy(CHELSEA, tmp_path / "img_000.png")
    text = source.format(tmp=tmp_path)
    args = build_parser().parse_args(["explain", text, "--out", str(tmp_path / "m.png")])
    with pytest.raises(OptionsError) as refused:
        args.func(args)
    assert str(refused.value).startswith(f"{MAPS_ONE}; {text} is {kind}")
    assert not (tmp_path / "m.png").exists()


def test_an_mjpeg_url_is_refused_as_a_stream(tmp_path: Path) -> None:
    with MjpegServer(jpeg_frames(VTEST, limit=5), fps=25.0) as server:
        run = camviz("explain", server.url, "--out", tmp_path / "m.png")
    assert run.returncode == 1
    assert f"OptionsError: {MAPS_ONE}; {server.url} is a stream" in run.stderr
    assert not (tmp_path / "m.png").exists()
