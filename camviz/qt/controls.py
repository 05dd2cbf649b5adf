"""The window's controls box (source, model, options, buttons) and its model and input boxes.

Only widgets and layout: :class:`~camviz.qt.window.MainWindow` connects them to
the session.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from camviz.app.viewing import FIT_NAMES
from camviz.backends import model_files_hint
from camviz.qt.frame_view import FrameView
from camviz.qt.model_info import describe_tensor, tensor_to_display
from camviz.qt.options_form import OptionsForm
from camviz.sources import CameraInfo
from camviz.sources.demo import DEMO

__all__ = ["OPEN_MODEL_ITEM", "Controls", "InputBox", "ModelBox"]

OPEN_MODEL_ITEM = "Open a model file…"


class Controls(QGroupBox):
    """Source and model pickers, option spins, Pause/Snapshot/Teach, Mirror/Record."""

    def __init__(
        self, cameras: list[CameraInfo], models: tuple[str, ...], parent: QWidget | None = None
    ) -> None:
        super().__init__("Controls", parent)
        self.source_combo = QComboBox()
        self.source_combo.addItem("Demo reel", DEMO)
        for cam in cameras:
            self.source_combo.addItem(
                f"Camera {cam.index} ({cam.width}x{cam.height})", str(cam.index)
            )
        self.open_button = QToolButton()
        self.open_button.setText("Open…")
        self.open_menu = QMenu(self.open_button)
        self.open_button.setMenu(self.open_menu)
        self.open_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        source_row = QHBoxLayout()
        source_row.addWidget(self.source_combo, 1)
        source_row.addWidget(self.open_button)

        self.model_combo = QComboBox()
        for name in models:
            self.model_combo.addItem(name, name)
        self.model_combo.addItem(OPEN_MODEL_ITEM, None)

        self.fit_combo = QComboBox()
        for fit, text in FIT_NAMES.items():
            self.fit_combo.addItem(text, fit.value)
        self.fit_combo.setEnabled(False)  # until a model loads

        self.options = OptionsForm()
        spin = self.options.spin
        self.threads_spin, self.topk_spin = spin("threads"), spin("top_k")
        self.threshold_spin, self.confidence_spin = spin("score_threshold"), spin("min_confidence")
        self.smoothing_spin, self.budget_spin = spin("smoothing"), spin("budget_ms")

        for combo in (self.source_combo, self.model_combo):
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(12)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Source", source_row)
        form.addRow("Model", self.model_combo)
        form.addRow("Model sees", self.fit_combo)

        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.snapshot_button = QPushButton("Snapshot")
        self.teach_button = QToolButton()
        self.mirror_check = QCheckBox("Mirror")
        self.record_check = QCheckBox("Record CSV")
        buttons = QHBoxLayout()
        for widget in (self.pause_button, self.snapshot_button, self.teach_button):
            buttons.addWidget(widget)
        checks = QHBoxLayout()
        checks.addWidget(self.mirror_check)
        checks.addWidget(self.record_check)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.options)
        layout.addLayout(buttons)
        layout.addLayout(checks)
        tips: tuple[tuple[QWidget, str], ...] = (
            (self.source_combo, "What to classify: the demo reel, a camera, or a file opened"),
            (
                self.open_button,
                "Open a video file, an image, a folder of images, a stream URL or a recent "
                "source (or drop a file on the window)",
            ),
            (
                self.model_combo,
                f"The classifier (N: next model); {OPEN_MODEL_ITEM} loads your own "
                f"({model_files_hint()})",
            ),
            (
                self.fit_combo,
                "What of the frame this model sees: a centre crop (the box on the video), "
                "or the whole frame scaled to fit, padded with grey (remembered per model)",
            ),
            (self.pause_button, "Pause or resume the video and the model (Space)"),
            (self.snapshot_button, "Save the frame with its labels as PNG + JSON (S)"),
            (self.mirror_check, "Mirror the view, like a selfie camera (M)"),
            (self.record_check, "Record one CSV row of metrics per classified frame"),
        )
        for control, tip in tips:
            control.setToolTip(tip)


class ModelBox(QGroupBox):
    """What the running model is (an HTML table)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Model", parent)
        self.info_label = QLabel("No model loaded")
        self.info_label.setWordWrap(True)
        self.info_label.setTextFormat(Qt.TextFormat.RichText)
        QVBoxLayout(self).addWidget(self.info_label)


class InputBox(QGroupBox):
    """The exact tensor the model sees, as a picture, with its shape and range."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Model input (exact tensor)", parent)
        self.input_view = FrameView(refresh_hz=10)
        self.input_view.setMinimumSize(120, 120)
        self.input_view.setFixedHeight(150)
        self.input_view.set_smooth(False)
        self.input_view.clear("no model input yet")
        self.input_label = QLabel("")
        self.input_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.input_view)
        layout.addWidget(self.input_label)

    def show_tensor(self, tensor: npt.NDArray[Any], *, bgr: bool = False) -> npt.NDArray[np.uint8]:
        """Show the exact tensor the model was fed (``bgr``: in blue-first order); returns
        the picture shown, in RGB."""
        picture = tensor_to_display(tensor, bgr=bgr)
        self.input_view.set_frame(picture)
        self.input_label.setText(describe_tensor(tensor))
        return picture

    def show_problem(self, message: str) -> None:
        self.input_label.setText(message)
