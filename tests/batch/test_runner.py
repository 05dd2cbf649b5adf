"""The local batch runner, the output files, video frames, and the exact latency collector."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from camviz.batch.ceiling import Ceiling
from camviz.batch.frames import Sampling, classify_frames, is_video_input
from camviz.batch.records import CsvWriter, done_paths, open_append
from camviz.batch.runner import classify_paths
from camviz.errors import OptionsError
from camviz.imageio import load_image
from camviz.loading import open_classifier
from camviz.metrics import LatencyStats

from ..conftest import PHOTOS, VIDEOS


def test_outcomes_come_in_input_order_with_errors_in_place(
    big_photos: list[Path], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not a jpeg at all")
    paths = [*big_photos[:2], bad, PHOTOS / "skimage/coffee.png", tmp_path / "missing.jpg"]
    with open_classifier(threads=1) as clf:
        outcomes = list(classify_paths(clf, paths, workers=2, lookahead=2))
        expected = clf.classify(load_image(PHOTOS / "skimage/coffee.png")).top
    assert [o.index for o in outcomes] == list(range(len(paths)))
    assert [o.path for o in outcomes] == [str(p) for p in paths]
    assert [o.ok for o in outcomes] == [True, True, False, True, False]
    assert outcomes[0].factor == 4 and outcomes[3].factor == 1
    assert outcomes[3].result is not None and expected is not None
    assert outcomes[3].result.top == expected
    assert outcomes[2].record()["error"]["type"] == "ImageDecodeError"
    assert outcomes[4].record()["error"]["type"] == "ImageNotFoundError"


def test_resume_reads_result_lines_and_skips_cut_and_error_lines(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text(
        json.dumps({"path": "a.jpg", "top": []})
        + "\n"
        + json.dumps({"path": "b.jpg", "error": {"type": "ImageDecodeError", "message": "x"}})
        + "\n"
        + json.dumps({"path": "v.mp4", "frame": 3, "top": []})
        + '\n{"path": "c.jp'
    )
    done = done_paths(out)
    assert "a.jpg" in done and "v.mp4#3" in done
    assert "b.jpg" not in done and not any(k.startswith("c.jp") for k in done)
    with open_append(out) as handle:  # the torn last line is cut off before appending
        handle.write("{}\n")
    assert out.read_text().endswith('"frame": 3, "top": []}\n{}\n')


def test_csv_rows() -> None:
    import io

    stream = io.StringIO()
    writer = CsvWriter(stream)
    writer.write({"path": "a.jpg", "top": [{"index": 950, "label": "orange", "score": 0.9}]})
    writer.write({"path": "b.jpg", "error": {"type": "ImageDecodeError", "message": "bad"}})
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("path,frame,timestamp_s,clock,index,label,score")
    assert lines[1].startswith("a.jpg,,,,950,orange,0.9")
    assert lines[2].endswith("ImageDecodeError: bad")


def test_video_frames_every_and_fps_with_positions() -> None:
    video = str(VIDEOS / "vtest.avi")  # 10 fps
    assert is_video_input(video) and not is_video_input(str(PHOTOS / "skimage/coffee.png"))
    assert is_video_input("rtsp://camera.local/live")
    with open_classifier(threads=1) as clf:
        every = list(classify_frames(clf, video, Sampling(every=50, max_frames=3)))
        fps = list(classify_frames(clf, video, Sampling(fps=2.0, max_frames=4)))
    assert [r["frame"] for r in every] == [0, 50, 100]
    assert [r["timestamp_s"] for r in every] == [0.0, 5.0, 10.0]
    assert all(r["clock"] == "position" and r["top"] for r in every)
    assert [r["frame"] for r in fps] == [0, 5, 10, 15]
    assert [r["timestamp_s"] for r in fps] == [0.0, 0.5, 1.0, 1.5]


def test_a_video_that_does_not_open_gives_one_error_record(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00" * 100)
    with open_classifier(threads=1) as clf:
        records = list(classify_frames(clf, str(broken)))
    assert len(records) == 1 and records[0]["error"]["type"] == "SourceOpenError"


def test_sampling_options_are_checked() -> None:
    with pytest.raises(OptionsError, match="not both"):
        Sampling(every=2, fps=1.0)
    with pytest.raises(OptionsError):
        Sampling(fps=float("nan"))


def test_unbounded_latency_stats_keep_every_value() -> None:
    stats = LatencyStats(None)
    for i in range(5000):
        stats.add(float(i))
    p = stats.percentiles()
    assert p.count == 5000 and p.max == 4999.0 and abs(p.p50 - 2499.5) < 1e-9
    assert len(LatencyStats()) == 0  # the bounded default is unchanged


def test_ceiling_is_the_slowest_stage_or_the_cores() -> None:
    decode_bound = Ceiling(decode_ms=10.0, infer_ms=5.0, infer_core_ms=5.0, cores=4, frames=1)
    assert decode_bound.fps == pytest.approx(100.0) and decode_bound.limit == "decode"
    cpu_bound = Ceiling(decode_ms=5.0, infer_ms=5.0, infer_core_ms=15.0, cores=2, frames=1)
    assert cpu_bound.fps == pytest.approx(100.0) and cpu_bound.limit == "cpu"
    assert cpu_bound.share(95.0) == pytest.approx(0.95)
    assert cpu_bound.to_dict(50.0)["lossless_share"] == 0.5
