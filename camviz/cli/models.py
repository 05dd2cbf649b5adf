"""``camviz models [MODEL...]``: the model zoo, or any model files, with latency measured here.

The measuring is :mod:`camviz.zoo_report`; this only prints it.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from camviz.cli.output import EXIT_FAILED, EXIT_OK, mb, pct, print_json, table, terminal_safe

__all__ = ["cmd_models", "runtime_text"]


def cmd_models(args: argparse.Namespace) -> int:
    if args.paths:
        return _describe(args)
    from camviz.zoo_report import zoo_report

    report = zoo_report(
        threads=args.threads, runs=args.runs, measure=not args.no_measure, warmup=args.warmup
    )
    if args.json:
        print_json(report.to_dict())
        return EXIT_OK
    rows = [
        [
            "name",
            "input",
            "dtype",
            "size",
            "top-1 (published)",
            f"latency ({args.threads} thr)",
            "runtime",
        ]
    ]
    for m in report.models:
        rows.append(
            [
                m.name + (" *" if m.default else ""),
                "x".join(str(v) for v in m.input_size),
                m.dtype,
                mb(m.file_bytes) if m.file_bytes else "missing",
                pct(m.published_top1),
                f"{m.latency_ms:.2f} ms" if m.latency_ms is not None else m.error or "-",
                runtime_text(m.runtime, m.device, m.delegate) if m.runtime else "-",
            ]
        )
    table(rows)
    print(
        "* default model; latency: not measured (--no-measure)"
        if args.no_measure
        else "* default model; latency: median invoke here and now, after warm-up"
    )
    return EXIT_OK


def runtime_text(runtime: str, device: str, delegate: str | None) -> str:
    """``openvino on CPU``; for LiteRT's Interpreter, with its delegate: ``litert on CPU,
    delegate xnnpack``. ``delegate`` is ignored where no delegate runs (another runtime, or
    LiteRT's CompiledModel on a GPU or NPU)."""
    from camviz.backends import delegate_runs

    text = f"{runtime} on {device}"
    return f"{text}, delegate {delegate}" if delegate and delegate_runs(runtime, device) else text


def _normalisation(d: dict[str, Any]) -> str:
    prep = d["preprocessing"]
    if prep.get("mapping") == "raw":
        return "raw pixels"
    mean, std = prep["mean"], prep["std"]
    same = len(set(mean)) == 1 and len(set(std)) == 1
    return f"(x - {mean[0]:g}) / {std[0]:g}" if same else f"(x - {mean}) / {std}"


def _display_names(names: dict[str, Any]) -> str:
    offered = ", ".join(names["available"])
    if names["locale"] is None:
        shown = "the labels' first synonyms"
        return f"{shown}  [metadata offers {offered}]" if offered else shown
    return f"{names['locale']}  [model metadata; offers {offered}]"


def _rows(d: dict[str, Any]) -> list[tuple[str, str]]:
    width, height = d["input_size"]
    quant = d["input_quantization"]
    dtype = d["dtype"] + (
        f" (scale {quant['scale']:.6g}, zero point {quant['zero_point']})" if quant else ""
    )
    background = d["background_index"]
    return [
        ("input", f"1x{height}x{width}x3 {dtype}"),
        ("normalisation", f"{_normalisation(d)}  [{d['mapping_source']}]"),
        ("labels", f"{d['num_classes']}  [{d['labels_source']}]"),
        ("display names", _display_names(d["display_names"])),
        ("label layout", d["label_layout"]),
        (
            "output",
            d["output"] + ("" if background is None else f", background class {background}"),
        ),
        ("file size", mb(d["file_bytes"])),
        ("runtime", runtime_text(d["runtime"], d["device"], d["delegate"])),
        ("load", f"{d['load_ms']:.1f} ms"),
        ("invoke", "-" if d["latency_ms"] is None else f"{d['latency_ms']:.2f} ms (median)"),
    ]


def _describe(args: argparse.Namespace) -> int:
    from camviz.backends import Delegate, runtime_devices
    from camviz.zoo_report import describe_models

    facts = describe_models(
        list(args.paths),
        threads=args.threads,
        runs=args.runs,
        warmup=args.warmup,
        measure=not args.no_measure,
        delegate=Delegate.parse(args.delegate),
        backend=args.backend,
        accelerator=args.accelerator,
    )
    failed = [f for f in facts if f.error is not None]
    for f in failed:
        print(terminal_safe(f"{f.model}: {f.error}"), file=sys.stderr)
    if args.json:
        print_json(
            {
                "threads": args.threads,
                "runtimes": {k: v.to_dict() for k, v in runtime_devices().items()},
                "models": [f.to_dict() for f in facts],
            }
        )
        return EXIT_FAILED if failed else EXIT_OK
    for f in facts:
        if f.info is None:
            continue
        table([["model", f.model], *[[k, v] for k, v in _rows(f.to_dict())]])
        print()
    print(
        "invoke: not measured (--no-measure)"
        if args.no_measure
        else f"invoke: median of {args.runs} invokes here and now, {args.threads} threads"
    )
    for name, here in runtime_devices().items():  # what --backend and --accelerator can take
        lists = f" ({', '.join(here.lists)})" if here.lists else ""
        print(
            f"{here.version}: --backend {name}, --accelerator {', '.join(here.accelerators)}{lists}"
        )
    return EXIT_FAILED if failed else EXIT_OK
