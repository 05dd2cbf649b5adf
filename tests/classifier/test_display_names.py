"""Display names from a model's metadata (MediaPipe's display_names_locale), end to end.

The model is the shipped EfficientNet-Lite0 int8 with its metadata rewritten by
camviz.backends.add_metadata: the English labels file (no locale) stays the
labels, and label files tagged "fr" and "de" carry display names.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from camviz import limits
from camviz.backends import DisplayNames, ImageClassifierMetadata, add_metadata
from camviz.backends.tflite_metadata import read_metadata
from camviz.classifier import Classifier, ClassifierOptions
from camviz.errors import LabelsError, ModelLoadError, OptionsError
from camviz.imageio import load_image

from ..conftest import MODELS, PHOTOS, ROOT

LABELS = (MODELS / "imagenet_labels.txt").read_text(encoding="utf-8").splitlines()
FRENCH = {281: "chat tigré", 282: "chat rayé", 285: "chat égyptien", 287: "lynx"}


def _french(i: int) -> str:
    return FRENCH.get(i, f"classe {i}")


def _metadata(display: tuple[DisplayNames, ...]) -> ImageClassifierMetadata:
    return ImageClassifierMetadata(
        name="EfficientNet-Lite0 int8 with display names",
        description="camviz test model",
        version="1",
        author="camviz tests",
        license="Apache-2.0",
        input_name="image",
        input_description="RGB image",
        color_space="RGB",
        width=224,
        height=224,
        mean=(0.0,),
        std=(1.0,),
        input_min=0.0,
        input_max=255.0,
        output_name="scores",
        output_description="logits of the ImageNet-1k classes",
        labels_file="labels.txt",
        labels_description="ImageNet-1k labels",
        display_names=display,
    )


def _write(folder: Path, display: tuple[DisplayNames, ...], name: str = "named.tflite") -> Path:
    base = (MODELS / "efficientnet_lite0_int8.tflite").read_bytes()
    path = folder / name
    path.write_bytes(add_metadata(base, _metadata(display), LABELS))
    return path


FR = DisplayNames("fr", "labels_fr.txt", tuple(_french(i) for i in range(1000)))
DE = DisplayNames("de", "labels_de.txt", tuple(f"Klasse {i}" for i in range(1000)))


@pytest.fixture(scope="module")
def named_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write(tmp_path_factory.mktemp("display"), (FR, DE))


def test_metadata_reader_keeps_labels_and_reads_each_locale(named_model: Path) -> None:
    md = read_metadata(named_model.read_bytes())
    assert md is not None and md.labels == tuple(LABELS)
    assert md.display_name_locales == ("fr", "de")
    assert md.display_names_for("fr") == FR.names
    assert md.display_names_for("de") == DE.names
    assert md.display_names_for("en") is None


def test_classifier_names_categories_in_the_chosen_locale(named_model: Path) -> None:
    chelsea = load_image(PHOTOS / "skimage/chelsea.png")
    with Classifier.create(model=str(named_model), display_names_locale="fr") as clf:
        assert clf.info.labels_source == "model metadata"
        assert clf.info.display_names_locale == "fr"
        result = clf.classify(chelsea)
    assert result.top is not None and result.top.index in FRENCH
    for cat in result.categories:
        assert cat.label == LABELS[cat.index]  # the labels stay the labels
        assert cat.display_name == _french(cat.index)
        assert cat.to_dict()["display_name"] == _french(cat.index)
    assert clf.info.to_dict()["display_names"] == {"locale": "fr", "available": ["fr", "de"]}


def test_default_locale_without_a_file_falls_back_to_the_short_label(named_model: Path) -> None:
    # "en" (the default, as in MediaPipe) has no file here: the labels' first synonyms are shown
    chelsea = load_image(PHOTOS / "skimage/chelsea.png")
    with Classifier.create(model=str(named_model)) as clf:
        assert clf.info.display_names_locale is None
        result = clf.classify(chelsea)
    for cat in result.categories:
        assert cat.display_name == cat.label.split(",")[0].strip()


def test_labels_the_user_gives_replace_the_display_names(named_model: Path, tmp_path: Path) -> None:
    mine = tmp_path / "mine.txt"
    mine.write_text("\n".join(f"mine {i}" for i in range(1000)) + "\n", encoding="utf-8")
    with Classifier.create(model=str(named_model), labels=mine, display_names_locale="fr") as clf:
        assert clf.info.display_names_locale is None
        top = clf.classify(load_image(PHOTOS / "skimage/chelsea.png")).top
    assert top is not None and top.label == top.display_name == f"mine {top.index}"


def test_display_names_that_do_not_match_the_classes_are_a_clear_error(tmp_path: Path) -> None:
    short = DisplayNames("it", "labels_it.txt", tuple(f"classe {i}" for i in range(999)))
    path = _write(tmp_path, (short,))
    with pytest.raises(LabelsError, match=r"999 display names \(it\) but has 1000 classes"):
        Classifier.create(model=str(path), display_names_locale="it")
    with Classifier.create(model=str(path)) as clf:  # another locale still loads
        assert clf.info.display_name_locales == ("it",)


@pytest.mark.parametrize("bad", ["", "f", "en us", "fr\n", "../x", "x" * 9, 5])
def test_locale_is_checked_when_options_are_made(bad: object) -> None:
    with pytest.raises(OptionsError, match="display_names_locale must be a locale"):
        ClassifierOptions(display_names_locale=bad)  # type: ignore[arg-type]


def test_all_label_files_together_stay_under_the_packed_limit(
    named_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # each file alone fits the limit; together they do not, so many locales cannot add up
    sizes = [len(("\n".join(n) + "\n").encode()) for n in (LABELS, FR.names, DE.names)]
    monkeypatch.setattr(limits, "MAX_PACKED_FILE_BYTES", max(sizes) + 1)
    assert sum(sizes[:2]) > max(sizes) + 1
    with pytest.raises(ModelLoadError, match="labels_fr.txt.*it was not unpacked"):
        read_metadata(named_model.read_bytes())


def test_cli_prints_and_writes_the_display_name(named_model: Path) -> None:
    photo = PHOTOS / "skimage/chelsea.png"
    common = [sys.executable, "-m", "camviz", "classify", "--model", str(named_model), str(photo)]

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*common, *extra], capture_output=True, text=True, cwd=ROOT, timeout=120
        )

    human = run("--display-names-locale", "fr", "--quiet")
    assert human.returncode == 0, human.stderr
    first = human.stdout.splitlines()[2]  # after the runtime's line and the photo's
    assert any(f"{name} [{LABELS[i]}]" in first for i, name in FRENCH.items()), first
    record = json.loads(run("--display-names-locale", "fr", "--json").stdout)
    assert {c["display_name"] for c in record["top"][:1]} <= set(FRENCH.values())
    bad = run("--display-names-locale", "en us")
    assert bad.returncode != 0
    assert bad.stderr.strip().splitlines()[-1].startswith("OptionsError: display_names_locale")
