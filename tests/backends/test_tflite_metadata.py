"""camviz.backends.tflite_metadata on the shipped models (and damaged copies of them)."""

from __future__ import annotations

import json
import random
import struct
from pathlib import Path

import numpy as np
import pytest

from camviz.backends.tflite_metadata import ModelMetadata, read_metadata, read_metadata_file
from camviz.errors import ModelLoadError

MODELS = Path(__file__).resolve().parents[2] / "models"
MANIFEST = json.loads((MODELS / "manifest.json").read_text(encoding="utf-8"))
ENTRIES = {m["name"]: m for m in MANIFEST["models"]}
LABELS = tuple((MODELS / "imagenet_labels.txt").read_text(encoding="utf-8").splitlines())


@pytest.fixture(scope="module")
def lite0_int8() -> bytes:
    return (MODELS / "efficientnet_lite0_int8.tflite").read_bytes()


def _metadata_span(model: bytes) -> tuple[int, int]:
    """(start, length) of the metadata flatbuffer inside the model (found by its identifier)."""
    start = model.index(b"M001") - 4
    (length,) = struct.unpack_from("<I", model, start - 4)
    return start, length


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_shipped_models_carry_metadata(name: str) -> None:
    entry = ENTRIES[name]
    md = read_metadata_file(MODELS / entry["file"])
    assert isinstance(md, ModelMetadata)
    assert md.name and entry["architecture"] in md.name
    assert md.description and "probabilities (a softmax in the graph)" in md.description
    assert md.labels == LABELS
    # MediaPipe's display names (display_names_locale "en"): the same names, locale en
    assert [(locale, list(names)) for locale, names in md.display_names] == [("en", list(LABELS))]
    assert len(md.labels) == entry["num_classes"] == 1000
    assert md.labels[281] == "tabby, tabby cat"
    assert md.labels_file == "labels.txt"
    assert md.mean == tuple(entry["preprocessing"]["mean"]) == (0.0, 0.0, 0.0)
    assert md.std == tuple(entry["preprocessing"]["std"]) == (1.0, 1.0, 1.0)
    expected_space = "RGB" if entry["preprocessing"]["color_order"] == "RGB" else "UNKNOWN"
    assert md.color_space == expected_space
    assert md.min_parser_version == "1.0.0"


def test_default_model_is_shipped() -> None:
    assert MANIFEST["default"] in ENTRIES
    assert (MODELS / ENTRIES[MANIFEST["default"]]["file"]).is_file()


def test_model_without_metadata_gives_none(lite0_int8: bytes) -> None:
    # Renaming the Model.metadata entry leaves a valid model whose metadata is not standard.
    assert lite0_int8.count(b"TFLITE_METADATA") == 1
    stripped = lite0_int8.replace(b"TFLITE_METADATA", b"SOMETHING_ELSE!")
    assert read_metadata(stripped) is None


def test_not_a_tflite_model_raises() -> None:
    with pytest.raises(ModelLoadError, match="TFL3"):
        read_metadata(b"this is not a model at all")
    with pytest.raises(ModelLoadError):
        read_metadata(b"")


def test_wrong_metadata_identifier_raises(lite0_int8: bytes) -> None:
    start, _ = _metadata_span(lite0_int8)
    bad = bytearray(lite0_int8)
    bad[start + 4 : start + 8] = b"X001"
    with pytest.raises(ModelLoadError, match="metadata is corrupt"):
        read_metadata(bytes(bad))


def test_metadata_offsets_out_of_range_raise(lite0_int8: bytes) -> None:
    start, _ = _metadata_span(lite0_int8)
    bad = bytearray(lite0_int8)
    struct.pack_into("<I", bad, start, 0x7FFFFFF0)  # root table offset far outside
    with pytest.raises(ModelLoadError, match="metadata is corrupt"):
        read_metadata(bytes(bad))


def test_missing_label_zip_raises(lite0_int8: bytes) -> None:
    start, length = _metadata_span(lite0_int8)
    zip_start = lite0_int8.rindex(b"PK\x03\x04")
    assert zip_start > start + length
    with pytest.raises(ModelLoadError, match=r"labels\.txt"):
        read_metadata(lite0_int8[:zip_start])


def test_random_damage_never_escapes_as_another_error(lite0_int8: bytes) -> None:
    start, length = _metadata_span(lite0_int8)
    rng = random.Random(1234)
    outcomes = set()
    for _ in range(300):
        bad = bytearray(lite0_int8)
        for _ in range(rng.randint(1, 4)):
            bad[start + rng.randrange(length)] = rng.randrange(256)
        try:
            md = read_metadata(bytes(bad))
            outcomes.add("ok" if md is not None else "none")
        except ModelLoadError as exc:
            assert str(exc)
            outcomes.add("error")
    assert "error" in outcomes


