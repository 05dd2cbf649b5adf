"""OpenVINO on the zoo's int8 ``.tflite`` files: its int8 kernels against its low-precision
transformations off (quantised operators as their float arithmetic), on this CPU.

For each int8 zoo model, on the 27 photos of assets/photos fed as camviz feeds them: top-1
agreement with LiteRT (XNNPACK), the distance of the uint8 logits from LiteRT's in
quantisation steps (mean, max), LiteRT's own builtin kernels against its XNNPACK (the noise
limit), and OpenVINO's invoke p50 in both configurations, interleaved over ``--rounds``. camviz
turns the transformations off on CPUs without an int8 dot product (VNNI, AMX):
:func:`camviz.backends.openvino.cpu_has_int8_dot_product`.

    python benchmarks/openvino_int8.py [--threads 2] [--runs 40] [--rounds 3] [--json]

Needs ``camviz[openvino]``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
from harness import machine, markdown_table, percentiles, time_repeated

from camviz import Classifier, ClassifierOptions, load_image
from camviz.backends import BACKENDS, Delegate, tflite_graph
from camviz.backends import openvino as ov_backend
from camviz.errors import ModelLoadError
from camviz.zoo import load_zoo

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = sorted(p for p in (ROOT / "assets" / "photos").rglob("*") if p.is_file())
CONFIGS = {"int8 kernels": {}, "low precision off": {"LP_TRANSFORMS_MODE": "NO"}}


def _logits(content: bytes, source: str) -> bytes:
    """The model cut at its uint8 logits where it ends in a float softmax on them."""
    try:
        return tflite_graph.with_outputs(content, ["logits"], source=source)
    except ModelLoadError:  # no such tensor: the model ends in its logits
        return content


def _compiled(path: Path, content: bytes, threads: int, extra: dict[str, str]) -> Any:
    import openvino as ov

    core = ov.Core()
    name = Path("/tmp") / f"camviz-bench-{path.stem}.tflite"
    name.write_bytes(content)
    try:
        model = core.read_model(str(name))
    finally:
        name.unlink()
    config = {
        "PERFORMANCE_HINT": "LATENCY",
        "INFERENCE_NUM_THREADS": threads,
        "INFERENCE_PRECISION_HINT": "f32",
        **extra,
    }
    return core.compile_model(model, "CPU", config).create_infer_request()


def measure(name: str, threads: int, runs: int, rounds: int) -> dict[str, Any]:
    spec = load_zoo().get(name)
    content = _logits(spec.path.read_bytes(), str(spec.path))
    with Classifier.create(ClassifierOptions(model=name)) as clf:
        tensors = [clf.preprocess(load_image(p))[None] for p in PHOTOS]
    litert = {}
    for delegate in ("xnnpack", "cpu"):
        loaded = BACKENDS["litert"].load(
            content, threads=threads, source=name, delegate=Delegate.parse(delegate)
        )
        litert[delegate] = np.stack([np.asarray(loaded.run(t)).reshape(-1) for t in tensors])
        loaded.close()
    ref = litert["xnnpack"].astype(int)
    own = np.abs(ref - litert["cpu"].astype(int))
    record: dict[str, Any] = {
        "model": name,
        "litert_builtin_agree": int((ref.argmax(1) == litert["cpu"].argmax(1)).sum()),
        "litert_builtin_steps": [round(float(own.mean()), 3), int(own.max())],
    }
    requests = {
        label: _compiled(spec.path, content, threads, extra) for label, extra in CONFIGS.items()
    }
    times: dict[str, list[float]] = {label: [] for label in CONFIGS}
    for label, request in requests.items():
        rows = []
        for t in tensors:
            request.infer({0: np.ascontiguousarray(t)})
            rows.append(request.get_output_tensor(0).data.copy().reshape(-1).astype(int))
        got = np.stack(rows)
        steps = np.abs(ref - got)
        record[label] = {
            "agree": int((ref.argmax(1) == got.argmax(1)).sum()),
            "steps": [round(float(steps.mean()), 3), int(steps.max())],
        }
    feed = np.ascontiguousarray(tensors[0])
    for _ in range(rounds):  # interleaved, so a busy stretch of the machine hits both
        for label, request in requests.items():
            times[label] += time_repeated(lambda r=request: r.infer({0: feed}), runs, warmup=5)
    for label in CONFIGS:
        record[label]["invoke_p50_ms"] = round(percentiles(times[label]).p50, 2)
    return record


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    models = [m.name for m in load_zoo().models if m.dtype != "float32"]
    records = [measure(m, args.threads, args.runs, args.rounds) for m in models]
    here = machine(("openvino",))
    dot = ov_backend.cpu_has_int8_dot_product()
    if args.json:
        print(json.dumps({"machine": here.to_dict(), "int8_dot_product": dot, "models": records}))
        return 0
    print(here.line())
    print(
        f"int8 dot product (VNNI/AMX): {dot}; camviz uses: "
        f"{'int8 kernels' if dot else 'low precision off'}"
    )

    def cell(agree: int, steps: list[Any], ms: float | None = None) -> str:
        return f"{agree}/27 ({steps[0]}, {steps[1]})" + (f" {ms} ms" if ms is not None else "")

    rows = [
        [
            r["model"],
            cell(r["litert_builtin_agree"], r["litert_builtin_steps"]),
            *(cell(r[c]["agree"], r[c]["steps"], r[c]["invoke_p50_ms"]) for c in CONFIGS),
        ]
        for r in records
    ]
    header = ["model", "LiteRT builtin vs XNNPACK (steps mean, max)", *CONFIGS]
    print(markdown_table(header, rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
