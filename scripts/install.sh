#!/usr/bin/env bash
# One-shot install on a fresh Debian machine (or any machine with Python 3.11 and the packages below).
# Fetches only from the package registries: Debian packages, PyPI. Builds the pose model file from the
# tflite files inside the mediapipe 0.10.21 wheel (PyPI), so nothing is downloaded at run time.
set -euo pipefail
cd "$(dirname "$0")/.."

# System libraries: ffmpeg (H.264 encode of overlays), EGL/GLES/GL (mediapipe and OpenCV link them),
# Chromium (report/web tests in a real headless browser), npm (vendors the web app's pose runtime), PostgreSQL (storage tests against a real server).
need=()
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v npm >/dev/null 2>&1 || need+=(npm)
ldconfig -p 2>/dev/null | grep -q 'libEGL.so.1' || need+=(libegl1)
ldconfig -p 2>/dev/null | grep -q 'libGLESv2.so.2' || need+=(libgles2)
ldconfig -p 2>/dev/null | grep -q 'libGL.so.1' || need+=(libgl1)
# The storage tests start a throwaway PostgreSQL server from these binaries (initdb/pg_ctl, run as user postgres).
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
if [ "${HINGECOACH_SKIP_APT:-0}" != "1" ] && [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "[install] apt-get install ${need[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "[install] please install these system packages first: ${need[*]}" >&2
    exit 1
  fi
fi

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  echo "[install] creating .venv with $PYTHON"
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
echo "[install] pip install -e .[dev]"
.venv/bin/python -m pip install -q -e '.[dev]' 2>&1 | grep -v '^WARNING: Location' || true
.venv/bin/python -c 'import hingecoach, mediapipe, cv2' 

echo "[install] web app: browser pose runtime from the npm registry (pinned, checked)"
scripts/vendor_web.sh

echo "[install] pose model"
.venv/bin/hingecoach setup-model
touch .venv/.installed
echo "[install] done"
