from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QImage

from camviz.qt.frame_view import FrameView, LatestFrame, letterbox_rect, numpy_to_qimage


def qimage_to_rgb(img: QImage) -> np.ndarray:
    img = img.convertToFormat(QImage.Format.Format_RGB888)
    h, w = img.height(), img.width()
    buf = np.frombuffer(img.constBits(), np.uint8, count=img.bytesPerLine() * h)
    return buf.reshape(h, img.bytesPerLine())[:, : w * 3].reshape(h, w, 3).copy()


def grab_rgb(view: FrameView) -> np.ndarray:
    return qimage_to_rgb(view.grab().toImage())


def test_letterbox_rect_keeps_aspect() -> None:
    r = letterbox_rect(1280, 720, QRect(0, 0, 800, 600))
    assert (r.width(), r.height()) == (800, 450)
    assert (r.x(), r.y()) == (0, 75)
    r = letterbox_rect(640, 480, QRect(0, 0, 1280, 720))
    assert (r.width(), r.height()) == (960, 720)
    assert r.x() == 160


def test_numpy_to_qimage_stride_and_copy(chelsea: np.ndarray) -> None:
    h, w = chelsea.shape[:2]
    borrowed = numpy_to_qimage(chelsea)
    assert (borrowed.width(), borrowed.height()) == (w, h)
    assert borrowed.bytesPerLine() == chelsea.strides[0]
    # a non-contiguous view (every other column) is copied into an owning image
    view = chelsea[:, ::2]
    owned = numpy_to_qimage(view)
    assert np.array_equal(qimage_to_rgb(owned), view)
    # copy=True survives the array
    arr = chelsea.copy()
    owned2 = numpy_to_qimage(arr, copy=True)
    arr[:] = 0
    assert qimage_to_rgb(owned2).mean() > 50
    with pytest.raises(ValueError):
        numpy_to_qimage(np.zeros((4, 4), np.uint8))


def test_view_shows_the_photo_letterboxed(qtbot, chelsea: np.ndarray) -> None:
    view = FrameView()
    qtbot.addWidget(view)
    view.resize(902, 400)  # wider than the photo's 3:2 -> bars left and right
    view.show()
    view.set_frame(chelsea)
    qtbot.waitUntil(lambda: view.frames_painted >= 1, timeout=2000)
    rgb = grab_rgb(view)
    assert rgb.shape[:2] == (400, 902)
    target = letterbox_rect(451, 300, QRect(0, 0, 902, 400))
    inside = rgb[
        target.y() : target.y() + target.height(), target.x() : target.x() + target.width()
    ]
    # colour statistics of the painted area match the photo's
    assert np.abs(inside.reshape(-1, 3).mean(0) - chelsea.reshape(-1, 3).mean(0)).max() < 6
    # letterbox bars are black
    assert rgb[:, : target.x() - 1].max() == 0
    assert rgb[:, target.x() + target.width() + 1 :].max() == 0


def test_mirror_flips_horizontally(qtbot, chelsea: np.ndarray) -> None:
    view = FrameView()
    qtbot.addWidget(view)
    view.resize(451, 300)  # 1:1, no scaling
    view.show()
    view.set_frame(chelsea)
    qtbot.waitUntil(lambda: view.frames_painted >= 1, timeout=2000)
    plain = grab_rgb(view).astype(np.int16)
    assert np.abs(plain - chelsea).mean() < 1.0
    with qtbot.waitSignal(view.mirroredChanged, timeout=1000):
        view.set_mirrored(True)
    count = view.paint_count
    qtbot.waitUntil(lambda: view.paint_count > count, timeout=2000)
    mirrored = grab_rgb(view).astype(np.int16)
    assert np.abs(mirrored - chelsea[:, ::-1]).mean() < 1.0
    assert np.abs(mirrored - chelsea).mean() > 10


def test_overlay_text_and_uncertain(qtbot, chelsea: np.ndarray) -> None:
    view = FrameView()
    qtbot.addWidget(view)
    view.resize(451, 300)
    view.set_frame(chelsea)
    assert view.overlay_text() is None
    base = view.render_image()
    view.set_overlay("tabby, tabby cat", 0.834)
    assert view.overlay_text() == "tabby, tabby cat  83%"
    labelled = view.render_image()
    view.set_overlay(None, None, uncertain=True)
    assert view.overlay_text() == "Not sure"
    unsure = view.render_image()
    a, b, c = (qimage_to_rgb(i).astype(np.int16) for i in (base, labelled, unsure))
    # the overlay changes only the top-left corner
    assert np.abs(a[:60, :250] - b[:60, :250]).mean() > 5
    assert np.abs(a[150:, 300:] - b[150:, 300:]).max() == 0
    # "not sure" is drawn differently (amber box)
    assert np.abs(b[:60, :250] - c[:60, :250]).mean() > 5


def test_render_image_owns_its_pixels(qtbot, chelsea: np.ndarray) -> None:
    view = FrameView()
    qtbot.addWidget(view)
    frame = chelsea.copy()
    view.set_frame(frame)
    img = view.render_image()
    assert img.size() == QSize(451, 300)
    frame[:] = 0  # the producer reuses its buffer: the snapshot must not change
    assert qimage_to_rgb(img).mean() > 50


def test_latest_frame_slot_coalesces(qtbot, chelsea: np.ndarray, astronaut: np.ndarray) -> None:
    slot = LatestFrame()
    view = FrameView(refresh_hz=30)
    qtbot.addWidget(view)
    view.resize(320, 240)
    view.show()
    view.set_frame_slot(slot)
    for _ in range(50):  # a burst far faster than the display: at most a few paints
        slot.put(chelsea)
    slot.put(astronaut)
    qtbot.waitUntil(lambda: view.frame() is astronaut, timeout=2000)
    qtbot.wait(100)
    assert view.frames_painted <= 3
    serial, image = slot.get()
    assert serial == 51 and image is astronaut


def test_no_repaint_without_new_frames(qtbot, chelsea: np.ndarray) -> None:
    view = FrameView(refresh_hz=60)
    qtbot.addWidget(view)
    view.resize(320, 240)
    view.show()
    view.set_frame(chelsea)
    qtbot.waitUntil(lambda: view.frames_painted == 1, timeout=2000)
    qtbot.wait(50)
    painted = view.paint_count
    qtbot.wait(200)
    assert view.paint_count == painted
    assert view.frames_painted == 1


def test_a_result_is_overlaid_by_its_display_name(qtbot, chelsea: np.ndarray) -> None:
    from camviz.results import Category, ClassificationResult

    view = FrameView()
    qtbot.addWidget(view)
    view.resize(640, 360)
    view.set_frame(chelsea)
    label = "fox squirrel, eastern fox squirrel, Sciurus niger"
    probs = np.zeros(1000, np.float32)
    result = ClassificationResult((Category(335, label, 0.96),), probs, False, "m")
    view.show_result(result)
    assert view.overlay_text() == "fox squirrel  96%"  # not the whole synonym list
    named = ClassificationResult((Category(335, label, 0.96, 335, "écureuil"),), probs, False, "m")
    view.show_result(named)
    assert view.overlay_text() == "écureuil  96%"
    view.show_result(ClassificationResult(result.categories, probs, True, "m"))
    assert view.overlay_text() == "Not sure"
