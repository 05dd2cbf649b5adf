"""``camviz models``: the model zoo, with latency measured here and now.

The measuring is :func:`camviz.zoo_report.zoo_report`; this only prints it.
"""

from __future__ import annotations

import argparse

from camviz.cli.output import EXIT_OK, mb, pct, print_json, table

__all__ = ["cmd_models"]


def cmd_models(args: argparse.Namespace) -> int:
    from camviz.zoo_report import zoo_report

    report = zoo_report(threads=args.threads, runs=args.runs, measure=not args.no_measure)
    if args.json:
        print_json(report.to_dict())
        return EXIT_OK
    rows = [
        ["name", "input", "dtype", "size", "top-1 (published)", f"latency ({args.threads} thr)"]
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
            ]
        )
    table(rows)
    print("* default model; latency: median interpreter invoke here and now, after warm-up")
    return EXIT_OK
