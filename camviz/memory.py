"""Giving the memory of freed frames back to the system.

A video source's decoder and the frames it returns are the largest allocations camviz
makes (a 4K frame is 25 MB, its decoder holds about 110 MB). glibc's allocator keeps
what they free in its arenas for reuse: after a source closes, its memory is free
but still resident, and the next source's buffers seldom fit the holes it left. A
benchmark that opens a 4K clip a dozen times grew from 430 to 740 MB that way.

:func:`release_freed_memory` asks the C library to return free pages of every arena
to the system (``malloc_trim``). :class:`camviz.sources.Source` calls it once when a
source closes, never per frame. Where the C library has no ``malloc_trim`` (musl,
macOS, Windows) it does nothing.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable
from functools import cache

__all__ = ["release_freed_memory"]


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)  # the C library the process already runs on
    except OSError:
        return None
    trim = getattr(libc, "malloc_trim", None)  # glibc's; musl has none
    if trim is None:
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim  # type: ignore[no-any-return]


def release_freed_memory() -> bool:
    """Return the free pages of the C allocator's arenas to the system.

    True when some memory was returned; False when none was, or the C library cannot.
    Takes about a millisecond per hundred megabytes held, so call it when a large
    working set is let go (a source closing), not per frame.
    """
    trim = _malloc_trim()
    return bool(trim(0)) if trim is not None else False
