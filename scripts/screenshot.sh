#!/usr/bin/env bash
# Screenshot of the live window on the demo source under Xvfb -> assets/screenshot.png
# usage: scripts/screenshot.sh [extra args for scripts/screenshot.py]
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
[ -x "$PY" ] || PY=python3
if command -v xvfb-run >/dev/null 2>&1; then
    exec xvfb-run -a -s "-screen 0 1280x800x24" "$PY" scripts/screenshot.py "$@"
fi
echo "xvfb-run not found: using the offscreen platform" >&2
QT_QPA_PLATFORM=offscreen exec "$PY" scripts/screenshot.py "$@"
