"""The one exception hierarchy of camviz.

Every error camviz raises on purpose derives from :class:`CamvizError`, so the
CLI can print ``Type: message`` and exit non-zero, and the GUI can show the
message in a dialog, without ever printing a traceback for a user's mistake::

    CamvizError
    ├── OptionsError            an option or argument is out of range
    ├── ExtraNotInstalledError  an optional dependency group is missing
    ├── RuntimeUnavailableError no usable TFLite runtime could be imported
    ├── DisplayUnavailableError no screen to open the window on
    ├── ModelError              a model cannot be used
    │   ├── ModelNotFoundError      no zoo entry or file by that name
    │   ├── ModelLoadError          the file is not a valid TFLite model
    │   ├── NotAClassifierError     the model's tensors do not look like a classifier
    │   ├── DelegateError           a delegate library cannot be loaded or used
    │   │   └── AcceleratorError        the accelerator asked for (GPU, NPU) is not here
    │   └── LabelsError             labels missing or of the wrong count
    ├── ImageError              an image cannot be read
    │   ├── ImageNotFoundError      a path does not exist
    │   └── ImageDecodeError        the file is not a decodable image
    │       └── ImageTooLargeError      its header declares more than camviz's limits
    │                                   (pixels, bytes, JPEG scans: camviz.limits)
    ├── SourceError             a frame source cannot be opened or read
    │   ├── CameraNotFoundError     no camera answers at that index or device
    │   └── SourceOpenError         a file or folder source cannot be opened
    ├── DatasetError            a labelled data set (eval, teach) is malformed
    │   └── TeachError              too few samples or classes to teach a new classifier
    ├── InferenceError          the interpreter failed on a frame, or gave no finite output
    ├── PipelineError           a pipeline thread failed or did not stop
    │   └── WorkerLostError         batch workers (Ray actors) died past the retry budget
    ├── WriteRefusedError       a path camviz must write is a device, FIFO, folder or
    │                           symlink loop (also an OSError, as write errors are)
    └── OutputError             results could not be written (a full disk, a size limit,
                                a read-only folder, another writer holds the file)

Each message names the thing at fault and, where there is one, what to do.
"""

from __future__ import annotations

__all__ = [
    "CamvizError",
    "OptionsError",
    "ExtraNotInstalledError",
    "RuntimeUnavailableError",
    "DisplayUnavailableError",
    "ModelError",
    "ModelNotFoundError",
    "ModelLoadError",
    "NotAClassifierError",
    "DelegateError",
    "AcceleratorError",
    "LabelsError",
    "ImageError",
    "ImageNotFoundError",
    "ImageDecodeError",
    "ImageTooLargeError",
    "SourceError",
    "CameraNotFoundError",
    "SourceOpenError",
    "DatasetError",
    "InferenceError",
    "PipelineError",
    "WorkerLostError",
    "TeachError",
    "WriteRefusedError",
    "OutputError",
    "format_error",
    "terminal_safe",
]


class CamvizError(Exception):
    """Base of every error camviz raises on purpose."""


class OptionsError(CamvizError, ValueError):
    """An option or argument is out of range or of the wrong kind."""


class ExtraNotInstalledError(CamvizError, ImportError):
    """An optional dependency group is not installed.

    The message names the ``pip install 'camviz[extra]'`` command that fixes it.
    """

    def __init__(self, feature: str, extra: str, missing: str) -> None:
        super().__init__(
            f"{feature} needs the '{extra}' extra ({missing} is not installed): "
            f"run  pip install 'camviz[{extra}]'"
        )
        self.extra = extra
        self.missing = missing


class RuntimeUnavailableError(CamvizError):
    """Neither ai-edge-litert nor tflite-runtime can be used."""


class DisplayUnavailableError(CamvizError):
    """The window cannot open: no display server and no Qt platform chosen."""


class ModelError(CamvizError):
    """A model cannot be used."""


class ModelNotFoundError(ModelError):
    """No model of the zoo has that name and no file has that path."""


class ModelLoadError(ModelError):
    """The file exists but the runtime cannot load it as a TFLite model."""


