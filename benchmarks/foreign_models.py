"""Compare camviz with MediaPipe's ImageClassifier on the foreign models (shared/foreign-models).

For every ``.tflite`` file in the folder and every real photo in ``assets/photos/*/*``:
camviz classifies the photo (its own centre crop of 0.875 of the short side, then resize);
MediaPipe gets exactly the same pixels: the benchmark cuts the crop with
:func:`camviz.preprocess.center_crop` and hands that crop to MediaPipe as the whole image
(not a normalised ``region_of_interest``, whose conversion back to pixels may round
differently). What is left to differ is each side's resize and input mapping.

Per model it reports how often the top-1 indices agree over all photos and, for ImageNet
models, the top-1 accuracy of each on the photos of ``tests/data/eval_photos.csv``.
Diagnostic columns show the agreement when camviz's interpreter is fed a tensor made
another way from the same crop: (a) cv2.resize bilinear (half-pixel centres) instead of
camviz's resize (area averaging when the crop is >= 2x the input); (b) MediaPipe's
sampling emulated (corner-aligned bilinear, :func:`mediapipe_resize`) with camviz's input
mapping; (c) (b) plus raw pixels for every uint8 input, as MediaPipe feeds quantised models
whatever their normalisation metadata. Agreement near 100% in (c) locates the differences.

MediaPipe refuses float models without normalisation metadata. For such a model the
MediaPipe column uses its twin in the folder that carries metadata, after checking that
the two files compute the same function (identical outputs on random inputs).

Not part of CI. Run it in a venv with mediapipe and camviz (see docs/foreign-models.md)::

    .venv-mediapipe/bin/python benchmarks/foreign_models.py --out /tmp/foreign.md
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import shlex
import sys
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from harness import machine, markdown_table

from camviz.classifier import Classifier, ClassifierOptions
from camviz.imageio import load_image
from camviz.labels import LabelLayout, imagenet_index
from camviz.preprocess import InputMapping, Preprocessor, center_crop

ROOT = Path(__file__).resolve().parents[1]
FOREIGN = ROOT / ".." / "shared" / "foreign-models"
EVAL_CSV = ROOT / "tests" / "data" / "eval_photos.csv"
#: MediaPipe cannot load the first (float input, no NormalizationOptions); the second is the
#: same network with metadata (mean/std 127.5, i.e. [-1, 1]). Checked before use.
TWINS = {
    "tfls_mobilenet_v1_0.25_224_1_default_1.tflite": (
        "tfls_mobilenet_v1_0.25_224_1_metadata_1.tflite"
    ),
}


@dataclasses.dataclass
class Row:
    model: str
    layout: str
    mapping: str
    reference: str
    agree: int
    variants: dict[str, int]
    photos: int
    disagreements: list[str]
    camviz_correct: int | None = None
    mediapipe_correct: int | None = None
    labelled: int = 0


def read_eval(path: Path) -> dict[Path, set[int]]:
    rows: dict[Path, set[int]] = {}
    with path.open(encoding="utf-8") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    for rec in csv.DictReader(lines):
        rows[(path.parent / rec["path"]).resolve()] = {int(c) for c in rec["classes"].split()}
    return rows


def same_function(a: Path, b: Path, trials: int = 3) -> bool:
    """True if the two models give identical outputs on the same random inputs."""
    from ai_edge_litert.interpreter import Interpreter

    interpreters = [Interpreter(model_path=str(p)) for p in (a, b)]
    for it in interpreters:
        it.allocate_tensors()
    details = [it.get_input_details()[0] for it in interpreters]
    if any(d["shape"].tolist() != details[0]["shape"].tolist() for d in details):
        return False
    rng = np.random.default_rng(0)
    for _ in range(trials):
        x = rng.uniform(-1, 1, details[0]["shape"]).astype(details[0]["dtype"])
        outs = []
        for it, d in zip(interpreters, details, strict=True):
            it.set_tensor(d["index"], x)
            it.invoke()
            outs.append(it.get_tensor(it.get_output_details()[0]["index"]).copy())
        if not np.array_equal(outs[0], outs[1]):
            return False
    return True


def mediapipe_top1(model: Path, crops: list[np.ndarray]) -> list[int]:
    import mediapipe as mp
    from mediapipe.tasks.python import vision
    from mediapipe.tasks.python.core.base_options import BaseOptions

    options = vision.ImageClassifierOptions(
        base_options=BaseOptions(model_asset_path=str(model)), max_results=1
    )
    tops = []
    with vision.ImageClassifier.create_from_options(options) as classifier:
        for crop in crops:
            image = mp.Image(image_format=mp.ImageFormat.SRGB, data=crop)
            tops.append(classifier.classify(image).classifications[0].categories[0].index)
    return tops


def mediapipe_resize(crop: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear sampling as MediaPipe's CPU image-to-tensor does it (an emulation).

    MediaPipe warps the region's corners onto the tensor's corners (cv::warpPerspective,
    INTER_LINEAR): output pixel x samples the source at x * scale, with no half-pixel
    offset and only the 2x2 nearest pixels, however large the reduction.
    """
    height, width = crop.shape[:2]
    matrix = np.array([[width / size[0], 0.0, 0.0], [0.0, height / size[1], 0.0]])
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    return cv2.warpAffine(crop, matrix, size, flags=flags, borderMode=cv2.BORDER_REPLICATE)


