"""The thread plan: what ``--threads auto`` means on a machine's cores, and its reasons."""

from __future__ import annotations

import os

import cv2
import pytest

from camviz.pipeline.threads import AUTO_MAX_INTERPRETER, ThreadPlan, Workload, usable_cores


def test_usable_cores_is_this_process_s_affinity() -> None:
    assert usable_cores() == len(os.sched_getaffinity(0))


@pytest.mark.parametrize(
    ("cores", "lossless", "live"),
    [(1, 1, 1), (2, 2, 2), (3, 2, 3), (4, 3, 3), (8, AUTO_MAX_INTERPRETER, AUTO_MAX_INTERPRETER)],
)
def test_auto_keeps_a_core_for_decoding_from_three_cores_on(
    cores: int, lossless: int, live: int
) -> None:
    assert ThreadPlan.auto_plan(Workload.LOSSLESS, cores=cores).interpreter == lossless
    assert ThreadPlan.auto_plan(Workload.LIVE, cores=cores).interpreter == live


def test_the_plan_says_why_and_turns_opencv_s_pool_off() -> None:
    before = cv2.getNumThreads()
    try:
        plan = ThreadPlan.auto_plan(Workload.LIVE, cores=2, gui=True)
        plan.apply()
        assert cv2.getNumThreads() == 1  # setNumThreads(0): OpenCV runs on the calling thread
        assert plan.opencv == 0 and plan.auto
        why = plan.why
        assert "auto for live work" in why and "the GUI" in why and "2 cores" in why
        data = plan.to_dict()
        assert data["interpreter"] == 2 and data["workload"] == "live" and data["why"] == why
        assert "every core to the interpreter under 4 cores" in why
        lossless = ThreadPlan.auto_plan(Workload.LOSSLESS, cores=4)
        assert lossless.interpreter == 3 and "a core kept for capture" in lossless.why
        given = ThreadPlan.for_threads(3, cores=2, workload=Workload.LOSSLESS)
        assert not given.auto and "2 thread(s) more than cores" in given.why
    finally:
        cv2.setNumThreads(before)