class NotAClassifierError(ModelError):
    """The model loads but its input or output is not that of an image classifier."""


class DelegateError(ModelError):
    """A delegate (Edge TPU, GPU, ... by library path) cannot be loaded or applied."""


class AcceleratorError(DelegateError):
    """The accelerator asked for (``--accelerator gpu``, ``npu``) is not on this machine or
    not offered by the runtime; the message names what is missing and what is there."""


class LabelsError(ModelError):
    """The labels are missing, unreadable or do not match the model's classes."""


class ImageError(CamvizError):
    """An image cannot be read."""


class ImageNotFoundError(ImageError):
    """A path given as an image does not exist."""


class ImageDecodeError(ImageError):
    """A file exists but is not an image OpenCV can decode."""


class ImageTooLargeError(ImageDecodeError):
    """The image declares more pixels, bytes or JPEG scans than :mod:`camviz.limits` allow.

    Raised from the file's header, before anything is decoded; the message names
    the environment variable that raises the limit.
    """


class SourceError(CamvizError):
    """A frame source cannot be opened or read."""


class CameraNotFoundError(SourceError):
    """No camera answers at that index or device path."""


class SourceOpenError(SourceError):
    """A video, image or folder source cannot be opened."""


class DatasetError(CamvizError):
    """A labelled data set is malformed (no classes, unknown class, bad CSV row...)."""


class InferenceError(CamvizError):
    """The interpreter raised while classifying a frame, or its output is not finite."""


class PipelineError(CamvizError):
    """A pipeline thread failed or did not stop in time."""


class WorkerLostError(PipelineError):
    """Batch workers (Ray actors) died and a photo could not be finished within the retry
    budget; what was written before is whole, so ``--resume`` finishes the run."""


class TeachError(DatasetError):
    """Too few samples or classes to teach a classifier (``camviz teach``, TeachSession)."""


class WriteRefusedError(CamvizError, OSError):
    """A path camviz must write is not a regular file (a device, a FIFO, a folder, a loop).

    Also an :class:`OSError`, so every caller that reports write errors reports it.
    """


class OutputError(CamvizError):
    """Results could not be written to an output file: the message names the file and the
    cause (full disk, size limit, read-only folder, a second writer). What was written
    before stays whole, one valid line per input."""


def format_error(exc: BaseException) -> str:
    """``Type: message`` on one line, as the CLI prints it and the GUI titles it.

    The text is as raised (JSON records carry it so); a terminal line passes it
    through :func:`terminal_safe` first.
    """
    message = " ".join(str(exc).split()) or exc.__class__.__name__
    return f"{exc.__class__.__name__}: {message}"


#: C0 controls but tab and newline, DEL, and the C1 controls U+0080..U+009F.
_CONTROLS = {c: f"\\x{c:02x}" for c in (*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F)}
_CONTROLS.update({c: f"\\u{c:04x}" for c in range(0x80, 0xA0)})
_CONTROLS.update({0x0A: "\\n", 0x09: "\\t"})
#: Bidirectional controls (marks, embeddings, overrides, isolates): a name holding U+202E
#: is shown reversed after it ("photo\u202egpj.exe" reads as "photoexe.jpg").
_BIDI = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
_CONTROLS.update({c: f"\\u{c:04x}" for c in _BIDI})
_CONTROLS_LINES = {c: v for c, v in _CONTROLS.items() if c != 0x0A}


def terminal_safe(text: str, *, lines: bool = False) -> str:
    """``text`` with every control character escaped (``ESC`` as ``\\x1b``, ``BEL`` as
    ``\\x07``, CR as ``\\x0d``, C1 as ``\\u009b``, a bidi override as ``\\u202e``...),
    so a file name, label, source or message from outside cannot move the cursor,
    retitle the window, write the clipboard or show itself reversed. The one function
    every text line camviz prints goes through; JSON is left to the JSON encoder.
    ``lines=True`` keeps newlines (multi-line text), else a newline is escaped as ``\\n``.
    """
    if text.isprintable():
        return text
    return text.translate(_CONTROLS_LINES if lines else _CONTROLS)
