"""Hostile files: mutated real photos and models, the child-process model check, no pickles."""

from __future__ import annotations

import io
import sys
import threading
import time
import zipfile
from pathlib import Path

import fuzz
import numpy as np
import pytest

from camviz.classifier import ClassifierOptions
from camviz.errors import ModelLoadError, ModelNotFoundError
from camviz.loading import check_model_file, needs_check, open_classifier
from camviz.pipeline import EventKind, Pipeline, PipelineEvent, PipelineOptions
from camviz.sources import ImageSource

from ..conftest import MODELS, PHOTOS

LITE0 = "efficientnet_lite0_int8"


# ------------------------------------------------------------------ fuzzing, small CI version
def test_mutations_are_reproducible_and_change_the_file() -> None:
    corpus = fuzz.image_corpus()
    assert len(corpus) >= 20
    a = fuzz.mutate("image-7-3", corpus, {}, 4096)
    b = fuzz.mutate("image-7-3", corpus, {}, 4096)
    assert a == b
    changed = sum(
        fuzz.mutate(f"image-0-{i}", corpus, {}, 4096)[1]
        != fuzz.mutate(f"image-0-{i}", corpus, {}, 4096)[0].read_bytes()
        for i in range(50)
    )
    assert changed >= 48  # a flip back to the same byte is possible, but rare


@pytest.mark.slow
def test_300_mutated_photos_never_crash_the_decoder() -> None:
    tally = fuzz.fuzz_images(300, seed=1)
    assert tally.tried == 300
    assert tally.crashes == [] and tally.hangs == 0
    assert not tally.unexpected, tally.unexpected  # only ImageError subclasses, or an image
    assert tally.accepted > 0 and sum(tally.errors.values()) > 0
    # header damage may also declare a huge size: refused before decoding
    assert set(tally.errors) <= {"ImageDecodeError", "ImageTooLargeError"}


@pytest.mark.slow
def test_30_mutated_models_are_checked_and_the_app_survives() -> None:
    if not (MODELS / f"{LITE0}.tflite").is_file():
        pytest.skip("models/efficientnet_lite0_int8.tflite")
    tally = fuzz.fuzz_models(30, seed=1, workers=2)
    # this process loaded every file the check accepted and is still here
    assert tally.tried == 30
    assert not tally.unexpected, tally.unexpected
    assert tally.hangs == 0
    assert tally.accepted + sum(tally.errors.values()) + len(tally.crashes) == 30
    assert sum(tally.errors.values()) > 0


# ------------------------------------------------------------------ the child-process check
def test_check_accepts_a_real_model() -> None:
    check = check_model_file(MODELS / f"{LITE0}.tflite")
    assert check.input_size == (224, 224) and check.num_classes == 1000
    assert check.dtype == "uint8"


def test_check_refuses_non_models_with_the_in_process_message(tmp_path: Path) -> None:
    bad = tmp_path / "photo.tflite"
    bad.write_bytes((PHOTOS / "skimage" / "chelsea.png").read_bytes())
    with pytest.raises(ModelLoadError, match="photo.tflite is not a loadable TFLite model"):
        check_model_file(bad)
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        check_model_file(tmp_path / "gone.tflite")


def _fake_child(monkeypatch: pytest.MonkeyPatch, code: str) -> None:
    import camviz.loading.safety as safety

    monkeypatch.setattr(safety, "_child_command", lambda path: [sys.executable, "-c", code])
    safety.forget_checks()  # files that passed with the real child must be tried again


def test_a_crash_in_the_test_load_is_a_clear_model_load_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fake_child(monkeypatch, "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)")
    path = MODELS / f"{LITE0}.tflite"
    with pytest.raises(ModelLoadError) as info:
        check_model_file(path)
    assert str(info.value) == (
        f"{path} crashed the TFLite runtime in a test load (SIGSEGV, signal 11); it was not loaded"
    )
    _fake_child(monkeypatch, "import os; os.abort()")
    with pytest.raises(ModelLoadError, match=r"\(SIGABRT, signal 6\)"):
        check_model_file(path)


def test_a_hanging_test_load_times_out_and_cancel_is_prompt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fake_child(monkeypatch, "import time; time.sleep(60)")
    path = MODELS / f"{LITE0}.tflite"
    start = time.monotonic()
    with pytest.raises(ModelLoadError, match="did not finish a test load within 1 s"):
        check_model_file(path, timeout=1.0)
    assert time.monotonic() - start < 5
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    start = time.monotonic()
    with pytest.raises(ModelLoadError, match="cancelled"):
        check_model_file(path, cancel=cancel)
    assert time.monotonic() - start < 3


