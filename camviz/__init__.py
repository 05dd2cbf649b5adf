"""camviz: live camera image classification with TensorFlow Lite models."""

from __future__ import annotations

__version__ = "0.1.0"
