"""``camviz classify`` / ``eval`` / ``bench`` options of the batch work, through the CLI."""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path

import pytest

from camviz.cli import build_parser, main
from camviz.cli.bench import thread_spec
from camviz.cli.evaluate import confusion_path

from ..conftest import DATA, PHOTOS, VIDEOS


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_out_appends_and_resume_skips_what_is_there(
    big_photos: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "runs" / "out.jsonl"
    first = [str(p) for p in big_photos[:2]]
    assert main(["classify", "--threads", "1", "--out", str(out), *first]) == 0
    assert [r["path"] for r in _lines(out)] == first
    folder = str(big_photos[0].parent)
    assert main(["classify", "--threads", "1", "--out", str(out), "--resume", folder]) == 0
    records = _lines(out)
    assert [r["path"] for r in records] == first + [str(p) for p in big_photos[2:]]
    assert "2 photos skipped" in capsys.readouterr().err
    assert main(["classify", "--out", str(out), "--resume", folder]) == 0
    assert len(_lines(out)) == len(records)  # nothing left to do


def test_resume_needs_out() -> None:
    assert main(["classify", "--resume", str(PHOTOS / "skimage/coffee.png")]) == 1


def test_json_lines_keep_the_input_order_and_match_full_decoding(
    big_photos: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    paths = [str(p) for p in reversed(big_photos)]
    assert main(["classify", "--json", "--threads", "1", *paths]) == 0
    reduced = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert main(["classify", "--json", "--threads", "1", "--full-decode", *paths]) == 0
    full = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["path"] for r in reduced] == paths == [r["path"] for r in full]
    assert [r["top"][0]["index"] for r in reduced] == [r["top"][0]["index"] for r in full]


def test_video_csv_rows_per_sampled_frame(capsys: pytest.CaptureFixture[str]) -> None:
    video = str(VIDEOS / "vtest.avi")
    args = ["classify", "--csv", "--threads", "1", "--every", "25", "--max-frames", "4", video]
    assert main(args) == 0
    rows = list(csv.DictReader(capsys.readouterr().out.splitlines()))
    assert [r["frame"] for r in rows] == ["0", "25", "50", "75"]
    assert [float(r["timestamp_s"]) for r in rows] == [0.0, 2.5, 5.0, 7.5]
    assert all(r["path"] == video and r["clock"] == "position" and r["label"] for r in rows)


def test_photos_and_a_video_together_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    video = str(VIDEOS / "bikes.mp4")
    photo = str(PHOTOS / "skimage/coffee.png")
    args = ["classify", "--json", "--threads", "1", "--fps", "1", "--max-frames", "2"]
    assert main([*args, photo, video]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["path"], r.get("frame")) for r in records] == [
        (photo, None),
        (video, 0),
        (video, records[2]["frame"]),
    ]
    assert records[0]["top"][0]["index"] == 967
    assert 0.95 <= records[2]["timestamp_s"] <= 1.05


def test_eval_predictions_confusion_and_plot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("matplotlib")
    predictions, confusion, plot = tmp_path / "p.jsonl", tmp_path / "c.png", tmp_path / "a.png"
    args = ["eval", str(DATA / "eval_photos.csv"), "--json", "--no-progress", "--threads", "1"]
    args += ["--model", "efficientnet_lite0_int8", "--model", "squeezenet1_1_int8"]
    args += ["--predictions", str(predictions), "--confusion", str(confusion)]
    assert main([*args, "--plot", str(plot)]) == 0
    report = json.loads(capsys.readouterr().out)
    first = report["results"][0]
    assert first["images"] == 14 and first["latency_count"] == 14 and first["top1"] > 0.8
    lines = _lines(predictions)
    assert len(lines) == 28 and {"truth", "top5", "top1_correct"} <= set(lines[0])
    assert sum(bool(r["top1_correct"]) for r in lines[:14]) == round(first["top1"] * 14)
    for path in (
        confusion_path(confusion, "efficientnet_lite0_int8", 2),
        confusion_path(confusion, "squeezenet1_1_int8", 2),
        plot,
    ):
        assert path.read_bytes().startswith(b"\x89PNG"), path


