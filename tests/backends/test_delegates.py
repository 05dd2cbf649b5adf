"""Delegates: XNNPACK on and off give the same answers; a library that is no delegate is refused."""

from __future__ import annotations

import ctypes.util
from pathlib import Path

import numpy as np
import pytest

from camviz.backends import Delegate, DelegateKind
from camviz.classifier import Classifier, ClassifierOptions
from camviz.errors import DelegateError, OptionsError


def test_parse_names_and_libraries() -> None:
    assert Delegate.parse("xnnpack") == Delegate()
    assert Delegate.parse("CPU").kind is DelegateKind.CPU
    d = Delegate.parse("/usr/lib/libedgetpu.so.1:device=usb, priority=1")
    assert d.kind is DelegateKind.EXTERNAL and d.library == Path("/usr/lib/libedgetpu.so.1")
    assert d.options == (("device", "usb"), ("priority", "1"))
    assert str(d) == "/usr/lib/libedgetpu.so.1:device=usb,priority=1"
    with pytest.raises(OptionsError, match="is not key=value"):
        Delegate.parse("/lib/x.so:usb")
    with pytest.raises(OptionsError, match="takes no options"):
        Delegate(DelegateKind.CPU, options=(("a", "b"),))


def test_cpu_without_xnnpack_gives_the_same_answer(chelsea: np.ndarray) -> None:
    with (
        Classifier.create(ClassifierOptions(delegate=Delegate())) as fast,
        Classifier.create(ClassifierOptions(delegate=Delegate.parse("cpu"))) as plain,
    ):
        a, b = fast.classify(chelsea), plain.classify(chelsea)
        assert plain.info.delegate == "cpu" and fast.info.delegate == "xnnpack"
    assert a.top is not None and b.top is not None and a.top.index == b.top.index
    assert np.abs(a.probabilities - b.probabilities).max() < 0.05


def test_missing_library_is_named(tmp_path: Path) -> None:
    gone = tmp_path / "libedgetpu.so.1"
    with pytest.raises(DelegateError, match=f"delegate library {gone} does not exist"):
        Classifier.create(ClassifierOptions(delegate=Delegate.parse(f"{gone}:device=usb")))


def test_a_library_that_is_no_delegate_is_refused_by_name() -> None:
    name = ctypes.util.find_library("m")  # libm: a real shared library, not a TFLite delegate
    if name is None:
        pytest.skip("libm not found to stand in for a foreign library")
    path = next(
        (
            p
            for d in ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib")
            if (p := Path(d) / name).is_file()
        ),
        None,
    )
    if path is None:
        pytest.skip(f"{name} is not in a standard folder")
    with pytest.raises(DelegateError, match=f"delegate library {path} cannot be loaded"):
        Classifier.create(ClassifierOptions(delegate=Delegate(DelegateKind.EXTERNAL, path)))
