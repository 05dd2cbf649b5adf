"""What the window's side panel says about the model: its facts (HTML) and its input tensor."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import numpy.typing as npt

from camviz.classifier import ModelInfo
from camviz.metrics import MetricsSnapshot

__all__ = [
    "NAME_CHARS",
    "describe_tensor",
    "elide",
    "model_info_html",
    "plain_words",
    "tensor_to_display",
]


def tensor_to_display(tensor: npt.NDArray[Any], *, bgr: bool = False) -> npt.NDArray[np.uint8]:
    """An HxWx3 uint8 RGB picture of a model input tensor (uint8 as is, int8 shifted,
    float stretched from its min..max to 0..255); ``bgr``: the model takes its
    channels blue first (Caffe's SqueezeNet), turned back to RGB for the screen."""
    t = np.asarray(tensor)
    if t.ndim == 4:
        t = t[0]
    if t.ndim == 2:
        t = np.repeat(t[:, :, None], 3, axis=2)
    if t.ndim == 3 and t.shape[2] == 1:
        t = np.repeat(t, 3, axis=2)
    if t.dtype == np.uint8:
        out = t
    elif t.dtype == np.int8:
        out = (t.astype(np.int16) + 128).astype(np.uint8)
    else:
        f = t.astype(np.float32)
        lo, hi = float(f.min()), float(f.max())
        out = ((f - lo) * (255.0 / (hi - lo if hi > lo else 1.0))).clip(0, 255).astype(np.uint8)
    picture = out[:, :, :3]
    return np.ascontiguousarray(picture[:, :, ::-1] if bgr else picture)


def describe_tensor(tensor: npt.NDArray[Any]) -> str:
    """``224x224x3 uint8, range 0..255``."""
    t = np.asarray(tensor)
    return (
        f"{'x'.join(str(d) for d in t.shape)} {t.dtype}, "
        f"range {float(t.min()):.3g}..{float(t.max()):.3g}"
    )


def model_info_html(info: ModelInfo, metrics: MetricsSnapshot | None) -> str:
    """The model box's table: what the model is and how fast it runs here."""
    invoke = metrics.stages_ms.get("invoke") if metrics is not None else None
    measured = (
        f"{invoke.p50:.1f} ms p50 / {invoke.p95:.1f} ms p95"
        if invoke is not None and invoke.count
        else "–"
    )
    top1 = info.published_top1
    rows = [
        ("name", elide(info.name, NAME_CHARS)),
        ("input", f"{info.input_size[0]}x{info.input_size[1]} {info.dtype}"),
        ("classes", str(info.num_classes)),
        ("file", f"{info.file_bytes / 1e6:.2f} MB"),
        ("published top-1", f"{top1:.1f}%" if top1 is not None else "–"),
        ("load", f"{info.load_ms:.0f} ms (first invoke {info.first_invoke_ms:.1f} ms)"),
        ("measured invoke", measured),
        ("runtime", info.runtime),
    ]
    return (
        "<table>"
        + "".join(f"<tr><td><i>{k}</i>&nbsp;</td><td>{_html(v)}</td></tr>" for k, v in rows)
        + "</table>"
    )


NAME_CHARS = 34  # a model's name in the side panel, at most (then "…"; the tooltip has it whole)


def elide(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with "…", at a word's end where there is one."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    for sep in (" ", "_", "-", "."):
        at = cut.rfind(sep)
        if at >= limit // 2:
            cut = cut[:at]
            break
    return cut + "…"


_ERROR_TYPE = re.compile(r"\b[A-Z][A-Za-z]*(?:Error|Exception): ")


def plain_words(text: str) -> str:
    """A message written for the command line, as a window says it: no backticks, no
    exception class names (``ModelLoadError: ``), the model list instead of the
    ``camviz models`` command."""
    text = text.replace("a model from `camviz models`", "a model of the Model list")
    text = _ERROR_TYPE.sub("", text)
    return text.replace("``", "").replace("`", "")


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