def variant_top1(
    clf: Classifier, crops: list[np.ndarray], resize: str, raw_uint8: bool = False
) -> list[int]:
    """camviz's interpreter on a tensor made another way (diagnostics).

    ``resize``: "bilinear" (cv2.resize INTER_LINEAR, half-pixel centres) or "mediapipe"
    (:func:`mediapipe_resize`); ``raw_uint8``: integer inputs get the pixel values as
    they are, whatever the metadata says (what MediaPipe does for quantised inputs).
    """
    info = clf.info
    scale, zero = info.input_quantization or (0.0, 0)
    spec = dataclasses.replace(info.preprocessing, crop_fraction=1.0)
    if raw_uint8:
        spec = dataclasses.replace(spec, mapping=InputMapping.RAW)
    prep = Preprocessor(spec, info.input_size, np.dtype(info.dtype), scale, zero)
    tops = []
    for crop in crops:
        if resize == "mediapipe":
            resized = mediapipe_resize(crop, info.input_size)
        else:
            resized = cv2.resize(crop, info.input_size, interpolation=cv2.INTER_LINEAR)
        probs = clf.probabilities(clf.invoke_raw(prep(resized)))
        tops.append(int(np.argmax(probs)))
    return tops


def compare(model: Path, photos: list[Path], images: list[np.ndarray], truth: dict) -> Row:
    with Classifier.create(ClassifierOptions(model=model, top_k=1)) as clf:
        info = clf.info
        crops = [
            np.ascontiguousarray(center_crop(im, info.preprocessing.crop_fraction)) for im in images
        ]
        ours = [clf.classify(im).top.index for im in images]
        variants = {
            "bilinear": variant_top1(clf, crops, "bilinear"),
            "mp_resize": variant_top1(clf, crops, "mediapipe"),
            "mp_both": variant_top1(clf, crops, "mediapipe", raw_uint8=True),
        }
    reference = model
    if model.name in TWINS:
        twin = model.with_name(TWINS[model.name])
        if not twin.is_file() or not same_function(model, twin):
            raise SystemExit(f"{model.name}: its MediaPipe twin {twin.name} is missing or differs")
        reference = twin
    theirs = mediapipe_top1(reference, crops)
    row = Row(
        model=model.name,
        layout=info.label_layout.value,
        mapping=info.mapping_source,
        reference="same file" if reference == model else f"twin {reference.name}",
        agree=sum(a == b for a, b in zip(ours, theirs, strict=True)),
        variants={
            name: sum(a == b for a, b in zip(tops, theirs, strict=True))
            for name, tops in variants.items()
        },
        photos=len(photos),
        disagreements=[
            f"{p.name} ({a} vs {b})" for p, a, b in zip(photos, ours, theirs, strict=True) if a != b
        ],
    )
    if info.label_layout is not LabelLayout.OTHER:
        labelled = [(i, truth[p.resolve()]) for i, p in enumerate(photos) if p.resolve() in truth]
        row.labelled = len(labelled)
        row.camviz_correct = sum(
            imagenet_index(info.label_layout, ours[i]) in ok for i, ok in labelled
        )
        row.mediapipe_correct = sum(
            imagenet_index(info.label_layout, theirs[i]) in ok for i, ok in labelled
        )
    return row


def pct(n: int, d: int) -> str:
    return f"{n}/{d} = {100.0 * n / d:.0f}%"


def table(rows: list[Row], command: str) -> str:
    header = [
        "model",
        "layout",
        "camviz mapping",
        "MediaPipe ran",
        "top-1 agreement",
        "diag. (a) cv2 bilinear",
        "diag. (b) MediaPipe sampling",
        "diag. (c) (b) + raw uint8",
        "top-1 camviz",
        "top-1 MediaPipe",
    ]
    body = []
    for r in rows:
        acc_c = pct(r.camviz_correct, r.labelled) if r.camviz_correct is not None else "n/a"
        acc_m = pct(r.mediapipe_correct, r.labelled) if r.mediapipe_correct is not None else "n/a"
        body.append(
            [
                f"`{r.model}`",
                r.layout,
                r.mapping,
                r.reference,
                f"**{pct(r.agree, r.photos)}**",
                *(pct(r.variants[k], r.photos) for k in ("bilinear", "mp_resize", "mp_both")),
                acc_c,
                acc_m,
            ]
        )
    lines = [
        f"Command: `{command}`",
        "",
        f"Machine: {machine(extra=('mediapipe',)).line()}",
        "",
        f"Photos: {rows[0].photos} (assets/photos/*/*); top-1 accuracy on the "
        f"{rows[0].labelled or 14} labelled ones of tests/data/eval_photos.csv (ImageNet models). "
        "MediaPipe gets camviz's centre crop (0.875 of the short side) as its whole image.",
        "",
        markdown_table(header, body),
    ]
    lines += ["", "Photos where the top-1 indices differ (camviz vs MediaPipe):", ""]
    for r in rows:
        lines.append(f"- `{r.model}`: {', '.join(r.disagreements) or 'none'}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, default=FOREIGN, help="folder of .tflite files")
    parser.add_argument("--out", type=Path, help="also write the markdown table to this file")
    args = parser.parse_args(argv)
    models = sorted(args.models.glob("*.tflite"))
    if not models:
        print(f"no .tflite files in {args.models.resolve()}", file=sys.stderr)
        return 2
    photos = sorted(p for p in (ROOT / "assets" / "photos").glob("*/*") if p.is_file())
    images = [load_image(p) for p in photos]
    truth = read_eval(EVAL_CSV)
    rows: list[Any] = []
    for model in models:
        print(f"... {model.name}", file=sys.stderr, flush=True)
        rows.append(compare(model, photos, images, truth))
    python = Path(sys.executable)
    if python.is_relative_to(ROOT):
        python = python.relative_to(ROOT)
    command = shlex.join([str(python), *sys.argv])
    text = table(rows, command)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
