"""Options given before the command: honoured where the command has them, refused where not.

``camviz --model squeezenet1_1_int8 classify x.png`` classifies with SqueezeNet:
the window's options (``--model``, ``--threads``, ``--delegate``, ``--backend``,
``--accelerator``, ``--source``, ``--quit-after``, ``--stats-json``) also fill a command's
option of the same name when that was not given after the command. Given both ways with
different values, or given to a command that has no such option, they are a usage error:
never silently ignored.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Any

from camviz.defaults import THREADS
from camviz.live_options import option_specs

__all__ = ["GLOBAL_OPTIONS", "apply_global_options", "set_verbosity"]

#: window option -> (its dest before the command, the window's default)
GLOBAL_OPTIONS: dict[str, tuple[str, Any]] = {
    "source": ("g_source", None),
    "model": ("g_model", ""),
    "threads": ("g_threads", THREADS),
    "quit_after": ("g_quit_after", None),
    "stats_json": ("g_stats_json", None),
    "delegate": ("g_delegate", None),
    # and the rest of the live-options table's flags (--backend, --accelerator): the window's
    # default is the session's own
    **{
        spec.name: (f"g_{spec.name}", None)
        for spec in option_specs()
        if spec.cli_flag and spec.name not in ("threads", "delegate")
    },
}


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _command_parser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    """The parser of ``command`` (the top parser keeps them: CamvizParser.commands)."""
    found = getattr(parser, "commands", {}).get(command)
    if not isinstance(found, argparse.ArgumentParser):
        raise KeyError(command)
    return found


def _appends(parser: argparse.ArgumentParser, dest: str) -> bool:
    """True if the command's option collects a list (``--model`` repeatable, as eval's)."""
    return dest in getattr(parser, "repeatable", ())


#: FFmpeg's ``AV_LOG_QUIET``, for ``OPENCV_FFMPEG_LOGLEVEL``. Only ever set to it: with any
#: other level OpenCV prints FFmpeg's lines to standard output, into the results.
FFMPEG_QUIET = "-8"


def set_verbosity(verbose: bool) -> None:
    """Keep OpenCV's own log lines (``[ WARN:0@0.087] ... cap_v4l.cpp``) and those of the
    FFmpeg inside it (``[mov,mp4,... @ 0x...] moov atom not found``) off the terminal unless
    ``--verbose``: camviz's errors say what went wrong in one line. Levels the user set in
    ``OPENCV_LOG_LEVEL`` and ``OPENCV_FFMPEG_LOGLEVEL`` are kept (OpenCV reads the second
    when it first opens a video, so setting it here is in time). ``--verbose`` also shows
    camviz's log, and FFmpeg's errors as FFmpeg prints them (to standard error)."""
    level = "INFO" if verbose else "SILENT"
    if verbose:
        os.environ["OPENCV_LOG_LEVEL"] = level
        if os.environ.get("OPENCV_FFMPEG_LOGLEVEL") == FFMPEG_QUIET:  # asked for its lines
            del os.environ["OPENCV_FFMPEG_LOGLEVEL"]
        logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stderr)
    else:
        level = os.environ.setdefault("OPENCV_LOG_LEVEL", level)
        os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", FFMPEG_QUIET)
    cv2 = sys.modules.get("cv2")  # read at import; an OpenCV already loaded is told directly
    if cv2 is not None:
        codes = {"SILENT": 0, "FATAL": 1, "ERROR": 2, "WARNING": 3, "INFO": 4, "DEBUG": 5}
        utils = getattr(cv2, "utils", None)
        logger = getattr(utils, "logging", None)
        if logger is not None and level.upper() in codes:
            logger.setLogLevel(codes[level.upper()])


def apply_global_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Fill ``args`` for the command from the options given before it (see the module),
    and set how much the libraries may log (:func:`set_verbosity`)."""
    set_verbosity(bool(getattr(args, "verbose", False)))
    command = getattr(args, "command", None)
    given = {
        name: getattr(args, dest)
        for name, (dest, _) in GLOBAL_OPTIONS.items()
        if getattr(args, dest, None) is not None
    }
    for _, (dest, _) in GLOBAL_OPTIONS.items():
        if hasattr(args, dest):
            delattr(args, dest)
    if command is None:  # the window
        for name, (_, default) in GLOBAL_OPTIONS.items():
            setattr(args, name, given.get(name, default))
        return
    sub = _command_parser(parser, command)
    for name, value in given.items():
        if not hasattr(args, name):
            parser.error(
                f"{_flag(name)} is an option of the window; `camviz {command}` has no "
                f"{_flag(name)} (drop it, or give it after the command if it takes one)"
            )
        current, default = getattr(args, name), sub.get_default(name)
        wanted = [value] if _appends(sub, name) else value
        if current not in (default, None) and current != wanted:
            parser.error(
                f"{_flag(name)} given twice with different values ({value!r} before "
                f"`{command}`, {current!r} after it); give it once"
            )
        setattr(args, name, wanted)
