"""``camviz bench --op-profile``: milliseconds per operator of a LiteRT model.

LiteRT's Python interpreter has no profiler (benchmark_model's
``--enable_op_profiling`` is C++ only), so the operators are timed by prefixes:
:func:`camviz.backends.operator_prefixes` gives, for each operator in
execution order, the model that runs the operators up to it and no further; each
prefix is loaded with the bench's threads and its invoke timed (median of
``runs``: the quickest, the device when nothing else ran), and an operator's time
is its prefix's minus the previous one's (at least 0; a prefix's time is capped by
the lowest after it, so a slow stretch is not charged to one operator). The
prefixes' outputs keep every tensor a later operator reads, so XNNPACK plans each
prefix as it plans the whole model, up to that point. Timing differences below a
few microseconds are noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from camviz import backends, limits
from camviz.bench.runs import time_calls
from camviz.errors import ModelNotFoundError, OptionsError
from camviz.fileio import read_regular_file
from camviz.zoo import ModelKind, resolve_model

__all__ = ["OpTime", "format_op_profile", "op_profile"]


@dataclass(frozen=True, slots=True)
class OpTime:
    index: int
    op: str
    tensor: str  # its first output
    ms: float
    cumulative_ms: float  # the prefix's quickest invoke

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "op": self.op,
            "tensor": self.tensor,
            "ms": round(self.ms, 4),
            "cumulative_ms": round(self.cumulative_ms, 4),
        }


def op_profile(model: str, threads: int, *, runs: int = 15, warmup: int = 3) -> list[OpTime]:
    """Per-operator milliseconds of ``model`` (zoo name or .tflite path) at ``threads``."""
    ref = resolve_model(model)
    if ref.kind is ModelKind.HEAD or not backends.profiles_operators(ref.path):
        raise OptionsError(
            f"--op-profile times the operators of {backends.op_profile_hint()}; "
            f"{ref.path.name} is not one"
        )
    content = read_regular_file(
        ref.path, limits.MAX_MODEL_BYTES, ModelNotFoundError, "models", "set CAMVIZ_MAX_MODEL_MB"
    )
    found: list[tuple[str, str, float]] = []
    runtime = backends.op_profile_backend()
    for op, tensor, prefix in backends.operator_prefixes(content, source=ref.name):
        loaded = runtime.load(prefix, threads=threads, source=str(ref.path))
        try:
            spec = loaded.inputs[0]
            feed = np.full(spec.shape, 128 if spec.dtype == np.uint8 else 0, spec.dtype)
            for _ in range(warmup):
                loaded.run(feed)
            found.append((op, tensor, min(time_calls(loaded.run, [feed] * runs)[0])))
        finally:
            loaded.close()
    # A prefix never costs more than a longer one: a time pushed up by another process
    # is capped by the lowest median after it (the suffix minimum), so one slow stretch
    # does not hand its time to one operator and take it from the next.
    cumulative = [t for _, _, t in found]
    for k in range(len(cumulative) - 2, -1, -1):
        cumulative[k] = min(cumulative[k], cumulative[k + 1])
    times, previous = [], 0.0
    for index, ((op, tensor, _), upto) in enumerate(zip(found, cumulative, strict=True)):
        times.append(OpTime(index, op, tensor, max(0.0, upto - previous), upto))
        previous = max(previous, upto)
    return times


def format_op_profile(model: str, threads: int, times: list[OpTime], top: int = 15) -> str:
    """The ``top`` slowest operators and the sum per operator type, as text."""
    total = sum(t.ms for t in times) or 1.0
    lines = [f"operators of {model}, {threads} thread(s): {len(times)} ops, {total:.2f} ms"]
    lines.append(f"  {'#':>3}  {'op':<20} {'ms':>7} {'%':>5}  tensor")
    for t in sorted(times, key=lambda t: -t.ms)[:top]:
        lines.append(
            f"  {t.index:>3}  {t.op:<20} {t.ms:7.3f} {t.ms / total * 100:5.1f}  {t.tensor}"
        )
    by_type: dict[str, list[float]] = {}
    for t in times:
        by_type.setdefault(t.op, []).append(t.ms)
    lines.append("  by type:")
    for op, values in sorted(by_type.items(), key=lambda kv: -sum(kv[1])):
        share = sum(values) / total * 100
        lines.append(f"    {op:<20} {len(values):>3} ops {sum(values):7.3f} ms {share:5.1f}%")
    return "\n".join(lines)
