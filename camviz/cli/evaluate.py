"""``camviz eval DATA``: top-1/top-5 accuracy and latency of models on a labelled set.

The scoring is :func:`camviz.evaluate.evaluate_model`; this only prints it.
"""

from __future__ import annotations

import argparse
import sys

from camviz.cli.output import EXIT_FAILED, EXIT_OK, Progress, mb, print_json, table

__all__ = ["cmd_eval"]


def cmd_eval(args: argparse.Namespace) -> int:
    from camviz.backends import Delegate
    from camviz.evaluate import evaluate_models

    def progress(model: str) -> Progress:
        return Progress(f"eval {model or 'default model'}", enabled=not args.no_progress)

    evaluation = evaluate_models(
        args.model or [""], args.data, args.threads, progress, Delegate.parse(args.delegate)
    )
    for failure in evaluation.failures:
        print(failure, file=sys.stderr)
    code = EXIT_FAILED if evaluation.failures else EXIT_OK
    if args.json:
        print_json(evaluation.to_dict())
        return code
    rows = [
        ["model", "images", "top-1", "top-5", "scored in", "latency p50", "latency p95", "size"]
    ]
    for s in evaluation.scores:
        latency = s.to_dict()["latency_ms"]
        rows.append(
            [
                s.model,
                str(s.images),
                f"{s.top1_acc * 100:.1f}%",
                f"{s.top5_acc * 100:.1f}%",
                s.index_space,
                f"{latency['p50']:.2f} ms",
                f"{latency['p95']:.2f} ms",
                mb(s.file_bytes),
            ]
        )
    table(rows)
    print(f"latency: preprocess + invoke + postprocess per image, {args.threads} threads")
    print(
        "scored in: imagenet-1k (a 1001-class model's output i is ImageNet class i-1), "
        "or model (its own output indices)"
    )
    return code
