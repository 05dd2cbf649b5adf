"""Write standard TFLite model metadata (metadata_schema.fbs, identifier "M001") into a model.

The metadata flatbuffer is built field by field with the ``flatbuffers`` package, then stored
as a new buffer of the model and referenced from ``Model.metadata`` under the name
``TFLITE_METADATA`` (what the TFLite Support / MediaPipe readers look for).  The label file is
packed as the spec does it: a ZIP archive appended after the flatbuffer, stored (not
compressed), with fixed timestamps and attributes so that the output is byte-for-byte
reproducible.

Field ids used (metadata_schema.fbs):
ModelMetadata: name 0, description 1, version 2, subgraph_metadata 3, author 4, license 5,
min_parser_version 7.  SubGraphMetadata: name 0, description 1, input_tensor_metadata 2,
output_tensor_metadata 3.  TensorMetadata: name 0, description 1, content 3,
process_units 4, stats 5, associated_files 6.  Content: content_properties_type 0,
content_properties 1.  ImageProperties: color_space 0, default_size 1.  ImageSize: width 0,
height 1.  ProcessUnit: options_type 0, options 1.  NormalizationOptions: mean 0, std 1.
Stats: max 0, min 1.  AssociatedFile: name 0, description 1, type 2, locale 3.

Display names (MediaPipe's ``display_names_locale``) are more label files of the output
tensor, each with a locale; the first label file (no locale) stays the labels.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "LABELS_NAME",
    "DisplayNames",
    "ImageClassifierMetadata",
    "add_metadata",
    "build_metadata_buffer",
]

METADATA_NAME = "TFLITE_METADATA"
#: the name of the label file packed into every model camviz writes (zoo and exported heads)
LABELS_NAME = "labels.txt"
MIN_PARSER_VERSION = "1.0.0"

# union / enum values from metadata_schema.fbs
_CONTENT_FEATURE = 1
_CONTENT_IMAGE = 2
_UNIT_NORMALIZATION = 1
_COLOR_SPACES = {"UNKNOWN": 0, "RGB": 1, "GRAYSCALE": 2}
_FILE_TENSOR_AXIS_LABELS = 2


@dataclass(frozen=True)
class DisplayNames:
    """The classes' names in one locale, packed as ``file`` (one name per line)."""

    locale: str
    file: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class ImageClassifierMetadata:
    name: str
    description: str
    version: str
    author: str
    license: str
    input_name: str
    input_description: str
    color_space: str
    width: int
    height: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    input_min: float
    input_max: float
    output_name: str
    output_description: str
    labels_file: str
    labels_description: str
    display_names: tuple[DisplayNames, ...] = ()


