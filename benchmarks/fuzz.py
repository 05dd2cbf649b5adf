"""Fuzz the image and model loaders with mutated real files; count crashes.

    .venv/bin/python benchmarks/fuzz.py --images 5000 --models 1000 --json fuzz.json

Inputs are the real photos in ``assets/photos`` and the real ``.tflite`` models in
``models/``, mutated by a seeded mutator (bit flips, byte stomps, truncation, chunk
duplication / removal / overwrite, random insertions, header corruption). Mutation
``i`` of a run depends only on ``(seed, i)``, so any finding can be reproduced with
``--replay-image I`` / ``--replay-model I``.

* **Images** go through :func:`camviz.imageio.decode_image` (every tenth through
  :func:`~camviz.imageio.load_image` on a temporary file) in a child process that reports
  each outcome on stdout; if the child dies (a native crash of the decoder), the input it
  was on is counted as a crash and a new child carries on after it.
* **Models** go through :func:`camviz.loading.check_model_file`, the check the app runs on a
  user's model before loading it: the TFLite runtime loads, shape-checks and invokes the
  file in a child. A file the check accepts is then loaded *in this process* with
  :meth:`Classifier.create` and classifies a real photo, as the app would.

Reported: tried, accepted, clean errors by type, unexpected exceptions, child crashes (by
signal), hangs; and ``app_crashes``, which is 0 whenever this script gets to print its
report (the acceptance: a child may crash, the app process must not). Exit 1 if an image
crashed the decoder or an input raised something other than a camviz error.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PHOTOS = ROOT / "assets" / "photos"
MODELS = ROOT / "models"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp"}
#: The models mutated by default: the small ones (a check of a 20 MB model is slower).
DEFAULT_MODELS = ("efficientnet_lite0_int8.tflite", "efficientnet_lite0_float32.tflite")


# ------------------------------------------------------------------------ mutator
def _pos(rng: random.Random, size: int, hot: int) -> int:
    """A position: half the time in the first/last ``hot`` bytes (headers, tables)."""
    if size <= 1:
        return 0
    if hot and rng.random() < 0.5:
        span = min(hot, size)
        return rng.randrange(span) if rng.random() < 0.5 else size - 1 - rng.randrange(span)
    return rng.randrange(size)


def _bit_flips(rng: random.Random, data: bytearray, hot: int) -> str:
    n = rng.choice((1, 1, 2, 4, 8, 16, 64))
    for _ in range(n):
        data[_pos(rng, len(data), hot)] ^= 1 << rng.randrange(8)
    return f"flip {n} bits"


def _stomp(rng: random.Random, data: bytearray, hot: int) -> str:
    n = rng.choice((1, 2, 4, 16))
    for _ in range(n):
        at = _pos(rng, len(data), hot)
        width = rng.choice((1, 2, 4))
        value = rng.choice((0x00, 0xFF, 0x7F, 0x80, rng.randrange(256)))
        data[at : at + width] = bytes([value]) * len(data[at : at + width])
    return f"stomp {n} values"


def _truncate(rng: random.Random, data: bytearray, hot: int) -> str:
    keep = rng.choice((rng.randrange(len(data)), rng.randrange(min(len(data), 4096))))
    del data[keep:]
    return f"truncate to {keep}"


def _duplicate(rng: random.Random, data: bytearray, hot: int) -> str:
    at = _pos(rng, len(data), hot)
    length = rng.choice((4, 64, 1024, 16384))
    chunk = data[at : at + length]
    dest = _pos(rng, len(data), hot)
    data[dest:dest] = chunk
    return f"duplicate {len(chunk)} bytes"


def _remove(rng: random.Random, data: bytearray, hot: int) -> str:
    at = _pos(rng, len(data), hot)
    length = rng.choice((1, 4, 64, 1024, 16384))
    del data[at : at + length]
    return f"remove {length} bytes"


def _overwrite(rng: random.Random, data: bytearray, hot: int) -> str:
    at = _pos(rng, len(data), hot)
    length = rng.choice((4, 64, 512))
    data[at : at + length] = rng.randbytes(len(data[at : at + length]))
    return f"overwrite {length} bytes"


def _insert(rng: random.Random, data: bytearray, hot: int) -> str:
    at = _pos(rng, len(data), hot)
    length = rng.choice((1, 4, 64, 512))
    data[at:at] = rng.randbytes(length)
    return f"insert {length} bytes"


def _header(rng: random.Random, data: bytearray, hot: int) -> str:
    n = rng.choice((1, 2, 4))
    for _ in range(n):
        data[rng.randrange(min(64, len(data)))] = rng.randrange(256)
    return "corrupt header"


MUTATIONS: tuple[Callable[[random.Random, bytearray, int], str], ...] = (
    _bit_flips,
    _stomp,
    _truncate,
    _duplicate,
    _remove,
    _overwrite,
    _insert,
    _header,
)


def mutate(
    seed: str, corpus: list[Path], cache: dict[Path, bytes], hot: int
) -> tuple[Path, bytes, str]:
    """Mutation ``seed`` of one file of ``corpus``: (original, mutated bytes, description)."""
    rng = random.Random(seed)
    original = corpus[rng.randrange(len(corpus))]
    if original not in cache:
        cache[original] = original.read_bytes()
    data = bytearray(cache[original])
    steps = [rng.choice(MUTATIONS)(rng, data, hot) for _ in range(rng.choice((1, 1, 2, 3)))]
    if not data:
        data = bytearray(b"\0")
    return original, bytes(data), "; ".join(steps)


def image_corpus() -> list[Path]:
    return sorted(p for p in PHOTOS.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)


def model_corpus(names: tuple[str, ...] = DEFAULT_MODELS) -> list[Path]:
    return [MODELS / n for n in names if (MODELS / n).is_file()]


# ------------------------------------------------------------------------- images
def _image_child(seed: int, start: int, stop: int) -> int:
    """Child: decode mutations start..stop-1, one ``index<TAB>outcome`` line each."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_AS, (4 * 2**30, 4 * 2**30))
    except (ImportError, ValueError, OSError):
        pass
    from camviz.errors import CamvizError
    from camviz.imageio import decode_image, load_image

    corpus = image_corpus()
    cache: dict[Path, bytes] = {}
    out = sys.stdout
    with tempfile.TemporaryDirectory(prefix="camviz-fuzz-") as tmp:
        for i in range(start, stop):
            original, data, _ = mutate(f"image-{seed}-{i}", corpus, cache, 4096)
            try:
                if i % 10 == 0:
                    path = Path(tmp) / f"m{i}{original.suffix}"
                    path.write_bytes(data)
                    image = load_image(path)
                    path.unlink()
                else:
                    image = decode_image(data, f"mutation {i} of {original.name}")
                ok = image.ndim == 3 and image.shape[2] == 3 and image.dtype.name == "uint8"
                outcome = "accepted" if ok else "bad-array"
            except CamvizError as exc:
                outcome = f"error:{type(exc).__name__}"
            except MemoryError:
                outcome = "unexpected:MemoryError"
            except Exception as exc:
                outcome = f"unexpected:{type(exc).__name__}"
            out.write(f"{i}\t{outcome}\n")
            out.flush()
    return 0


