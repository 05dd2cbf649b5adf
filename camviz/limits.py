"""Resource limits on everything camviz reads from a user: checked before the work.

A hostile or damaged file must fail with a one-line error in seconds and in
bounded memory, never by exhausting the machine. Every reader checks what the
file *declares* (pixel count in an image header, scan count of a JPEG, member
sizes in a zip, array shapes in a ``.npy`` header) against these limits before
it decodes, inflates or allocates anything:

=========================  =====================  ==========================================
constant                   environment variable   what it bounds
=========================  =====================  ==========================================
MAX_IMAGE_PIXELS           CAMVIZ_MAX_PIXELS      width x height of a photo or video frame
MAX_IMAGE_BYTES            CAMVIZ_MAX_IMAGE_MB    size of a photo file
MAX_JPEG_SCANS             CAMVIZ_MAX_JPEG_SCANS  start-of-scan markers of one JPEG
MAX_TEXT_BYTES             CAMVIZ_MAX_TEXT_MB     labels files, eval CSVs
MAX_CSV_FIELD_BYTES        (none)                 one field of an eval CSV row
MAX_PACKED_FILE_BYTES      (none)                 label files packed in a model's metadata, together
MAX_MODEL_BYTES            CAMVIZ_MAX_MODEL_MB    a model file read for its metadata
MAX_HEAD_ARRAY_BYTES       CAMVIZ_MAX_HEAD_MB     one array of a taught ``*.head.npz``
TEACH_FRAME_MAX_SIDE       (none)                 longer side of a video frame kept for teaching
CHILD_MEMORY_MB            CAMVIZ_CHILD_MEMORY_MB address space of a model's test-load child
MODEL_CHECK_TIMEOUT_S      CAMVIZ_MODEL_CHECK_S   time a model's test load may take
=========================  =====================  ==========================================

The environment variables are read once, when camviz is imported; a value that
is not a positive number is refused in one warning line (the default stays). Importing this module
also sets OpenCV's own decoder limit ``OPENCV_IO_MAX_IMAGE_PIXELS`` (unless the
user set it), which OpenCV reads when ``cv2`` is first imported: a second line of
defence for formats whose header camviz does not parse.
"""

from __future__ import annotations

import logging
import math
import os
from typing import Final

__all__ = [
    "CHILD_MEMORY_MB",
    "MAX_CSV_FIELD_BYTES",
    "MAX_HEAD_ARRAY_BYTES",
    "MAX_IMAGE_BYTES",
    "MAX_IMAGE_PIXELS",
    "MAX_JPEG_SCANS",
    "MAX_MODEL_BYTES",
    "MAX_PACKED_FILE_BYTES",
    "MAX_TEXT_BYTES",
    "MODEL_CHECK_TIMEOUT_S",
    "TEACH_FRAME_MAX_SIDE",
    "from_env",
]

_MB: Final = 2**20


def from_env(name: str, default: float, scale: float = 1.0) -> float:
    """``float(os.environ[name]) * scale`` if that is a finite positive number, else ``default``.

    A value given but not taken (``500MB``, ``-1``, ``1e400``, ``\u00b2``) is said in one
    warning line naming the variable and the default kept, never ignored silently.
    """
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text) * scale
    except ValueError:
        value = math.nan
    if math.isfinite(value) and value > 0:
        return value
    kept = default / scale
    shown = f"{kept:.0f}" if kept == int(kept) else f"{kept:g}"
    logging.getLogger("camviz.limits").warning(
        "%s=%r is not a positive number; the default %s%s stays",
        name,
        text,
        shown,
        " MB" if scale == _MB else "",
    )
    return default


#: Pixels (width x height) of one photo: 50 MP covers 8K frames and 48 MP phone photos;
#: decoded as 16-bit RGBA that is 400 MB, so set CAMVIZ_MAX_PIXELS for bigger scans.
MAX_IMAGE_PIXELS: Final = int(from_env("CAMVIZ_MAX_PIXELS", 50_000_000))
#: Bytes of one photo file (CAMVIZ_MAX_IMAGE_MB in MB).
MAX_IMAGE_BYTES: Final = int(from_env("CAMVIZ_MAX_IMAGE_MB", 200 * _MB, _MB))
#: Scans of one JPEG: encoders write 1 (baseline) to ~12 (progressive); every scan
#: makes the decoder walk the whole image again, so thousands take minutes.
MAX_JPEG_SCANS: Final = int(from_env("CAMVIZ_MAX_JPEG_SCANS", 100))
#: Bytes of a text input: a labels file, an eval CSV (CAMVIZ_MAX_TEXT_MB in MB).
MAX_TEXT_BYTES: Final = int(from_env("CAMVIZ_MAX_TEXT_MB", 64 * _MB, _MB))
#: Bytes of one CSV field (a path or a list of class indices).
MAX_CSV_FIELD_BYTES: Final = 64 * 1024
#: Inflated bytes of the label files packed in a model's metadata, all locales together
#: (a labels file is ~10-50 KB).
MAX_PACKED_FILE_BYTES: Final = 16 * _MB
#: Bytes of a model file camviz reads itself (for its metadata; CAMVIZ_MAX_MODEL_MB in MB).
MAX_MODEL_BYTES: Final = int(from_env("CAMVIZ_MAX_MODEL_MB", 1024 * _MB, _MB))
#: Declared bytes of one array of a taught head (1000 classes x 1280 features is 5 MB).
MAX_HEAD_ARRAY_BYTES: Final = int(from_env("CAMVIZ_MAX_HEAD_MB", 256 * _MB, _MB))
#: Video frames kept while teaching are shrunk to this longer side as they are sampled
#: (models see 224-512 px), so 50 frames of a 4K video hold 80 MB, not 1.2 GB.
TEACH_FRAME_MAX_SIDE: Final = 1024
#: Address-space limit of the child that test-loads a user's model, MB: the biggest
#: zoo model needs well under 1 GB; 2 GB leaves the machine usable when a model asks
#: for more. Raise CAMVIZ_CHILD_MEMORY_MB for a bigger model of your own.
CHILD_MEMORY_MB: Final = int(from_env("CAMVIZ_CHILD_MEMORY_MB", 2048))
#: Seconds a model's test load (load + one invoke) may take before it counts as hung.
MODEL_CHECK_TIMEOUT_S: Final = from_env("CAMVIZ_MODEL_CHECK_S", 20.0)

os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(MAX_IMAGE_PIXELS))
