"""``camviz bench``: does a model meet the frame budget on this device?

The benchmark is :func:`camviz.bench.run_bench`; this prints it and exits 1 when a
configuration is over budget.
"""

from __future__ import annotations

import argparse
import sys

from camviz.cli.output import EXIT_FAILED, EXIT_OK, print_json
from camviz.defaults import THREADS

__all__ = ["cmd_bench"]


def cmd_bench(args: argparse.Namespace) -> int:
    from camviz.bench import (
        BenchOptions,
        format_table,
        machine_description,
        plot,
        results_json,
        run_bench,
    )

    opts = BenchOptions(
        models=tuple(args.model or [""]),
        threads=tuple(args.threads or [THREADS]),
        source=args.source,
        frames=args.frames,
        budget_ms=args.budget_ms,
        invokes=args.invokes,
    )

    def progress(message: str) -> None:
        if not args.quiet:
            print(f"bench: {message}", file=sys.stderr, flush=True)

    results = run_bench(opts, progress)
    if args.plot:
        plot(results, args.plot)
    if args.json:
        payload = results_json(results)
        print_json(
            {"machine": machine_description(), "results": payload} if args.machine else payload
        )
    else:
        print(format_table(results))
        print(
            f"budget {opts.budget_ms:g} ms; e2e = capture to result in the real-time run "
            f"(source paced, latest frame wins); x = lossless pipeline fps / sequential fps"
        )
    over = [r for r in results if r.over_budget]
    for r in over:
        print(
            f"over budget: {r.model} with {r.threads} threads has p95 end-to-end "
            f"{r.realtime.snapshot.e2e_ms.p95:.1f} ms > {opts.budget_ms:g} ms",
            file=sys.stderr,
        )
    return EXIT_FAILED if over else EXIT_OK
