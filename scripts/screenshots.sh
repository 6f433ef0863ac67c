#!/usr/bin/env bash
# Regenerate screenshots/*.svg from the real renderer (and PNGs when rsvg-convert exists).
set -euo pipefail
cd "$(dirname "$0")/.."
MERIDIAN_UPDATE_SCREENSHOTS=1 cargo test --quiet --test tui screenshots
if command -v rsvg-convert >/dev/null && [ "${PNG:-0}" = 1 ]; then
  for f in screenshots/*.svg; do rsvg-convert "$f" -o "${f%.svg}.png"; done
fi
ls -1 screenshots
