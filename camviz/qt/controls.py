"""The window's controls box (source, model, options, buttons) and its model and input boxes.

Only widgets and layout: :class:`~camviz.qt.window.MainWindow` connects them to
the session.
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from camviz.app.session import DEMO
from camviz.app.viewing import FIT_NAMES
from camviz.defaults import BUDGET_MS, MIN_CONFIDENCE, SCORE_THRESHOLD, THREADS, TOP_K
from camviz.qt.frame_view import FrameView
from camviz.sources import CameraInfo

__all__ = ["OPEN_MODEL_ITEM", "Controls", "InputBox", "ModelBox"]

OPEN_MODEL_ITEM = "Open .tflite…"
MAX_TOP_K = 10


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

        self.threads_spin = QSpinBox()
        self.threads_spin.setRange(1, max(1, min(16, os.cpu_count() or THREADS)))
        self.threads_spin.setValue(THREADS)
        self.topk_spin = QSpinBox()
        self.topk_spin.setRange(1, MAX_TOP_K)
        self.topk_spin.setValue(TOP_K)
        self.threshold_spin = _fraction_spin(SCORE_THRESHOLD)
        self.confidence_spin = _fraction_spin(MIN_CONFIDENCE)
        self.smoothing_spin = _fraction_spin(0.0, maximum=0.95)
        self.budget_spin = QDoubleSpinBox()
        self.budget_spin.setRange(1.0, 1000.0)
        self.budget_spin.setDecimals(0)
        self.budget_spin.setSuffix(" ms")
        self.budget_spin.setValue(BUDGET_MS)

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
        form.addRow("Threads", self.threads_spin)
        form.addRow("Top-k", self.topk_spin)
        form.addRow("Score threshold", self.threshold_spin)
        form.addRow("Min confidence", self.confidence_spin)
        form.addRow("Smoothing", self.smoothing_spin)
        form.addRow("Budget", self.budget_spin)

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
        layout.addLayout(buttons)
        layout.addLayout(checks)
        tips: tuple[tuple[QWidget, str], ...] = (
            (self.source_combo, "What to classify: the demo reel, a camera, or a file opened"),
            (
                self.open_button,
                "Open a video file, an image, a folder of images, a stream URL or a recent "
                "source (or drop a file on the window)",
            ),
            (self.model_combo, "The classifier (N: next model); Open .tflite… loads your own"),
            (
                self.fit_combo,
                "What of the frame this model sees: a centre crop (the box on the video), "
                "or the whole frame scaled to fit, padded with grey (remembered per model)",
            ),
            (self.threads_spin, "Interpreter threads (applies when you leave the box)"),
            (self.topk_spin, "How many labels to list"),
            (self.threshold_spin, "Hide labels scoring below this"),
            (self.confidence_spin, 'Below this top score the answer is "Not sure"'),
            (self.smoothing_spin, "Average scores over frames: 0 is off, higher is steadier"),
            (self.budget_spin, "Frame budget: the meter is green when 95% of frames are faster"),
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


def _fraction_spin(value: float, maximum: float = 1.0) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(0.0, maximum)
    spin.setSingleStep(0.05)
    spin.setDecimals(2)
    spin.setValue(value)
    return spin
