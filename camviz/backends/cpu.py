"""What the CPU offers the runtimes' int8 kernels: an int8 dot product (VNNI, AMX) or not.

Without one, x86 int8 kernels multiply uint8 by int8 in 16-bit pairs that saturate
(``vpmaddubsw``), and a quantised model's answers drift from its own arithmetic. Measured on a
2-core AMD EPYC with AVX2 and none of these flags, 27 photos, top-1 against the reference:

* OpenVINO 2026.4, the zoo's int8 ``.tflite`` files: its int8 kernels put the uint8 logits a
  mean 3.7-6.3 quantisation steps (up to 81) from LiteRT's and agree on the top-1 of 15-22
  photos, where LiteRT's own two kernel sets differ by 0.7 steps (at most 10) and agree on
  23-26. With its low-precision transformations off the quantised operators run as their
  float arithmetic: 0.1-0.6 steps, top-1 on 23-27, about twice the invoke time.
* ONNX Runtime 1.32, a QDQ int8 export of EfficientNet-Lite0 (onnxruntime's quantiser): its
  fused int8 kernels agree with the float model's top-1 on 22 photos, the QDQ operators run as
  float arithmetic (``session.disable_quant_qdq``) on 25, as LiteRT's int8 file does; invoke
  p50 4.2 against 10.3 ms.

So on such a CPU camviz has both run a quantised model's own arithmetic: the answers first.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["INT8_DOT_FLAGS", "cpu_has_int8_dot_product"]

#: x86 flags of an int8 dot-product instruction.
INT8_DOT_FLAGS = frozenset({"avx512_vnni", "avx_vnni", "avx_vnni_int8", "amx_int8"})


def cpu_has_int8_dot_product(cpuinfo: str | None = None) -> bool:
    """Whether this CPU has an int8 dot product (VNNI or AMX), from ``/proc/cpuinfo`` (or the
    ``cpuinfo`` text given). True where there is no x86 flags line to read (another system or
    architecture): the runtime's own choice is kept there."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return True
    for line in cpuinfo.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() == "flags":
            return bool(INT8_DOT_FLAGS & set(value.split()))
    return True
