"""Independent NumPy forward passes (float64) used to check the converted float models.

Nothing here shares code with the TensorFlow graph builder: BatchNorm is applied as a
separate step (not folded), convolutions are written out as strided window sums, and the
input normalisation is done in float64.
"""

from __future__ import annotations

import numpy as np

from tools.zoo_build.efficientnet import BN_EPS, ConvBN, EfficientNetLite
from tools.zoo_build.squeezenet import SqueezeNet

__all__ = ["efficientnet_logits", "same_padding", "squeezenet_logits"]


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow's static SAME padding (before, after) along one axis."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def _pad_same(x: np.ndarray, kernel: int, stride: int, value: float = 0.0) -> np.ndarray:
    ph = same_padding(x.shape[0], kernel, stride)
    pw = same_padding(x.shape[1], kernel, stride)
    return np.pad(x, (ph, pw, (0, 0)), constant_values=value)


def conv2d_same(x: np.ndarray, w: np.ndarray, stride: int) -> np.ndarray:
    """Dense convolution, x (H, W, Cin), w PyTorch layout (Cout, Cin, kh, kw)."""
    k = w.shape[2]
    h_out = -(-x.shape[0] // stride)
    w_out = -(-x.shape[1] // stride)
    xp = _pad_same(x, k, stride)
    out = np.zeros((h_out, w_out, w.shape[0]), dtype=np.float64)
    for i in range(k):
        for j in range(k):
            patch = xp[i : i + stride * h_out : stride, j : j + stride * w_out : stride, :]
            out += patch @ w[:, :, i, j].T.astype(np.float64)
    return out


def depthwise_same(x: np.ndarray, w: np.ndarray, stride: int) -> np.ndarray:
    """Depthwise convolution, w PyTorch layout (C, 1, kh, kw)."""
    k = w.shape[2]
    h_out = -(-x.shape[0] // stride)
    w_out = -(-x.shape[1] // stride)
    xp = _pad_same(x, k, stride)
    out = np.zeros((h_out, w_out, x.shape[2]), dtype=np.float64)
    for i in range(k):
        for j in range(k):
            patch = xp[i : i + stride * h_out : stride, j : j + stride * w_out : stride, :]
            out += patch * w[:, 0, i, j].astype(np.float64)
    return out


def _bn(x: np.ndarray, layer: ConvBN) -> np.ndarray:
    g = layer.gamma.astype(np.float64)
    b = layer.beta.astype(np.float64)
    m = layer.mean.astype(np.float64)
    v = layer.var.astype(np.float64)
    return (x - m) / np.sqrt(v + BN_EPS) * g + b


def _relu6(x: np.ndarray) -> np.ndarray:
    return np.asarray(np.clip(x, 0.0, 6.0), dtype=np.float64)


def _apply(x: np.ndarray, layer: ConvBN) -> np.ndarray:
    if layer.depthwise:
        y = depthwise_same(x, layer.weight, layer.stride)
    else:
        y = conv2d_same(x, layer.weight, layer.stride)
    return _bn(y, layer)


def efficientnet_logits(net: EfficientNetLite, image: np.ndarray) -> np.ndarray:
    """Logits (float64, shape (classes,)) for one HxWx3 uint8 RGB image already at input size."""
    x = (image.astype(np.float64) - 127.0) / 128.0
    x = _relu6(_apply(x, net.stem))
    for block in net.blocks:
        inp = x
        if block.expand is not None:
            x = _relu6(_apply(x, block.expand))
        x = _relu6(_apply(x, block.depthwise))
        x = _apply(x, block.project)
        if block.skip:
            x = x + inp
    x = _relu6(_apply(x, net.head))
    pooled = x.mean(axis=(0, 1))
    logits = pooled @ net.fc_weight.astype(np.float64).T + net.fc_bias.astype(np.float64)
    return np.asarray(logits, dtype=np.float64)


def _conv_hwio_valid_or_same(x: np.ndarray, w: np.ndarray, stride: int, padding: str) -> np.ndarray:
    k = w.shape[0]
    if padding == "SAME":
        xp = _pad_same(x, k, stride)
        h_out = -(-x.shape[0] // stride)
        w_out = -(-x.shape[1] // stride)
    else:
        xp = x
        h_out = (x.shape[0] - k) // stride + 1
        w_out = (x.shape[1] - k) // stride + 1
    out = np.zeros((h_out, w_out, w.shape[3]), dtype=np.float64)
    for i in range(k):
        for j in range(w.shape[1]):
            patch = xp[i : i + stride * h_out : stride, j : j + stride * w_out : stride, :]
            out += patch @ w[i, j].astype(np.float64)
    return out


def _maxpool_valid(x: np.ndarray, k: int = 3, s: int = 2) -> np.ndarray:
    h_out = (x.shape[0] - k) // s + 1
    w_out = (x.shape[1] - k) // s + 1
    out = np.full((h_out, w_out, x.shape[2]), -np.inf)
    for i in range(k):
        for j in range(k):
            out = np.maximum(out, x[i : i + s * h_out : s, j : j + s * w_out : s, :])
    return out


def squeezenet_logits(net: SqueezeNet, image_bgr: np.ndarray) -> np.ndarray:
    """Logits (float64) for one HxWx3 uint8 BGR image at input size (Caffe SqueezeNet v1.1)."""

    def conv(x: np.ndarray, name: str, stride: int = 1, padding: str = "SAME") -> np.ndarray:
        w, b = net.layers[name]
        y = _conv_hwio_valid_or_same(x, w, stride, padding) + b
        return np.asarray(np.maximum(y, 0.0), dtype=np.float64)

    def fire(x: np.ndarray, name: str) -> np.ndarray:
        s = conv(x, f"{name}/squeeze1x1")
        return np.concatenate([conv(s, f"{name}/expand1x1"), conv(s, f"{name}/expand3x3")], -1)

    x = image_bgr.astype(np.float64) - np.asarray(net.mean_bgr, dtype=np.float64)
    x = _maxpool_valid(conv(x, "conv1", 2, net.conv1_padding))
    x = _maxpool_valid(fire(fire(x, "fire2"), "fire3"))
    x = _maxpool_valid(fire(fire(x, "fire4"), "fire5"))
    for name in ("fire6", "fire7", "fire8", "fire9"):
        x = fire(x, name)
    w, b = net.layers["conv10"]
    y = _conv_hwio_valid_or_same(x, w, 1, "VALID") + b
    if net.relu_conv10:
        y = np.maximum(y, 0.0)
    return np.asarray(y.mean(axis=(0, 1)), dtype=np.float64)
