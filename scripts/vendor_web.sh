#!/usr/bin/env bash
# Vendor the browser-side pose runtime (@mediapipe/tasks-vision) for the web app, reproducibly:
# `npm ci` against vendor/npm/package-lock.json (exact version and integrity hash from the npm registry), then
# copy the ES module bundle and the wasm files into src/hingecoach/web/static/vendor/tasks-vision/ (git-ignored),
# and swagger-ui-dist (the OpenAPI page) into .../vendor/swagger-ui/.
#
# Why 0.10.35: versions 1.0.0-1.1.0 contain a usage logger that posts to https://odml.pa.googleapis.com/v1/log
# about 60 s after the model loads, even when every file is served locally. This script refuses a bundle that
# names any outside URL, so an accidental bump is caught here (and the page's CSP `connect-src 'self'` blocks
# it at run time anyway).
set -euo pipefail
cd "$(dirname "$0")/.."
src=vendor/npm
dst=src/hingecoach/web/static/vendor/tasks-vision
if ! command -v npm >/dev/null 2>&1; then
  echo "[vendor] npm is missing (apt-get install npm)" >&2
  exit 1
fi
(cd "$src" && npm ci --no-audit --no-fund --ignore-scripts --silent)
pkg="$src/node_modules/@mediapipe/tasks-vision"
version=$(node -p "require('./$pkg/package.json').version")
bundle="$pkg/vision_bundle.mjs"
if grep -qE "https?://|sendBeacon" "$bundle"; then
  echo "[vendor] refusing @mediapipe/tasks-vision $version: its bundle names an outside URL:" >&2
  grep -oE "https?://[A-Za-z0-9./_-]+" "$bundle" | sort -u >&2
  exit 1
fi
rm -rf "$dst"
mkdir -p "$dst/wasm"
cp "$bundle" "$dst/vision_bundle.mjs"
for f in vision_wasm_internal vision_wasm_nosimd_internal; do
  cp "$pkg/wasm/$f.js" "$pkg/wasm/$f.wasm" "$dst/wasm/"
done
# The OpenAPI page's Swagger UI, served by us too (FastAPI's default pulls it from a CDN, which our CSP refuses).
sw="$src/node_modules/swagger-ui-dist"
swdst=src/hingecoach/web/static/vendor/swagger-ui
rm -rf "$swdst"
mkdir -p "$swdst"
cp "$sw/swagger-ui-bundle.js" "$sw/swagger-ui.css" "$sw/favicon-32x32.png" "$sw/LICENSE" "$swdst/"
printf '{"package": "@mediapipe/tasks-vision", "version": "%s"}\n' "$version" > "$dst/VERSION.json"
echo "[vendor] @mediapipe/tasks-vision $version -> $dst"
