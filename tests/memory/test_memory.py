"""``camviz.memory``: freed frame memory goes back to the system when asked.

Run in a child so that the allocator's state is this test's alone: a worker thread
makes and drops 4K-frame-sized arrays as a capture thread does (four in flight), then
one small array outlives them, which is what keeps glibc from trimming on its own.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from ..conftest import ROOT

CHILD = """
import threading
import numpy as np
from camviz.memory import release_freed_memory

def rss_mb():
    status = open("/proc/self/status").read()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024

held = []

def capture():
    frames = []
    for i in range(16):
        frames.append(np.full(25_000_000, i, np.uint8))  # a 4K frame's worth, written
        if len(frames) > 4:
            frames.pop(0)
    held.append(np.ones(1000, np.uint8))
    frames.clear()

worker = threading.Thread(target=capture)
worker.start()
worker.join()
before = rss_mb()
released = release_freed_memory()
print(before, rss_mb(), released)
"""


def _libc_trims() -> bool:
    import ctypes

    try:
        return hasattr(ctypes.CDLL(None), "malloc_trim")
    except OSError:
        return False


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or not _libc_trims(),
    reason="malloc_trim is glibc's; this C library has none",
)
def test_freed_frames_leave_the_resident_set() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr
    before, after, released = done.stdout.split()
    # four 25 MB frames were free but resident; afterwards they are gone
    assert released == "True"
    assert float(before) - float(after) > 75.0, (before, after)


def test_without_malloc_trim_it_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    from camviz import memory

    monkeypatch.setattr(memory, "_malloc_trim", lambda: None)
    assert memory.release_freed_memory() is False
