"""Frames keep the decoder's channel order: BGR from video files and cameras, RGB from
photos; ``Frame.image`` is RGB, converted once, and the classifier gives the same
probabilities on the BGR pixels as on the RGB image (the swap is on the model-size image)."""

from __future__ import annotations

import cv2
import numpy as np

from camviz.classifier import Classifier, ClassifierOptions
from camviz.imageio import to_bgr8
from camviz.preprocess import ColorOrder
from camviz.sources import CameraSource, ImageSource, PlaylistSource, VideoSource

from .conftest import CHELSEA, GREY, VTEST, FakeCamera, decoded_frames


def test_video_frames_stay_bgr_and_image_is_rgb() -> None:
    expected = decoded_frames(VTEST)[:3]
    with VideoSource(VTEST, pace=False) as source:
        frames = [source.read() for _ in range(3)]
    for frame, rgb in zip(frames, expected, strict=True):
        assert frame is not None
        assert frame.order is ColorOrder.BGR and frame.color == "bgr"
        assert frame.pixels.flags.c_contiguous
        np.testing.assert_array_equal(frame.pixels, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        np.testing.assert_array_equal(frame.image, rgb)
        assert frame.image is frame.image  # converted once, kept


def test_camera_frames_are_the_capture_s_bgr() -> None:
    camera = FakeCamera([3])
    with CameraSource(0, capture_factory=camera) as source:
        frame = source.read()
    assert frame is not None
    assert frame.order is ColorOrder.BGR
    # FakeCamera's frame: blue channel 10, red counts the reads (BGR: blue first)
    assert int(frame.pixels[0, 0, 0]) == 10 and int(frame.image[0, 0, 2]) == 10


def test_photos_are_rgb_and_image_is_the_same_array() -> None:
    with ImageSource(CHELSEA) as source:
        frame = source.read()
    assert frame is not None
    assert frame.order is ColorOrder.RGB and frame.image is frame.pixels


def test_a_playlist_keeps_each_file_s_order() -> None:
    with PlaylistSource([CHELSEA, VTEST], pace=False) as source:
        photo, video = source.read(), source.read()
    assert photo is not None and video is not None
    assert (photo.order, video.order) == (ColorOrder.RGB, ColorOrder.BGR)
    assert video.index == 1


def test_to_bgr8_keeps_a_bgr_frame_and_converts_grey() -> None:
    bgr = cv2.imread(str(CHELSEA), cv2.IMREAD_COLOR)
    assert bgr is not None
    assert to_bgr8(bgr) is bgr  # no copy, no conversion
    grey = cv2.imread(str(GREY), cv2.IMREAD_GRAYSCALE)
    assert grey is not None
    out = to_bgr8(grey)
    assert out.shape == (*grey.shape, 3)
    np.testing.assert_array_equal(out[:, :, 0], grey)


def test_the_classifier_gives_the_same_result_on_bgr_pixels() -> None:
    with VideoSource(VTEST, pace=False) as source:
        frames = [source.read() for _ in range(3)]
    with Classifier.create(ClassifierOptions(threads=1)) as clf:
        for frame in frames:
            assert frame is not None
            on_pixels = clf.classify(frame.pixels, color=frame.color)
            on_rgb = clf.classify(frame.image)
            np.testing.assert_array_equal(on_pixels.probabilities, on_rgb.probabilities)
