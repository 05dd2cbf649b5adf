"""``--resume`` over symlinks (issue 24.5, found by V24): two links of one folder naming
the same photo are two inputs. A killed run over a folder of links, resumed, must end
with one line per link (it skipped every link whose target had a line: 355 of 1500);
``./a.jpg``, ``/abs/a.jpg`` and a symlinked folder's ``alias/a.jpg`` stay one photo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from camviz.batch.records import is_done

from ..conftest import PHOTOS, camviz

TARGETS = [PHOTOS / "opencv/orange.jpg", PHOTOS / "skimage/coffee.png"]


@pytest.fixture
def links(tmp_path: Path) -> Path:
    """``links/``: eight links, four to each of two real photos, and a broken photo."""
    folder = tmp_path / "links"
    folder.mkdir()
    for i in range(8):
        (folder / f"{i}_{TARGETS[i % 2].name}").symlink_to(TARGETS[i % 2])
    (folder / "9_broken.jpg").write_bytes(b"\xff\xd8 not a jpeg")
    return folder


def _paths(out: Path) -> list[str]:
    return [json.loads(line)["path"] for line in out.read_text().splitlines()]


def test_resume_writes_one_line_per_link(tmp_path: Path, links: Path) -> None:
    out = tmp_path / "r.jsonl"
    first = sorted(links.iterdir())[:3]  # a run cut short: three of the nine inputs
    assert camviz("classify", "--quiet", "--out", out, *first).returncode == 0
    result = camviz("classify", "--quiet", "--resume", "--out", out, links)
    assert result.returncode == 1  # the broken photo, reported in its line
    assert "(3 photos skipped: already there)" in result.stderr
    paths = _paths(out)
    assert len(paths) == len(set(paths)) == 9
    assert {Path(p).name for p in paths} == {p.name for p in links.iterdir()}
    tops = [
        json.loads(line)["top"][0]["label"]
        for line in out.read_text().splitlines()
        if "top" in json.loads(line)
    ]
    assert tops.count("orange") == 4 and len(tops) == 8
    again = camviz("classify", "--quiet", "--resume", "--out", out, links)
    assert "(8 photos skipped: already there)" in again.stderr
    assert len(_paths(out)) == 10  # the broken photo tried again: its second error line


def test_one_photo_under_other_spellings_is_still_done(
    tmp_path: Path, links: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alias = tmp_path / "alias"
    alias.symlink_to(links, target_is_directory=True)
    done = {str(links / "0_orange.jpg")}
    monkeypatch.chdir(links)
    assert is_done("./0_orange.jpg", done)
    assert is_done(str(alias / "0_orange.jpg"), done)
    assert not is_done(str(links / "2_orange.jpg"), done)  # another link to the same photo
