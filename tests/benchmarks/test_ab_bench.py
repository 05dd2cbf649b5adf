"""The A/B benchmark: a short real run, its pairing figures."""

from __future__ import annotations

import ab_bench


def test_both_models_see_the_same_frames_on_both_paths() -> None:
    live = ab_bench._run(ab_bench.A, ab_bench.B, 2, 20, live=True)
    lossless = ab_bench._run(ab_bench.A, ab_bench.B, 2, 20, live=False)
    for run in (live, lossless):
        assert run["results"] == 20 and run["pairs"] >= 19  # the last B may come after stop
        assert run["same_frame"] and run["a_only"] == 0 and run["b_only"] == 0
        assert min(run["b_ms"]) > 0
    assert lossless["dropped"] == 0
    alone = ab_bench._summary([ab_bench._run(ab_bench.A, None, 2, 20, live=False)])
    assert "pairs" not in alone and alone["results"] == 20