@dataclass
class Tally:
    tried: int = 0
    accepted: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)  # why the clean errors refused
    unexpected: Counter[str] = field(default_factory=Counter)
    crashes: list[dict[str, Any]] = field(default_factory=list)
    hangs: int = 0
    seconds: float = 0.0

    def add(self, outcome: str) -> None:
        self.tried += 1
        if outcome == "accepted":
            self.accepted += 1
        elif outcome.startswith("error:"):
            self.errors[outcome[6:]] += 1
        else:
            self.unexpected[outcome.split(":", 1)[-1]] += 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "tried": self.tried,
            "accepted": self.accepted,
            "clean_errors": dict(self.errors.most_common()),
            "clean_errors_total": sum(self.errors.values()),
            "clean_error_reasons": dict(self.reasons.most_common(12)),
            "unexpected_exceptions": dict(self.unexpected.most_common()),
            "child_crashes": len(self.crashes),
            "crash_details": self.crashes[:20],
            "hangs": self.hangs,
            "seconds": round(self.seconds, 1),
        }


def fuzz_images(count: int, seed: int = 0, timeout: float = 120.0) -> Tally:
    """Decode ``count`` mutated photos in child processes, restarting after each crash."""
    tally = Tally()
    started = time.monotonic()
    next_index = 0
    while next_index < count:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--image-child"]
        cmd += [str(seed), str(next_index), str(count)]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        done = -1
        for line in out.decode("utf-8", "replace").splitlines():
            index, _, outcome = line.partition("\t")
            if outcome:
                tally.add(outcome)
                done = int(index)
        next_index = max(next_index, done + 1)
        if proc.returncode != 0 and next_index < count:
            # the child died on input next_index (crash) or got stuck on it (hang)
            if proc.returncode == -9:
                tally.hangs += 1
            else:
                tail = err.decode("utf-8", "replace").strip().splitlines()[-1:]
                tally.crashes.append(
                    {"index": next_index, "returncode": proc.returncode, "stderr": tail}
                )
            tally.tried += 1
            next_index += 1
    tally.seconds = time.monotonic() - started
    return tally


