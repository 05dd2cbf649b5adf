"""The one table of live options: specs, checks, saved values, what a change needs."""

from __future__ import annotations

import dataclasses

import pytest

from camviz import defaults
from camviz.errors import OptionsError
from camviz.live_options import (
    Apply,
    LiveOptions,
    checked,
    from_saved,
    needs,
    option_specs,
    reporting_names,
    spec_for,
)


def test_every_field_is_declared_once_with_its_spec() -> None:
    names = [f.name for f in dataclasses.fields(LiveOptions)]
    assert [s.name for s in option_specs()] == names
    for spec in option_specs():
        assert getattr(LiveOptions(), spec.name) == spec.default
        assert spec.label and spec.help
    assert spec_for("top_k").maximum == defaults.MAX_TOP_K
    assert spec_for("threads").cli_flag == "--threads" and spec_for("threads").kind is int


def test_checked_names_the_option_and_its_range() -> None:
    options = checked(LiveOptions(), top_k=3, smoothing=0.5, budget_ms=50)
    assert (options.top_k, options.smoothing, options.budget_ms) == (3, 0.5, 50.0)
    assert isinstance(options.budget_ms, float)
    with pytest.raises(OptionsError, match=r"top_k must be from 1 to 10, got 11"):
        checked(options, top_k=11)
    with pytest.raises(OptionsError, match="smoothing"):
        checked(options, smoothing=float("nan"))
    with pytest.raises(OptionsError, match="whole number"):
        checked(options, threads=2.5)
    with pytest.raises(OptionsError, match="true or false|number"):
        checked(options, top_k=True)
    with pytest.raises(OptionsError, match="no live option 'colour'"):
        checked(options, colour=1)


def test_needs_says_what_a_change_takes() -> None:
    assert needs(["top_k", "budget_ms"]) == {Apply.REPORTING}
    assert needs(["threads", "smoothing"]) == {Apply.MODEL, Apply.REPORTING}
    assert needs([]) == set()
    assert set(reporting_names()) == {
        "top_k",
        "score_threshold",
        "min_confidence",
        "smoothing",
        "hysteresis",
        "budget_ms",
    }


def test_saved_values_keep_what_is_usable() -> None:
    options, notes = from_saved({"top_k": "3", "budget_ms": "abc", "smoothing": "0.99", "x": "1"})
    assert options.top_k == 3 and options.budget_ms == defaults.BUDGET_MS
    assert options.smoothing == defaults.SMOOTHING
    assert notes == [
        f"saved smoothing '0.99' is outside 0..{defaults.MAX_SMOOTHING:g}: using 0.0",
        f"saved budget_ms 'abc' is not a number: using {defaults.BUDGET_MS}",
    ]
    assert from_saved({"delegate": "cpu"})[0].delegate == defaults.DELEGATE  # not saved


def test_the_model_options_name_what_the_backends_take() -> None:
    from camviz.app.options_model import choices_for
    from camviz.backends import Delegate, accelerators, backend_choices

    assert str(Delegate()) == defaults.DELEGATE
    assert LiveOptions().backend in backend_choices() == choices_for("backend")
    assert LiveOptions().accelerator in accelerators() == choices_for("accelerator")
    assert needs(["backend", "accelerator", "delegate"]) == {Apply.MODEL}
    assert choices_for("top_k") == ()


def test_saved_options_that_are_not_finite_or_out_of_range_are_ignored() -> None:
    options, notes = from_saved(
        {
            "threads": "nan",
            "top_k": "3",
            "score_threshold": "inf",
            "min_confidence": "-0.5",
            "smoothing": "0.5",
            "budget_ms": "1e9",
        }
    )
    assert options.threads == defaults.THREADS and options.budget_ms == defaults.BUDGET_MS
    assert options.top_k == 3 and options.smoothing == 0.5
    assert len(notes) == 4 and any("threads 'nan'" in n for n in notes)
    _, said = from_saved({"top_k": "2.5", "threads": "many"})
    assert said == [
        "saved threads 'many' is not a number: using 2",
        "saved top_k '2.5' is not a whole number: using 5",
    ]
    assert from_saved({}) == (LiveOptions(), [])
