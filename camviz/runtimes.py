"""Every installed runtime on the same model file and frames (``camviz bench --backend all``).

No runtime is fastest for every model (LiteRT wins on the zoo's int8 files, OpenVINO
on its float ones on AVX-512 machines), and a user cannot know which to pick.
:func:`compare_runtimes` loads one model on each backend that reads its file
(:func:`camviz.backends.backends_for`), feeds each the very same input tensors, and
reports per runtime the invoke time (p50, p90) and top-1 agreement with the first
runtime; the fastest is remembered for ``--backend auto``
(:mod:`camviz.backends.choice`). A runtime that cannot load the model is reported
with its error; the others still run.
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from camviz import backends, limits
from camviz.backends import Accelerator, choice
from camviz.classifier import Classifier, ClassifierOptions
from camviz.errors import CamvizError, ModelNotFoundError, format_error
from camviz.fileio import read_regular_file
from camviz.zoo import resolve_model

__all__ = ["RuntimeRun", "compare_runtimes", "format_runtimes"]


@dataclass(frozen=True, slots=True)
class RuntimeRun:
    """One runtime on the model: where it ran, how fast, and whether it agreed."""

    backend: str
    version: str
    device: str = ""
    invoke_ms: tuple[float, ...] = field(default=(), repr=False)
    top1: tuple[int, ...] = ()
    agreement: float | None = None  # share of frames whose top-1 equals the first runtime's
    error: str | None = None

    @property
    def p50(self) -> float | None:
        return statistics.median(self.invoke_ms) if self.invoke_ms else None

    @property
    def p90(self) -> float | None:
        if not self.invoke_ms:
            return None
        return float(np.percentile(np.asarray(self.invoke_ms), 90))

    def to_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "version": self.version,
            "device": self.device,
            "invoke_ms": {
                "p50": None if self.p50 is None else round(self.p50, 3),
                "p90": None if self.p90 is None else round(self.p90, 3),
                "n": len(self.invoke_ms),
            },
            "top1_agreement": self.agreement,
            "error": self.error,
        }


def _prepare(
    options: ClassifierOptions, frames: list[npt.NDArray[np.uint8]], stack: ExitStack
) -> tuple[RuntimeRun, Classifier | None, list[npt.NDArray[Any]]]:
    backend = backends.BACKENDS[options.backend]
    try:
        clf = stack.enter_context(Classifier.create(options))
        tensors = [clf.preprocess(frame) for frame in frames]
        top1 = tuple(int(clf.probabilities(clf.invoke_raw(t)).argmax()) for t in tensors)
    except CamvizError as exc:
        return RuntimeRun(backend.name, backend.version(), error=format_error(exc)), None, []
    return RuntimeRun(backend.name, backend.version(), clf.info.device, (), top1), clf, tensors


def compare_runtimes(
    model: str,
    frames: list[npt.NDArray[np.uint8]],
    *,
    threads: int = 2,
    accelerator: Accelerator | str = Accelerator.CPU,
    invokes: int = 50,
    warmup: int = 5,
    rounds: int = 5,
    remember: bool = True,
) -> list[RuntimeRun]:
    """Time each installed runtime that reads ``model`` on the same ``frames``; the first
    runtime is the reference of the agreement. Remembers the fastest for ``--backend auto``.

    The runtimes take turns (``rounds`` blocks of ``invokes / rounds`` each), so a machine
    that gets busier or quieter during the run weighs on all of them alike.
    """
    if not frames:
        raise ModelNotFoundError("compare_runtimes needs at least one frame")
    path = resolve_model(model).path
    readers = [b for b in backends.backends_for(path) if b.installed()]
    accelerator = Accelerator.parse(accelerator)
    with ExitStack() as stack:
        prepared = [
            _prepare(
                ClassifierOptions(
                    model=model, threads=threads, backend=b.name, accelerator=accelerator
                ),
                frames,
                stack,
            )
            for b in readers
        ]
        times: list[list[float]] = [[] for _ in prepared]
        for _, clf, tensors in prepared:
            for i in range(warmup):
                if clf is not None:
                    clf.invoke_raw(tensors[i % len(tensors)])
        per_round = max(1, invokes // max(1, rounds))
        for _ in range(max(1, rounds)):
            for k, (_, clf, tensors) in enumerate(prepared):
                if clf is None:
                    continue
                for i in range(per_round):
                    tensor = tensors[i % len(tensors)]
                    start = time.perf_counter()
                    clf.invoke_raw(tensor)
                    times[k].append((time.perf_counter() - start) * 1000.0)
    first = next((run for run, clf, _ in prepared if clf is not None), None)
    runs = [
        run
        if clf is None or first is None
        else dataclasses.replace(
            run,
            invoke_ms=tuple(times[k]),
            agreement=sum(a == b for a, b in zip(run.top1, first.top1, strict=True))
            / len(run.top1),
        )
        for k, (run, clf, _) in enumerate(prepared)
    ]
    timed = {r.backend: r.p50 for r in runs if r.p50 is not None}
    if remember and len(timed) > 1:
        content = read_regular_file(
            path, limits.MAX_MODEL_BYTES, ModelNotFoundError, "models", "set CAMVIZ_MAX_MODEL_MB"
        )
        fastest = min(timed, key=lambda name: timed[name] or 0.0)
        choice.remember(
            backends.auto_choice_key(content, accelerator),
            fastest,
            {k: round(v or 0.0, 3) for k, v in timed.items()},
        )
    return runs


def format_runtimes(model: str, runs: list[RuntimeRun]) -> str:
    """One line per runtime: name and version, device, invoke p50/p90, top-1 agreement."""
    lines = [f"{model}:"]
    for r in runs:
        if r.error is not None:
            lines.append(f"  {r.backend:<12} {r.version:<22} {r.error}")
            continue
        agree = "-" if r.agreement is None else f"{r.agreement:.0%}"
        lines.append(
            f"  {r.backend:<12} {r.version:<22} {r.device:<22} "
            f"invoke p50 {r.p50:.2f} ms  p90 {r.p90:.2f} ms  top-1 agreement {agree}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m camviz.runtimes MODEL... [--photos DIR] [--threads N] [--json]``."""
    import argparse
    import json
    import sys
    from pathlib import Path

    from camviz.imageio import load_image

    parser = argparse.ArgumentParser(prog="python -m camviz.runtimes", description=__doc__)
    parser.add_argument("models", nargs="+", metavar="MODEL", help="zoo names or model files")
    parser.add_argument("--photos", type=Path, default=Path("assets/photos"), metavar="DIR")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--accelerator", default="cpu")
    parser.add_argument("--invokes", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    suffixes = (".jpg", ".jpeg", ".png", ".webp", ".bmp")
    photos = sorted(p for p in args.photos.rglob("*") if p.suffix.lower() in suffixes)
    try:
        frames = [load_image(p) for p in photos]
        results = {
            model: compare_runtimes(
                model,
                frames,
                threads=args.threads,
                accelerator=args.accelerator,
                invokes=args.invokes,
                rounds=args.rounds,
            )
            for model in args.models
        }
    except CamvizError as exc:
        print(format_error(exc), file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({m: [r.to_dict() for r in runs] for m, runs in results.items()}))
    else:
        for model, runs in results.items():
            print(format_runtimes(model, runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
