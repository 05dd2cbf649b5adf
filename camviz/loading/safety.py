"""Checking a user's model file in a child process before the app loads it.

The TFLite runtime is native code: a damaged or hostile ``.tflite`` can make it
read out of bounds and crash (SIGSEGV, SIGABRT), and a crash takes the whole
process down. So a model the user chose (a path, not a zoo name: zoo files are
ours and sha256-checked) is first loaded, shape-checked and invoked once in a
throwaway child (``python -m camviz.loading.probe PATH``) with a time limit,
no core dumps and a bounded address space (:data:`camviz.limits.CHILD_MEMORY_MB`,
2 GB unless ``CAMVIZ_CHILD_MEMORY_MB`` says more; time: ``MODEL_CHECK_TIMEOUT_S``,
``CAMVIZ_MODEL_CHECK_S``). Every command that takes a user's model checks it so:
``classify``, ``eval``, ``bench``, ``models``, the window and the pipeline. Only if
the child succeeds does the app load the file itself:

>>> check_model_file("models/efficientnet_lite0_int8.tflite").num_classes
1000

A clean refusal in the child (not a TFLite file, not a classifier, bad labels)
is raised again here with the same type and message; a crash, a hang or an
unexpected failure becomes a :class:`~camviz.errors.ModelLoadError` saying what
happened and that the file was not loaded.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from camviz import errors, limits
from camviz.backends import AUTO, model_files_hint, runtime_family
from camviz.errors import ModelError, ModelLoadError, ModelNotFoundError
from camviz.fileio import check_regular_file
from camviz.zoo import is_head_path, looks_like_path, resolve_model

__all__ = ["ModelCheck", "check_model_file", "forget_checks", "needs_check", "DEFAULT_TIMEOUT_S"]

#: Seconds a test load may take (``CAMVIZ_MODEL_CHECK_S``).
DEFAULT_TIMEOUT_S = limits.MODEL_CHECK_TIMEOUT_S
#: Address-space limit of the child, MB (``CAMVIZ_CHILD_MEMORY_MB``): the biggest zoo
#: model needs well under 1 GB, and 2 GB leaves the machine usable.
CHILD_MEMORY_MB = limits.CHILD_MEMORY_MB
_REFUSED = 3


@dataclass(frozen=True, slots=True)
class ModelCheck:
    """What a successful test load found."""

    path: Path
    input_size: tuple[int, int]
    num_classes: int
    dtype: str
    seconds: float


def needs_check(model: str | Path) -> bool:
    """True for a user's model file (checked first), False for a zoo name or a taught head.

    Taught heads (``.head.npz``) are read by NumPy without pickle, not by the
    native runtime, and are not checked. A spec that resolves to nothing is not
    checked either: loading it raises the resolver's clear error.
    """
    try:
        return resolve_model(model).is_users_file
    except ModelError:
        return looks_like_path(model) and not is_head_path(model)  # the check reports it


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _refusal(path: Path, kind: str, message: str) -> ModelError:
    cls = getattr(errors, kind, None)
    if isinstance(cls, type) and issubclass(cls, ModelError):
        return cls(message)
    if isinstance(cls, type) and issubclass(cls, errors.CamvizError):
        return ModelLoadError(message)
    return ModelLoadError(
        f"{path} failed a test load ({message}); it was not loaded. "
        f"Choose an image classifier ({model_files_hint()}) or a model from `camviz models`"
    )


def _child_command(path: Path, backend: str = AUTO) -> list[str]:
    command = [sys.executable, "-m", "camviz.loading.probe", str(path), str(CHILD_MEMORY_MB)]
    return command if backend == AUTO else [*command, backend]


#: Files that passed a test load in this process, by identity (device, inode, size, mtime):
#: a file replaced or rewritten since is checked again.
_PASSED: dict[tuple[int, int, int, int, str], ModelCheck] = {}
_PASSED_LOCK = threading.Lock()


def _identity(path: Path) -> tuple[int, int, int, int]:
    st = path.stat()
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def forget_checks() -> None:
    """Forget which files passed (for tests that swap the child process)."""
    with _PASSED_LOCK:
        _PASSED.clear()


def check_model_file(
    path: str | Path,
    *,
    timeout: float = DEFAULT_TIMEOUT_S,
    cancel: threading.Event | None = None,
    backend: str = AUTO,
) -> ModelCheck:
    """Test-load ``path`` in a child process; return what it found or raise a ModelError.

    ``cancel`` (e.g. a pipeline's stop event) kills the child and raises
    :class:`ModelLoadError` promptly. Raises :class:`ModelNotFoundError` if the
    file does not exist. A file that passed before, unchanged, is not run again.
    ``backend`` is the runtime the app will run it on (``auto``: the file's own).
    """
    path = Path(path).expanduser()
    if not path.exists():
        resolve_model(path)  # raises the one "does not exist" message
        raise ModelNotFoundError(
            f"{path} is not a file; give a model file ({model_files_hint()}) or a zoo model name"
        )
    check_regular_file(path, ModelNotFoundError, "models")  # a FIFO, /dev/zero, a folder
    key = (*_identity(path), backend)
    with _PASSED_LOCK:
        passed = _PASSED.get(key)
    if passed is not None:  # this very file passed already: a second child would learn nothing
        return passed
    started = time.monotonic()
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    child = subprocess.Popen(
        _child_command(path) if backend == AUTO else _child_command(path, backend),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        deadline = started + timeout
        while True:
            try:
                out, err = child.communicate(timeout=0.05)
                break
            except subprocess.TimeoutExpired:
                if cancel is not None and cancel.is_set():
                    raise ModelLoadError(f"the test load of {path} was cancelled") from None
                if time.monotonic() >= deadline:
                    raise ModelLoadError(
                        f"{path} did not finish a test load within {timeout:g} s "
                        f"(it hung the {runtime_family(path)} runtime); it was not loaded"
                    ) from None
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    seconds = time.monotonic() - started
    code = child.returncode
    if code < 0:
        name = _signal_name(-code)
        raise ModelLoadError(
            f"{path} crashed the {runtime_family(path)} runtime in a test load "
            f"({name}, signal {-code}); "
            "it was not loaded"
        )
    report: dict[str, object] = {}
    lines = out.decode("utf-8", "replace").strip().splitlines()
    if lines:
        try:
            parsed = json.loads(lines[-1])
            if isinstance(parsed, dict):
                report = parsed
        except json.JSONDecodeError:
            pass
    if code == 0 and report.get("ok") is True:
        size = report.get("input_size")
        classes = report.get("num_classes")
        if isinstance(size, list) and len(size) == 2 and isinstance(classes, int):
            check = ModelCheck(
                path, (int(size[0]), int(size[1])), classes, str(report.get("dtype")), seconds
            )
            with _PASSED_LOCK:
                _PASSED[key] = check
            return check
    if code == _REFUSED and report.get("ok") is False:
        raise _refusal(path, str(report.get("type")), str(report.get("message")))
    tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
    raise ModelLoadError(
        f"{path} made the test load exit with code {code} ({tail[0][:200]}); it was not loaded"
    )
