"""``camviz bench``: does a model meet the frame budget on this device, and how near its ceiling?

The benchmark is :func:`camviz.bench.run_bench`; the device's ceiling (the highest
fps any pipeline could reach with this model here, from single-thread decode and
inference core time) is :func:`camviz.batch.ceiling.paired_share`. This prints
both, and exits 1 when a configuration is over budget or an entry of the source (a
photo or video of a folder, glob or image sequence) could not be read: each such entry
is named on stderr and in the JSON's ``errors``, and the rest is still benched.
``--threads auto`` benches 1..cores interpreter threads and picks the one with the best
real-time p95.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from camviz.cli.output import EXIT_FAILED, EXIT_OK, print_json
from camviz.defaults import THREADS

__all__ = ["cmd_bench", "add_bench_options", "thread_spec", "AUTO_MAX_THREADS"]

#: ``--threads auto`` tries 1 .. min(cores, this).
AUTO_MAX_THREADS = 8


def thread_spec(text: str) -> int | str:
    """``--threads``: a count of at least 1, or ``auto``."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number or 'auto', got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


def add_bench_options(p: argparse.ArgumentParser) -> None:
    """``--warmup`` and ``--ceiling-frames`` of ``camviz bench`` (called by the parser)."""
    p.add_argument(
        "--warmup",
        type=int,
        default=10,
        metavar="N",
        help="untimed invokes before the timed ones (benchmark_model's --warmup_runs)",
    )
    p.add_argument(
        "--ceiling-frames",
        type=int,
        default=100,
        metavar="N",
        help="frames timed for the device's ceiling (0: skip it)",
    )
    p.add_argument(
        "--op-profile",
        action="store_true",
        help="also time each operator of the model, on the default runtime (by timing the "
        "model's prefixes: its Python interpreter has no profiler); other models are refused "
        "naming the kind it takes",
    )
    p.add_argument(
        "--csv",
        type=Path,
        metavar="FILE",
        help="also write the results as CSV to FILE, one row per model and thread count "
        "(default: none)",
    )


def bench_source(args: argparse.Namespace) -> str:
    """The source bench reads: SOURCE, or ``--source`` (its old name, kept), not both;
    the demo when neither is given."""
    from camviz.defaults import DEMO
    from camviz.errors import OptionsError

    positional, option = getattr(args, "source", None), getattr(args, "source_option", None)
    if positional is not None and option is not None:
        raise OptionsError(
            f"two sources given, {positional!r} and --source {option!r}: bench reads one "
            "(give it as SOURCE, or as --source)"
        )
    return str(positional if positional is not None else option if option is not None else DEMO)


def _report_skipped(entries: list[str]) -> None:
    """Each entry of the source that could not be read, once, on stderr (``--quiet`` or
    not: it is a failure, not progress)."""
    for entry in dict.fromkeys(entries):
        print(f"SourceError: {entry} (skipped)", file=sys.stderr)


def _planned() -> dict[str, dict[str, Any]]:
    """What ``--threads auto`` means for the window (live) and the file commands (lossless)
    on this machine, by the thread plan's rule, beside what bench measured."""
    from camviz.pipeline.threads import ThreadPlan, Workload

    return {
        "live": ThreadPlan.auto_plan(Workload.LIVE, gui=True).to_dict(),
        "lossless": ThreadPlan.auto_plan(Workload.LOSSLESS).to_dict(),
    }


def _threads(given: list[int | str] | None) -> tuple[tuple[int, ...], bool]:
    if not given:
        return (THREADS,), False
    auto = "auto" in given
    counts = [t for t in given if isinstance(t, int)]
    if auto:
        from camviz.pipeline.threads import usable_cores

        counts += range(1, min(usable_cores(), AUTO_MAX_THREADS) + 1)
    return tuple(dict.fromkeys(counts)), auto