def test_missing_plot_extra_is_reported_before_any_work(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import camviz.batch.scoring

    real = importlib.util.find_spec

    def no_matplotlib(name: str, *a: object) -> object:
        return None if name == "matplotlib" else real(name, *a)  # type: ignore[arg-type]

    def no_work(*a: object, **k: object) -> None:
        raise AssertionError("the work started before the missing extra was reported")

    monkeypatch.setattr(importlib.util, "find_spec", no_matplotlib)
    monkeypatch.setattr(camviz.batch.scoring, "score_model", no_work)
    args = ["eval", str(DATA / "eval_photos.csv"), "--confusion", str(tmp_path / "c.png")]
    assert main(args) == 1
    assert "'plot' extra" in capsys.readouterr().err


def test_missing_ray_extra_is_reported(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a)
    )
    assert main(["classify", "--ray", "--", str(PHOTOS / "skimage/coffee.png")]) == 1
    assert "pip install 'camviz[ray]'" in capsys.readouterr().err


def test_bench_threads_auto_and_warmup_parse() -> None:
    args = build_parser().parse_args(["bench", "--threads", "auto", "--warmup", "3"])
    assert args.threads == ["auto"] and args.warmup == 3
    assert thread_spec("2") == 2
    with pytest.raises(Exception, match="whole number or 'auto'"):
        thread_spec("many")
    classify = build_parser().parse_args(["classify", "--ray", "auto", "x.jpg"])
    assert classify.ray == "auto"
    assert build_parser().parse_args(["classify", "x.jpg"]).ray is None


@pytest.mark.slow
def test_bench_reports_the_ceiling_and_picks_threads(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["bench", "--source", str(VIDEOS / "tree.avi"), "--frames", "10", "--invokes", "5"]
    args += ["--warmup", "2", "--ceiling-frames", "10", "--threads", "auto", "--json", "--quiet"]
    assert main([*args, "--budget-ms", "10000"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["threads_auto"] in (1, 2)
    for record in report["results"]:
        ceiling = record["ceiling"]
        assert ceiling["fps"] > 0 and ceiling["limit"] in ("decode", "inference", "cpu")
        assert ceiling["decode_ms"] > 0 and ceiling["infer_core_ms"] > 0
        # the share is the median of rounds measuring the ceiling and a lossless run back to back
        shares = sorted(r["share"] for r in ceiling["rounds"])
        assert len(shares) == 5 and ceiling["lossless_share"] == shares[2]
        for r in ceiling["rounds"]:
            assert r["share"] == pytest.approx(r["lossless_fps"] / r["ceiling_fps"], abs=0.01)


@pytest.mark.parametrize(
    ("name", "old", "flags", "says"),
    [
        # an older camviz's 10 columns: rows appended under it would be misread
        (
            "old.csv",
            "path,frame,timestamp_s,index,label,score,uncertain,latency_ms,error,x\n"
            "a.jpg,,,1,goldfish,0.9,false,3.0,,\n",
            ["--format", "csv"],
            "CSV columns",
        ),
        ("lines.dat", '{"path": "a.jpg", "top": []}\n', ["--format", "csv"], "no CSV header"),
        ("rows.dat", "path,frame,label\na.jpg,,goldfish\n", ["--format", "json"], "CSV rows"),
    ],
)
def test_appending_to_a_file_of_another_layout_is_refused_and_it_is_left_alone(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    old: str,
    flags: list[str],
    says: str,
) -> None:
    out = tmp_path / name
    out.write_text(old)
    photo = str(PHOTOS / "skimage/coffee.png")
    for resume in ([], ["--resume"]):
        code = main(["classify", "--threads", "1", *flags, *resume, "--out", str(out), photo])
        err = capsys.readouterr().err
        assert code == 1
        assert "OutputError" in err and str(out) in err and says in err
        assert out.read_text() == old


def test_a_csv_of_this_layout_is_appended_to_and_resumed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "runs.csv"
    photos = [str(PHOTOS / "skimage/coffee.png"), str(PHOTOS / "skimage/chelsea.png")]
    assert main(["classify", "--threads", "1", "--out", str(out), photos[0]]) == 0
    args = ["classify", "--threads", "1", "--resume", "--out", str(out), *photos]
    assert main(args) == 0
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert [r["path"] for r in rows] == photos
    assert "1 photo skipped" in capsys.readouterr().err
