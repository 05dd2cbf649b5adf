"""Shared by the teach tests: real video clips as classes, their features, a trained session.

Features of each clip are extracted once per test run (100 frames spread over each
clip); every clip is split by time: its first 60% trains, its last 40% tests.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from camviz.features import FeatureExtractor
from camviz.teach import SampleKey, TeachSession, TrainOptions, video_frames

from ..conftest import VIDEOS

# Five classes of real footage (assets/SOURCES.md); demo_reel.mp4 is derived from photos.
CLIPS = {
    "pedestrians": VIDEOS / "vtest.avi",
    "tree": VIDEOS / "tree.avi",
    "animation": VIDEOS / "bigbuckbunny.mp4",
    "bikes": VIDEOS / "bikes.mp4",
    "carphone": VIDEOS / "carphone_pristine.mp4",
}
FRAMES = 100

ClipFeatures = dict[str, tuple[list[SampleKey], np.ndarray]]


@pytest.fixture(scope="session")
def extractor() -> Iterator[FeatureExtractor]:
    with FeatureExtractor.create("efficientnet_lite0_int8") as fx:
        yield fx


@pytest.fixture(scope="session")
def clip_features(extractor: FeatureExtractor) -> ClipFeatures:
    """Per class: the sampled frames' keys (by frame number) and their features."""
    cache: ClipFeatures = {}
    for label, path in CLIPS.items():
        frames = video_frames(path, FRAMES)
        keys = [SampleKey(label, path.name, n, True) for n, _ in frames]
        cache[label] = (keys, extractor.extract_many(image for _, image in frames))
    return cache


def make_session(
    extractor: FeatureExtractor, clip_features: ClipFeatures, **options: object
) -> TeachSession:
    session = TeachSession(options=TrainOptions(**options), extractor=extractor)  # type: ignore[arg-type]
    for label, (keys, features) in clip_features.items():
        for key, row in zip(keys, features, strict=True):
            session.add_features(label, row, key)
    return session


@pytest.fixture(scope="session")
def trained(extractor: FeatureExtractor, clip_features: ClipFeatures) -> TeachSession:
    session = make_session(extractor, clip_features, val=0.4)
    session.train()
    return session
