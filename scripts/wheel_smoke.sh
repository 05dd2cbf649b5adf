#!/usr/bin/env bash
# Build camviz's wheel, install it into a fresh venv outside the checkout, and run there what a
# user runs first. Without the gui extra (no PySide6): classify a photo, list the zoo, a short
# bench, the window saying which extra it needs; then with the gui extra, the window on the demo
# (offscreen); and a model given by path with no manifest anywhere, the public Python API, and that
# no model-building code came with it.
#
#   bash scripts/wheel_smoke.sh              (make wheel-smoke; part of make test)
#   PYTHON=python3.12 bash scripts/wheel_smoke.sh
#   KEEP=1 bash scripts/wheel_smoke.sh       keep the work folder (printed) for a look
#
# Dependencies come from PyPI through pip's cache, so a second run downloads nothing new.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-python3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/camviz-wheel.XXXXXX")
if [[ -z "${KEEP:-}" ]]; then trap 'rm -rf "$WORK"' EXIT; fi
export PIP_DISABLE_PIP_VERSION_CHECK=1
START=$SECONDS

step() { printf '\n== %s\n' "$*"; }
run() { printf '+ %s\n' "$*"; "$@"; }

step "build the wheel (work folder $WORK)"
"$PYTHON" -m pip wheel -q --no-deps -w "$WORK/dist" "$ROOT"
WHEEL=$(ls "$WORK"/dist/camviz-*.whl)
ls -l "$WHEEL"

step "install it into a fresh venv, without the gui extra"
"$PYTHON" -m venv "$WORK/venv"
BIN=$WORK/venv/bin
"$BIN/python" -m pip install -q "$WHEEL"
if "$BIN/python" -c "import PySide6" 2>/dev/null; then
  echo "PySide6 was installed without the gui extra" >&2
  exit 1
fi

# Everything below runs outside the checkout, with nothing pointing camviz back at it.
cd "$WORK"
unset CAMVIZ_MODELS_DIR PYTHONPATH
export QT_QPA_PLATFORM=offscreen
cp "$ROOT/assets/photos/opencv/orange.jpg" photo.jpg
mkdir -p mine
cp "$ROOT/models/efficientnet_lite0_int8.tflite" mine/my_model.tflite

step "the installed camviz is the wheel's, with its data"
run "$BIN/python" - "$ROOT" <<'PY'
import sys
from pathlib import Path

import camviz
from camviz.sources import demo_reel_path
from camviz.zoo import load_zoo, models_dir

root = Path(sys.argv[1]).resolve()
package = Path(camviz.__file__).resolve().parent
assert root not in package.parents, f"camviz is imported from the checkout: {package}"
assert models_dir().is_relative_to(package), models_dir()
zoo = load_zoo()
missing = [m.name for m in zoo.models if not m.path.is_file()]
assert not missing, f"the wheel lacks {missing}"
assert demo_reel_path().is_file() and demo_reel_path().is_relative_to(package), demo_reel_path()
print(f"camviz {camviz.__version__} at {package}; zoo {models_dir()} ({len(zoo.models)} models)")
PY

step "camviz classify"
run "$BIN/camviz" classify photo.jpg --top-k 3

step "camviz models"
run "$BIN/camviz" models

step "camviz bench (a generous budget: this checks that it runs, not this machine's speed)"
run "$BIN/camviz" bench --frames 30 --invokes 20 --budget-ms 1000

step "the window without the gui extra names it"
if "$BIN/camviz" --source demo --quit-after 5 2>window.err; then
  echo "the window ran without PySide6?" >&2
  exit 1
fi
cat window.err
grep -q "pip install 'camviz\[gui\]'" window.err

step "with the gui extra: the window on the demo reel, offscreen"
"$BIN/python" -m pip install -q "$WHEEL[gui]"
run "$BIN/camviz" --source demo --quit-after 5 --stats-json stats.json
"$BIN/python" -c "import json; d = json.load(open('stats.json')); print('last result:', d.get('last_result', d.get('result', '?')) if isinstance(d, dict) else d)" | cut -c1-200

step "a model given by path, with no manifest anywhere"
CAMVIZ_MODELS_DIR=$WORK/no-zoo-here run "$BIN/camviz" classify --model mine/my_model.tflite photo.jpg --top-k 3

step "the Python API"
run "$BIN/python" - <<'PY'
import sys

import camviz

assert "cv2" not in sys.modules, "import camviz must not load OpenCV"
from camviz import ClassifierOptions, load_image, open_classifier

import cv2

with open_classifier(ClassifierOptions(model="efficientnet_lite0_int8")) as clf:
    rgb = clf.classify(load_image("photo.jpg"))
    bgr = clf.classify(cv2.imread("photo.jpg"), color="bgr")
assert rgb.top is not None and bgr.top is not None
assert rgb.top.label == bgr.top.label, (rgb.top, bgr.top)
print(f"{rgb.top.label} {rgb.top.score:.3f} (RGB from load_image == BGR from cv2.imread)")
PY

step "no model-building code installed; exporting a head needs no extra"
run "$BIN/python" - <<'PY'
import importlib.util

from camviz.export import require_export

assert importlib.util.find_spec("camviz.modelbuild") is None, "camviz.modelbuild is installed"
assert importlib.util.find_spec("tools") is None, "the repository's tools/ is installed"
for name in ("efficientnet", "tfnet", "torch_legacy", "calibration", "weights"):
    assert importlib.util.find_spec(f"camviz.export.{name}") is None, f"camviz.export.{name}"
require_export()  # graph surgery on the shipped backbone: nothing to install
print("camviz.export: the head export only (no network code, no TensorFlow)")
PY

printf '\nwheel smoke passed in %d s\n' $((SECONDS - START))