def build_metadata_buffer(md: ImageClassifierMetadata) -> bytes:
    import flatbuffers

    b = flatbuffers.Builder(4096)

    def string(text: str) -> int:
        return int(b.CreateString(text))

    def floats(values: tuple[float, ...]) -> int:
        return int(b.CreateNumpyVector(np.asarray(values, dtype="<f4")))

    def table_vector(offsets: list[int]) -> int:
        b.StartVector(4, len(offsets), 4)
        for off in reversed(offsets):
            b.PrependUOffsetTRelative(off)
        return int(b.EndVector())

    def table(fields: list[tuple[str, int, Any]]) -> int:
        b.StartObject(1 + max(slot for _, slot, _ in fields))
        for kind, slot, value in fields:
            if kind == "offset":
                b.PrependUOffsetTRelativeSlot(slot, value, 0)
            elif kind == "ubyte":
                b.PrependUint8Slot(slot, value, 0)
            elif kind == "byte":
                b.PrependInt8Slot(slot, value, 0)
            elif kind == "uint":
                b.PrependUint32Slot(slot, value, 0)
            else:  # pragma: no cover
                raise ValueError(kind)
        return int(b.EndObject())

    # ---- input tensor
    image_size = table([("uint", 0, md.width), ("uint", 1, md.height)])
    image_props = table([("byte", 0, _COLOR_SPACES[md.color_space]), ("offset", 1, image_size)])
    in_content = table([("ubyte", 0, _CONTENT_IMAGE), ("offset", 1, image_props)])
    norm = table([("offset", 0, floats(md.mean)), ("offset", 1, floats(md.std))])
    unit = table([("ubyte", 0, _UNIT_NORMALIZATION), ("offset", 1, norm)])
    units = table_vector([unit])
    in_stats = table(
        [("offset", 0, floats((md.input_max,))), ("offset", 1, floats((md.input_min,)))]
    )
    in_name = string(md.input_name)
    in_desc = string(md.input_description)
    input_md = table(
        [
            ("offset", 0, in_name),
            ("offset", 1, in_desc),
            ("offset", 3, in_content),
            ("offset", 4, units),
            ("offset", 5, in_stats),
        ]
    )
    # ---- output tensor
    feature = _empty_table(b)
    out_content = table([("ubyte", 0, _CONTENT_FEATURE), ("offset", 1, feature)])
    lab_name = string(md.labels_file)
    lab_desc = string(md.labels_description)
    labels = table(
        [("offset", 0, lab_name), ("offset", 1, lab_desc), ("byte", 2, _FILE_TENSOR_AXIS_LABELS)]
    )
    localized = []
    for names in md.display_names:
        file_name = string(names.file)
        file_desc = string(f"Display names of the classes ({names.locale}).")
        file_locale = string(names.locale)
        localized.append(
            table(
                [
                    ("offset", 0, file_name),
                    ("offset", 1, file_desc),
                    ("byte", 2, _FILE_TENSOR_AXIS_LABELS),
                    ("offset", 3, file_locale),
                ]
            )
        )
    files = table_vector([labels, *localized])
    out_name = string(md.output_name)
    out_desc = string(md.output_description)
    output_md = table(
        [
            ("offset", 0, out_name),
            ("offset", 1, out_desc),
            ("offset", 3, out_content),
            ("offset", 6, files),
        ]
    )
    # ---- subgraph and model
    inputs = table_vector([input_md])
    outputs = table_vector([output_md])
    sg_name = string("image_classifier")
    subgraph = table([("offset", 0, sg_name), ("offset", 2, inputs), ("offset", 3, outputs)])
    subgraphs = table_vector([subgraph])
    name = string(md.name)
    desc = string(md.description)
    version = string(md.version)
    author = string(md.author)
    lic = string(md.license)
    parser = string(MIN_PARSER_VERSION)
    root = table(
        [
            ("offset", 0, name),
            ("offset", 1, desc),
            ("offset", 2, version),
            ("offset", 3, subgraphs),
            ("offset", 4, author),
            ("offset", 5, lic),
            ("offset", 7, parser),
        ]
    )
    b.Finish(root, file_identifier=b"M001")
    return bytes(b.Output())


def _empty_table(b: Any) -> int:
    b.StartObject(0)
    return int(b.EndObject())


def _zip_entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    info.create_system = 3
    info.external_attr = 0o100644 << 16
    return info


def add_metadata(model: bytes, md: ImageClassifierMetadata, labels: list[str]) -> bytes:
    """Return ``model`` with the metadata buffer added and its label files appended as a zip."""
    from camviz.backends.tflite_graph import with_metadata_buffer

    meta = build_metadata_buffer(md)
    packed = with_metadata_buffer(model, METADATA_NAME, meta, source=md.name)

    out = io.BytesIO()
    out.write(packed)
    # mode "w" on a stream positioned after the flatbuffer: entry offsets are absolute file
    # offsets (as the metadata populator writes them), and no zip sniffing of the weights.
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr(_zip_entry(md.labels_file), ("\n".join(labels) + "\n").encode("utf-8"))
        for names in md.display_names:
            text = "\n".join(names.names) + "\n"
            zf.writestr(_zip_entry(names.file), text.encode("utf-8"))
    return out.getvalue()
