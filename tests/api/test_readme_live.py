"""The README's live-camera example: events print from one thread, STARTED first, STOPPED last."""

from __future__ import annotations

import threading

import pytest

from ..package.test_readme_examples import BLOCKS


def live_camera_example() -> str:
    (block,) = [b for b in BLOCKS if "open_source(camera)" in b and "on_event" in b]
    return block


def run_example(block: str) -> list[tuple[int | None, str]]:
    """Run the example in this process with a print that notes the thread of each line."""
    lines: list[tuple[int | None, str]] = []

    def noting_print(*args: object) -> None:
        lines.append((threading.get_ident(), " ".join(map(str, args))))

    exec(compile(block, "README.md", "exec"), {"print": noting_print, "__name__": "readme"})
    return lines


def test_the_example_uses_a_delivery() -> None:
    block = live_camera_example()
    assert "Delivery(" in block and "on_event=delivery.event" in block


@pytest.mark.slow
def test_live_camera_example_prints_events_in_order_from_one_thread(
    no_leaked_threads: None,
) -> None:
    block = live_camera_example()
    for _ in range(5):
        lines = run_example(block)
        *events, summary = lines
        names = [text.split()[0] for _, text in events]
        assert names[0] == "STARTED" and names[-1] == "STOPPED" and names.count("STOPPED") == 1
        assert "MODEL_LOADED" in names and "SOURCE_STATE" in names
        assert len({ident for ident, _ in events}) == 1, "events printed from several threads"
        assert events[0][0] != threading.get_ident()  # the delivery thread, not the caller's
        assert summary == (threading.get_ident(), summary[1])
        count, word, *_ = summary[1].split()
        assert word == "frames:" and int(count) >= 30, summary  # a few more may come before stop