def cmd_bench(args: argparse.Namespace) -> int:
    from camviz.backends import (
        AUTO,
        Accelerator,
        Delegate,
        canonical_backend_name,
        default_backend,
    )
    from camviz.batch.ceiling import paired_share
    from camviz.bench import (
        BenchOptions,
        format_stages,
        format_table,
        machine_description,
        pick_threads,
        plot,
        results_csv,
        results_json,
        run_bench,
    )
    from camviz.errors import OptionsError

    if args.warmup < 0 or args.ceiling_frames < 0:
        raise OptionsError("--warmup and --ceiling-frames must be 0 or more")
    args.source = bench_source(args)
    threads, auto = _threads(args.threads)
    backend = getattr(args, "backend", "auto")
    if backend == "all":
        return _compare_runtimes(args, threads[0])
    backend = canonical_backend_name(backend)  # OptionsError naming --backend's choices
    interpreter = default_backend()  # the runtime --op-profile times the operators on
    if getattr(args, "op_profile", False) and backend not in (AUTO, interpreter.name):
        raise OptionsError(
            f"--op-profile times each operator on {interpreter.title}, not {backend}: "
            f"drop --op-profile, or bench with --backend {interpreter.name}"
        )
    opts = BenchOptions(
        models=tuple(args.model or [""]),
        threads=threads,
        source=args.source,
        frames=args.frames,
        budget_ms=args.budget_ms,
        invokes=args.invokes,
        warmup=args.warmup,
        delegate=Delegate.parse(args.delegate),
        backend=backend,
        accelerator=Accelerator.parse(getattr(args, "accelerator", "cpu")),
    )

    def progress(message: str) -> None:
        if not args.quiet:
            print(f"bench: {message}", file=sys.stderr, flush=True)

    if args.plot:
        from camviz.batch.plots import require_plot

        require_plot("Plotting benchmark results")
    results = run_bench(opts, progress)
    ceilings: list[Any] = []
    if args.ceiling_frames:
        for r in results:
            progress(f"{r.model}, {r.threads} threads: the device's ceiling")
            options = opts.classifier_options(r.model, r.threads)
            ceilings.append(paired_share(opts.source, options, ceiling_frames=args.ceiling_frames))
    picked = _pick(results) if auto else None
    chosen = pick_threads(results) if auto else None
    profiles: list[tuple[Any, Any]] = []
    if getattr(args, "op_profile", False):
        from camviz.bench.ops import op_profile

        for r in results:
            progress(f"{r.model}, {r.threads} threads: per-operator times")
            r.op_profile = [t.to_dict() for t in op_profile(r.model, r.threads)]
            profiles.append((r, r.op_profile))
    if getattr(args, "csv", None) is not None:
        from camviz.fileio import write_bytes_atomic

        table = results_csv(results, [c.to_dict() for c in ceilings])
        write_bytes_atomic(args.csv, table.encode("utf-8"))
    if args.json:
        records = [r.to_dict() for r in results]
        for record, ceiling in zip(records, ceilings, strict=False):
            record["ceiling"] = ceiling.to_dict()
        payload: Any = (
            results_json(results)
            if not ceilings
            else (records[0] if len(records) == 1 else records)
        )
        if picked is not None:
            payload = {
                "threads_auto": picked,
                "threads_chosen": chosen,
                "threads_plan": _planned(),
                "results": records,
            }
        print_json(
            {"machine": machine_description(), "results": payload} if args.machine else payload
        )
    else:
        print(format_table(results))
        print(
            f"budget {opts.budget_ms:g} ms; e2e = capture to result in the real-time run "
            f"(source paced, latest frame wins); x = lossless pipeline fps / sequential fps"
        )
        print()
        print(format_stages(results))
        for r in results:
            if r.plan is not None:
                print(f"threads {r.model} {r.threads}: {r.plan.why}")
            print(f"runs on {r.model} {r.threads}: {r.runtime} · {r.device}")
        if profiles:
            from camviz.bench.ops import OpTime, format_op_profile

            for r, rows in profiles:
                times = [OpTime(**row) for row in rows]
                print(format_op_profile(r.model, r.threads, times))
        for r, paired in zip(results, ceilings, strict=False):
            c = paired.ceiling
            print(
                f"ceiling {r.model} {r.threads} thr: {c.fps:.1f} fps ({c.limit}-bound: decode "
                f"{c.decode_ms:.2f} ms/frame on one thread, inference {c.infer_ms:.2f} ms wall, "
                f"{c.infer_core_ms:.2f} core-ms, {c.cores} cores); the lossless pipeline "
                f"reaches {paired.share * 100:.0f}% of it (median of {len(paired.rounds)} "
                "rounds, each measuring both back to back)"
            )
        if picked is not None and chosen is not None:
            best = min(results, key=lambda r: r.realtime.snapshot.e2e_ms.p95)
            print(
                f"threads auto: {picked} (best real-time p95 end-to-end "
                f"{best.realtime.snapshot.e2e_ms.p95:.1f} ms of {', '.join(map(str, threads))})"
            )
            lossless = chosen["lossless"]
            print(
                f"threads auto for lossless throughput: {lossless['threads']} "
                f"({lossless['fps']:.1f} fps, {lossless['why']})"
            )
            for work, plan in _planned().items():
                print(f"--threads auto elsewhere, {work}: {plan['why']}")
    if args.plot:
        plot(results, args.plot)
    over = [r for r in results if r.over_budget and (picked is None or r.threads == picked)]
    for r in over:
        print(
            f"over budget: {r.model} with {r.threads} threads has p95 end-to-end "
            f"{r.realtime.snapshot.e2e_ms.p95:.1f} ms > {opts.budget_ms:g} ms",
            file=sys.stderr,
        )
    skipped = [entry for r in results for entry in r.skipped]
    _report_skipped(skipped)
    return EXIT_FAILED if over or skipped else EXIT_OK


#: Frames of the source ``--backend all`` feeds every runtime (full-size frames are kept).
COMPARE_FRAMES = 8


def _compare_runtimes(args: argparse.Namespace, threads: int) -> int:
    """``bench --backend all``: every installed runtime that reads the model, on the same
    frames of ``--source`` (:func:`camviz.runtimes.compare_runtimes`); the fastest is
    remembered for ``--backend auto``."""
    from camviz.bench.runs import skipped_entries
    from camviz.runtimes import compare_runtimes, format_runtimes
    from camviz.sources import open_source

    frames: list[Any] = []
    with open_source(args.source, pace=False, loop=True) as source:
        while len(frames) < COMPARE_FRAMES and (frame := source.read()) is not None:
            frames.append(frame.image)
    skipped = skipped_entries(source)
    report: dict[str, Any] = {
        "source": args.source,
        "threads": threads,
        "models": {},
        "errors": skipped,
    }
    for model in args.model or [""]:
        if not args.quiet:
            print(f"bench: {model or 'the default model'} on every runtime", file=sys.stderr)
        runs = compare_runtimes(
            model,
            frames,
            threads=threads,
            accelerator=args.accelerator,
            invokes=args.invokes,
            warmup=args.warmup,
        )
        report["models"][model or "default"] = [r.to_dict() for r in runs]
        if not args.json:
            print(format_runtimes(model or "default model", runs))
    if args.json:
        print_json(report)
    _report_skipped(skipped)
    return EXIT_FAILED if skipped else EXIT_OK


def _pick(results: list[Any]) -> int:
    """The thread count with the best real-time p95 end-to-end latency (first model's)."""
    first = results[0].model
    best = min(
        (r for r in results if r.model == first), key=lambda r: r.realtime.snapshot.e2e_ms.p95
    )
    return int(best.threads)
