"""Every skip reported (issue 24, item 7): a folder tree deeper than PATH_MAX names what it
cannot reach and the exit code says so; the home folder comes from the password database
when HOME is unset or empty."""

from __future__ import annotations

import json
import os
import pwd
from pathlib import Path

from camviz.app.snapshot import default_snapshot_dir
from camviz.fileio import home_dir
from camviz.imageio import find_images

from ..conftest import PHOTOS, camviz

PATH_MAX = os.pathconf("/", "PC_PATH_MAX")


def _deep_tree(root: Path, photo: bytes) -> tuple[Path, int]:
    """root/shallow.png, then folders of 200-byte names nested past PATH_MAX (made through
    directory descriptors, as a path could not name them) with a photo at every level."""
    root.mkdir()
    (root / "shallow.png").write_bytes(photo)
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    depth = 0
    try:
        while depth * 201 < PATH_MAX + 600:
            name = f"{depth:03d}" + "d" * 197
            os.mkdir(name, dir_fd=fd)
            child = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = child
            depth += 1
            out = os.open("p.png", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
            os.write(out, photo)
            os.close(out)
    finally:
        os.close(fd)
    return root, depth


def test_a_tree_deeper_than_path_max_names_what_it_cannot_reach(tmp_path: Path) -> None:
    photo = (PHOTOS / "skimage/coffee.png").read_bytes()
    root, depth = _deep_tree(tmp_path / "deep", photo)
    search = find_images([root])
    reachable = [p for p in search.images if len(str(p)) < PATH_MAX]
    assert search.images and reachable == list(search.images)
    assert len(search.problems) == 1  # the first entry past the limit (it holds the rest)
    place, problem = search.problems[0]
    assert len(str(place)) >= PATH_MAX and "PATH_MAX" in str(problem)
    assert len(search.images) + 1 < depth + 2  # some levels were out of reach

    run = camviz("classify", "--threads", "1", "--quiet", "--format", "json", root)
    assert run.returncode == 1  # the exit code says something was skipped
    records = [json.loads(line) for line in run.stdout.splitlines()]
    good = [r for r in records if "top" in r]
    assert len(good) == len(search.images)  # every reachable photo still classified
    skipped = [r for r in records if "error" in r]
    assert len(skipped) == 1 and "path length limit" in skipped[0]["error"]["message"]
    assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1


def test_home_from_the_password_database_when_home_is_unset() -> None:
    passwd = Path(pwd.getpwuid(os.getuid()).pw_dir)
    for env in ({}, {"HOME": ""}, {"HOME": "relative/x"}, {"HOME": "/"}):
        assert home_dir(env) == passwd, env
        assert default_snapshot_dir("//Pictures", environ=env) == passwd / "Pictures" / "camviz"
    assert home_dir({"HOME": "/home/someone"}) == Path("/home/someone")
    assert default_snapshot_dir("/media/pics", environ={"HOME": "/h"}) == Path("/media/pics/camviz")
