"""What a command module needs of ``argparse``'s subparsers to add its command: ``add_parser``.

A public protocol, so that modules adding a command (``compare``, ``explain``) need not name
``argparse``'s private ``_SubParsersAction`` type.
"""

from __future__ import annotations

import argparse
from typing import Any, Protocol

__all__ = ["Subcommands"]


class Subcommands(Protocol):
    """``parser.add_subparsers()``'s result, as far as adding a command goes."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser: ...
