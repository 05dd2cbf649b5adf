"""Recent sources, dropped files and typed stream URLs (camviz.app.picker), no Qt."""

from __future__ import annotations

from pathlib import Path

from camviz.app.picker import (
    DropKind,
    check_stream_url,
    classify_drop,
    display_spec,
    prune_recent,
    remember_recent,
)


def test_recent_sources_are_absolute_newest_first_and_pruned(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.mp4").write_bytes(b"x")
    (tmp_path / "pics").mkdir()
    recent = remember_recent([], "a.mp4")
    assert recent == [str(tmp_path / "a.mp4")]
    recent = remember_recent(recent, str(tmp_path / "pics"))
    recent = remember_recent(recent, "a.mp4")  # moved to the front, not doubled
    assert recent == [str(tmp_path / "a.mp4"), str(tmp_path / "pics")]
    assert remember_recent(recent, "gone.mp4") == recent  # not there: not remembered
    assert remember_recent(recent, "demo") == recent and remember_recent(recent, "0") == recent
    recent = remember_recent(recent, "rtsp://cam.local/stream")
    assert recent[0] == "rtsp://cam.local/stream"
    # a password is never written to the settings
    assert remember_recent(recent, "rtsp://admin:hunter2@cam.local/s") == recent
    assert len(remember_recent([f"rtsp://h/{i}" for i in range(20)], "rtsp://x/y")) == 8
    (tmp_path / "a.mp4").unlink()
    stale = [*recent, "relative.mp4", "rtsp://u:p@h/s", ""]
    assert prune_recent(stale) == ["rtsp://cam.local/stream", str(tmp_path / "pics")]


def test_display_names_never_show_credentials(tmp_path: Path) -> None:
    assert display_spec(str(tmp_path / "clip.mp4")) == "clip.mp4"
    shown = display_spec("rtsp://admin:hunter2@cam.local/s?token=abc")
    assert "hunter2" not in shown and "abc" not in shown and "cam.local" in shown


def test_drops_become_a_source_a_model_or_a_message(tmp_path: Path) -> None:
    for name in ("p.jpg", "v.mp4", "m.tflite", "t.head.npz", "notes.txt"):
        (tmp_path / name).write_bytes(b"x")
    assert classify_drop([str(tmp_path / "p.jpg")]).kind is DropKind.SOURCE
    assert classify_drop([str(tmp_path / "v.mp4")]).spec == str(tmp_path / "v.mp4")
    assert classify_drop([str(tmp_path)]).kind is DropKind.SOURCE  # a folder
    assert classify_drop([str(tmp_path / "m.tflite")]).kind is DropKind.MODEL
    assert classify_drop([str(tmp_path / "t.head.npz")]).kind is DropKind.MODEL
    # the first usable one of several
    assert classify_drop([str(tmp_path / "notes.txt"), str(tmp_path / "m.tflite")]).kind is (
        DropKind.MODEL
    )
    refused = classify_drop([str(tmp_path / "notes.txt")])
    assert refused.kind is DropKind.REFUSED and "notes.txt" in refused.message
    assert ".tflite" in refused.message
    assert classify_drop([]).kind is DropKind.REFUSED
    assert "not there" in classify_drop([str(tmp_path / "nope.jpg")]).message


def test_typed_stream_urls_are_checked_and_redacted() -> None:
    assert check_stream_url("rtsp://cam.local:554/stream") is None
    assert check_stream_url(" http://10.0.0.2/video.mjpg ") is None
    assert check_stream_url("") is not None
    bad = check_stream_url("ftp://admin:hunter2@cam.local/x")
    assert bad is not None and "hunter2" not in bad and "not a stream URL" in bad
    assert "no server" in (check_stream_url("rtsp://user:pw@/x") or "")


def test_the_model_dialogs_offer_every_runtime_file_and_taught_heads() -> None:
    from camviz.app.picker import model_dialog_filter
    from camviz.backends import model_file_suffixes

    shown = model_dialog_filter()
    assert shown.startswith("Models (") and "*.head.npz" in shown
    assert all(f"*{suffix}" in shown for suffix in model_file_suffixes())
