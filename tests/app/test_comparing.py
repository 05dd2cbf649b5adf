"""A/B in the session (``session.comparing``): real models on a real video, no window."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from camviz.app import LiveSession
from camviz.app.comparing import ABReading, CompareState, CompareStatus
from camviz.compare import TOP_N
from camviz.pipeline import FrameResult
from tests.conftest import DATA, VIDEOS, wait_for

INT8, FLOAT = "efficientnet_lite0_int8", "efficientnet_lite0_float32"
VIDEO = VIDEOS / "vtest.avi"


@pytest.fixture
def session(tmp_path: Path, no_leaked_threads: None) -> Iterator[LiveSession]:
    s = LiveSession(snapshot_dir=tmp_path / "snaps")
    yield s
    s.close()


def _top1(result: FrameResult) -> int:
    return int(np.argmax(result.result.probabilities))


def test_pairs_share_the_frame_and_the_agreement_is_the_pairs_own(session: LiveSession) -> None:
    firsts: dict[int, FrameResult] = {}
    pairs: list[ABReading] = []
    statuses: list[CompareStatus] = []
    session.events.result.connect(lambda fr: firsts.__setitem__(fr.frame_id, fr))
    session.comparing.pair.connect(pairs.append)
    session.comparing.status.connect(statuses.append)
    session.comparing.choose(FLOAT)  # before the start: the pipeline gets it when it launches
    assert session.start(str(VIDEO), INT8, pace=False)
    assert wait_for(lambda: len(pairs) >= 60, 120)
    session.set_paused(True)
    assert statuses[-1].state is CompareState.RUNNING and statuses[-1].info is not None
    assert statuses[-1].info.name == FLOAT
    for p in pairs:
        assert p.first.frame_id == p.second.frame_id == p.frame_id
        assert p.first is firsts[p.frame_id] and p.second.frame is p.first.frame
        assert (p.first.model, p.second.model) == (INT8, FLOAT)
    # the window's agreement and overlap, recomputed from the results themselves (both
    # ImageNet-1k models with the same labels: classes match by index)
    window = pairs[-pairs[-1].pairs :]
    agree = [_top1(p.first) == _top1(p.second) for p in window]
    overlap = [
        len(
            set(np.argsort(-p.first.result.probabilities, kind="stable")[:TOP_N])
            & set(np.argsort(-p.second.result.probabilities, kind="stable")[:TOP_N])
        )
        / TOP_N
        for p in window
    ]
    last = pairs[-1]
    assert last.agreement == pytest.approx(sum(agree) / len(agree))
    assert last.overlap == pytest.approx(sum(overlap) / len(overlap))
    assert 0.0 < last.agreement <= 1.0
    assert last.latency_a.count == last.latency_b.count == last.pairs
    assert last.latency_a.name == INT8 and last.latency_b.name == FLOAT
    assert last.latency_a.p50_ms > 0 and last.latency_b.p95_ms >= last.latency_b.p50_ms
    # a model option (threads) reloads the first model, and the second with it
    session.set_paused(False)
    running = sum(s.state is CompareState.RUNNING for s in statuses)
    session.options.set(threads=1)
    assert wait_for(lambda: sum(s.state is CompareState.RUNNING for s in statuses) > running, 60)
    loaded = session.comparing.loaded_with
    assert loaded is not None and loaded.threads == 1 and str(loaded.model) == FLOAT
    count = len(pairs)
    assert wait_for(lambda: len(pairs) > count + 3, 60)  # pairs again, after the reloads


def test_a_bad_second_model_is_said_and_the_first_runs_on(session: LiveSession) -> None:
    statuses: list[CompareStatus] = []
    session.comparing.status.connect(statuses.append)
    assert session.start(str(VIDEO), INT8, pace=False)
    assert wait_for(lambda: session.last_result is not None, 60)
    session.comparing.choose(str(DATA / "not_a_classifier.tflite"))
    assert wait_for(lambda: statuses[-1].state is CompareState.FAILED, 60)
    said = statuses[-1].message
    assert "Cannot compare with not_a_classifier.tflite:" in said and f"{INT8} runs on" in said
    seen = session.results_received
    assert wait_for(lambda: session.results_received > seen + 5, 60)  # A never stopped
    assert session.model_name == INT8 and session.comparing.last is None
    # then a good one, then off
    pairs: list[ABReading] = []
    session.comparing.pair.connect(pairs.append)
    session.comparing.choose(FLOAT)
    assert wait_for(lambda: len(pairs) >= 3, 60)
    session.comparing.choose(None)
    assert statuses[-1].state is CompareState.OFF and session.comparing.last is None
    count = len(pairs)
    seen = session.results_received
    assert wait_for(lambda: session.results_received > seen + 10, 60)
    assert len(pairs) <= count + 1  # at most the frame in flight when it was switched off


def test_the_second_model_follows_the_session_to_another_source(session: LiveSession) -> None:
    pairs: list[ABReading] = []
    session.comparing.pair.connect(pairs.append)
    assert session.start(str(VIDEO), INT8, pace=False)
    session.comparing.choose(FLOAT)
    assert wait_for(lambda: len(pairs) >= 5, 60)
    first_source = pairs[-1].first.frame
    assert session.start(str(VIDEOS / "tree.avi"), pace=False)  # a new pipeline
    count = len(pairs)
    assert wait_for(lambda: len(pairs) >= count + 5, 60)
    later = pairs[-1]
    assert later.second.model == FLOAT and later.first.model == INT8
    assert later.first.frame.image.shape != first_source.image.shape  # the new video's frames
    assert later.pairs <= len(pairs) - count  # the window started again with the new source
