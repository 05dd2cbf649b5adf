"""RunningOptions checks the result callback per mode, as MediaPipe's options do."""

from __future__ import annotations

import pytest

from camviz import RunningMode, RunningOptions
from camviz.errors import CamvizError, OptionsError


def _callback(result: object, image: object, timestamp_ms: int) -> None:
    return None


def test_live_stream_needs_a_result_callback() -> None:
    with pytest.raises(OptionsError, match="LIVE_STREAM mode needs a result_callback"):
        RunningOptions(running_mode=RunningMode.LIVE_STREAM)
    options = RunningOptions(running_mode=RunningMode.LIVE_STREAM, result_callback=_callback)
    assert options.result_callback is _callback


@pytest.mark.parametrize("mode", [RunningMode.IMAGE, RunningMode.VIDEO])
def test_image_and_video_refuse_a_result_callback(mode: RunningMode) -> None:
    with pytest.raises(OptionsError, match="only for LIVE_STREAM mode"):
        RunningOptions(running_mode=mode, result_callback=_callback)
    assert RunningOptions(running_mode=mode).result_callback is None


def test_a_mode_given_as_text_is_refused_naming_the_modes() -> None:
    with pytest.raises(OptionsError, match="IMAGE, VIDEO, LIVE_STREAM"):
        RunningOptions(running_mode="video")  # type: ignore[arg-type]


def test_timeout_must_be_positive_and_errors_are_camviz_errors() -> None:
    with pytest.raises(CamvizError, match="timeout_s must be positive"):
        RunningOptions(timeout_s=0)
    with pytest.raises(OptionsError, match="IMAGE mode has no pipeline events"):
        RunningOptions(event_callback=print)
