"""Camera numbers bounded to what OpenCV takes (issue 24.9, found by V24): a camera index
of 20 digits reached cv2.VideoCapture and came back as OpenCV's overload-resolution
message ("Python int too large to convert"); a width of 99999999999 went to the driver."""

from __future__ import annotations

import pytest

from camviz.errors import SourceOpenError
from camviz.sources.camera import camera_spec, camera_target
from camviz.sources.spec import SourceKind, parse_source

from ..conftest import camviz


@pytest.mark.parametrize("text", ["99999999999999999999", "2147483648", "9" * 5000])
def test_a_camera_index_past_opencvs_is_refused_by_the_grammar(text: str) -> None:
    with pytest.raises(SourceOpenError, match=r"camera index \d+(\.\.\.)? is over the largest"):
        camera_target(text)


def test_the_largest_index_and_ordinary_ones_are_cameras() -> None:
    assert camera_target("2147483647") == 2147483647
    assert parse_source("0").kind is SourceKind.CAMERA
    assert camera_target("\u00b2") is None  # a superscript is no index


@pytest.mark.parametrize(
    ("option", "key"), [("width=99999999999&height=10", "width"), ("fps=1e300", "fps")]
)
def test_camera_options_past_opencvs_are_refused(option: str, key: str) -> None:
    with pytest.raises(SourceOpenError, match=rf"{key}='[0-9e]+' is over 2147483647"):
        camera_spec(f"0?{option}")


def test_classify_says_it_in_one_line() -> None:
    result = camviz("classify", "--quiet", "--max-frames", "1", "99999999999999999999")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "SourceOpenError: camera index 99999999999999999999 is over the largest OpenCV "
        "takes (2147483647); give a camera index such as 0"
    ]