# ------------------------------------------------------------------------- models
def _reason(message: str) -> str:
    """The runtime's own words in a refusal (``... model (THIS); ...``), path-free."""
    inner = message.split(" (", 1)[1].rsplit(")", 1)[0] if " (" in message else message
    return inner.split(";")[0].strip()[:80]


def _classify_in_process(path: Path, photo: Any) -> str:
    from camviz.classifier import Classifier, ClassifierOptions
    from camviz.errors import CamvizError

    try:
        with Classifier.create(ClassifierOptions(model=path, threads=1)) as clf:
            clf.classify(photo)
    except CamvizError as exc:  # e.g. the check passed but labels differ: still clean
        return f"error:{type(exc).__name__}"
    return "accepted"


def fuzz_models(
    count: int,
    seed: int = 0,
    workers: int = 2,
    timeout: float = 60.0,
    names: tuple[str, ...] = DEFAULT_MODELS,
) -> Tally:
    """Check ``count`` mutated models with :func:`check_model_file`; load the accepted ones."""
    from camviz.errors import CamvizError, ModelLoadError
    from camviz.imageio import load_image
    from camviz.loading import check_model_file

    corpus = model_corpus(names)
    if not corpus:
        raise SystemExit(f"no models {names} in {MODELS}")
    photo = load_image(PHOTOS / "skimage" / "chelsea.png")
    tally = Tally()
    started = time.monotonic()
    cache: dict[Path, bytes] = {}
    crash_words = ("crashed the TFLite runtime", "did not finish a test load")

    with tempfile.TemporaryDirectory(prefix="camviz-fuzz-models-") as tmp:

        def one(i: int) -> tuple[int, str, str, Path]:
            _, data, how = mutate(f"model-{seed}-{i}", corpus, cache, 65536)
            path = Path(tmp) / f"mutant-{i}.tflite"
            path.write_bytes(data)
            try:
                check_model_file(path, timeout=timeout)
            except ModelLoadError as exc:
                text = str(exc)
                if crash_words[0] in text:
                    return i, "crash", text, path
                if crash_words[1] in text:
                    return i, "hang", text, path
                if "failed a test load" in text:
                    return i, "unexpected:" + text.split("(", 1)[-1].split(":")[0], how, path
                return i, "error:ModelLoadError", _reason(text), path
            except CamvizError as exc:
                return i, f"error:{type(exc).__name__}", _reason(str(exc)), path
            return i, "checked", how, path

        cache.update({p: p.read_bytes() for p in corpus})
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for i, outcome, detail, path in pool.map(one, range(count)):
                if outcome == "crash":
                    tally.tried += 1
                    tally.crashes.append({"index": i, "message": detail})
                elif outcome == "hang":
                    tally.tried += 1
                    tally.hangs += 1
                elif outcome == "checked":
                    tally.add(_classify_in_process(path, photo))  # in the app's process
                else:
                    tally.add(outcome)
                    if outcome.startswith("error:"):
                        tally.reasons[detail] += 1
                path.unlink(missing_ok=True)
    tally.seconds = time.monotonic() - started
    return tally


# --------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    args_in = sys.argv[1:] if argv is None else argv
    if args_in[:1] == ["--image-child"]:
        return _image_child(int(args_in[1]), int(args_in[2]), int(args_in[3]))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2, help="parallel model checks")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--replay-image", type=int, default=None, help="write mutation I")
    parser.add_argument("--replay-model", type=int, default=None, help="write mutation I")
    args = parser.parse_args(args_in)
    if args.replay_image is not None or args.replay_model is not None:
        if args.replay_image is not None:
            seed, corpus, hot = f"image-{args.seed}-{args.replay_image}", image_corpus(), 4096
        else:
            seed, corpus, hot = f"model-{args.seed}-{args.replay_model}", model_corpus(), 65536
        original, data, how = mutate(seed, corpus, {}, hot)
        target = Path(f"replay-{seed}{original.suffix}")
        target.write_bytes(data)
        print(f"{target}: {how} of {original}")
        return 0
    report: dict[str, Any] = {"seed": args.seed}
    if args.images:
        report["images"] = fuzz_images(args.images, args.seed).to_dict()
        print(json.dumps({"images": report["images"]}, indent=2), flush=True)
    if args.models:
        report["models"] = fuzz_models(args.models, args.seed, args.workers).to_dict()
        print(json.dumps({"models": report["models"]}, indent=2), flush=True)
    report["app_crashes"] = 0  # this process is alive to write it
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    images = report.get("images", {})
    models = report.get("models", {})
    bad = images.get("child_crashes", 0) + images.get("unexpected_exceptions", {}).__len__()
    bad += len(models.get("unexpected_exceptions", {}))
    print(
        f"app process crashes: 0; image decoder crashes: {images.get('child_crashes', 0)}; "
        f"model test-load crashes (contained): {models.get('child_crashes', 0)}"
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
