"""``--backend auto`` remembered: the runtime measured fastest for one model on this machine.

:func:`camviz.runtimes.compare_runtimes` (``camviz bench --backend all``) times every
installed runtime that reads a model on the same frames and calls :func:`remember`;
:func:`camviz.backends.backend_for` with ``auto`` asks :func:`remembered` before it
falls back to the file's own runtime. A choice is keyed on the model's sha256, the
accelerator, the runtimes' versions and the CPU, so a new runtime release, another
machine or a changed file measures again. The cache is one JSON file under the
user's cache folder (``$CAMVIZ_CACHE_DIR``, else ``$XDG_CACHE_HOME/camviz``, else
``~/.cache/camviz``); a cache that cannot be read or written is ignored.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
from collections.abc import Iterable
from pathlib import Path

__all__ = ["CACHE_NAME", "cache_path", "choice_key", "cpu_name", "remember", "remembered"]

CACHE_NAME = "backend_choice.json"
_MAX_ENTRIES = 500


def cache_path() -> Path:
    """Where remembered choices live (the file need not exist)."""
    folder = os.environ.get("CAMVIZ_CACHE_DIR") or ""
    if not folder:
        xdg = os.environ.get("XDG_CACHE_HOME") or ""
        base = Path(xdg) if xdg else Path.home() / ".cache"
        return base / "camviz" / CACHE_NAME
    return Path(folder).expanduser() / CACHE_NAME


def cpu_name() -> str:
    """The CPU's model name and core count, e.g. ``Intel(R) Xeon(R) Processor x2``."""
    name = ""
    with contextlib.suppress(OSError):
        for line in (
            Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines()
        ):
            if line.lower().startswith("model name"):
                name = line.partition(":")[2].strip()
                break
    return f"{name or platform.processor() or platform.machine()} x{os.cpu_count() or 1}"


def choice_key(sha256: str, accelerator: str, versions: Iterable[str]) -> str:
    return "|".join((sha256, accelerator, ";".join(sorted(versions)), cpu_name()))


def _read() -> dict[str, dict[str, object]]:
    try:
        data = json.loads(cache_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def remembered(key: str) -> str | None:
    """The backend remembered for ``key`` (None: nothing measured, or no readable cache)."""
    entry = _read().get(key)
    name = entry.get("backend") if isinstance(entry, dict) else None
    return name if isinstance(name, str) else None


def remember(key: str, backend: str, invoke_ms: dict[str, float]) -> Path | None:
    """Remember ``backend`` as the fastest for ``key`` (with what was measured); the cache
    file, or None when it cannot be written."""
    entries = _read()
    entries.pop(key, None)
    entries[key] = {"backend": backend, "invoke_ms_p50": invoke_ms}
    while len(entries) > _MAX_ENTRIES:
        entries.pop(next(iter(entries)))
    path = cache_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        temporary.write_text(json.dumps(entries, indent=1, sort_keys=False), encoding="utf-8")
        os.replace(temporary, path)
    except OSError:
        return None
    return path


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
