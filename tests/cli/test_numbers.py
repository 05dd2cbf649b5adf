"""Every number parsed from text is bounded to what its consumer takes (issue 24, item 9):
Unicode decimal digits read, digit-like signs refused by name, values past a consumer's
range (a Qt timer's milliseconds, a C int, threads, a 32-bit seed) refused in one line."""

from __future__ import annotations

import argparse
import json

import pytest

from camviz.cli.numbers import (
    MAX_TIMER_S,
    positive_int,
    seed_int,
    thread_count,
    timer_seconds,
    worker_count,
)

from ..conftest import PHOTOS, camviz

COFFEE = PHOTOS / "skimage/coffee.png"


@pytest.mark.parametrize(("text", "value"), [("3", 3), ("٣", 3), ("３", 3), ("۷", 7), (" 12 ", 12)])
def test_decimal_digits_of_any_script_are_read(text: str, value: int) -> None:
    assert positive_int(text) == value


@pytest.mark.parametrize("text", ["²", "½", "Ⅻ", "3²", "1e3", "0x10", "", "nan", "9" * 5000])
def test_digit_like_signs_and_other_text_are_refused(text: str) -> None:
    with pytest.raises((argparse.ArgumentTypeError, ValueError)):
        positive_int(text)


def test_each_kind_is_bounded_by_its_consumer() -> None:
    assert timer_seconds(str(MAX_TIMER_S)) == MAX_TIMER_S
    for parse, text in (
        (timer_seconds, "1e10"),
        (timer_seconds, str(MAX_TIMER_S + 1)),
        (positive_int, str(2**31)),
        (thread_count, "1025"),
        (worker_count, "65"),
        (seed_int, str(2**32)),
        (seed_int, "-1"),
    ):
        with pytest.raises(argparse.ArgumentTypeError, match="expected at"):
            parse(text)


@pytest.mark.parametrize(
    "args",
    [
        ("--quit-after", "1e10"),
        ("classify", "--top-k", "²", str(COFFEE)),
        ("classify", "--threads", "99999999999", str(COFFEE)),
        ("classify", "--workers", "100000", str(COFFEE)),
        ("teach", "data", "--out", "x.head.npz", "--seed", str(2**40)),
        ("cameras", "--max-index", "1e9"),
    ],
)
def test_out_of_range_numbers_are_one_line_usage_errors(args: tuple[str, ...]) -> None:
    run = camviz(*args, timeout=30)
    assert run.returncode == 2, run.stderr  # a usage error, not SIGABRT (-6) or a traceback
    assert "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines()[-1].count("error: argument") == 1


def test_an_arabic_indic_top_k_is_taken() -> None:
    run = camviz("classify", "--threads", "1", "--format", "json", "--top-k", "٣", COFFEE)
    assert run.returncode == 0 and len(json.loads(run.stdout)["top"]) == 3


@pytest.mark.parametrize("text", ["²", "³", "½"])
def test_a_unicode_digit_source_is_a_one_line_error(text: str) -> None:
    for args in (("classify", text), ("--source", text, "bench", "--frames", "10")):
        run = camviz(*args, timeout=60)
        assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
        assert len(run.stderr.strip().splitlines()) == 1 and text in run.stderr
