"""The ``camviz`` command line: a thin layer that parses, calls the core, and prints.

``camviz`` alone opens the window; subcommands work headless::

    camviz classify PATH...     classify photos or folders of photos
    camviz models               the model zoo, with latency measured here and now
    camviz eval DATA            top-1/top-5 accuracy and latency on a labelled set
    camviz bench                frame-budget benchmark of the live pipeline
    camviz teach DATA --out M.head.npz   teach new classes from photos and videos
    camviz export-head M.head.npz --out M.tflite   a taught model as one int8 .tflite
    camviz cameras              list the cameras OpenCV can open

Errors print as ``Type: message`` on stderr and the exit code is non-zero. Everything
a command prints goes through :func:`camviz.errors.terminal_safe` (control characters
from file names, labels, sources and messages are escaped; JSON output has none raw).

What lives here: ``parser`` (the argparse tree), ``output`` (exit codes, progress bar,
tables), and one module per command group, each a ``cmd_*`` function that calls the
core and prints what it returns: ``classify``, ``models``, ``evaluate``, ``bench``,
``teach`` (teach, export-head), ``cameras``, ``gui``.

Layer: the top, with ``camviz.qt``; it may import any camviz module (heavy ones lazily,
inside the command that needs them) and nothing imports it but ``camviz.__main__``
and the ``camviz`` console script.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from camviz.cli.flags import apply_thread_plan
from camviz.cli.globals import apply_global_options
from camviz.cli.output import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from camviz.cli.parser import build_parser
from camviz.errors import CamvizError, OutputError, format_error, terminal_safe

__all__ = ["main", "build_parser", "interrupted_message"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``camviz`` command; returns its exit code."""
    parser = build_parser()
    with _escaped_streams():  # argparse echoes what it was given (unknown options, values)
        try:
            args = parser.parse_args(argv)
        except StdoutError as exc:  # `camviz --help > /dev/full`
            return _stdout_failed(exc)
        apply_global_options(parser, args)
    apply_thread_plan(args)
    _escape_log_lines()
    with _escaped_streams():  # every text line of every command (JSON has no raw controls)
        try:
            code = int(args.func(args))
            sys.stdout.flush()  # a full disk behind `> file` fails here, not at exit
            return code
        except StdoutError as exc:  # `camviz classify ... > /dev/full`: one line, no traceback
            return _stdout_failed(exc)
        except CamvizError as exc:
            print(terminal_safe(format_error(exc)), file=sys.stderr)
            return EXIT_FAILED
        except KeyboardInterrupt:
            print(interrupted_message(args), file=sys.stderr)
            return EXIT_INTERRUPTED
        except BrokenPipeError:  # `camviz classify --json ... | head`: the reader has gone
            _silence_stdout()
            return EXIT_OK


def interrupted_message(args: Any) -> str:
    """What Ctrl-C stopped, that what was written is valid (files are written whole, by
    atomic replace, and JSON or CSV lines one at a time), and ``--resume`` where the
    command has it."""
    command = getattr(args, "command", None)
    what = f"camviz {command}" if command else "the window"
    text = f"Interrupted: {what} was stopped; the output it had written is valid"
    if hasattr(args, "resume"):
        text += ", and the same command with --resume continues where it stopped"
    return text


class StdoutError(OutputError):
    """Standard output cannot be written (``> /dev/full``, a full disk, ``ulimit -f``)."""


class _EscapingStream:
    """A text stream writing through :func:`terminal_safe` (newlines kept).

    ``unescaped`` is the stream itself, for the progress bar (tqdm redraws with CR).
    On standard output (``name``) an :class:`OSError` other than a closed pipe is a
    :class:`StdoutError` naming the cause.
    """

    def __init__(self, stream: Any, name: str | None = None) -> None:
        self._stream = stream
        self._name = name
        self.unescaped = getattr(stream, "unescaped", stream)

    def write(self, text: str) -> int:
        with self._reported():
            return int(self._stream.write(terminal_safe(text, lines=True)))

    def flush(self) -> None:
        with self._reported():
            self._stream.flush()

    @contextlib.contextmanager
    def _reported(self) -> Iterator[None]:
        try:
            yield
        except BrokenPipeError:
            raise
        except OSError as exc:
            if self._name is None:
                raise
            cause = os.strerror(exc.errno) if exc.errno else str(exc)
            raise StdoutError(f"cannot write to {self._name}: {cause}") from exc

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _escape_record(record: logging.LogRecord) -> bool:
    record.msg, record.args = terminal_safe(record.getMessage()), None
    return True


def _escape_log_lines() -> None:
    """Log lines (camviz's warnings name models and files) through :func:`terminal_safe`."""
    handlers = [*logging.getLogger().handlers, logging.lastResort]
    for handler in handlers:
        if handler is not None and _escape_record not in handler.filters:
            handler.addFilter(_escape_record)


@contextlib.contextmanager
def _escaped_streams() -> Iterator[None]:
    """``sys.stdout`` and ``sys.stderr`` through :func:`terminal_safe` meanwhile: whatever a
    command prints (names, labels, sources, messages from outside) reaches the terminal
    escaped, even from code that did not escape it itself."""
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _EscapingStream(out, "standard output"), _EscapingStream(err)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err


def _stdout_failed(exc: StdoutError) -> int:
    print(terminal_safe(format_error(exc)), file=sys.stderr)
    _silence_stdout()
    return EXIT_FAILED


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
