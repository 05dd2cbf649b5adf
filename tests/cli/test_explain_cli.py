"""camviz explain PHOTO --out heat.png, and the annotators it draws with."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from camviz import explain
from camviz.annotate import CropBox, HeatMap, LabelSheet, RecBadge
from camviz.classifier import ClassifierOptions
from camviz.cli import explain as cli_explain
from camviz.imageio import load_image
from camviz.loading import open_classifier
from tests.conftest import ROOT, camviz

CHELSEA = ROOT / "assets" / "photos" / "skimage" / "chelsea.png"


def test_explain_writes_the_map_over_the_photo(tmp_path: Path) -> None:
    out = tmp_path / "heat.png"
    run = camviz("explain", CHELSEA, "--out", out, "--grid", "8", "--json")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert "cat" in report["label"] and report["grid"] == [8, 8]
    assert report["invokes"] == 65
    drawn = cv2.imread(str(out))
    assert drawn.shape == (300, 451, 3)
    original = cv2.imread(str(CHELSEA))
    left, top, side, _ = report["region"]
    inside = np.abs(
        drawn[top : top + side, left : left + side].astype(int)
        - original[top : top + side, left : left + side]
    ).mean()
    outside = np.abs(drawn[:, : left - 3].astype(int) - original[:, : left - 3]).mean()
    assert inside > 10 and outside < 1  # the map covers the crop the model sees, only it


def test_explain_refuses_an_output_it_cannot_write(tmp_path: Path) -> None:
    run = camviz("explain", CHELSEA, "--out", tmp_path / "heat.gif")
    assert run.returncode != 0 and ".png or .jpg" in run.stderr
    run = camviz("explain", tmp_path / "none.jpg", "--out", tmp_path / "heat.png")
    assert run.returncode != 0 and "none.jpg" in run.stderr
    assert not list(tmp_path.iterdir())


def test_the_command_line_defaults_are_the_explainer_defaults() -> None:
    assert cli_explain.GRID == explain.EXPLAIN_GRID
    assert cli_explain.PATCH == explain.EXPLAIN_PATCH


def test_annotators_draw_where_they_say() -> None:
    image = load_image(CHELSEA)
    with open_classifier(ClassifierOptions(model="efficientnet_lite0_int8")) as clf:
        result = clf.classify(image)
    frame = image.copy()
    CropBox(color=(255, 0, 0), thickness=1).annotate(frame, (10, 20, 30, 40))
    assert tuple(frame[20, 25]) == (255, 0, 0) and tuple(frame[59, 39]) == (255, 0, 0)
    assert np.array_equal(frame[30, 20], image[30, 20])  # inside the box: untouched
    sheet = LabelSheet(rows=2).annotate(image.copy(), result, "int8")
    assert not np.array_equal(sheet[:40, :80], image[:40, :80])
    assert np.array_equal(sheet[200:, 200:], image[200:, 200:])
    badge = RecBadge().annotate(image.copy(), 65.0)
    assert not np.array_equal(badge[:30, -90:], image[:30, -90:])
    assert np.array_equal(badge[100:, :], image[100:, :])
    heat = np.zeros((4, 4), np.float32)
    heat[0, 0] = 1.0
    hot = HeatMap().annotate(image.copy(), heat, (0, 0, 200, 200))
    corner = np.abs(hot[:40, :40].astype(int) - image[:40, :40]).mean()
    far = np.abs(hot[160:200, 160:200].astype(int) - image[160:200, 160:200]).mean()
    assert corner > far and np.array_equal(hot[:, 201:], image[:, 201:])
