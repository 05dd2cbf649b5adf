"""The one source grammar (camviz.sources.spec): every kind a string can name, the files a
folder, glob or image sequence names, and the source each kind opens as."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from camviz.errors import OptionsError, SourceOpenError
from camviz.sources import (
    SOURCE_GRAMMAR,
    CameraSource,
    DemoSource,
    ImageSource,
    PlaylistSource,
    ScreenSource,
    SourceKind,
    StreamSource,
    UrlSource,
    VideoSource,
    make_source,
    parse_source,
)

from ..conftest import PHOTOS
from .conftest import CHELSEA, COFFEE, ORANGE, TREE, VTEST, decoded_count


def test_each_kind_of_string() -> None:
    kinds = {
        "demo": SourceKind.DEMO,
        "DEMO": SourceKind.DEMO,
        "0": SourceKind.CAMERA,
        "/dev/video3": SourceKind.CAMERA,
        "0?width=640&height=480": SourceKind.CAMERA,
        "screen": SourceKind.SCREEN,
        "screen:2": SourceKind.SCREEN,
        "screen:0,0,100,50": SourceKind.SCREEN,
        "http://host/photo.jpg": SourceKind.URL,
        "https://host/live.m3u8": SourceKind.URL,
        "rtsp://user:pw@host/live": SourceKind.STREAM,
        "videotestsrc ! videoconvert ! appsink": SourceKind.STREAM,
        str(CHELSEA): SourceKind.PHOTO,
        str(TREE): SourceKind.VIDEO,
        str(PHOTOS): SourceKind.FOLDER,
        f"{PHOTOS}/*/*.jpg": SourceKind.GLOB,
        f"{PHOTOS}/**/*.png": SourceKind.GLOB,
        "/tmp/nowhere/img_%03d.jpg": SourceKind.SEQUENCE,
    }
    for text, kind in kinds.items():
        assert parse_source(text).kind is kind, text
    assert parse_source(0).kind is SourceKind.CAMERA
    assert parse_source(CHELSEA).kind is SourceKind.PHOTO
    assert parse_source("rtsp://user:pw@host/live").label == "rtsp://***@host/live"


def test_a_path_that_exists_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(CHELSEA, tmp_path / "screen")  # a file named like the screen source
    shutil.copy(CHELSEA, tmp_path / "a[1].png")  # a file named like a glob
    assert parse_source("screen").kind is SourceKind.PHOTO  # a file: its bytes are a PNG
    assert parse_source("a[1].png").kind is SourceKind.PHOTO


def test_what_is_no_source_is_refused_saying_what_a_source_can_be() -> None:
    with pytest.raises(SourceOpenError, match=r"nope\.mp4 not found.*a glob.*'screen'"):
        parse_source("nope.mp4")
    with pytest.raises(SourceOpenError, match="no source given"):
        parse_source("  ")
    assert parse_source("nope.jpg", missing_ok=True).kind is SourceKind.PHOTO
    for kind in ("demo", "screen", "camera", "glob", "img_%03d.jpg", "URL"):
        assert kind in SOURCE_GRAMMAR, kind


def test_a_folder_holds_its_photos_and_videos_recursively(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    shutil.copy(CHELSEA, tmp_path / "a" / "chelsea.png")
    shutil.copy(TREE, tmp_path / "a" / "b" / "tree.avi")
    shutil.copy(VTEST, tmp_path / "vtest.avi")
    (tmp_path / "notes.txt").write_text("not media")
    media = parse_source(str(tmp_path)).media()
    assert media.photos == (tmp_path / "a" / "chelsea.png",)
    assert media.videos == (tmp_path / "a" / "b" / "tree.avi", tmp_path / "vtest.avi")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SourceOpenError, match="holds no photos"):
        parse_source(str(empty)).media()


def test_a_folder_of_videos_plays_each_in_turn(tmp_path: Path) -> None:
    shutil.copy(TREE, tmp_path / "1_tree.avi")
    shutil.copy(TREE, tmp_path / "2_tree.avi")
    (tmp_path / "3_broken.mp4").write_bytes(b"not a video")
    source = make_source(str(tmp_path), pace=False)
    assert isinstance(source, PlaylistSource)
    with source:
        frames = list(iter(source.read, None))
    per_file = decoded_count(TREE)
    assert len(frames) == 2 * per_file
    assert [f.index for f in frames] == list(range(2 * per_file))
    # positions restart with the second file
    assert frames[per_file].position_ms is not None and frames[per_file].position_ms < 100
    assert [p.name for p, _ in source.skipped] == ["3_broken.mp4"]


def test_a_glob_and_an_image_sequence(tmp_path: Path) -> None:
    for n, photo in enumerate((CHELSEA, COFFEE, ORANGE)):
        image = cv2.imread(str(photo))
        cv2.imwrite(str(tmp_path / f"img_{n + 1:03d}.png"), image)
    cv2.imwrite(str(tmp_path / "img_7.png"), cv2.imread(str(CHELSEA)))  # not 3 digits: not in it
    sequence = parse_source(str(tmp_path / "img_%03d.png"))
    assert sequence.kind is SourceKind.SEQUENCE
    assert [p.name for p in sequence.media().photos] == [
        "img_001.png",
        "img_002.png",
        "img_003.png",
    ]
    source = make_source(sequence, pace=False)
    assert isinstance(source, ImageSource)
    with source:
        frames = list(iter(source.read, None))
    assert [f.image.shape for f in frames] == [
        cv2.imread(str(p)).shape for p in (CHELSEA, COFFEE, ORANGE)
    ]
    found = parse_source(str(tmp_path / "img_*.png")).media()
    assert len(found.photos) == 4
    with pytest.raises(SourceOpenError, match="no photo or video matches"):
        parse_source(str(tmp_path / "*.webp")).media()
    with pytest.raises(SourceOpenError, match="no file of the image sequence"):
        parse_source(str(tmp_path / "shot_%04d.jpg")).media()


def test_each_kind_gets_its_source() -> None:
    assert isinstance(make_source("demo"), DemoSource)
    assert isinstance(make_source("0"), CameraSource)
    assert isinstance(make_source("screen"), ScreenSource)
    assert isinstance(make_source("http://127.0.0.1:9/x"), UrlSource)
    assert isinstance(make_source("rtsp://127.0.0.1:9/x"), StreamSource)
    assert isinstance(make_source(str(TREE)), VideoSource)
    assert isinstance(make_source(str(PHOTOS)), ImageSource)  # photos only: the slideshow
    camera = make_source("0", reconnect_timeout=None)
    assert isinstance(camera, CameraSource) and camera.reconnect_timeout is None
    assert make_source("rtsp://127.0.0.1:9/x").reconnect_timeout == 10.0  # type: ignore[attr-defined]


def test_a_command_refuses_a_kind_it_cannot_use_saying_why() -> None:
    with pytest.raises(OptionsError, match="teach cannot use 0, a camera: it takes a folder"):
        parse_source("0").require({SourceKind.FOLDER}, "teach")
    parse_source(str(PHOTOS)).require({SourceKind.FOLDER}, "teach")


def test_a_file_is_a_photo_by_its_bytes_not_its_name(tmp_path: Path) -> None:
    jpeg = ORANGE.read_bytes()
    named = {"clip.mp4": jpeg, "fake.mjpg": jpeg, "noext": CHELSEA.read_bytes()}
    for name, data in named.items():
        (tmp_path / name).write_bytes(data)
        assert parse_source(str(tmp_path / name)).kind is SourceKind.PHOTO, name
    noise = np.random.default_rng(0).integers(0, 256, (1200, 1600, 3), np.uint8)
    ok, big = cv2.imencode(".jpg", noise, [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok and big.nbytes > 2 << 20  # past the first read
    (tmp_path / "big.mov").write_bytes(big.tobytes())
    assert parse_source(str(tmp_path / "big.mov")).kind is SourceKind.PHOTO
    two = tmp_path / "two.mjpg"  # an MJPEG file: one JPEG after another
    two.write_bytes(jpeg + jpeg)
    assert parse_source(str(two)).kind is SourceKind.VIDEO
    video = tmp_path / "video"  # a real video without an extension stays a video
    shutil.copy(VTEST, video)
    assert parse_source(str(video)).kind is SourceKind.VIDEO
    media = parse_source(str(tmp_path)).media()  # in a folder too
    assert {p.name for p in media.photos} >= {"clip.mp4", "fake.mjpg", "big.mov"}
    assert {p.name for p in media.videos} == {"two.mjpg"}
    # read as the photo it is: the same pixels as the .jpg
    with make_source(str(tmp_path / "fake.mjpg"), pace=False) as source:
        frame = source.read()
    assert frame is not None and (frame.image == cv2.imread(str(ORANGE))[:, :, ::-1]).all()


def test_a_link_of_a_scheme_camviz_does_not_read_is_refused_and_file_links_are_paths() -> None:
    with pytest.raises(SourceOpenError, match=r"does not read ftp:// links; give an http\(s\)"):
        parse_source("ftp://127.0.0.1/x.jpg")
    with pytest.raises(SourceOpenError, match="does not read s3:// links"):
        parse_source("s3://bucket/key.jpg")
    spec = parse_source(CHELSEA.as_uri())
    assert spec.kind is SourceKind.PHOTO and spec.path == CHELSEA
    with pytest.raises(SourceOpenError, match="not found"):
        parse_source("file:///no/such/photo.jpg")
