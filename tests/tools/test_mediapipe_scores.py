"""MediaPipe 1.2.3 reads the zoo's models as probabilities, with display names.

Runs ``benchmarks/mediapipe_scores.py`` in ``.venv-mediapipe`` (made by
``make .venv-mediapipe/.installed``); skipped where that venv is not there (MediaPipe needs
its own cv2, so it never joins ``.venv``).
"""

from __future__ import annotations

import json
import subprocess

import pytest

from ..conftest import MODELS, PHOTOS, ROOT

MEDIAPIPE_PYTHON = ROOT / ".venv-mediapipe" / "bin" / "python"
SCRIPT = ROOT / "benchmarks" / "mediapipe_scores.py"


def _run(model: str) -> dict[str, object]:
    if not MEDIAPIPE_PYTHON.exists():
        pytest.skip(f"no {MEDIAPIPE_PYTHON.relative_to(ROOT)}: make .venv-mediapipe/.installed")
    done = subprocess.run(
        [str(MEDIAPIPE_PYTHON), str(SCRIPT), "--json", "--model", str(MODELS / model)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report: dict[str, object] = json.loads(done.stdout)
    return report


@pytest.mark.parametrize(
    "model", ["efficientnet_lite0_int8.tflite", "efficientnet_lite0_float32.tflite"]
)
def test_mediapipe_scores_are_probabilities_with_display_names(model: str) -> None:
    report = _run(model)
    assert report["mediapipe"] == "1.2.3"
    rows = report["photos"]
    assert isinstance(rows, list)
    photos = sorted(
        str(p.relative_to(PHOTOS)) for p in PHOTOS.rglob("*") if p.suffix in {".png", ".jpg"}
    )
    assert [r["photo"] for r in rows] == photos
    for r in rows:
        assert r["categories"] == 1000, r
        assert abs(r["score_sum"] - 1.0) <= 1e-3, r
        assert 0.0 < r["top_score"] <= 1.0, r
        assert r["display_name"] == r["category_name"] != "", r
    by_photo = {r["photo"]: r for r in rows}
    assert by_photo["skimage/chelsea.png"]["top_index"] in (281, 282, 285)
    assert by_photo["skimage/coffee.png"]["top_index"] == 967
    assert report["ok"] is True
