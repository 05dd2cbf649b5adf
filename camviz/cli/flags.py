"""The flags every command that takes a model shares, declared once: ``--threads``,
``--delegate``, ``--backend`` and ``--accelerator`` (classify, eval, models, bench, compare,
explain, teach). ``camviz.cli.parser`` and the command modules that register themselves
(compare, explain) add them from here, so each has one name, one type and one help text."""

from __future__ import annotations

import argparse

from camviz.cli.numbers import thread_count
from camviz.defaults import THREADS

__all__ = [
    "ACCELERATOR_HELP",
    "BACKEND_HELP",
    "DELEGATE_HELP",
    "THREADS_HELP",
    "add_backend_options",
    "add_delegate",
    "add_runtime_options",
    "add_threads",
]

DELEGATE_HELP = (
    "where the model runs: xnnpack (CPU with XNNPACK, the default), cpu (XNNPACK off), "
    "or a delegate library with options, e.g. /usr/lib/libedgetpu.so.1:device=usb"
)
THREADS_HELP = "interpreter threads"
BACKEND_HELP = (
    "which runtime runs the model: auto (the file's own, the default), litert, onnxruntime "
    "or openvino (the last two need camviz[onnx] / camviz[openvino])"
)
ACCELERATOR_HELP = (
    "the device it runs on: cpu (default), gpu or npu (an error names what is missing)"
)


def add_threads(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--threads", type=thread_count, default=THREADS, metavar="N", help=THREADS_HELP
    )


def add_delegate(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--delegate", default="xnnpack", metavar="DELEGATE", help=DELEGATE_HELP)


def add_backend_options(parser: argparse.ArgumentParser) -> None:
    """``--backend`` and ``--accelerator``: which runtime and device run the model."""
    parser.add_argument("--backend", default="auto", metavar="RUNTIME", help=BACKEND_HELP)
    parser.add_argument("--accelerator", default="cpu", metavar="DEVICE", help=ACCELERATOR_HELP)


def add_runtime_options(parser: argparse.ArgumentParser) -> None:
    """All four: how many threads, which delegate, runtime and device run the model."""
    add_threads(parser)
    add_delegate(parser)
    add_backend_options(parser)