@pytest.mark.parametrize(
    "name", sorted(n for n, e in ENTRIES.items() if e["checks"].get("reference"))
)
def test_float_models_match_numpy_reference(name: str) -> None:
    interpreter_mod = pytest.importorskip("ai_edge_litert.interpreter")
    entry = ENTRIES[name]
    ref = np.load(MODELS / entry["checks"]["reference"], allow_pickle=False)
    from camviz.backends.tflite_graph import with_outputs

    content = (MODELS / entry["file"]).read_bytes()
    # the shipped graph ends in a softmax; its "logits" tensor is what the reference checks
    for model, probabilities in ((with_outputs(content, ["logits"]), False), (content, True)):
        it = interpreter_mod.Interpreter(model_content=model, num_threads=1)
        it.allocate_tensors()
        inp = it.get_input_details()[0]
        out = it.get_output_details()[0]
        assert list(inp["shape"][1:3]) == entry["input_size"]
        worst = 0.0
        for pixels, logits in zip(ref["inputs"], ref["logits"], strict=True):
            it.set_tensor(inp["index"], pixels[None].astype(np.float32))
            it.invoke()
            got = it.get_tensor(out["index"])[0].astype(np.float64)
            want = np.exp(logits - logits.max()) if probabilities else logits
            want = want / want.sum() if probabilities else want
            worst = max(worst, float(np.max(np.abs(got - want))))
            assert int(np.argmax(got)) == int(np.argmax(logits))
        assert worst <= (1e-5 if probabilities else float(ref["tolerance"]))


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_manifest_matches_shipped_file(name: str) -> None:
    import hashlib

    entry = ENTRIES[name]
    data = (MODELS / entry["file"]).read_bytes()
    assert len(data) == entry["bytes"] < 30 * 1024 * 1024
    assert hashlib.sha256(data).hexdigest() == entry["sha256"]
    assert len(LABELS) == 1000
    interpreter_mod = pytest.importorskip("ai_edge_litert.interpreter")
    it = interpreter_mod.Interpreter(model_content=data, num_threads=1)
    inp = it.get_input_details()[0]
    out = it.get_output_details()[0]
    assert list(inp["shape"]) == [1, *entry["input_size"], 3]
    assert list(out["shape"]) == [1, entry["num_classes"]]
    assert np.dtype(inp["dtype"]).name == entry["dtype"]
    if entry["dtype"] == "uint8":
        assert inp["quantization"] == (
            entry["input_quantization"]["scale"],
            entry["input_quantization"]["zero_point"],
        )
    else:
        assert entry["input_quantization"] is None
    # every zoo model ends in a float32 softmax (int8 ones after a DEQUANTIZE of their logits)
    assert entry["output"] == "probabilities" and entry["output_quantization"] is None
    assert np.dtype(out["dtype"]).name == entry["output_dtype"] == "float32"


@pytest.mark.parametrize(
    ("mean", "std", "why"),
    [
        ((0.0,), (0.0,), r"std \[0\.0\] is not above zero"),
        ((0.0, 0.0), (1.0, 1.0), r"mean has 2 values; it takes 1 or 3"),
        ((0.0,), (-1.0, 1.0, 1.0), r"std \[-1\.0, 1\.0, 1\.0\] is not above zero"),
    ],
)
def test_normalisation_metadata_is_checked_for_shape_and_sign(
    lite0_int8: bytes, mean: tuple[float, ...], std: tuple[float, ...], why: str
) -> None:
    from camviz import backends as export

    labels = [f"class {i}" for i in range(1000)]
    meta = export.ImageClassifierMetadata(
        name="hostile normalisation",
        description="camviz test model",
        version="1",
        author="camviz tests",
        license="Apache-2.0",
        input_name="image",
        input_description="RGB image",
        color_space="RGB",
        width=224,
        height=224,
        mean=mean,
        std=std,
        input_min=0.0,
        input_max=255.0,
        output_name="scores",
        output_description="logits",
        labels_file="labels.txt",
        labels_description="labels",
    )
    content = export.add_metadata(lite0_int8, meta, labels)
    with pytest.raises(ModelLoadError, match=f"metadata is corrupt: the input normalisation {why}"):
        read_metadata(content)
