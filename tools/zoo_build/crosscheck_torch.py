"""One-off cross-check of the NumPy reference against PyTorch (not part of the build).

Runs the PyPI ``efficientnet-lite-pytorch`` 0.1.0 implementation (a third implementation of
the network, written by others) with the same ``.pth`` weights on the exact inputs saved in
``models/reference/<model>.npz`` and prints the largest difference from the NumPy reference
logits stored there.  Needs ``torch==2.13.0`` and ``efficientnet-lite-pytorch==0.1.0`` in a
separate venv (neither is a build requirement)::

    python -m tools.zoo_build.crosscheck_torch efficientnet-lite0 \\
        PATH/TO/efficientnet-lite0-*.pth models/reference/efficientnet_lite0_float32.npz
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np


def max_diff(arch: str, pth: str, npz: str) -> float:
    import torch
    from efficientnet_lite_pytorch import EfficientNet

    model: Any = EfficientNet.from_name(arch)
    state = torch.load(pth, map_location="cpu", weights_only=True)
    model.load_state_dict(state, strict=True)
    model.eval()
    ref = np.load(npz, allow_pickle=False)
    x = (ref["inputs"].astype(np.float64) - 127.0) / 128.0
    with torch.no_grad():
        batch = torch.from_numpy(x.transpose(0, 3, 1, 2).copy()).to(torch.float64)
        logits = model.to(torch.float64)(batch).numpy()
    return float(np.max(np.abs(logits - ref["logits"])))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    diff = max_diff(*args)
    print(
        f"{args[0]}: PyTorch (efficientnet-lite-pytorch, float64) vs NumPy reference "
        f"max abs logit diff {diff:.3g} on {args[2]}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
