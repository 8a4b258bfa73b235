#!/usr/bin/env bash
# Debian packages the build needs, installed when missing: nasm, for the SIMD
# code of mozjpeg in the image stage (crates/image).
set -euo pipefail
if ! command -v nasm >/dev/null; then
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq nasm >/dev/null
fi