def test_zoo_names_are_trusted_and_paths_are_checked() -> None:
    assert not needs_check(LITE0)
    assert not needs_check("")
    assert not needs_check("my.head.npz")
    assert needs_check(MODELS / f"{LITE0}.tflite")
    assert needs_check("/tmp/user.tflite")


def test_a_model_that_crashes_its_test_load_never_reaches_the_pipeline(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, no_leaked_threads: None
) -> None:
    hostile = tmp_path / "hostile.tflite"
    hostile.write_bytes((MODELS / f"{LITE0}.tflite").read_bytes())
    events: list[PipelineEvent] = []
    models: list[str] = []
    source = ImageSource(PHOTOS / "skimage" / "chelsea.png", pace=True, fps=20, interval=60)
    pipe = Pipeline(
        source,
        PipelineOptions(ClassifierOptions(model=LITE0)),
        on_result=lambda fr: models.append(fr.model),
        on_event=events.append,
    )
    with pipe:
        deadline = time.monotonic() + 30
        while not models and time.monotonic() < deadline:
            time.sleep(0.05)
        _fake_child(monkeypatch, "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)")
        pipe.switch_model(ClassifierOptions(model=hostile))
        while time.monotonic() < deadline and not any(
            e.kind is EventKind.MODEL_FAILED for e in events
        ):
            time.sleep(0.05)
        seen = len(models)
        time.sleep(0.5)
        assert len(models) > seen  # the old model kept running
    failed = [e for e in events if e.kind is EventKind.MODEL_FAILED]
    assert len(failed) == 1
    assert "crashed the TFLite runtime in a test load (SIGSEGV" in failed[0].message
    assert set(models) == {LITE0}


def test_a_user_model_is_checked_before_the_first_load_too(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, no_leaked_threads: None
) -> None:
    hostile = tmp_path / "hostile.tflite"
    hostile.write_bytes((MODELS / f"{LITE0}.tflite").read_bytes())
    _fake_child(monkeypatch, "import os; os.abort()")
    events: list[PipelineEvent] = []
    source = ImageSource(PHOTOS / "skimage" / "chelsea.png", pace=True, fps=20, interval=60)
    pipe = Pipeline(
        source, PipelineOptions(ClassifierOptions(model=hostile)), on_event=events.append
    )
    pipe.start()
    assert pipe.wait(30)
    pipe.stop()
    errors = [e for e in events if e.kind is EventKind.ERROR]
    assert errors and "crashed the TFLite runtime in a test load (SIGABRT" in errors[0].message


# ------------------------------------------------------------------ no code execution
class _Marker:
    """Unpickling this would create a file: proof that code ran."""

    path = ""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (Path.touch, (self.path,))  # type: ignore[return-value]


def test_a_taught_model_holding_a_pickle_is_refused_without_running_it(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    evil = _Marker()
    evil.path = str(marker)  # type: ignore[misc]
    head = tmp_path / "evil.head.npz"
    buffer = io.BytesIO()
    np.savez(
        buffer,
        header=np.frombuffer(b'{"format": "camviz-head", "version": 1}', np.uint8),
        weights=np.array([evil], dtype=object),
        bias=np.zeros(2, np.float32),
        mean=np.zeros(4, np.float32),
        std=np.ones(4, np.float32),
    )
    head.write_bytes(buffer.getvalue())
    with zipfile.ZipFile(head) as archive:  # really an object array (a pickle) inside
        assert b"'descr': '|O'" in archive.read("weights.npy")[:128]
    with pytest.raises(ModelLoadError, match="evil.head.npz is not a usable camviz head"):
        open_classifier(ClassifierOptions(model=head))
    assert not marker.exists()
    # NumPy itself would have run it: the refusal above is what protects us
    with np.load(head, allow_pickle=True) as data:
        data["weights"]
    assert marker.exists()


def test_cli_classify_refuses_a_model_that_crashes_its_test_load(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from camviz.cli import main

    hostile = tmp_path / "hostile.tflite"
    hostile.write_bytes((MODELS / f"{LITE0}.tflite").read_bytes())
    _fake_child(monkeypatch, "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)")
    code = main(["classify", str(PHOTOS / "skimage" / "chelsea.png"), "--model", str(hostile)])
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith(f"ModelLoadError: {hostile} crashed the TFLite runtime in a test load")


def test_fuzz_finding_unknown_zip_compression_in_metadata_is_a_clean_error() -> None:
    """Mutation 503 of seed 3 (8 bit flips in lite0 float32) names an unknown compression
    method for the packed labels: it used to escape as NotImplementedError."""
    from camviz.backends.tflite_metadata import read_metadata

    _, data, _ = fuzz.mutate("model-3-503", fuzz.model_corpus(), {}, 65536)
    with pytest.raises(ModelLoadError, match="the packed zip is unreadable"):
        read_metadata(data)
