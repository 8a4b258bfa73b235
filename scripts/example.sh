#!/usr/bin/env bash
# First-run command: installs everything, builds the addon, builds the example
# app with `open-next build` and serves it with `open-next preview`.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/open-next/target}"
export NEXT_TELEMETRY_DISABLED=1
bash scripts/system-deps.sh
npm install --no-audit --no-fund --loglevel=error
npm run build --silent
cd examples/basic
npm install --no-audit --no-fund --loglevel=error
npx open-next build
exec npx open-next preview --port "${PORT:-3000}"
