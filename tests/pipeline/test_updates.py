"""Pipeline.update takes the table's reporting options by name; Pipeline.step while paused."""

from __future__ import annotations

import time

import pytest

from camviz.classifier import ClassifierOptions
from camviz.errors import OptionsError
from camviz.pipeline import Backpressure, FrameResult, Pipeline, PipelineOptions
from camviz.sources import make_source

from ..conftest import MODELS, VIDEOS, wait_for

LITE0 = "efficientnet_lite0_int8"
pytestmark = pytest.mark.skipif(
    not (MODELS / f"{LITE0}.tflite").is_file(), reason=f"models/{LITE0}.tflite"
)


def test_updates_go_by_name_to_the_classifier_or_the_pipeline(no_leaked_threads: None) -> None:
    got: list[FrameResult] = []
    options = PipelineOptions(ClassifierOptions(model=LITE0), Backpressure.LATEST)
    with Pipeline(make_source(str(VIDEOS / "vtest.avi")), options, on_result=got.append) as pipe:
        assert wait_for(lambda: len(got) >= 2)
        pipe.update(top_k=2, smoothing=0.6, hysteresis=0.2, budget_ms=50.0, min_confidence=None)
        assert (pipe.options.smoothing, pipe.options.hysteresis) == (0.6, 0.2)
        assert pipe.metrics.snapshot().budget_ms == 50.0
        seen = len(got)
        assert wait_for(lambda: len(got) > seen + 1)
        assert len(got[-1].result.categories) == 2  # the classifier took top_k
        with pytest.raises(OptionsError, match="Pipeline.update takes"):
            pipe.update(threads=1)  # a model option, not a reporting one
        with pytest.raises(OptionsError, match="hysteresis must be from 0 to 0.5"):
            pipe.update(hysteresis=0.9)
        assert pipe.options.hysteresis == 0.2  # refused: unchanged


def test_step_while_paused_classifies_one_frame(no_leaked_threads: None) -> None:
    got: list[FrameResult] = []
    options = PipelineOptions(ClassifierOptions(model=LITE0), Backpressure.LATEST)
    with Pipeline(make_source(str(VIDEOS / "vtest.avi")), options, on_result=got.append) as pipe:
        assert wait_for(lambda: len(got) >= 2)
        pipe.pause()
        time.sleep(0.5)  # what was in flight lands
        paused = len(got)
        time.sleep(0.3)
        assert len(got) == paused  # paused: nothing new
        pipe.step()
        assert wait_for(lambda: len(got) == paused + 1)
        time.sleep(0.3)
        assert len(got) == paused + 1 and pipe.paused  # one frame, still paused
        pipe.resume()
        pipe.step()  # running: nothing to do
        assert wait_for(lambda: len(got) > paused + 3)
