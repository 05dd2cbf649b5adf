"""The flags every command that takes a model shares, declared once: ``--threads``,
``--delegate``, ``--backend`` and ``--accelerator`` (classify, eval, models, bench, compare,
explain, teach). ``camviz.cli.parser`` and the command modules that register themselves
(compare, explain) add them from here, so each has one name, one type and one help text."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Literal

from camviz.cli.numbers import thread_count
from camviz.defaults import DELEGATE, THREADS

__all__ = [
    "ACCELERATOR_HELP",
    "BACKEND_HELP",
    "DELEGATE_HELP",
    "SHARED_HELP",
    "THREADS_AUTO_HELP",
    "THREADS_HELP",
    "add_backend_options",
    "add_delegate",
    "add_runtime_options",
    "add_threads",
    "apply_thread_plan",
    "thread_request",
]

DELEGATE_HELP = (
    f"where the model runs: {DELEGATE} (the default: the runtime's fast CPU kernels), cpu "
    "(its reference kernels only), or a delegate library with options, e.g. "
    "/usr/lib/libedgetpu.so.1:device=usb"
)
THREADS_HELP = "interpreter threads"
#: What ``auto`` means, after the default in ``--threads``'s help.
THREADS_AUTO_HELP = (
    "or auto: planned for the cores this process may use (every core on 2; one kept for "
    "decoding from 3 or 4 on)"
)
#: ``--backend``'s help, the window's and every command's (one wording for ``auto``).
BACKEND_HELP = (
    "which runtime runs the model: auto (the file's own: the one bench --backend all "
    "measured fastest for it here, else the first installed that reads it; the default), "
    "litert, onnxruntime or openvino (the last two need camviz[onnx] / camviz[openvino])"
)
#: ``--accelerator``'s help, the window's and every command's.
ACCELERATOR_HELP = (
    "the device it runs on: cpu (the default), gpu or npu (an error names what is missing)"
)
#: The help of the flags the window and the commands share, by live option name.
SHARED_HELP = {"backend": BACKEND_HELP, "accelerator": ACCELERATOR_HELP}


def thread_request(
    workload: Literal["live", "lossless"] = "lossless", *, gui: bool = False
) -> Callable[[str], int]:
    """The ``--threads`` type: a count (:func:`~camviz.cli.numbers.thread_count`) or
    ``auto``, the interpreter count of the thread plan for ``workload`` on this machine
    (:meth:`camviz.pipeline.threads.ThreadPlan.auto_plan`)."""

    def parse(text: str) -> int:
        if text.strip().lower() != "auto":
            try:
                return thread_count(text)
            except argparse.ArgumentTypeError as exc:
                raise argparse.ArgumentTypeError(f"{exc} (or auto)") from None
        from camviz.pipeline.threads import ThreadPlan, Workload  # heavy: only for auto

        return ThreadPlan.auto_plan(Workload(workload), gui=gui).interpreter

    parse.__name__ = "threads"  # argparse names the type in its error message
    return parse


def add_threads(
    parser: argparse.ArgumentParser, workload: Literal["live", "lossless"] = "lossless"
) -> None:
    """``--threads N|auto``; ``auto`` is planned for ``workload`` (files classified as fast
    as they decode are lossless work)."""
    parser.add_argument(
        "--threads",
        type=thread_request(workload),
        default=THREADS,
        metavar="N",
        help=f"{THREADS_HELP} (default: %(default)s), {THREADS_AUTO_HELP}",
    )


def apply_thread_plan(args: argparse.Namespace) -> None:
    """The thread plan's process-wide part for a command that runs a model (it has
    ``--threads``): OpenCV's own pool off, so its resizes do not compete with the
    interpreter's threads (:class:`camviz.pipeline.threads.ThreadPlan`). Commands
    without a model are left alone (and do not import OpenCV for it)."""
    if not (hasattr(args, "threads") or hasattr(args, "g_threads")):
        return
    from camviz.pipeline.threads import ThreadPlan

    threads = getattr(args, "threads", None) or getattr(args, "g_threads", None) or THREADS
    ThreadPlan.for_threads(threads if isinstance(threads, int) else THREADS).apply()


def add_delegate(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--delegate", default=DELEGATE, metavar="DELEGATE", help=DELEGATE_HELP)


def add_backend_options(parser: argparse.ArgumentParser) -> None:
    """``--backend`` and ``--accelerator``: which runtime and device run the model."""
    parser.add_argument("--backend", default="auto", metavar="RUNTIME", help=BACKEND_HELP)
    parser.add_argument("--accelerator", default="cpu", metavar="DEVICE", help=ACCELERATOR_HELP)


def add_runtime_options(parser: argparse.ArgumentParser) -> None:
    """All four: how many threads, which delegate, runtime and device run the model."""
    add_threads(parser)
    add_delegate(parser)
    add_backend_options(parser)
