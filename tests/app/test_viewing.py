"""What the model sees (per model) and where a file source is, through a real LiveSession."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from camviz.app import LiveSession
from camviz.app.viewing import SKIP_MS, SourcePosition, model_key
from camviz.imageio import load_image
from camviz.pipeline import EventKind
from camviz.preprocess import LETTERBOX_PAD, Fit
from tests.conftest import MODELS, PHOTOS, VIDEOS, wait_for

LITE0 = "efficientnet_lite0_int8"
needs_model = pytest.mark.skipif(
    not (MODELS / f"{LITE0}.tflite").is_file(), reason=f"models/{LITE0}.tflite"
)


@pytest.fixture
def session(tmp_path: Path, no_leaked_threads: None):
    s = LiveSession(snapshot_dir=tmp_path / "snaps", fallback_to_demo=False)
    yield s
    s.close()


def test_model_key_and_positions_read_clearly() -> None:
    assert model_key(LITE0) == LITE0
    assert model_key("/home/me/models/my.tflite") == "my.tflite"
    slide = SourcePosition("slideshow", "cat.png", number=3, total=27)
    assert slide.text() == "cat.png  3/27"
    video = SourcePosition("video", "v.avi", position_ms=65_000, duration_ms=125_500)
    assert video.text() == "1:05 / 2:05" and video.fraction == pytest.approx(65 / 125.5)


def test_fit_is_kept_per_model_and_taught_heads_keep_theirs(session: LiveSession) -> None:
    assert session.viewing.fit_for(LITE0) is None
    assert session.viewing.set_fit(Fit.LETTERBOX, LITE0)
    assert session.viewing.fit_for(LITE0) is Fit.LETTERBOX
    assert session.viewing.fit_for("mobilenet_v3_small") is None
    assert session.classifier_options(LITE0).fit is Fit.LETTERBOX
    assert not session.viewing.set_fit(Fit.LETTERBOX, "/tmp/mine.head.npz")
    assert session.viewing.fit_for("/tmp/mine.head.npz") is None


@needs_model
def test_letterbox_reloads_the_model_and_the_input_is_the_whole_frame(
    session: LiveSession,
) -> None:
    assert session.start(str(VIDEOS / "vtest.avi"))  # no model asked: the zoo default
    assert wait_for(lambda: session.model_input() is not None)
    assert session.model_name == LITE0 and not session.requested_model
    loads = lambda: [  # noqa: E731
        e for e in session.pipeline_events if e.kind is EventKind.MODEL_LOADED
    ]
    assert session.model_info is not None
    assert session.model_info.preprocessing.fit is Fit.CENTER_CROP
    before = len(loads())
    assert session.viewing.set_fit(Fit.LETTERBOX)
    assert wait_for(lambda: len(loads()) > before)
    info = session.model_info
    assert info is not None and info.preprocessing.fit is Fit.LETTERBOX
    seen = session.results_received  # results after the load are the new model's
    assert wait_for(lambda: session.results_received > seen)
    # the tensor the inference thread fed, carried on the result (not preprocessed again)
    fr = session.last_result
    assert fr is not None and fr.model_input is not None
    tensor = np.asarray(session.model_input())
    assert tensor is fr.model_input or session.last_result is not fr
    assert tensor.shape == (*info.input_size[::-1], 3)
    # vtest.avi is 4:3: grey bands above and below the picture (uint8, raw pixels)
    assert (tensor[0] == LETTERBOX_PAD).all() and (tensor[-1] == LETTERBOX_PAD).all()
    assert not (tensor[tensor.shape[0] // 2] == LETTERBOX_PAD).all()


@needs_model
def test_slideshow_position_and_steps(session: LiveSession, tmp_path: Path) -> None:
    photos = sorted((PHOTOS / "opencv").glob("*.jpg"))[:3]
    assert len(photos) == 3
    for i, photo in enumerate(photos):
        shutil.copy(photo, tmp_path / f"{i}-{photo.name}")
    assert session.start(str(tmp_path), LITE0)
    assert wait_for(lambda: session.sources.position() is not None)
    where = session.sources.position()
    assert where is not None and where.kind == "slideshow" and where.total == len(photos)
    assert where.number == 1 and where.name.startswith("0-")
    assert session.sources.step(-1)
    assert wait_for(lambda: (p := session.sources.position()) is not None and p.number == 3)
    assert not session.sources.seek(0.5)  # not a video
    assert session.sources.skip(1)  # the arrow keys' step: the next image, wrapping round
    assert wait_for(lambda: (p := session.sources.position()) is not None and p.number == 1)


@needs_model
def test_video_position_and_seek(session: LiveSession) -> None:
    assert session.start(str(VIDEOS / "vtest.avi"), LITE0)
    assert wait_for(lambda: session.sources.position() is not None)
    where = session.sources.position()
    assert where is not None and where.kind == "video" and where.duration_ms > 60_000
    assert session.sources.seek(0.75)
    assert wait_for(lambda: (p := session.sources.position()) is not None and p.fraction > 0.7)
    assert not session.sources.step(1)  # not a slideshow
    before = session.sources.position()
    assert before is not None
    assert session.sources.skip(-2)  # 2 x SKIP_MS back, while the video plays on
    assert wait_for(
        lambda: (
            (p := session.sources.position()) is not None
            and p.position_ms < before.position_ms - SKIP_MS
        )
    )


@needs_model
def test_navigation_while_paused_shows_the_frame_it_lands_on(
    session: LiveSession, tmp_path: Path
) -> None:
    photos = sorted((PHOTOS / "opencv").glob("*.jpg"))[:3]
    for i, photo in enumerate(photos):
        shutil.copy(photo, tmp_path / f"{i}-{photo.name}")
    assert session.start(str(tmp_path), LITE0)
    assert wait_for(lambda: session.last_result is not None)
    session.set_paused(True)
    time.sleep(0.3)  # let a frame read before the pause go through
    seen = session.results_received
    before = session.sources.position()
    assert before is not None
    assert session.sources.step(1)
    assert wait_for(lambda: session.results_received > seen)  # classified while paused
    after = session.sources.position()
    assert after is not None and after.number == before.number % 3 + 1
    fr = session.last_result
    assert fr is not None
    # the frame classified is the image landed on
    assert np.array_equal(fr.frame.image, load_image(tmp_path / after.name))
    assert session.paused
    time.sleep(0.5)
    assert session.results_received == seen + 1  # and it stays paused: one frame only
