"""Issue 20's help rule, walked over every option of every command: help text, its default
(said once), and one metavar style (N, FILE, MODEL...: never argparse's dest in capitals)."""

from __future__ import annotations

import argparse

from camviz.cli.flags import ACCELERATOR_HELP, BACKEND_HELP
from camviz.cli.parser import HelpFormatter, build_parser

_NO_VALUE = (argparse._HelpAction, argparse._VersionAction, argparse._SubParsersAction)


def _problems() -> list[str]:
    parser = build_parser()
    found = []
    commands = {"camviz": parser, **parser.commands}  # type: ignore[attr-defined]
    for name, sub in commands.items():
        formatter = sub._get_formatter()
        for action in sub._actions:
            if isinstance(action, _NO_VALUE) or action.help == argparse.SUPPRESS:
                continue
            where = f"{name} {'/'.join(action.option_strings) or action.dest}"
            text = formatter._expand_help(action) if action.help else ""
            if not text:
                found.append(f"{where}: no help")
            if not action.option_strings or action.nargs == 0:
                continue  # a positional, or a switch (off unless given)
            if "default" not in text and not action.required:
                found.append(f"{where}: no default in {text!r}")
            if text.count("(default:") + text.count("; default:") > 1:
                found.append(f"{where}: the default twice in {text!r}")
            if action.metavar is None and not action.choices:
                found.append(f"{where}: metavar {action.dest.upper()} (argparse's, not N/FILE)")
    return found


def test_every_option_of_every_command_has_help_its_default_and_a_metavar() -> None:
    problems = _problems()
    assert not problems, "\n".join(problems)


def test_the_window_and_the_commands_say_backend_and_accelerator_alike() -> None:
    parser = build_parser()
    commands = {"camviz": parser, **parser.commands}  # type: ignore[attr-defined]
    for name, sub in commands.items():
        options = sub._option_string_actions
        if "--backend" in options:
            assert options["--backend"].help == BACKEND_HELP, name
        if "--accelerator" in options:
            assert options["--accelerator"].help == ACCELERATOR_HELP, name
    top = " ".join(parser.format_help().split())
    assert "the first installed that reads it; the default" in top
    assert "cpu (the default)" in top


def test_the_formatter_adds_a_default_its_help_already_names_with_percent_default() -> None:
    parser = argparse.ArgumentParser(formatter_class=HelpFormatter)
    parser.add_argument("--grid", type=int, default=12, help="cells a side (%(default)s)")
    parser.add_argument("--keep", type=int, default=8, help="how many")
    text = " ".join(parser.format_help().split())
    assert "cells a side (12)" in text and "(12) (default: 12)" not in text
    assert "how many (default: 8)" in text
