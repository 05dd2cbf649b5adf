"""``--accelerator cpu|gpu|npu``: LiteRT's CompiledModel for GPU and NPU, and a clear error
naming what is missing on a machine without them (this one has neither, unless it says so)."""

from __future__ import annotations

import numpy as np
import pytest

from camviz import Classifier, ClassifierOptions, load_image
from camviz.backends import BACKENDS, Accelerator
from camviz.backends.litert_compiled import load_compiled
from camviz.errors import AcceleratorError, OptionsError
from tests.conftest import MODELS, PHOTOS, ROOT, camviz

pytest.importorskip(
    "ai_edge_litert.compiled_model", reason="LiteRT's CompiledModel (ai-edge-litert 2)"
)

LITERT = BACKENDS["litert"]
INT8 = MODELS / "efficientnet_lite0_int8.tflite"


def _has(accelerator: Accelerator) -> bool:
    try:
        LITERT.load(INT8.read_bytes(), threads=1, source=str(INT8), accelerator=accelerator)
    except AcceleratorError:
        return False
    return True


def test_the_compiled_model_gives_the_interpreters_outputs() -> None:
    """The CompiledModel path (GPU/NPU in use) reads and writes tensors as the Interpreter."""
    content = INT8.read_bytes()
    compiled = load_compiled(content, threads=2, source=str(INT8), accelerator=Accelerator.CPU)
    # uint8 input; the zoo's int8 models end in a float32 softmax after dequantising their logits
    assert compiled.inputs[0].dtype == np.uint8
    assert compiled.outputs[0].dtype == np.float32 and not compiled.outputs[0].quantized
    photos = sorted(p for p in PHOTOS.rglob("*") if p.is_file())
    with Classifier.create(ClassifierOptions(model="efficientnet_lite0_int8")) as clf:
        for photo in photos:
            tensor = clf.preprocess(load_image(photo))
            assert np.array_equal(compiled.run(tensor[None]), clf.invoke_raw(tensor))
    compiled.close()


@pytest.mark.parametrize(
    ("accelerator", "missing"),
    [(Accelerator.GPU, "No adapters found"), (Accelerator.NPU, "No compiler plugin found")],
)
def test_an_accelerator_that_is_not_here_names_what_is_missing(
    accelerator: Accelerator, missing: str
) -> None:
    if _has(accelerator):
        pytest.skip(f"this machine has a LiteRT {accelerator.value}")
    name = accelerator.value.upper()
    with pytest.raises(AcceleratorError, match=rf"LiteRT has no {name} here \(.*{missing}"):
        Classifier.create(
            ClassifierOptions(model="efficientnet_lite0_int8", accelerator=accelerator)
        )


def test_the_command_line_says_it_in_one_line_without_native_logs() -> None:
    if _has(Accelerator.GPU):
        pytest.skip("this machine has a LiteRT GPU")
    done = camviz(
        "classify", str(ROOT / "assets/photos/skimage/chelsea.png"), "--accelerator", "gpu"
    )
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr[-2000:]
    assert lines[0].startswith("AcceleratorError: LiteRT has no GPU here")
    assert "--accelerator cpu" in lines[0]


def test_an_unknown_accelerator_or_backend_lists_the_choices() -> None:
    with pytest.raises(OptionsError, match="cpu, gpu, npu"):
        ClassifierOptions(accelerator="tpu")
    with pytest.raises(OptionsError, match="auto, litert, onnxruntime, openvino"):
        ClassifierOptions(backend="tensorrt")


def test_mean_and_std_take_one_or_three_numbers_on_the_pixel_scale() -> None:
    options = ClassifierOptions(mean="127.5", std="127.5")
    assert options.mean == (127.5,) * 3 and options.std == (127.5,) * 3
    assert ClassifierOptions(mean="123.7,116.3,103.5", std=(58.4, 57.1, 57.4)).mean == (
        123.7,
        116.3,
        103.5,
    )
    for mean, std, why in (
        ("1,2", "1", "mean must be 1 or 3 finite numbers .* got '1,2'"),
        ("0", "0", "std must be above 0, got '0'"),
        ("nan", "1", "mean must be 1 or 3 finite numbers"),
        ("x", "1", "mean must be 1 or 3 numbers, got 'x'"),
        ("0", None, "mean and std go together"),
    ):
        with pytest.raises(OptionsError, match=why):
            ClassifierOptions(mean=mean, std=std)


@pytest.mark.parametrize("runtime", ["openvino", "onnxruntime"])
def test_a_runtime_without_delegates_refuses_an_external_one_by_name(runtime: str) -> None:
    """ONNX Runtime and OpenVINO run on a device, not through a TFLite delegate library: one
    is refused naming the runtime and what to choose instead, before anything is loaded."""
    backend = BACKENDS[runtime]
    if not backend.installed():
        pytest.skip(f"{backend.title} is not installed (the {backend.extra} extra)")
    from camviz.backends import Delegate

    delegate = Delegate.parse("/usr/lib/libedgetpu.so.1:device=usb")
    with pytest.raises(AcceleratorError, match=rf"{backend.title} takes no TFLite delegate .*"):
        backend.load(b"not read", threads=1, source="m", delegate=delegate)
