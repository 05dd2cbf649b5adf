"""Limits set in the environment (issue 24.9, found by V24): a value camviz cannot take
(``500MB``, ``-1``, ``1e400``, a Unicode superscript) was ignored without a word, the
default kept silently. Now it is one warning line naming the variable and the default,
and the run goes on with the default; a good value is taken without a word."""

from __future__ import annotations

import json
import os

import pytest

from ..conftest import PHOTOS, camviz

ORANGE = PHOTOS / "opencv" / "orange.jpg"


@pytest.mark.parametrize("value", ["500MB", "-1", "1e400", "\u00b2", "nan"])
def test_a_limit_camviz_cannot_take_is_said_once_and_the_run_goes_on(value: str) -> None:
    env = {**os.environ, "CAMVIZ_MAX_IMAGE_MB": value}
    result = camviz("classify", "--quiet", "--json", ORANGE, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"CAMVIZ_MAX_IMAGE_MB={value!r} is not a positive number; the default 200 MB stays"
    ]
    assert json.loads(result.stdout)["top"][0]["label"] == "orange"


def test_a_limit_that_is_a_positive_number_is_taken_silently() -> None:
    env = {**os.environ, "CAMVIZ_MAX_IMAGE_MB": "0.01"}  # 10 KB: the photo is over it
    result = camviz("classify", "--quiet", "--json", ORANGE, env=env)
    assert result.returncode == 1
    assert "more than 10,485 bytes, camviz's limit for photos" in result.stderr
    assert "not a positive number" not in result.stderr
