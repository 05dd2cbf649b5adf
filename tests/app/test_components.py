"""LiveSession's components: the options model, the start plan, typed model events, the meter."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from camviz.app import LiveSession
from camviz.app.events import ModelLoaded
from camviz.app.options_model import LiveOptionsModel, OptionsChanged
from camviz.app.startup import StartPlan, plan_start
from camviz.defaults import DEMO
from camviz.errors import OptionsError
from camviz.live_options import LiveOptions
from camviz.pipeline import EventKind
from camviz.sources import CameraInfo
from tests.conftest import MODELS, VIDEOS, wait_for

LITE0 = "efficientnet_lite0_int8"
needs_model = pytest.mark.skipif(
    not (MODELS / f"{LITE0}.tflite").is_file(), reason=f"models/{LITE0}.tflite"
)
VIDEO = VIDEOS / "vtest.avi"


def test_the_options_model_validates_applies_and_emits_once() -> None:
    applied: list[frozenset[str]] = []
    model = LiveOptionsModel(LiveOptions(), lambda new, names: applied.append(names))
    changed: list[OptionsChanged] = []
    model.changed.connect(changed.append)
    new = model.set(top_k=3, smoothing=0.5, threads=LiveOptions().threads)  # threads unchanged
    assert model.value is new and (new.top_k, new.smoothing) == (3, 0.5)
    assert applied == [frozenset({"top_k", "smoothing"})]
    assert changed == [OptionsChanged(new, frozenset({"top_k", "smoothing"}))]
    with pytest.raises(OptionsError, match="top_k must be from 1 to 10"):
        model.set(top_k=0)
    assert model.value is new and len(changed) == 1  # refused: nothing changed, no event
    assert model.set(top_k=3) is new and len(changed) == 1  # no change: no event


def test_an_applier_that_refuses_leaves_the_options_as_they_were() -> None:
    def refuse(new: LiveOptions, names: frozenset[str]) -> None:
        raise OptionsError("no")

    model = LiveOptionsModel(apply=refuse)
    with pytest.raises(OptionsError):
        model.set(budget_ms=50.0)
    assert model.value == LiveOptions()


def test_the_start_plan_is_a_pure_function() -> None:
    plan = plan_start(None, None, cameras=[CameraInfo(2, 640, 480)])
    assert plan.source == "2" and plan.note is None and plan.notice is None
    none = plan_start(None, None)
    assert none.source == DEMO and none.note == "Source: demo (no camera found)"
    assert none.notice is not None and "No camera found" in none.notice.message
    gone = plan_start("clip.mp4", None, remembered="/gone.tflite", zoo_names=(LITE0,))
    assert gone == StartPlan("clip.mp4", None, None, said=gone.said)
    assert "The remembered model /gone.tflite is gone" in gone.said[0].message
    kept = plan_start("0", None, remembered=LITE0, zoo_names=(LITE0,), zoo_default="other")
    assert (kept.model, kept.fallback_model) == (LITE0, "other")
    given = plan_start("0", "mine.tflite", remembered=LITE0, zoo_names=(LITE0,))
    assert (given.model, given.fallback_model, given.said) == ("mine.tflite", None, ())


@pytest.fixture
def session(tmp_path: Path, no_leaked_threads: None):
    s = LiveSession(snapshot_dir=tmp_path / "snaps")
    yield s
    s.close()


@needs_model
def test_options_set_applies_between_frames_and_the_model_event_is_typed(
    session: LiveSession,
) -> None:
    loaded: list[ModelLoaded] = []
    session.events.model.connect(loaded.append)
    assert session.start(str(VIDEO), LITE0)
    assert wait_for(lambda: session.last_result is not None)
    assert loaded and loaded[0].info.name == LITE0 and loaded[0].spec == LITE0
    session.options.set(top_k=2)
    seen = session.results_received
    assert wait_for(lambda: session.results_received > seen + 1)
    fr = session.last_result
    assert fr is not None and len(fr.result.categories) == 2
    # an option the pipeline takes by name reaches it (hysteresis: added to the table alone)
    session.options.set(smoothing=0.5, hysteresis=0.2)
    pipeline = session.pipeline
    assert pipeline is not None
    assert (pipeline.options.smoothing, pipeline.options.hysteresis) == (0.5, 0.2)
    with pytest.raises(OptionsError, match="hysteresis must be from 0 to 0.5"):
        session.options.set(hysteresis=0.7)
    session.options.set(threads=1)  # a model option: reloaded at once
    assert wait_for(lambda: len(loaded) == 2)
    assert session.meter.read().snapshot is not None


@needs_model
def test_a_refused_model_rolls_back_to_the_running_files_path(
    session: LiveSession, tmp_path: Path
) -> None:
    mine = tmp_path / "mine.tflite"
    shutil.copyfile(MODELS / f"{LITE0}.tflite", mine)
    broken = tmp_path / "broken.tflite"
    broken.write_bytes(b"not a flatbuffer" * 64)
    assert session.start(str(VIDEO), str(mine))
    assert wait_for(lambda: session.running_model == str(mine), timeout=60)
    assert session.model_name == "mine"
    session.switch_model(str(broken))
    assert session.pending_model == str(broken)  # under way until loaded or refused
    assert wait_for(
        lambda: any(e.kind is EventKind.MODEL_FAILED for e in session.pipeline_events), timeout=60
    )
    assert session.pending_model is None
    assert session.requested_model == str(mine)  # the path, not the name "mine"
    assert session.start(str(VIDEOS / "tree.avi"))  # the next source gets the model
    assert wait_for(lambda: session.last_result is not None, timeout=60)
    assert session.running_model == str(mine)


@needs_model
def test_a_lost_camera_is_said_by_the_sources_component(
    session: LiveSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    from camviz.app import SourceStateChanged
    from camviz.sources import CameraSource, SourceState
    from tests.pipeline.test_faults import UnpluggableCamera, real_frames

    camera = UnpluggableCamera(real_frames(10))
    source = CameraSource(0, capture_factory=camera.factory, backoff_initial=0.05, backoff_max=0.2)
    monkeypatch.setattr(session.sources, "open", lambda spec: source)
    said: list[SourceStateChanged] = []
    session.sources.state_changed.connect(said.append)
    assert session.start("0", LITE0)
    assert wait_for(lambda: session.last_result is not None)
    assert session.sources.state is SourceState.RUNNING and not session.sources.reconnecting
    camera.plugged.clear()  # unplugged
    assert wait_for(lambda: session.sources.reconnecting)
    assert said[-1].state is SourceState.RECONNECTING and said[-1].spec == "0"
    camera.plugged.set()  # back
    assert wait_for(lambda: session.sources.state is SourceState.RUNNING)
    states = [s.state for s in said]
    assert states[states.index(SourceState.RECONNECTING) :].count(SourceState.RECONNECTING) == 1


@needs_model
def test_update_defers_model_options_until_apply_threads(session: LiveSession) -> None:
    loaded: list[ModelLoaded] = []
    session.events.model.connect(loaded.append)
    assert session.start(str(VIDEO), LITE0)
    assert wait_for(lambda: len(loaded) == 1)
    assert session.update(threads=1, delegate="cpu")  # the spin box: not yet
    assert session.options.value.threads == 1 and session.pending_model is None
    session.apply_threads()  # left the box: one reload with both
    assert wait_for(lambda: len(loaded) == 2)
    assert loaded[-1].info.delegate == "cpu"
    session.apply_threads()  # nothing changed since: no reload
    assert session.pending_model is None
    assert not session.update(delegate="")  # refused, said, unchanged
    assert session.options.value.delegate == "cpu"
