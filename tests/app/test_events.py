"""The Emitter: ordered callbacks, a failing one does not stop the others, thread safety."""

from __future__ import annotations

import threading

from camviz.app import Emitter


def test_emitter_order_disconnect_and_failing_callback() -> None:
    e: Emitter[int] = Emitter("n")
    got: list[tuple[str, int]] = []

    def boom(v: int) -> None:
        raise RuntimeError("observer bug")

    e.connect(lambda v: got.append(("a", v)))
    e.connect(boom)
    b = e.connect(lambda v: got.append(("b", v)))
    e.emit(1)
    e.disconnect(b)
    e.emit(2)
    assert got == [("a", 1), ("b", 1), ("a", 2)]


def test_emitter_from_many_threads() -> None:
    e: Emitter[int] = Emitter("n")
    got: list[int] = []
    e.connect(got.append)
    threads = [threading.Thread(target=lambda: [e.emit(i) for i in range(500)]) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 2000


def test_camviz_app_does_not_load_qt() -> None:
    import subprocess
    import sys

    code = "import sys, camviz.app; assert 'PySide6' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
