"""The *.head.npz format: saved heads reload exactly; corrupt or foreign files are refused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from camviz.errors import ModelLoadError, ModelNotFoundError, OptionsError
from camviz.teach import HEAD_SUFFIX, Head, TeachSession, load_head

from .conftest import ClipFeatures


def test_saved_head_reloads_with_identical_probabilities(
    trained: TeachSession,
    clip_features: ClipFeatures,
    tmp_path: Path,
) -> None:
    head = trained.head
    assert head is not None
    path = trained.save(tmp_path / f"clips{HEAD_SUFFIX}")
    assert not list(tmp_path.glob("*.tmp"))  # atomic write left nothing behind
    again = load_head(path)
    features = np.concatenate([f for _, f in clip_features.values()])
    assert np.array_equal(head.probabilities(features), again.probabilities(features))
    assert again.labels == head.labels and again.backbone == "efficientnet_lite0_int8"
    with np.load(path, allow_pickle=False) as data:
        header = json.loads(data["header"].tobytes().decode())
    assert header["format"] == "camviz-head" and header["version"] == 1
    assert header["backbone"]["sha256"] == trained.extractor.backbone.sha256


def test_corrupt_and_foreign_files_are_refused(tmp_path: Path, trained: TeachSession) -> None:
    junk = tmp_path / f"junk{HEAD_SUFFIX}"
    junk.write_bytes(b"PK\x03\x04 truncated zip")
    with pytest.raises(ModelLoadError, match="not a readable .npz"):
        load_head(junk)
    foreign = tmp_path / f"foreign{HEAD_SUFFIX}"
    with foreign.open("wb") as handle:
        np.savez(handle, weights=np.zeros((2, 3)))
    with pytest.raises(ModelLoadError, match="lacks bias, header, mean, std"):
        load_head(foreign)
    pickled = tmp_path / f"pickled{HEAD_SUFFIX}"
    with pickled.open("wb") as handle:
        np.savez(handle, header=np.array([{"format": "camviz-head"}], dtype=object))
    with pytest.raises(ModelLoadError, match="not a readable .npz"):
        load_head(pickled)  # object arrays would need pickle: never loaded
    head = trained.head
    assert head is not None
    bad = Head(**{**head.__dict__, "labels": head.labels[:3]})
    with pytest.raises(ModelLoadError, match="shapes disagree"):
        load_head(bad.save(tmp_path / f"bad{HEAD_SUFFIX}"))
    with pytest.raises(ModelNotFoundError):
        load_head(tmp_path / f"missing{HEAD_SUFFIX}")
    with pytest.raises(OptionsError, match="does not end in .head.npz"):
        head.save(tmp_path / "model.npz")
