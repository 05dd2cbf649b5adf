"""A live session asked for an accelerator this machine lacks keeps its previous model."""

from __future__ import annotations

import pytest

from camviz.app import LiveSession
from camviz.backends import BACKENDS, Accelerator
from camviz.errors import AcceleratorError
from camviz.pipeline import EventKind
from tests.conftest import MODELS, wait_for

LITE0 = "efficientnet_lite0_int8"


def _gpu_here() -> bool:
    content = (MODELS / f"{LITE0}.tflite").read_bytes()
    try:
        BACKENDS["litert"].load(content, threads=1, source="m.tflite", accelerator=Accelerator.GPU)
    except AcceleratorError:
        return False
    return True


def test_a_missing_gpu_is_said_and_the_running_model_keeps_running(
    no_leaked_threads: None,
) -> None:
    pytest.importorskip("ai_edge_litert.compiled_model", reason="LiteRT's CompiledModel")
    if _gpu_here():
        pytest.skip("this machine has a LiteRT GPU")
    session = LiveSession()
    events: list = []
    session.events.pipeline.connect(events.append)
    try:
        assert session.start("demo", LITE0)
        assert wait_for(lambda: session.last_result is not None, 60)
        assert session.model_info is not None and session.model_info.device == "CPU"
        session.update(accelerator="gpu")
        session.switch_model(LITE0)
        assert wait_for(lambda: any(e.kind is EventKind.MODEL_FAILED for e in events), 60)
        failed = next(e for e in events if e.kind is EventKind.MODEL_FAILED)
        assert "LiteRT has no GPU here" in failed.message and "--accelerator cpu" in failed.message
        before = session.last_result
        assert wait_for(lambda: session.last_result is not before, 10)  # still classifying
        assert session.model_info is not None and session.model_info.device == "CPU"
        assert session.model_info.runtime == "litert"
    finally:
        session.close()
